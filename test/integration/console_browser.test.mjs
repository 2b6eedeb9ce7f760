// The officer console in a real browser: headless Chromium (Debian's
// chromium, driven by playwright-core) signs an officer in with password
// and TOTP, looks up a citizen and opens an activation case, without
// JavaScript on our pages; a child's activation is refused while the
// guardian has no level-2 account.  EID_SCREENSHOT=FILE saves the citizen
// page.
// Skipped, saying why, when /usr/bin/chromium is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';

import { startEidd } from './lib/eidd.mjs';
import { launchChromium, skip } from './lib/chromium.mjs';
import { CITIZEN } from './lib/front.mjs';
import { OFFICER_PASSWORD, addOfficer, totp } from './lib/officer.mjs';

test('Chromium: an officer signs in, looks up a citizen, opens a case', { skip, timeout: 120000 }, async () => {
  const s = await startEidd();
  let browser;
  try {
    const officer = addOfficer(s.dataDir, 'hbt02');
    browser = await launchChromium();
    const ctx = await browser.newContext({ locale: 'vi-VN', javaScriptEnabled: false });
    const page = await ctx.newPage();
    await page.goto(`${s.base}/officer`);
    assert.match(page.url(), /\/officer\/login$/);
    assert.equal(await page.locator('h1').textContent(), 'Cán bộ đăng nhập');
    await page.fill('input[name=officer_id]', officer.id);
    await page.fill('input[name=password]', OFFICER_PASSWORD);
    await page.fill('input[name=totp]', totp(officer.totp_secret));
    await Promise.all([page.waitForURL(/\/officer$/), page.click('form[action="/officer/login"] button')]);
    assert.equal(await page.locator('h1').textContent(), 'Trang cán bộ');

    const cookies = await ctx.cookies(s.base);
    const ses = cookies.find((c) => c.name === 'eid_officer');
    assert.equal(ses.httpOnly, true);
    assert.equal(ses.sameSite, 'Strict');

    await page.fill('input[name=id]', CITIZEN);
    await Promise.all([page.waitForURL(/\/officer\/citizen\?id=/),
      page.click('form[action="/officer/citizen"] button')]);
    assert.match(await page.locator('table.record').first().textContent(), /Nguyễn Văn An/);
    assert.match(await page.locator('#account').textContent(), /active/);
    if (process.env.EID_SCREENSHOT) await page.screenshot({ path: process.env.EID_SCREENSHOT, fullPage: true });

    await Promise.all([page.waitForURL(/\/officer\/activation\?case=/), page.click('#start-activation')]);
    assert.equal(await page.locator('#state').textContent(), 'started');
    assert.match(await page.locator('#read-command').textContent(), /eidctl chip read .*--upload/);

    // A child (demo: in the care of the citizen above, whose account is
    // level 1) is activated only with a level-2 guardian: refused.
    await page.goto(`${s.base}/officer/citizen?id=001216000777`);
    assert.match(await page.locator('table.record').first().textContent(), /001090012345/);
    const refused = await Promise.all([page.waitForLoadState(), page.click('#start-activation')])
      .then(() => page.locator('[role=alert]').first().textContent());
    assert.match(refused, /guardian needs an active level-2 account/);

    // Sign out: the console is closed again.
    await Promise.all([page.waitForURL(/\/officer\/login$/),
      page.click('form[action="/officer/logout"] button')]);
    await page.goto(`${s.base}/officer`);
    assert.match(page.url(), /\/officer\/login$/);
  } finally {
    await browser?.close();
    await s.stop();
  }
});
