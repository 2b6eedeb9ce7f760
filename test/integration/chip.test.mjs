// Chip cards end to end through a real PC/SC stack: `eidctl card issue`
// makes test cards for a registry citizen, eid-vcard serves each one to
// pcscd's vpcd driver, and `eidctl chip read` reads it with PACE (CAN or
// MRZ; BAC on a card without PACE), Chip, Active and Passive
// Authentication.  A good card is valid in every verdict with its DG13
// intact; each faulty card fails the way it should and is never "valid";
// a wrong CAN or MRZ fails PACE clearly.  Then `--upload` to a running
// eidd: the server verifies the card over its own challenge, refuses a
// tampered one and a replayed challenge.  Skips (with the reason) only
// when pcscd or the vpcd driver is not installed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { eidctl, startEidd, tempDir } from './lib/eidd.mjs';
import { Browser, PASSWORD, addClient, authorizeUrl, formFields, pkce } from './lib/front.mjs';
import { issueCard, pcscMissing, readCardWith, startPcscd } from './lib/pcsc.mjs';

const CITIZEN = '001090012345'; // eidd --demo: Nguyễn Văn An, born 1990-03-15
const MRZ_INFO = '090012345+900315+300315';
const CAN = CITIZEN.slice(-6); // what `card issue` puts on the card
const missing = pcscMissing();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Top-level tests (nested ones confuse meson's TAP parser); each skips
// with the reason when the stack is missing.
const opts = { skip: missing ?? false };
let dir, data, pcscd, eidd;

before(async () => {
  if (missing) return;
  dir = tempDir('eid-chip-');
  data = join(dir, 'data');
  // eidd --demo seeds the registry with the demo citizens.  It keeps
  // running for the --upload tests, so the CSCA imported below reaches it
  // through its reload.
  eidd = await startEidd({ dataDir: data });
  pcscd = await startPcscd(dir);
});

after(async () => {
  if (eidd) await eidd.stop();
  if (pcscd) await pcscd.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ctl = (args) => eidctl(['--data', data, ...args], { env: pcscd.env });

const issue = (name, extra = []) => issueCard(ctl, dir, CITIZEN, name, extra);

// Serve image, run `chip read`, stop the card (it must exit cleanly).
const readCard = (image, args = ['--mrz-info', MRZ_INFO]) =>
  readCardWith(ctl, image, pcscd.port, args);

test('the test PKI and the CSCA store', opts, () => {
  issue('good');
  assert.ok(existsSync(join(data, 'test-pki', 'csca.pem')));
  const imp = ctl(['csca', 'import', join(data, 'test-pki', 'csca.pem')]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /1 CSCA certificate\(s\) added/);
  const again = ctl(['csca', 'import', join(data, 'test-pki', 'csca.pem')]);
  assert.match(again.stdout, /0 CSCA certificate\(s\) added, 1 already present/);
  const list = ctl(['--json', 'csca', 'list']);
  assert.equal(list.status, 0, list.stderr);
  assert.equal(JSON.parse(list.stdout)[0].subject, '/C=VN/CN=eid test CSCA');
});

test('chip readers lists the virtual reader', opts, () => {
  const r = ctl(['chip', 'readers']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Virtual PCD/);
});

test('a good card: PACE with the MRZ, every verdict valid, DG13 intact', opts, async () => {
  const out = join(dir, 'read');
  const r = await readCard(join(dir, 'good.img'),
    ['--mrz-info', MRZ_INFO, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const d = r.doc;
  assert.equal(d.verdict, 'valid');
  assert.equal(d.access_control, 'PACE');
  assert.equal(d.pace_offered, true);
  assert.equal(d.chip_authentication, 'valid');
  assert.equal(d.passive_authentication.overall, 'valid');
  assert.equal(d.passive_authentication.signature.verdict, 'valid');
  assert.equal(d.passive_authentication.chain.verdict, 'valid');
  assert.equal(d.passive_authentication.dg_hashes.verdict, 'valid');
  assert.equal(d.active_authentication, 'valid');
  assert.deepEqual(d.files_read, ['com', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15', 'sod']);
  assert.equal(d.dg13.full_name, 'Nguyễn Văn An');
  assert.equal(d.dg13.personal_id, CITIZEN);
  assert.equal(d.dg13.residence, '12 Phố Huế, Hai Bà Trưng, Hà Nội');
  assert.equal(d.mrz.document_number, '090012345');
  assert.equal(d.mrz.personal_id, CITIZEN);
  assert.equal(d.mrz.primary_identifier, 'NGUYEN');
  assert.equal(d.mrz.secondary_identifier, 'VAN AN');
  assert.ok(d.apdus > 0 && d.bytes > 0);
  // The files written out verify on their own.
  const files = ['sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'];
  const args = files.flatMap((f) => [`--${f}`, join(out, `${f}.bin`)]);
  const v = ctl(['chip', 'verify', ...args]);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout).verdict, 'valid');
  // ... and not once a byte changes.
  const dg13 = readFileSync(join(out, 'dg13.bin'));
  dg13[dg13.length - 1] ^= 1;
  writeFileSync(join(out, 'dg13.bin'), dg13);
  const bad = ctl(['chip', 'verify', ...args]);
  assert.equal(bad.status, 1);
  assert.equal(JSON.parse(bad.stdout).passive_authentication.dg_hashes.verdict, 'invalid');
});

const faults = [
  ['tampered-dg1', (d) => {
    assert.equal(d.passive_authentication.dg_hashes.verdict, 'invalid');
    assert.equal(d.passive_authentication.data_groups.find((g) => g.number === 1).verdict, 'invalid');
  }],
  ['tampered-dg13', (d) => {
    assert.equal(d.passive_authentication.dg_hashes.verdict, 'invalid');
    assert.equal(d.passive_authentication.data_groups.find((g) => g.number === 13).verdict, 'invalid');
  }],
  ['wrong-sod-signer', (d) => {
    assert.equal(d.passive_authentication.chain.verdict, 'invalid');
  }],
  ['expired-dsc', (d) => {
    assert.equal(d.passive_authentication.chain.verdict, 'invalid');
    assert.match(d.passive_authentication.chain.reason, /expired/);
  }],
  ['no-dg15', (d) => {
    assert.equal(d.passive_authentication.overall, 'valid');
    assert.equal(d.active_authentication, 'not_supported');
    assert.ok(!d.files_read.includes('dg15'));
  }],
];

for (const [fault, check] of faults) {
  test(`a card with fault ${fault} is never valid`, opts, async () => {
    const r = await readCard(issue(fault, ['--fault', fault]));
    assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
    assert.ok(r.doc, `no document; stderr: ${r.stderr}`);
    assert.notEqual(r.doc.verdict, 'valid');
    assert.match(r.stderr, /verdict (invalid|incomplete)/);
    check(r.doc);
  });
}

test('PACE with the CAN: every verdict valid, Chip Authentication valid', opts, async () => {
  const r = await readCard(join(dir, 'good.img'), ['--can', CAN]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.doc.access_control, 'PACE');
  assert.equal(r.doc.chip_authentication, 'valid');
  assert.equal(r.doc.active_authentication, 'valid');
  assert.equal(r.doc.verdict, 'valid');
});

test('a BAC-only card offers no PACE and reads with BAC', opts, async () => {
  const image = issue('bac-only', ['--fault', 'bac-only']);
  const r = await readCard(image);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.doc.pace_offered, false);
  assert.equal(r.doc.access_control, 'BAC');
  assert.equal(r.doc.chip_authentication, 'valid');
  // 3DES secure messaging: READ BINARY of 0xE7, which pads to 232 and
  // still fits a short answer (AES's 16-byte blocks stop at 0xDF).
  assert.equal(r.doc.read_size, 0xe7);
  const sod = r.doc.file_stats.sod;
  assert.equal(sod.selects, 1);
  assert.equal(sod.reads, Math.ceil(sod.size / 0xe7));
  // A CAN cannot open a card without PACE.
  const can = await readCard(image, ['--can', CAN]);
  assert.equal(can.status, 1);
  assert.match(can.stderr, /offers no PACE we run, and BAC needs --mrz-info/);
});

test('wrong CAN: PACE fails with a clear error', opts, async () => {
  const r = await readCard(join(dir, 'good.img'), ['--can', '999999']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /PACE failed: the card refused the CAN/);
});

test('wrong MRZ information: PACE fails with a clear error', opts, async () => {
  const r = await readCard(join(dir, 'good.img'), ['--mrz-info', '090012345+900316+300315']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /PACE failed: the card refused the MRZ information/);
});

test('wrong MRZ information on a BAC-only card: BAC fails with a clear error', opts, async () => {
  const r = await readCard(join(dir, 'bac-only.img'), ['--mrz-info', '090012345+900316+300315']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /BAC failed: the card refused the MRZ information/);
});

// ---- --upload: the server verifies ----

const REDIRECT = 'http://127.0.0.1:9/cb';
let cookie, browser;

// A citizen session on eidd (password login through /authorize).
async function citizenSession() {
  if (cookie) return cookie;
  addClient(data, ['--id', 'chip-rp', '--name', 'Chip RP', '--auth-method', 'none',
    '--redirect-uri', REDIRECT, '--scope', 'openid']);
  browser = new Browser(eidd.base);
  const { challenge } = pkce();
  const r = await browser.get(authorizeUrl(eidd.base, {
    client_id: 'chip-rp', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
    state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
  }));
  assert.equal(r.status, 303, r.text);
  const page = await browser.get(r.location);
  const { action, fields } = formFields(page.text);
  await browser.post(action, { ...fields, username: CITIZEN, password: PASSWORD });
  cookie = browser.cookies.get('eid_session');
  assert.ok(cookie, 'no eid_session after login');
  return cookie;
}

// An access token for the citizen: the code flow on the session above.
async function accessToken() {
  await citizenSession();
  const { verifier, challenge } = pkce();
  let r = await browser.get(authorizeUrl(eidd.base, {
    client_id: 'chip-rp', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
    state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
  }));
  if (r.location.startsWith('/consent')) {
    const page = await browser.get(r.location);
    const { action, fields } = formFields(page.text);
    r = await browser.post(action, { ...fields, approve: '1' });
  }
  assert.ok(r.location?.startsWith(REDIRECT), `no code: ${r.status} ${r.location}`);
  const code = new URL(r.location).searchParams.get('code');
  const t = await fetch(`${eidd.base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: REDIRECT,
      client_id: 'chip-rp', code_verifier: verifier,
    }),
  });
  const body = await t.json();
  assert.equal(t.status, 200, JSON.stringify(body));
  return body.access_token;
}

const chipPost = (path, body, headers = {}) => fetch(`${eidd.base}${path}`, {
  method: 'POST', body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', cookie: `eid_session=${cookie}`, ...headers },
});

test('--upload: the server verifies a good card over its own challenge', opts, async () => {
  const c = await citizenSession();
  const r = await readCard(join(dir, 'good.img'),
    ['--can', CAN, '--upload', eidd.base, '--cookie', `eid_session=${c}`]);
  assert.equal(r.status, 0, r.stderr);
  const v = r.doc.server_verdict;
  assert.equal(v.valid, true, JSON.stringify(v));
  assert.equal(v.passive_authentication.verdict, 'valid');
  assert.equal(v.active_authentication.verdict, 'valid');
  assert.equal(v.identity.personal_id, CITIZEN);
  assert.equal(v.identity.full_name, 'Nguyễn Văn An');
  assert.equal(v.identity.birthdate, '1990-03-15');
  assert.equal(r.doc.verdict, 'valid');
});

test('--upload: a tampered card is not valid on the server', opts, async () => {
  const c = await citizenSession();
  const r = await readCard(join(dir, 'tampered-dg13.img'),
    ['--can', CAN, '--upload', eidd.base, '--cookie', `eid_session=${c}`]);
  assert.equal(r.status, 1, r.stderr);
  const v = r.doc.server_verdict;
  assert.equal(v.valid, false);
  assert.equal(v.passive_authentication.verdict, 'invalid');
  assert.equal(v.passive_authentication.report.dg_hashes.verdict, 'invalid');
});

test('--upload with a bearer access token instead of a session', opts, async () => {
  const token = await accessToken();
  const r = await readCard(join(dir, 'good.img'),
    ['--can', CAN, '--upload', eidd.base, '--bearer', token]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.doc.server_verdict.valid, true);
  // A challenge taken with the token cannot be used from the session.
  const ch = await fetch(`${eidd.base}/chip/challenge`, {
    method: 'POST', body: '{}',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
  });
  assert.equal(ch.status, 200);
  const { challenge_id } = await ch.json();
  const other = await chipPost('/chip/verify', { challenge_id, sod: 'dwA', dg1: 'YQA' });
  assert.equal(other.status, 403);
  assert.equal((await other.json()).error, 'access_denied');
  // A bad token is refused.
  const bad = await fetch(`${eidd.base}/chip/challenge`, {
    method: 'POST', body: '{}',
    headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
  });
  assert.equal(bad.status, 401);
});

test('/chip/verify: a replayed challenge is refused, callers are checked', opts, async () => {
  await citizenSession();
  const file = (n) => readFileSync(join(dir, 'read', `${n}.bin`)).toString('base64url');
  const ch = await chipPost('/chip/challenge', {});
  assert.equal(ch.status, 200);
  const { challenge_id, challenge, expires_in } = await ch.json();
  assert.equal(Buffer.from(challenge, 'base64url').length, 8);
  assert.equal(expires_in, 300);
  const body = { challenge_id, sod: file('sod'), dg1: file('dg1'), dg13: file('dg13') };
  const first = await chipPost('/chip/verify', body);
  assert.equal(first.status, 200);
  const v = await first.json();
  assert.equal(v.valid, false); // no DG15 / AA signature sent
  assert.equal(v.active_authentication.verdict, 'not_supported');
  const again = await chipPost('/chip/verify', body);
  assert.equal(again.status, 400);
  assert.equal((await again.json()).error, 'invalid_challenge');
  // No session, no challenge.
  const anon = await fetch(`${eidd.base}/chip/challenge`, {
    method: 'POST', body: '{}', headers: { 'content-type': 'application/json' },
  });
  assert.equal(anon.status, 401);
  // A form post (cross-site) is refused.
  const form = await chipPost('/chip/challenge', {}, { 'content-type': 'text/plain' });
  assert.equal(form.status, 415);
});

test('extended length: a 20 KB DG2 in one READ BINARY', opts, async () => {
  const image = issue('big-ext', ['--face-bytes', '20000', '--extended', '--max-read', '65536']);
  const ext = await readCard(image, ['--mrz-info', MRZ_INFO, '--max-read', '65536']);
  assert.equal(ext.status, 0, ext.stderr);
  assert.ok(ext.doc.file_stats.dg2.size > 20000);
  assert.equal(ext.doc.file_stats.dg2.apdus, 2); // SELECT, READ BINARY
  const short = await readCard(image);
  assert.equal(short.status, 0, short.stderr);
  // SELECT and ceil(size / 0xDF) READ BINARYs: the fewest short APDUs
  // under PACE's AES secure messaging.
  const dg2 = short.doc.file_stats.dg2;
  assert.equal(short.doc.read_size, 0xdf);
  assert.equal(dg2.apdus, 1 + Math.ceil(dg2.size / 0xdf));
  assert.equal(dg2.selects, 1);
  assert.equal(dg2.reads, Math.ceil(dg2.size / 0xdf));
  // Secure messaging adds DO'97', DO'87', DO'99' and two MACs to each.
  assert.ok(dg2.sm_overhead >= 27 * dg2.reads && dg2.sm_overhead < dg2.bytes - dg2.size);
  // Opening the card (EF.CardAccess, PACE, SELECT) is counted apart.
  assert.ok(short.doc.setup.apdus >= 6 && short.doc.setup.bytes > 0);
});
