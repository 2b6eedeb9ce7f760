// Citizens' credentials on the account page (issue #3): an authenticator
// app (TOTP, RFC 6238; the codes computed here from the base32 key the
// page shows) enrolled and confirmed, asked for at a level-2 sign-in in
// place of the SMS code (amr "otp", no "sms"); a replayed or wrong code
// refused and counted; recovery codes good once; the app turned off.
// The password change: a wrong current password refused and counted, a
// weak new one refused, and on success the other browser's session ends,
// the old password stops working and an SMS goes to the phone.  The forms
// also in headless Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { eidctl, startEidd } from './lib/eidd.mjs';
import { launchChromium, skip } from './lib/chromium.mjs';
import {
  Browser, CITIZEN, PASSWORD, addClient, addLevel2, authorizeUrl, exchangeCode, formFields,
  idTokenClaims, pkce, signIn,
} from './lib/front.mjs';
import { OFFICER_PASSWORD, addOfficer, totp } from './lib/officer.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
const L2 = { id: '001190054331', phone: '0931234577', password: 'level-two-password-2026' };
let s;

before(async () => {
  s = await startEidd();
  addLevel2(s.dataDir, L2);
  addClient(s.dataDir, ['--id', 'rp-cred', '--name', 'Dịch vụ công', '--auth-method', 'none',
    '--redirect-uri', REDIRECT, '--scope', 'openid']);
});

after(async () => {
  await s?.stop();
  s?.cleanup();
});

function account(id) {
  const r = eidctl(['--data', s.dataDir, '--json', 'account', 'show', id]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function audit(type) {
  const r = eidctl(['--data', s.dataDir, 'audit', 'export']);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l)).filter((e) => e.type === type);
}

function authorize(extra = {}) {
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(s.base, {
    client_id: 'rp-cred', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
    state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  });
  return { url, verifier };
}

// The form of a page that posts to action: its hidden fields.
function formFor(html, action) {
  for (const m of html.matchAll(/<form[^>]*>[\s\S]*?<\/form>/g)) {
    if (m[0].includes(`action="${action}"`)) return formFields(m[0]).fields;
  }
  throw new Error(`no form for ${action} in: ${html.slice(0, 400)}`);
}

// A signed-in browser (level 1, through a relying party); b.rp is where
// it came back to the RP, with the PKCE verifier.
async function signedIn(username, password) {
  const b = new Browser(s.base);
  b.acceptLanguage = 'en';
  const { url, verifier } = authorize();
  const r = await signIn(b, url, { username, password });
  assert.equal(r.status, 303, r.text);
  assert.ok(r.location.startsWith(REDIRECT), r.location);
  b.rp = { location: r.location, verifier };
  return b;
}

// The RP's access token for a signed-in browser.
async function accessToken(b) {
  const tok = await exchangeCode(s.base, b.rp.location,
    { verifier: b.rp.verifier, clientId: 'rp-cred', redirectUri: REDIRECT });
  return tok.access_token;
}

async function userinfoStatus(token) {
  const res = await fetch(`${s.base}/userinfo`, { headers: { authorization: `Bearer ${token}` } });
  await res.arrayBuffer();
  return res.status;
}

// Post an account-page form (its CSRF token taken from the page).
async function postAccount(b, action, form = {}) {
  const page = await b.get('/account');
  assert.equal(page.status, 200, page.text);
  return b.post(action, { ...formFor(page.text, action), ...form });
}

// A level-2 sign-in up to the second-factor page: the browser and the page.
async function toSecondFactor() {
  const b = new Browser(s.base);
  b.acceptLanguage = 'en';
  const { url, verifier } = authorize({ acr_values: 'urn:eid:loa:2' });
  let r = await b.get(url);
  let page = await b.get(r.location);
  r = await b.post('/login', { ...formFields(page.text).fields, username: L2.id, password: L2.password });
  assert.equal(r.status, 303, r.text);
  assert.match(r.location, /^\/login\/otp\?i=/);
  page = await b.get(r.location);
  assert.equal(page.status, 200, page.text);
  return { b, page, verifier };
}

async function sendCode(b, page, code) {
  return b.post('/login/otp', { ...formFields(page.text).fields, code });
}

function claims(location, verifier) {
  return idTokenClaims(s.base, location, { verifier, clientId: 'rp-cred', redirectUri: REDIRECT });
}

// Goes through the consent page when asked; returns the redirect to the RP.
async function pastConsent(b, r) {
  if (r.status === 303 && r.location.startsWith('/consent')) {
    const page = await b.get(r.location);
    r = await b.post('/consent', { ...formFields(page.text).fields, approve: '1' });
  }
  assert.equal(r.status, 303, r.text);
  assert.ok(r.location.startsWith(REDIRECT), r.location);
  return r.location;
}

let secret;
let recovery;

test('the citizen enrolls an authenticator app: QR code, key, first code, recovery codes', async () => {
  const b = await signedIn(L2.id, L2.password);
  let page = await b.get('/account');
  assert.match(page.text, /id="totp-begin"/);
  assert.equal(account(L2.id).totp, 'none');

  let r = await postAccount(b, '/account/totp');
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /<div id="totp-qr"><svg/);
  secret = r.text.match(/<code id="totp-secret">([A-Z2-7]{32})<\/code>/)[1];
  assert.equal(account(L2.id).totp, 'pending');
  // The page again shows the same key (the QR code may have been scanned).
  r = await postAccount(b, '/account/totp');
  assert.equal(r.text.match(/<code id="totp-secret">([A-Z2-7]+)</)[1], secret);

  // A wrong first code: the same page, with the error; counted.
  r = await b.post('/account/totp/confirm', { ...formFor(r.text, '/account/totp/confirm'), code: '000000' });
  assert.equal(r.status, 200);
  assert.match(r.text, /class="error"/);
  assert.equal(account(L2.id).totp_failures, 1);

  r = await b.post('/account/totp/confirm', { ...formFor(r.text, '/account/totp/confirm'), code: totp(secret) });
  assert.equal(r.status, 200, r.text);
  recovery = [...r.text.matchAll(/<li><code>([A-Z2-7]{5}-[A-Z2-7]{5})<\/code><\/li>/g)].map((m) => m[1]);
  assert.equal(recovery.length, 10);
  assert.equal(new Set(recovery).size, 10);
  const a = account(L2.id);
  assert.equal(a.totp, 'enrolled');
  assert.equal(a.recovery_codes_left, 10);
  assert.equal(a.totp_failures, 0);
  assert.equal(audit('totp.enroll').length, 1);

  page = await b.get('/account');
  assert.match(page.text, /Recovery codes left: 10/);
  // The key is not on the account page any more.
  assert.ok(!page.text.includes(secret));
});

test('a level-2 sign-in asks for the app code, not an SMS; amr otp; a replayed code is refused', async () => {
  const outbox = () => JSON.parse(eidctl(['--data', s.dataDir, 'outbox', '--phone', L2.phone, '--json']).stdout);
  const sent = outbox().length;
  const first = await toSecondFactor();
  assert.match(first.page.text, /authenticator app/);
  assert.equal(outbox().length, sent, 'no SMS code is sent to a citizen with an app');

  // The enrollment spent this step's code: the next step's is in the window.
  const code = totp(secret, Date.now() + 30000);
  const r = await sendCode(first.b, first.page, code);
  const c = await claims(await pastConsent(first.b, r), first.verifier);
  assert.equal(c.acr, 'urn:eid:loa:2');
  assert.ok(c.amr.includes('otp'), JSON.stringify(c.amr));
  assert.ok(!c.amr.includes('sms'), JSON.stringify(c.amr));

  // The same code in another browser: refused, and counted.
  const second = await toSecondFactor();
  let again = await sendCode(second.b, second.page, code);
  assert.equal(again.status, 200);
  assert.match(again.text, /The code is wrong/);
  assert.equal(account(L2.id).totp_failures, 1);
  again = await sendCode(second.b, again, '123456' === code ? '654321' : '123456');
  assert.equal(again.status, 200);
  assert.equal(account(L2.id).totp_failures, 2);
  assert.ok(audit('totp.failure').some((e) => e.details?.reason === 'totp_replay'),
    JSON.stringify(audit('totp.failure')));

  // A recovery code in its place works once.
  const ok = await sendCode(second.b, again, recovery[0].toLowerCase());
  const c2 = await claims(await pastConsent(second.b, ok), second.verifier);
  assert.equal(c2.acr, 'urn:eid:loa:2');
  assert.equal(account(L2.id).recovery_codes_left, 9);
  assert.equal(account(L2.id).totp_failures, 0);
  assert.equal(audit('recovery.use').length, 1);

  const third = await toSecondFactor();
  const spent = await sendCode(third.b, third.page, recovery[0]);
  assert.equal(spent.status, 200);
  assert.match(spent.text, /The code is wrong/);
  assert.equal(account(L2.id).recovery_codes_left, 9);
});

test('new recovery codes void the old; the app is turned off with the password', async () => {
  const b = await signedIn(L2.id, L2.password);
  let r = await postAccount(b, '/account/recovery', { password: 'not-the-password' });
  assert.match(r.text, /The password is wrong/);
  r = await postAccount(b, '/account/recovery', { password: L2.password });
  const fresh = [...r.text.matchAll(/<li><code>([A-Z2-7]{5}-[A-Z2-7]{5})<\/code><\/li>/g)].map((m) => m[1]);
  assert.equal(fresh.length, 10);
  assert.equal(account(L2.id).recovery_codes_left, 10);
  const old = await toSecondFactor();
  const refused = await sendCode(old.b, old.page, recovery[1]);
  assert.match(refused.text, /The code is wrong/);

  r = await postAccount(b, '/account/totp/disable', { password: 'wrong' });
  assert.match(r.text, /The password or the code is wrong/);
  assert.equal(account(L2.id).totp, 'enrolled');
  r = await postAccount(b, '/account/totp/disable', { password: L2.password });
  assert.equal(r.status, 200);
  assert.match(r.text, /The authenticator app is off/);
  assert.equal(account(L2.id).totp, 'none');
  assert.equal(audit('totp.disable').length, 1);
  // Back to the SMS code.
  const sms = await toSecondFactor();
  assert.match(sms.page.text, /sent to your phone/);
});

test('eidctl account totp-reset removes an app after an identity check (audited)', async () => {
  const b = await signedIn(L2.id, L2.password);
  let r = await postAccount(b, '/account/totp');
  const key = r.text.match(/<code id="totp-secret">([A-Z2-7]+)</)[1];
  r = await b.post('/account/totp/confirm', { ...formFor(r.text, '/account/totp/confirm'), code: totp(key) });
  assert.equal(account(L2.id).totp, 'enrolled');
  const bad = eidctl(['--data', s.dataDir, 'account', 'totp-reset', L2.id]);
  assert.notEqual(bad.status, 0);
  const ok = eidctl(['--data', s.dataDir, '--json', 'account', 'totp-reset', L2.id,
    '--checked', 'chip card and face, commune police HBT']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.equal(JSON.parse(ok.stdout).totp, 'none');
  const ev = audit('totp.reset');
  assert.equal(ev.length, 1);
  assert.match(ev[0].actor, /^operator:/);
  assert.equal(ev[0].details.identity_check, 'chip card and face, commune police HBT');
});

// An officer of the console, signed in (password and TOTP).
async function officerConsole(id, role) {
  const off = addOfficer(s.dataDir, id, 'CA-HN-HBT', role);
  const b = new Browser(s.base);
  b.acceptLanguage = 'en';
  const page = await b.get('/officer/login');
  const r = await b.post('/officer/login', {
    ...formFields(page.text).fields, officer_id: off.id, password: OFFICER_PASSWORD,
    totp: totp(off.totp_secret),
  });
  assert.equal(r.status, 303, r.text);
  return b;
}

test('a supervisor resets the app from the officer console with the identity check; an officer may not', async () => {
  const b = await signedIn(L2.id, L2.password);
  let r = await postAccount(b, '/account/totp');
  const key = r.text.match(/<code id="totp-secret">([A-Z2-7]+)</)[1];
  await b.post('/account/totp/confirm', { ...formFor(r.text, '/account/totp/confirm'), code: totp(key) });
  assert.equal(account(L2.id).totp, 'enrolled');

  const officer = await officerConsole('hbt02', 'officer');
  let page = await officer.get(`/officer/citizen?id=${L2.id}`);
  assert.equal(page.status, 200);
  assert.doesNotMatch(page.text, /id="totp-reset"/);
  const csrf = page.text.match(/name="csrf" value="([^"]+)"/)[1];
  r = await officer.post('/officer/account', {
    csrf, id: L2.id, action: 'totp_reset', checked: 'chip card in person',
  });
  assert.equal(r.status, 403);
  assert.match(r.text, /only a supervisor/);
  assert.equal(account(L2.id).totp, 'enrolled');

  const sup = await officerConsole('hbt99', 'supervisor');
  page = await sup.get(`/officer/citizen?id=${L2.id}`);
  assert.match(page.text, /id="totp-reset"/);
  const supCsrf = page.text.match(/name="csrf" value="([^"]+)"/)[1];
  r = await sup.post('/officer/account', { csrf: supCsrf, id: L2.id, action: 'totp_reset', checked: '' });
  assert.equal(r.status, 409);
  assert.match(r.text, /say how the identity was checked/);
  r = await sup.post('/officer/account', { id: L2.id, action: 'totp_reset', checked: 'x' });
  assert.equal(r.status, 403); // no CSRF token
  r = await sup.post('/officer/account', {
    csrf: supCsrf, id: L2.id, action: 'totp_reset', checked: 'chip card and face at the desk',
  });
  assert.equal(r.status, 200, r.text);
  assert.equal(account(L2.id).totp, 'none');
  const ev = audit('totp.reset').find((e) => e.actor === 'officer:hbt99');
  assert.equal(ev.subject, L2.id);
  assert.equal(ev.details.identity_check, 'chip card and face at the desk');
  assert.equal(ev.details.unit, 'CA-HN-HBT');
});

test('eidctl locks the account in another process: the running server\'s next userinfo is 401', async () => {
  // eidd keeps decoded records of the token paths (idp/rcache.h); a
  // write by another process changes the stored bytes, so the very next
  // read sees it.
  const b = await signedIn(CITIZEN, PASSWORD);
  const token = await accessToken(b);
  assert.equal(await userinfoStatus(token), 200);
  assert.equal(await userinfoStatus(token), 200);
  let r = eidctl(['--data', s.dataDir, 'account', 'lock', CITIZEN, '--reason', 'suspected_fraud']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(await userinfoStatus(token), 401);
  r = eidctl(['--data', s.dataDir, 'account', 'unlock', CITIZEN]);
  assert.equal(r.status, 0, r.stderr);
  // Unlocked, the tokens from before the lock stay ended.  The lock ends
  // whatever was issued before the next whole second, so the new sign-in
  // (and the tests after this one) wait for it.
  assert.equal(await userinfoStatus(token), 401);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assert.equal(await userinfoStatus(await accessToken(await signedIn(CITIZEN, PASSWORD))), 200);
});

test('password change: wrong current, weak new; success ends the other session and its tokens, tells the phone', async () => {
  const NEW = 'Sen-hong-Ho-Tay-2026';
  const a = await signedIn(CITIZEN, PASSWORD);
  const other = await signedIn(CITIZEN, PASSWORD);
  const tokenA = await accessToken(a);
  const tokenOther = await accessToken(other);
  assert.equal(await userinfoStatus(tokenOther), 200);
  const page = await other.get('/account');
  assert.equal(page.status, 200);
  assert.match(page.text, /id="password-form"/);
  // A level-1 account has no step-up: no authenticator app is offered.
  assert.ok(!page.text.includes('totp-begin'));

  let r = await postAccount(a, '/account/password', { current: 'wrong-password-1', new: NEW, confirm: NEW });
  assert.match(r.text, /The current password is wrong/);
  assert.equal(account(CITIZEN).failed_logins, 1);
  r = await postAccount(a, '/account/password', { current: PASSWORD, new: 'short', confirm: 'short' });
  assert.equal(r.status, 400);
  assert.match(r.text, /The new password cannot be used/);
  r = await postAccount(a, '/account/password', { current: PASSWORD, new: NEW, confirm: `${NEW}x` });
  assert.match(r.text, /The two new passwords differ/);
  // Without the session's CSRF token: refused.
  r = await a.post('/account/password', { current: PASSWORD, new: NEW, confirm: NEW });
  assert.equal(r.status, 403);

  r = await postAccount(a, '/account/password', { current: PASSWORD, new: NEW, confirm: NEW });
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /Your password has been changed/);
  assert.equal((await other.get('/account')).status, 401, 'the other session has ended');
  assert.equal(await userinfoStatus(tokenOther), 401, "and the RP's token from it");
  assert.equal((await a.get('/account')).status, 200, 'this one goes on');
  assert.equal(await userinfoStatus(tokenA), 200);
  assert.ok(audit('account.password').some((e) => e.actor === `citizen:${CITIZEN}`));

  // One attempt with the old password (signIn would post it again and again).
  const nb = new Browser(s.base);
  const start = await nb.get(authorize().url);
  const login = await nb.get(start.location);
  const oldPw = await nb.post('/login', { ...formFields(login.text).fields, username: CITIZEN, password: PASSWORD });
  assert.equal(oldPw.status, 200);
  assert.match(oldPw.text, /class="error"/);
  const newPw = await signIn(new Browser(s.base), authorize().url, { password: NEW });
  assert.equal(newPw.status, 303, newPw.text);
  assert.ok(newPw.location.startsWith(REDIRECT));

  const out = eidctl(['--data', s.dataDir, 'outbox', '--phone', '+84912345678', '--json']);
  assert.equal(out.status, 0, out.stderr);
  const msgs = JSON.parse(out.stdout);
  assert.match(msgs[msgs.length - 1].text, /password was just changed/);
});

// The same forms in a real browser without JavaScript: headless Chromium
// (Debian's chromium, driven by playwright-core), skipped, saying why,
// when it is not installed.
test('Chromium: the account page turns on an authenticator app and changes the password', { skip, timeout: 120000 }, async () => {
  const c = await startEidd();
  const who = { id: '001190054332', phone: '0931234576', password: 'level-two-password-2028' };
  const NEW = 'Chua-Mot-Cot-2026!';
  let browser;
  try {
    addLevel2(c.dataDir, who);
    addClient(c.dataDir, ['--id', 'rp-cr', '--name', 'Dịch vụ công', '--auth-method', 'none',
      '--redirect-uri', REDIRECT, '--scope', 'openid']);
    browser = await launchChromium();
    const ctx = await browser.newContext({ locale: 'en-GB', javaScriptEnabled: false });
    const page = await ctx.newPage();
    const { challenge } = pkce();
    await page.goto(authorizeUrl(c.base, {
      client_id: 'rp-cr', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
      code_challenge: challenge, code_challenge_method: 'S256',
    }));
    await page.fill('#username', who.id);
    await page.fill('#password', who.password);
    await Promise.all([page.waitForURL(/\/consent\?i=/), page.click('button[type=submit]:not([name])')]);

    await page.goto(`${c.base}/account`);
    await Promise.all([page.waitForURL(/\/account\/totp$/), page.click('#totp-begin')]);
    assert.ok(await page.locator('#totp-qr svg').isVisible());
    const key = (await page.locator('#totp-secret').textContent()).trim();
    await page.fill('input[name=code]', totp(key));
    await Promise.all([page.waitForURL(/\/account\/totp\/confirm$/),
      page.click('form[action="/account/totp/confirm"] button')]);
    assert.equal(await page.locator('#recovery-codes li').count(), 10);

    await page.goto(`${c.base}/account`);
    assert.match(await page.locator('#recovery-left').textContent(), /Recovery codes left: 10/);
    await page.fill('#password-form input[name=current]', who.password);
    await page.fill('#password-form input[name=new]', NEW);
    await page.fill('#password-form input[name=confirm]', NEW);
    await Promise.all([page.waitForURL(/\/account\/password$/), page.click('#password-form button')]);
    assert.match(await page.locator('.notice').textContent(), /Your password has been changed/);
  } finally {
    await browser?.close();
    await c.stop();
    c.cleanup();
  }
});
