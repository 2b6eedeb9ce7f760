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
import { launchChromium as launch, skip } from './lib/chromium.mjs';
import { eidctl, startEidd } from './lib/eidd.mjs';
import { Browser, CITIZEN, PASSWORD, addClient, authorizeUrl, pkce, recorder } from './lib/front.mjs';

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

// A page of a new context with Chromium's virtual authenticator: a
// platform authenticator with resident keys that verifies the user.
async function pageWithAuthenticator(browser) {
  const context = await browser.newContext({ locale: 'en-US' });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2', transport: 'internal', hasResidentKey: true,
      hasUserVerification: true, isUserVerified: true, automaticPresenceSimulation: true,
    },
  });
  return { context, page, cdp, authenticatorId };
}

// The ID token for the code of the RP callback page's URL.
async function idToken(base, pageUrl, redirect, verifier) {
  const url = new URL(pageUrl);
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
  return claims(body.id_token);
}

// Password sign-in from the login page, then consent when asked.
async function passwordSignIn(page, user, password) {
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('button[type=submit]:not([name]):not([id])');
  await page.waitForURL(/\/(consent|callback|login\/otp)\b/);
}

async function addPasskey(page, base, name) {
  await page.goto(`${base}/account`);
  await page.fill('input[name=name]', name);
  await Promise.all([page.waitForURL(`${base}/account/passkeys`), page.click('#passkey-add-button')]);
  assert.match(await page.locator('p.notice').textContent(), /Passkey added/);
}

// eidd with the issuer at http://localhost:PORT, a relying party's
// callback page, and the public client 'web' redirecting to it.
async function startWithRp() {
  const s = await startEidd({ config: (port) => `[server]\nissuer = http://localhost:${port}\n` });
  const rp = await recorder((hit, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>RP</title><p id="done">signed in</p>');
  });
  const redirect = `${rp.base}/callback`;
  addClient(s.dataDir, ['--id', 'web', '--name', 'Cổng Dịch vụ công', '--auth-method', 'none',
    '--redirect-uri', redirect, '--scope', 'openid profile']);
  return {
    s, rp, redirect, base: `http://localhost:${s.port}`,
    async stop() {
      await rp.close();
      await s.stop();
      s.cleanup();
    },
  };
}

test('Chromium registers a passkey on the account page and signs in with it', { skip, timeout: 180000 }, async () => {
  const { s, base, redirect, stop } = await startWithRp();
  let browser;
  try {
    browser = await launch();
    const { context, page, cdp, authenticatorId } = await pageWithAuthenticator(browser);
    const posts = new Map();
    page.on('request', (req) => {
      if (req.method() === 'POST') posts.set(new URL(req.url()).pathname, req.postData());
    });
    const { verifier, challenge } = pkce();
    const authorize = (state) => authorizeUrl(base, {
      client_id: 'web', redirect_uri: redirect, response_type: 'code', scope: 'openid profile',
      state, code_challenge: challenge, code_challenge_method: 'S256',
    });

    // A password sign-in first, to reach the account page.
    await page.goto(authorize('one'));
    await passwordSignIn(page, CITIZEN, PASSWORD);
    await Promise.all([page.waitForURL(/\/callback\?/), page.click('button[name=approve]')]);

    await page.goto(`${base}/account`);
    assert.equal(await page.locator('#passkeys tr').count(), 1); // the header only
    await addPasskey(page, base, 'Laptop');
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
    const id = await idToken(base, page.url(), redirect, verifier);
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
    await stop();
  }
});

test('Chromium: a level-2 account reaches level 2 with a passkey, at sign-in and at the step-up', { skip, timeout: 180000 }, async () => {
  const { s, base, redirect, stop } = await startWithRp();
  const pid = '001185000124';
  const password = 'a-Long-passphrase-2026';
  let browser;
  try {
    let r = eidctl(['registry', 'add', '--data', s.dataDir, '--personal-id', pid, '--full-name', 'Lê Thị Hoa',
      '--birthdate', '1985-02-03', '--sex', 'female', '--card-number', pid,
      '--card-issued', '2021-01-01', '--card-expires', '2035-02-03']);
    assert.equal(r.status, 0, r.stderr);
    r = eidctl(['account', 'create', '--data', s.dataDir, '--personal-id', pid,
      '--phone', '0911111112', '--level', '2', '--password-stdin'], { input: `${password}\n` });
    assert.equal(r.status, 0, r.stderr);
    browser = await launch();
    const { context, page } = await pageWithAuthenticator(browser);
    const { verifier, challenge } = pkce();
    const authorize = (state, acr) => authorizeUrl(base, {
      client_id: 'web', redirect_uri: redirect, response_type: 'code', scope: 'openid profile',
      state, code_challenge: challenge, code_challenge_method: 'S256', acr_values: acr,
    });

    // Level 1 with the password; the passkey is added on the account page.
    await page.goto(authorize('one', 'urn:eid:loa:1'));
    await passwordSignIn(page, pid, password);
    await Promise.all([page.waitForURL(/\/callback\?/), page.click('button[name=approve]')]);
    await addPasskey(page, base, 'Phone');

    // Level 2 asked: the passkey alone reaches it, no SMS code.
    await context.clearCookies();
    await page.goto(authorize('two', 'urn:eid:loa:2'));
    await Promise.all([page.waitForURL(/\/callback\?/), page.click('#passkey-login-button')]);
    let id = await idToken(base, page.url(), redirect, verifier);
    assert.equal(id.acr, 'urn:eid:loa:2');
    assert.deepEqual(id.amr, ['hwk', 'user', 'mfa']);

    // The password first: the step-up page offers the passkey beside the
    // SMS code, and the passkey completes the level.
    await context.clearCookies();
    await page.goto(authorize('three', 'urn:eid:loa:2'));
    await passwordSignIn(page, pid, password);
    assert.match(page.url(), /\/login\/otp\?i=/);
    await Promise.all([page.waitForURL(/\/callback\?/), page.click('#passkey-login-button')]);
    id = await idToken(base, page.url(), redirect, verifier);
    assert.equal(id.acr, 'urn:eid:loa:2');
    assert.deepEqual(id.amr, ['hwk', 'user', 'mfa']);

    // The trail: one registration, two passkey sign-ins, intact.
    const audit = eidctl(['--data', s.dataDir, 'audit', 'export']);
    assert.equal(audit.status, 0, audit.stderr);
    assert.equal(audit.stdout.match(/"passkey\.register"/g).length, 1);
    assert.equal(audit.stdout.match(/"passkey\.login"/g).length, 2);
    assert.equal(eidctl(['--data', s.dataDir, 'audit', 'verify']).status, 0);
  } finally {
    await browser?.close();
    await stop();
  }
});

test('passkey endpoints refuse what is not a ceremony of this browser', async () => {
  const s = await startEidd({ config: (port) => `[server]\nissuer = http://localhost:${port}\n` });
  try {
    const redirect = 'http://127.0.0.1:9/cb';
    addClient(s.dataDir, ['--id', 'web', '--name', 'RP', '--auth-method', 'none',
      '--redirect-uri', redirect, '--scope', 'openid']);
    const b = new Browser(s.base);
    b.acceptLanguage = 'en';
    const { challenge } = pkce();
    let r = await b.get(authorizeUrl(s.base, {
      client_id: 'web', redirect_uri: redirect, response_type: 'code', scope: 'openid',
      state: 'x', code_challenge: challenge, code_challenge_method: 'S256',
    }));
    r = await b.get(r.location);
    const form = r.text.match(/<form[^>]*id="passkey-login"[\s\S]*?<\/form>/)[0];
    const field = (n) => form.match(new RegExp(`name="${n}" value="([^"]*)"`))[1];
    const i = field('i');
    const csrf = field('csrf');

    // Options: JSON with a challenge for this browser's interaction only.
    r = await b.post('/login/passkey/options', { i, csrf });
    assert.equal(r.status, 200);
    const o = JSON.parse(r.text);
    assert.match(o.challenge, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(o.rpId, 'localhost');
    assert.deepEqual(o.allowCredentials, []);
    r = await b.post('/login/passkey/options', { i, csrf: 'x'.repeat(43) });
    assert.equal(r.status, 403);
    assert.equal(JSON.parse(r.text).error, 'forbidden');
    r = await new Browser(s.base).post('/login/passkey/options', { i, csrf });
    assert.equal(r.status, 403);

    // An assertion that is no assertion: the login page again, with why.
    r = await b.post('/login/passkey', { i, csrf, id: 'AAAA', clientDataJSON: 'not base64!' });
    assert.equal(r.status, 401);
    assert.ok(/role="alert">The passkey could not be verified/.test(r.text), 'the reason on the page');
    // The challenge was spent by that try: the next one fails the same.
    r = await b.post('/login/passkey', { i, csrf, id: 'AAAA' });
    assert.equal(r.status, 401);

    // Registration needs a signed-in browser.
    r = await b.post('/account/passkeys/options', { csrf });
    assert.equal(r.status, 401);
    r = await b.get('/static/passkey.js');
    assert.equal(r.status, 200);
    assert.match(r.text, /navigator\.credentials\.create/);
  } finally {
    await s.stop();
    s.cleanup();
  }
});
