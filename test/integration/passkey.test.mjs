// Passkeys in a real browser: headless Chromium with its virtual
// authenticator (DevTools protocol, ctap2, internal transport, resident
// keys, user verification) registers a passkey on the account page, the
// citizen signs out, and signs in again at /authorize with the passkey
// alone; the relying party gets a code, and the ID token's amr says a
// hardware key with user presence and verification was used.
// WebAuthn needs a secure context and a domain as RP ID: the issuer is
// http://localhost:PORT (loopback, so secure for Chromium).
// Skipped, saying why, when /usr/bin/chromium is not installed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launch, skip } from './lib/chromium.mjs';
import { eidctl, startEidd } from './lib/eidd.mjs';
import { CITIZEN, PASSWORD, addClient, authorizeUrl, pkce, recorder } from './lib/front.mjs';

// EID_WEBAUTHN_SEEDS=test/fuzz/corpus keeps Chromium's attestation object
// and sign-in clientDataJSON as fuzz seeds.
function keepSeeds(posts) {
  const dir = process.env.EID_WEBAUTHN_SEEDS;
  if (!dir) return;
  const add = new URLSearchParams(posts.get('/account/passkeys'));
  const get = new URLSearchParams(posts.get('/login/passkey'));
  writeFileSync(join(dir, 'webauthn_attestation', 'chromium-none'),
    Buffer.from(add.get('attestationObject'), 'base64url'));
  writeFileSync(join(dir, 'webauthn_assertion', 'chromium-client-data'),
    Buffer.from(get.get('clientDataJSON'), 'base64url'));
}

function claims(jwt) {
  return JSON.parse(Buffer.from(jwt.split('.')[1], 'base64url').toString());
}

test('Chromium registers a passkey on the account page and signs in with it', { skip, timeout: 180000 }, async () => {
  const s = await startEidd({ config: (port) => `[server]\nissuer = http://localhost:${port}\n` });
  const base = `http://localhost:${s.port}`;
  const rp = await recorder((hit, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>RP</title><p id="done">signed in</p>');
  });
  let browser;
  try {
    const redirect = `${rp.base}/callback`;
    addClient(s.dataDir, ['--id', 'web', '--name', 'Cổng Dịch vụ công', '--auth-method', 'none',
      '--redirect-uri', redirect, '--scope', 'openid profile']);
    browser = await launch();
    const context = await browser.newContext({ locale: 'en-US' });
    const page = await context.newPage();
    const posts = new Map();
    page.on('request', (req) => {
      if (req.method() === 'POST') posts.set(new URL(req.url()).pathname, req.postData());
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('WebAuthn.enable');
    const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
      options: {
        protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
        hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
      },
    });
    const { verifier, challenge } = pkce();
    const authorize = (state) => authorizeUrl(base, {
      client_id: 'web', redirect_uri: redirect, response_type: 'code', scope: 'openid profile',
      state, code_challenge: challenge, code_challenge_method: 'S256',
    });

    // A password sign-in first, to reach the account page.
    await page.goto(authorize('one'));
    await page.fill('#username', CITIZEN);
    await page.fill('#password', PASSWORD);
    await Promise.all([page.waitForURL(/\/consent\?i=/), page.click('button[type=submit]:not([name]):not([id])')]);
    await Promise.all([page.waitForURL(/\/callback\?/), page.click('button[name=approve]')]);

    await page.goto(`${base}/account`);
    assert.equal(await page.locator('#passkeys tr').count(), 1); // the header only
    await page.fill('input[name=name]', 'Laptop');
    await Promise.all([page.waitForURL(`${base}/account/passkeys`), page.click('#passkey-add-button')]);
    assert.match(await page.locator('p.notice').textContent(), /Passkey added/);
    assert.equal(await page.locator('#passkeys tr').count(), 2);
    assert.equal(await page.locator('.passkey-name').textContent(), 'Laptop');
    const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
    assert.equal(credentials.length, 1);
    assert.equal(credentials[0].isResidentCredential, true);
    assert.equal(credentials[0].rpId, 'localhost');
    const listed = eidctl(['account', 'passkeys', '--data', s.dataDir, '--json', CITIZEN]);
    assert.equal(listed.status, 0, listed.stderr);
    const [pk] = JSON.parse(listed.stdout);
    assert.equal(pk.name, 'Laptop');
    assert.equal(pk.attestation, 'none');
    assert.equal(pk.user_verified, true);
    assert.equal(pk.last_used, 0);

    // Sign out (the browser forgets its session), then sign in with the
    // passkey: discoverable, so no personal ID number is typed.
    await context.clearCookies();
    await page.goto(authorize('two'));
    assert.match(page.url(), /\/login\?i=/);
    await Promise.all([page.waitForURL(/\/callback\?/), page.click('#passkey-login-button')]);
    const url = new URL(page.url());
    keepSeeds(posts);
    assert.equal(url.searchParams.get('state'), 'two');
    assert.equal(url.searchParams.get('iss'), base);
    const r = await fetch(`${base}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: url.searchParams.get('code'),
        redirect_uri: redirect, client_id: 'web', code_verifier: verifier,
      }),
    });
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    const id = claims(body.id_token);
    assert.deepEqual(id.amr, ['hwk', 'user', 'mfa']);
    assert.equal(id.acr, 'urn:eid:loa:1'); // the demo citizen's account is level 1

    // The account page shows the use; removing the passkey leaves none.
    await page.goto(`${base}/account`);
    assert.doesNotMatch(await page.locator('#passkeys').textContent(), /never/);
    await Promise.all([page.waitForURL(`${base}/account/passkeys/remove`),
      page.click('#passkeys form button')]);
    assert.equal(await page.locator('#passkeys tr').count(), 1);

    // The authenticator still holds it, but the server no longer knows it.
    await context.clearCookies();
    await page.goto(authorize('three'));
    await page.click('#passkey-login-button');
    await page.waitForSelector('p[role=alert]');
    assert.match(await page.locator('p[role=alert]').first().textContent(), /passkey could not be verified/);
    assert.match(page.url(), /\/login\/passkey$/);
  } finally {
    await browser?.close();
    await rp.close();
    await s.stop();
    s.cleanup();
  }
});
