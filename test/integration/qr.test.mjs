// QR cross-device login with the citizen app: eid-app binds a device for
// the demo citizen (password + SMS code from the outbox), a browser
// (plain fetch) opens /authorize, takes the handle from the login page,
// eid-app approves it, the page's status says approved and "continue"
// brings the RP a code.  Expired, replayed, foreign-session and denied
// handles are refused; an unbound device key is refused; then the same in
// headless Chromium through the page's polling script.  Two waits: a
// minute between two codes to one phone, 120 s for a handle to expire.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import { runApp } from './lib/app.mjs';
import { eidctl, startEidd } from './lib/eidd.mjs';
import {
  Browser, CITIZEN, PASSWORD, addClient, authorizeUrl, formFields, pkce, recorder, rpParams,
} from './lib/front.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
const PIN = '246810';
let s;
let work;
let state;
let boundAt = 0; // codes to one phone: one a minute
let stale; // a login page's QR form left to expire (120 s)

// eid-app with this test's server and state; the PIN first on stdin.
// A bare handle is base64url and may begin with '-': such calls put the
// options first and '--' before the command, as a shell user would.
function app(args, { lines = [PIN], later } = {}) {
  return runApp({ base: s.base, state }, args, { lines, later });
}

function lastCode() {
  const r = eidctl(['--data', s.dataDir, 'outbox', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const msgs = JSON.parse(r.stdout).filter((m) => m.channel === 'sms');
  return msgs[msgs.length - 1].text.match(/\b(\d{6})\b/)[1];
}

async function bindDevice(statePath = state) {
  const saved = state;
  state = statePath;
  const r = await app(['bind-device', '--personal-id', CITIZEN, '--password-stdin'], {
    lines: [PIN, PASSWORD], later: async () => lastCode(),
  });
  state = saved;
  boundAt = Date.now();
  assert.equal(r.status, 0, r.err + r.out);
  return r.out.match(/device_id (\S+)/)[1];
}

before(async () => {
  s = await startEidd();
  work = mkdtempSync(join(tmpdir(), 'eid-qr-'));
  state = join(work, 'state.json');
  addClient(s.dataDir, ['--id', 'rp', '--name', 'Cổng Dịch vụ công', '--auth-method', 'none',
    '--redirect-uri', REDIRECT, '--scope', 'openid profile']);
});

after(async () => {
  await s?.stop();
  s?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

// /authorize -> the login page: the browser, the page and its QR form.
async function loginPage(b = new Browser(s.base)) {
  const { challenge, verifier } = pkce();
  const r = await b.get(authorizeUrl(s.base, {
    client_id: 'rp', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile',
    state: 'qr-state', code_challenge: challenge, code_challenge_method: 'S256',
  }));
  assert.equal(r.status, 303, r.text);
  const page = await b.get(r.location);
  assert.equal(page.status, 200);
  const qr = page.text.match(/<form method="post" id="qr-form"[\s\S]*?<\/form>/)[0];
  const { action, fields } = formFields(qr);
  assert.equal(action, '/login/qr');
  assert.match(fields.h, /^[A-Za-z0-9_-]{43}$/);
  assert.match(page.text, /<svg [^>]*class="qr"/);
  assert.ok(page.text.includes(`<code class="qr-url">${s.base}/qr/${fields.h}</code>`));
  assert.match(page.text, /<script src="\/static\/qr.js" defer><\/script>/);
  return { b, page, action, fields, h: fields.h, verifier };
}

async function status(b, h) {
  const r = await b.get(`/login/qr/status?h=${h}`);
  return { code: r.status, ...JSON.parse(r.text) };
}

test('bind a device: password and SMS code, key file 0600 encrypted under the PIN', async () => {
  stale = { ...(await loginPage()), at: Date.now() };
  const id = await bindDevice();
  assert.match(id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(statSync(state).mode & 0o777, 0o600);
  const st = await app(['status']);
  assert.equal(st.status, 0, st.err);
  assert.equal(JSON.parse(st.out).device_id, id);
  assert.equal(JSON.parse(st.out).personal_id, CITIZEN);
  const bad = await app(['status'], { lines: ['000000'] });
  assert.notEqual(bad.status, 0);
  assert.match(bad.err, /wrong PIN/);
});

test('app requests: bearer-less, bad JWS and replays are 401', async () => {
  const r = await fetch(`${s.base}/api/v1/devices/current`);
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^EID-Device /);
  const r2 = await fetch(`${s.base}/api/v1/devices/current`, { headers: { authorization: 'EID-Device a.b.c' } });
  assert.equal(r2.status, 401);
  // A well-formed JWS by a key that is not bound.
  const { privateKey } = await jose.generateKeyPair('ES256');
  const { nonce } = await (await fetch(`${s.base}/api/v1/devices/nonce`)).json();
  const jws = await new jose.SignJWT({
    aud: `${s.base}/api/v1/devices/current`, jti: 'x1', nonce,
  }).setProtectedHeader({ alg: 'ES256', typ: 'eid-device+jwt' }).setIssuer('AAAAAAAAAAAAAAAAAAAAAA')
    .setIssuedAt().sign(privateKey);
  const r3 = await fetch(`${s.base}/api/v1/devices/current`, { headers: { authorization: `EID-Device ${jws}` } });
  assert.equal(r3.status, 401);
});

test('QR login: approve on the phone, poll, continue, the RP gets a code with amr hwk', async () => {
  const { b, action, fields, h, verifier } = await loginPage();
  assert.deepEqual(await status(b, h), { code: 200, status: 'pending' });
  const png = await b.get(`/login/qr.png?h=${h}`);
  assert.equal(png.status, 200);
  assert.equal(png.headers.get('content-type'), 'image/png');
  const ok = await app(['approve', `${s.base}/qr/${h}`]);
  assert.equal(ok.status, 0, ok.err);
  assert.match(ok.out, /client Cổng Dịch vụ công/);
  assert.match(ok.out, /scope openid profile/);
  assert.match(ok.out, /approved/);
  assert.deepEqual(await status(b, h), { code: 200, status: 'approved' });
  // Another browser polling the same handle: refused.
  const other = (await loginPage()).b;
  assert.equal((await status(other, h)).code, 403);
  // Approved twice: refused.
  const again = await app(['--', 'approve', h]);
  assert.notEqual(again.status, 0);
  assert.match(again.err, /already_decided|expired_handle/);
  const done = await b.post(action, fields);
  assert.equal(done.status, 303, done.text);
  assert.match(done.location, /^\/consent\?i=/);
  const consent = await b.get(done.location);
  const f = formFields(consent.text);
  const back = await b.post(f.action, { ...f.fields, approve: '1' });
  const p = rpParams(back.location);
  assert.match(p.code, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(p.state, 'qr-state');
  const tok = await fetch(`${s.base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: p.code, redirect_uri: REDIRECT,
      client_id: 'rp', code_verifier: verifier,
    }),
  });
  const body = await tok.json();
  assert.equal(tok.status, 200, JSON.stringify(body));
  const idt = jose.decodeJwt(body.id_token);
  assert.deepEqual(idt.amr, ['hwk', 'user']);
  assert.equal(idt.sub !== undefined, true);
  // Replayed continue: the handle is used up.
  const { b: b2, action: a2, fields: f2 } = await loginPage();
  const replay = await b2.post(a2, { ...f2, h });
  assert.notEqual(replay.status, 303);
});

test('a handle shown to one browser cannot be continued from another', async () => {
  const one = await loginPage();
  const two = await loginPage();
  assert.equal((await app(['--', 'approve', one.h])).status, 0);
  const r = await two.b.post(two.action, { ...two.fields, h: one.h });
  assert.equal(r.status, 403);
  assert.equal((await status(two.b, one.h)).code, 403);
  assert.equal((await two.b.get(`/login/qr.png?h=${one.h}`)).status, 403);
});

test('denied and unknown handles', async () => {
  const { b, action, fields, h } = await loginPage();
  const d = await app(['--deny', '--', 'approve', h]);
  assert.equal(d.status, 0, d.err);
  assert.match(d.out, /denied/);
  assert.equal((await status(b, h)).status, 'denied');
  const r = await b.post(action, fields);
  assert.equal(r.status, 200);
  assert.match(r.text, /từ chối trên điện thoại/);
  assert.equal((await status(b, 'A'.repeat(43))).status, 'expired');
  const u = await app(['approve', 'A'.repeat(43)]);
  assert.notEqual(u.status, 0);
  assert.match(u.err, /expired_handle/);
});

// The PNG's content by zbarimg (zbar-tools) when it is installed; null
// otherwise (the URL shown beside the code is then what is checked).
async function zbarDecode(page, href) {
  const { spawnSync } = await import('node:child_process');
  const { writeFileSync } = await import('node:fs');
  if (spawnSync('zbarimg', ['--version']).error) return null;
  const bytes = await page.evaluate(async (u) => [...new Uint8Array(await (await fetch(u)).arrayBuffer())], href);
  const file = join(work, 'qr.png');
  writeFileSync(file, Buffer.from(bytes));
  const r = spawnSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed`;

test('Chromium shows the QR, eid-app approves, the polling script lands at the RP', { skip, timeout: 120000 }, async () => {
  const { chromium } = await import('playwright-core');
  const rp = await recorder((hit, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>RP</title><p id="done">signed in</p>');
  });
  const redirect = `${rp.base}/callback`;
  addClient(s.dataDir, ['--id', 'web', '--name', 'Web RP', '--auth-method', 'none',
    '--redirect-uri', redirect, '--scope', 'openid']);
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
    const page = await browser.newPage({ locale: 'vi-VN' });
    const { challenge } = pkce();
    await page.goto(authorizeUrl(s.base, {
      client_id: 'web', redirect_uri: redirect, response_type: 'code', scope: 'openid',
      state: 'chromium-qr', code_challenge: challenge, code_challenge_method: 'S256',
    }));
    assert.match(page.url(), /\/login\?i=/);
    assert.equal(await page.locator('svg.qr').count(), 1);
    // The QR's URL, as the page shows it next to the code.
    const url = await page.locator('code.qr-url').textContent();
    assert.match(url, new RegExp(`^${s.base}/qr/[A-Za-z0-9_-]{43}$`));
    const png = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type') };
    }, await page.locator('a.qr-png').getAttribute('href'));
    assert.deepEqual(png, { status: 200, type: 'image/png' });
    const decoded = await zbarDecode(page, await page.locator('a.qr-png').getAttribute('href'));
    if (decoded !== null) assert.equal(decoded, url);
    const ok = await app(['approve', url]);
    assert.equal(ok.status, 0, ok.err);
    await page.waitForURL(/\/(callback|consent)\?/, { timeout: 20000 });
    if (/\/consent\?/.test(page.url())) {
      await Promise.all([page.waitForURL(/\/callback\?/), page.click('button[name=approve]')]);
    }
    const u = new URL(page.url());
    assert.match(u.searchParams.get('code'), /^[A-Za-z0-9_-]{43}$/);
    assert.equal(u.searchParams.get('state'), 'chromium-qr');
  } finally {
    await browser?.close();
    await rp.close();
  }
});

test('a new binding ends the old device: its key is refused', { timeout: 90000 }, async () => {
  const old = join(work, 'old.json');
  rmSync(old, { force: true });
  const { copyFileSync } = await import('node:fs');
  copyFileSync(state, old);
  const wait = boundAt + 61000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  await bindDevice();
  const saved = state;
  state = old;
  const r = await app(['status']);
  state = saved;
  assert.notEqual(r.status, 0);
  assert.match(r.err, /401/);
  const sms = JSON.parse(eidctl(['--data', s.dataDir, 'outbox', '--json']).stdout);
  assert.ok(sms.some((m) => /new device was linked/.test(m.text)));
});

test('an expired handle is refused by the app, the status and the continue form', { timeout: 150000 }, async () => {
  const wait = stale.at + 122000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  assert.deepEqual(await status(stale.b, stale.h), { code: 200, status: 'expired' });
  const r = await app(['--', 'approve', stale.h]);
  assert.notEqual(r.status, 0);
  assert.match(r.err, /404 expired_handle/);
  assert.equal((await stale.b.get(`/login/qr.png?h=${stale.h}`)).status, 404);
  const page = await stale.b.post(stale.action, stale.fields);
  assert.notEqual(page.status, 303);
});
