// Level-1 self-service registration against a real eidd --demo: the JSON
// API, the refusals, and the same through the web pages (plain form
// posts with multipart bodies, no JavaScript).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEidd, eidctl } from './lib/eidd.mjs';

// A tiny JPEG by its markers (the server checks FFD8FF ... FFD9).
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46,
  0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);
const PASSWORD = 'a quiet river at dawn';
const year = new Date().getUTCFullYear();

let s;
let seq = 0;

// A fresh citizen in the registry: a 12-digit ID consistent with the
// birth year and sex, and a phone number of its own.
function citizen({ age = 30, name = 'Nguyễn Văn Thành' } = {}) {
  seq += 1;
  const by = year - age; // born on 1 January: the birthday has passed
  const century = by >= 2000 ? 2 : 0;
  const serial = String(100000 + seq * 37).slice(-6);
  const id = `001${century}${String(by % 100).padStart(2, '0')}${serial}`;
  const birthdate = `${by}-01-01`;
  const phone = `09${String(10000000 + seq * 7919).slice(-8)}`;
  const r = eidctl(['--data', s.dataDir, 'registry', 'add', '--personal-id', id,
    '--full-name', name, '--birthdate', birthdate, '--sex', 'male']);
  assert.equal(r.status, 0, r.stderr);
  return { personal_id: id, full_name: name, birthdate, phone };
}

export function e164(phone) { return `+84${phone.slice(1)}`; }

function lastCode(phone) {
  const r = eidctl(['--data', s.dataDir, 'outbox', '--phone', phone, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const msgs = JSON.parse(r.stdout);
  if (msgs.length === 0) return null;
  const m = msgs[msgs.length - 1];
  assert.equal(m.channel, 'sms');
  assert.equal(m.to, e164(phone));
  return { code: m.text.match(/\b(\d{6})\b/)[1], count: msgs.length };
}

async function post(path, body) {
  return fetch(`${s.base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

async function register(c, extra = {}) {
  return post('/api/v1/registrations', { ...c, portrait: JPEG.toString('base64'), ...extra });
}

function account(id) {
  const r = eidctl(['--data', s.dataDir, 'account', 'show', id, '--json']);
  return r.status === 0 ? JSON.parse(r.stdout) : null;
}

before(async () => { s = await startEidd(); });
after(async () => { await s.stop(); s.cleanup(); });

test('register through the JSON API, confirm with the SMS code', async () => {
  const c = citizen();
  let r = await register(c);
  assert.equal(r.status, 202);
  const started = await r.json();
  assert.match(started.registration_id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(started.expires_in, 900);
  const { code } = lastCode(c.phone);

  // A weak password: the reason is told, the code is not spent.
  r = await post(started.confirm_uri, { code, password: 'password' });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_password');
  // A wrong code.
  const wrong = code === '000000' ? '000001' : '000000';
  r = await post(started.confirm_uri, { code: wrong, password: PASSWORD });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_code');

  r = await post(started.confirm_uri, { code, password: PASSWORD });
  assert.equal(r.status, 201);
  assert.deepEqual(await r.json(), { personal_id: c.personal_id, level: 1, status: 'active' });
  const a = account(c.personal_id);
  assert.equal(a.status, 'active');
  assert.equal(a.level, 1);
  assert.equal(a.phone, e164(c.phone));

  // Replayed: the registration is gone.
  r = await post(started.confirm_uri, { code, password: PASSWORD });
  assert.equal(r.status, 404);
  // A second registration for the same ID: the generic refusal.
  r = await register({ ...c, phone: citizen().phone });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'registration_rejected');
});

test('mismatches and unknown IDs get one generic refusal', async () => {
  const c = citizen();
  const variants = [
    { full_name: 'Nguyễn Văn Thanh' },
    { birthdate: c.birthdate.replace('-01-01', '-01-02') },
    { personal_id: `${c.personal_id.slice(0, 6)}999999` },
  ];
  const bodies = [];
  for (const v of variants) {
    const r = await register({ ...c, ...v });
    assert.equal(r.status, 400);
    bodies.push(await r.json());
  }
  for (const b of bodies) assert.deepEqual(b, bodies[0]);
  assert.equal(bodies[0].error, 'registration_rejected');
  assert.equal(lastCode(c.phone), null);
});

test('a name typed decomposed (NFD) matches the registry, stored as NFC', async () => {
  // The registry gets the name decomposed; the citizen types it precomposed,
  // and another citizen the other way round: both match.
  const a = citizen({ name: 'Nguyễn Văn Thành'.normalize('NFD') });
  const shown = eidctl(['--data', s.dataDir, '--json', 'registry', 'show', a.personal_id]);
  assert.equal(shown.status, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).full_name, 'Nguyễn Văn Thành'.normalize('NFC'));
  let r = await register({ ...a, full_name: 'Nguyễn Văn Thành'.normalize('NFC') });
  assert.equal(r.status, 202, await r.text());
  const b = citizen({ name: 'Trần Thị Ngọc' });
  r = await register({ ...b, full_name: 'Trần Thị Ngọc'.normalize('NFD') });
  assert.equal(r.status, 202, await r.text());
});

test('under 14: refused, pointing to the guardian flow', async () => {
  for (const age of [13, 5]) {
    const c = citizen({ age, name: 'Nguyễn Bé Na' });
    const r = await register(c);
    assert.equal(r.status, 403);
    const b = await r.json();
    assert.equal(b.error, 'guardian_required');
    assert.match(b.error_description, /guardian/);
  }
});

test('a phone already bound: the same answer, no message', async () => {
  // The number's owner got their account from an operator (no message
  // to the phone, so its resend interval is not running).
  const first = citizen();
  const made = eidctl(['--data', s.dataDir, 'account', 'create', '--personal-id',
    first.personal_id, '--phone', first.phone, '--password-stdin'], { input: `${PASSWORD}\n` });
  assert.equal(made.status, 0, made.stderr);
  let r;

  const second = citizen();
  second.phone = first.phone;
  r = await register(second);
  assert.equal(r.status, 202);
  const b = await r.json();
  assert.match(b.registration_id, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(lastCode(first.phone), null);
  r = await post(b.confirm_uri, { code: '123456', password: PASSWORD });
  assert.equal(r.status, 400);
  assert.equal(account(second.personal_id), null);
});

test('bad input and limits', async () => {
  const c = citizen();
  let r = await register(c, { portrait: Buffer.from('not a jpeg').toString('base64') });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_request');
  r = await fetch(`${s.base}/api/v1/registrations`, { method: 'POST', body: '[' });
  assert.equal(r.status, 400);
  r = await post('/api/v1/registrations/nope/confirm', { code: '123456', password: PASSWORD });
  assert.equal(r.status, 404);
  // Per personal ID: 5 attempts a window, then 429 with Retry-After.
  const u = { ...c, personal_id: `${c.personal_id.slice(0, 6)}888888` };
  let last;
  for (let i = 0; i < 6; i++) last = await register(u);
  assert.equal(last.status, 429);
  assert.ok(Number(last.headers.get('retry-after')) > 0);
});

// ---- the same through the web pages ----

function cookieOf(r) {
  const c = r.headers.getSetCookie().find((h) => h.startsWith('eid_reg_csrf='));
  return c ? c.split(';')[0] : null;
}

function hidden(html, name) {
  const m = html.match(new RegExp(`name="${name}" value="([^"]*)"`));
  return m ? m[1] : null;
}

async function registerPage(c, { cookie, csrf, lang = 'en' } = {}) {
  const form = new FormData();
  form.set('csrf', csrf);
  for (const k of ['personal_id', 'full_name', 'birthdate', 'phone']) form.set(k, c[k]);
  form.set('email', '');
  form.set('portrait', new Blob([JPEG], { type: 'image/jpeg' }), 'me.jpg');
  return fetch(`${s.base}/register`, {
    method: 'POST', body: form, redirect: 'manual',
    headers: { cookie, 'accept-language': lang },
  });
}

test('the registration pages: form, code, password, done', async () => {
  let r = await fetch(`${s.base}/register`, { headers: { 'accept-language': 'en' } });
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^text\/html/);
  const cookie = cookieOf(r);
  assert.ok(cookie);
  let html = await r.text();
  assert.match(html, /enctype="multipart\/form-data"/);
  assert.doesNotMatch(html, /<script/);
  const csrf = hidden(html, 'csrf');
  assert.equal(`eid_reg_csrf=${csrf}`, cookie);

  // Without the cookie's token: refused.
  const c = citizen();
  r = await registerPage(c, { cookie, csrf: 'x'.repeat(43) });
  assert.equal(r.status, 403);

  r = await registerPage(c, { cookie, csrf });
  assert.equal(r.status, 303);
  const loc = r.headers.get('location');
  assert.match(loc, /^\/register\/confirm\?id=[A-Za-z0-9_-]{22}$/);
  const id = loc.split('=')[1];
  r = await fetch(`${s.base}${loc}`, { headers: { cookie, 'accept-language': 'vi' } });
  assert.equal(r.status, 200);
  html = await r.text();
  assert.match(html, /lang="vi"/);
  assert.equal(hidden(html, 'id'), id);

  const confirm = (code, password) => fetch(`${s.base}/register/confirm`, {
    method: 'POST', headers: { cookie, 'accept-language': 'en' },
    body: new URLSearchParams({ csrf, id, code, password }),
  });
  const { code } = lastCode(c.phone);
  r = await confirm(code, 'password');
  assert.equal(r.status, 400);
  assert.match(await r.text(), /cannot be used/);
  r = await confirm(code, PASSWORD);
  assert.equal(r.status, 200);
  assert.match(await r.text(), /You can now sign in/);
  assert.equal(account(c.personal_id).status, 'active');
});

test('the registration pages refuse like the API', async () => {
  let r = await fetch(`${s.base}/register`);
  const cookie = cookieOf(r);
  const csrf = hidden(await r.text(), 'csrf');
  const c = citizen();
  r = await registerPage({ ...c, full_name: 'Someone Else' }, { cookie, csrf });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /do not match the population registry/);
  const teen = citizen({ age: 13 });
  r = await registerPage(teen, { cookie, csrf });
  assert.equal(r.status, 403);
  assert.match(await r.text(), /guardian/);
  r = await registerPage({ ...c, birthdate: 'yesterday' }, { cookie, csrf });
  assert.equal(r.status, 400);
  assert.match(await r.text(), /birthdate/);
});

test('password reset through the phone', async () => {
  const c = citizen();
  let r = await register(c);
  const { confirm_uri } = await r.json();
  r = await post(confirm_uri, { code: lastCode(c.phone).code, password: PASSWORD });
  assert.equal(r.status, 201);
  const before = account(c.personal_id);

  // A phone that is not the account's: the same answer, no message.
  r = await post('/api/v1/password-resets', { personal_id: c.personal_id, phone: '0977000111' });
  assert.equal(r.status, 202);
  assert.equal(lastCode('0977000111'), null);

  // The resend interval of the registration's code is still running.
  r = await post('/api/v1/password-resets', { personal_id: c.personal_id, phone: c.phone });
  assert.equal(r.status, 429);
  assert.ok(Number(r.headers.get('retry-after')) > 0);
});
