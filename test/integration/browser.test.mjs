// The login journey in a real browser: headless Chromium (Debian's
// chromium, driven by playwright-core) fills the login form, approves
// consent and lands on a small relying-party callback server with a code.
// Skipped, saying why, when /usr/bin/chromium is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startEidd } from './lib/eidd.mjs';
import { launchChromium, skip } from './lib/chromium.mjs';
import { CITIZEN, PASSWORD, addClient, authorizeUrl, pkce, recorder } from './lib/front.mjs';

test('Chromium signs in, consents and reaches the RP with a code', { skip, timeout: 120000 }, async () => {
  const s = await startEidd();
  const rp = await recorder((hit, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>RP</title><p id="done">signed in</p>');
  });
  let browser;
  try {
    const redirect = `${rp.base}/callback`;
    addClient(s.dataDir, ['--id', 'web', '--name', 'Cổng Dịch vụ công', '--auth-method', 'none',
      '--redirect-uri', redirect, '--scope', 'openid profile']);
    browser = await launchChromium();
    const page = await browser.newPage({ locale: 'vi-VN' });
    const { challenge } = pkce();
    await page.goto(authorizeUrl(s.base, {
      client_id: 'web', redirect_uri: redirect, response_type: 'code', scope: 'openid profile',
      state: 'browser-state', code_challenge: challenge, code_challenge_method: 'S256',
    }));
    assert.match(page.url(), /\/login\?i=/);
    assert.equal(await page.locator('h1').textContent(), 'Đăng nhập');
    assert.match(await page.locator('.client').textContent(), /Cổng Dịch vụ công/);
    if (process.env.EID_SCREENSHOT) await page.screenshot({ path: process.env.EID_SCREENSHOT, fullPage: true });

    // The form's own validation: twelve digits.
    await page.fill('#username', CITIZEN);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/consent\?i=/), page.click('button[type=submit]:not([name])')]);
    assert.match(await page.locator('ul.claims').textContent(), /Họ và tên/);

    await Promise.all([page.waitForURL(/\/callback\?/), page.click('button[name=approve]')]);
    const url = new URL(page.url());
    assert.match(url.searchParams.get('code'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(url.searchParams.get('state'), 'browser-state');
    assert.equal(url.searchParams.get('iss'), s.base);
    assert.equal(await page.locator('#done').textContent(), 'signed in');

    // The session cookie is HttpOnly and Lax; SSO skips the login page.
    const cookies = await page.context().cookies(s.base);
    const ses = cookies.find((c) => c.name === 'eid_session');
    assert.ok(ses);
    assert.equal(ses.httpOnly, true);
    assert.equal(ses.sameSite, 'Lax');
    await page.goto(authorizeUrl(s.base, {
      client_id: 'web', redirect_uri: redirect, response_type: 'code', scope: 'openid',
      state: 'again', code_challenge: challenge, code_challenge_method: 'S256',
    }));
    assert.match(page.url(), /\/callback\?code=.*state=again/);
  } finally {
    await browser?.close();
    await rp.close();
    await s.stop();
    s.cleanup();
  }
});
