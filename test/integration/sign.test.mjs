// Remote signing (issue 7) against a real eidd: a relying party with a
// client_credentials token (scope sign) asks a level-2 citizen to sign a
// document's hash, eid-app (bound with password + SMS code) approves it,
// the RP polls and gets a detached CMS that the plain `openssl cms -verify`
// accepts, its callback receives the result (after one refused delivery:
// the worker retries), the verify endpoint reports signer and time, a
// DPoP-bound token works too, the citizen's history lists the signing.
// Refused: a level-1 account, an account without an app, a token without
// the scope, a denied, an expired (30 s), a second and a cross-bound
// approval.  Locking the account revokes the certificate (OCSP, verify).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import { runApp } from './lib/app.mjs';
import { eidctl, startEidd, tempDir } from './lib/eidd.mjs';
import {
  Browser, CITIZEN, addClient, authorizeUrl, b64url, pkce, recorder, signIn,
} from './lib/front.mjs';

const PIN = '135790';
const SIGNER = '001185000123';
const SIGNER_PASSWORD = 'a-Long-passphrase-2026';
const NO_APP = '001090000456';
const TTL = 30;
let s;
let dir;
let work;
let state;
let rp;
let plain;
let rp2;
let cb;
let stale; // a request left to expire: { id, hash, at }
let signed; // { id, sig, doc }

const openssl = (args) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

function ctl(args, input) {
  const r = eidctl([...args, '--data', dir], { input });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function app(args, lines = [PIN], later) {
  return runApp({ base: s.base, state }, args, { lines, later });
}

function outbox(channel) {
  return JSON.parse(ctl(['outbox', '--json'])).filter((m) => m.channel === channel);
}

async function token(c, scope = 'sign') {
  const r = await fetch(`${s.base}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  assert.equal(r.status, 200);
  return (await r.json()).access_token;
}

async function api(method, path, tok, body) {
  const headers = tok ? { authorization: `Bearer ${tok}` } : {};
  if (body) headers['content-type'] = 'application/json';
  const r = await fetch(`${s.base}${path}`, { method, headers, body: body && JSON.stringify(body) });
  return { status: r.status, body: await r.json().catch(() => null) };
}

const sha256 = (b) => createHash('sha256').update(b).digest();

async function ask(pid, doc, extra = {}) {
  return api('POST', '/api/v1/sign/requests', await token(rp), {
    personal_id: pid, hash: b64url(sha256(doc)), hash_alg: 'sha256',
    document_name: 'Hợp đồng tín dụng số 42.pdf', ...extra,
  });
}

before(async () => {
  dir = tempDir();
  work = tempDir('eid-sign-');
  state = join(work, 'state.json');
  s = await startEidd({ dataDir: dir });
  await s.stop();
  ctl(['ca', 'init']);
  ctl(['registry', 'add', '--personal-id', SIGNER, '--full-name', 'Lê Thị Hoa', '--birthdate', '1985-02-03',
    '--sex', 'female', '--card-number', SIGNER, '--card-issued', '2021-01-01', '--card-expires', '2035-02-03']);
  ctl(['account', 'create', '--personal-id', SIGNER, '--phone', '0911111111', '--level', '2',
    '--password-stdin'], `${SIGNER_PASSWORD}\n`);
  ctl(['registry', 'add', '--personal-id', NO_APP, '--full-name', 'Phạm Văn Nam', '--birthdate', '1990-05-06',
    '--sex', 'male', '--card-number', NO_APP, '--card-issued', '2021-01-01', '--card-expires', '2035-05-06']);
  ctl(['account', 'create', '--personal-id', NO_APP, '--phone', '0922222222', '--level', '2',
    '--password-stdin'], `${SIGNER_PASSWORD}\n`);
  // The first delivery is refused: the worker must try again.
  let calls = 0;
  cb = await recorder((hit, res) => { res.writeHead(++calls === 1 ? 503 : 200); res.end(); });
  rp = addClient(dir, ['--id', 'bank', '--name', 'Ngân hàng Số', '--grant', 'client_credentials',
    '--scope', 'sign', '--redirect-uri', `${cb.base}/sign-callback`]);
  rp2 = addClient(dir, ['--id', 'bank2', '--name', 'Ngân hàng Khác', '--grant', 'client_credentials',
    '--scope', 'sign']);
  plain = addClient(dir, ['--id', 'plain', '--name', 'Plain', '--grant', 'client_credentials',
    '--scope', 'profile']);
  s = await startEidd({ dataDir: dir, config: () => `[ca]\nsign_request_ttl = ${TTL}s\n` });
  const bound = await app(['bind-device', '--personal-id', SIGNER, '--password-stdin'],
    [PIN, SIGNER_PASSWORD], () => outbox('sms').at(-1).text.match(/\b(\d{6})\b/)[1]);
  assert.equal(bound.status, 0, bound.err + bound.out);
});

after(async () => {
  await s?.stop();
  await cb?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(`${dir}.conf`, { force: true });
});

test('requests that cannot be made are refused with a clear error', async () => {
  const body = { personal_id: SIGNER, hash: b64url(sha256('x')), hash_alg: 'sha256', document_name: 'x' };
  let r = await api('POST', '/api/v1/sign/requests', null, body);
  assert.equal(r.status, 401);
  r = await api('POST', '/api/v1/sign/requests', await token(plain, 'profile'), body);
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'insufficient_scope');
  r = await ask(CITIZEN, 'x');
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'level_insufficient');
  r = await ask(NO_APP, 'x');
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'no_device');
  r = await ask(SIGNER, 'x', { hash_alg: 'sha384' });
  assert.equal(r.status, 400);
  assert.equal(r.body.error, 'invalid_request');
  r = await ask(SIGNER, 'x', { callback_uri: 'https://elsewhere.example/cb' });
  assert.equal(r.status, 400);
  assert.match(r.body.error_description, /registered/);
  r = await ask(SIGNER, 'x', { document_name: 'd'.repeat(129) });
  assert.equal(r.status, 400);
});

test('approve in the app: the RP gets a CMS that openssl accepts, and the callback', async () => {
  const staleDoc = Buffer.from('left to expire');
  const left = await ask(SIGNER, staleDoc);
  assert.equal(left.status, 201);
  stale = { id: left.body.id, hash: b64url(sha256(staleDoc)), at: Date.now() };

  const doc = Buffer.from('Hợp đồng tín dụng số 42\nBên vay: Lê Thị Hoa\n');
  const r = await ask(SIGNER, doc, { callback_uri: `${cb.base}/sign-callback` });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.status, 'pending');
  assert.match(r.body.id, /^[A-Za-z0-9_-]{22}$/);
  assert.ok(Math.abs(r.body.expires_at - (Date.now() / 1000 + TTL)) < 5);
  const { id } = r.body;
  // The push to the citizen's app (to its device id) went to the outbox.
  const push = outbox('push').at(-1);
  assert.equal(push.to, JSON.parse((await app(['status'])).out).device_id);
  assert.match(push.text, /Ngân hàng Số asks you to sign "Hợp đồng tín dụng số 42.pdf"/);

  const tok = await token(rp);
  assert.equal((await api('GET', `/api/v1/sign/requests/${id}`, tok)).body.status, 'pending');
  // Another client does not see it.
  const other = await api('GET', `/api/v1/sign/requests/${id}`, await token(rp2));
  assert.equal(other.status, 404);
  const noScope = await api('GET', `/api/v1/sign/requests/${id}`, await token(plain, 'profile'));
  assert.equal(noScope.status, 403);

  const list = await app(['sign-pending']);
  assert.equal(list.status, 0, list.err);
  assert.ok(list.out.includes(`id ${id}`));
  assert.match(list.out, /client_name Ngân hàng Số/);
  assert.match(list.out, /document_name Hợp đồng tín dụng số 42.pdf/);
  assert.ok(list.out.includes(`hash ${b64url(sha256(doc))}`));
  // `pending` lists it beside CIBA requests, one line with its command.
  const all = await app(['pending']);
  assert.equal(all.status, 0, all.err);
  assert.ok(all.out.split('\n').some((l) => l.startsWith(`sign ${id} approve-sign "Ngân hàng Số"`)
    && l.includes(`sha256=${b64url(sha256(doc))}`)), all.out);

  const ok = await app(['--', 'approve-sign', id]);
  assert.equal(ok.status, 0, ok.err);
  assert.match(ok.out, /signed/);

  const res = await api('GET', `/api/v1/sign/requests/${id}`, tok);
  assert.equal(res.status, 200);
  assert.equal(res.body.status, 'signed');
  const sig = join(work, 'sig.der');
  const docFile = join(work, 'doc.txt');
  const caPem = join(work, 'ca.pem');
  writeFileSync(sig, Buffer.from(res.body.signature, 'base64'));
  writeFileSync(docFile, doc);
  writeFileSync(join(work, 'ca.der'), Buffer.from(await (await fetch(`${s.base}/ca/cert`)).arrayBuffer()));
  openssl(['x509', '-inform', 'DER', '-in', join(work, 'ca.der'), '-out', caPem]);
  writeFileSync(join(work, 'signer.der'), Buffer.from(res.body.certificate, 'base64'));
  assert.match(openssl(['x509', '-inform', 'DER', '-in', join(work, 'signer.der'), '-noout', '-subject']),
    /serialNumber\s*=\s*001185000123/);

  // Exactly the command of the issue.
  const v = spawnSync('openssl', ['cms', '-verify', '-binary', '-content', docFile, '-inform', 'DER',
    '-in', sig, '-CAfile', caPem], { encoding: 'utf8' });
  assert.equal(v.status, 0, v.stderr);
  assert.match(v.stderr, /Verification successful/);
  const altered = Buffer.from(doc);
  altered[3] ^= 1;
  writeFileSync(join(work, 'altered.txt'), altered);
  const bad = spawnSync('openssl', ['cms', '-verify', '-binary', '-content', join(work, 'altered.txt'),
    '-inform', 'DER', '-in', sig, '-CAfile', caPem], { encoding: 'utf8' });
  assert.notEqual(bad.status, 0);

  // The callback: refused once, then delivered.
  const hit = await cb.nth(2);
  assert.equal(hit.method, 'POST');
  assert.equal(hit.url, '/sign-callback');
  assert.equal(hit.headers['content-type'], 'application/json');
  const said = JSON.parse(hit.body);
  assert.equal(said.id, id);
  assert.equal(said.status, 'signed');
  assert.equal(said.signature, res.body.signature);

  // The audit trail: sign.citizen about the citizen, with the client.
  const audit = ctl(['audit', 'export']).trim().split('\n').map((l) => JSON.parse(l));
  const e = audit.filter((x) => x.type === 'sign.citizen').at(-1);
  assert.equal(e.subject, SIGNER);
  assert.equal(e.actor, `citizen:${SIGNER}`);
  assert.equal(e.details.client, 'bank');
  assert.equal(e.details.document, 'Hợp đồng tín dụng số 42.pdf');
  assert.equal(e.details.hash, sha256(doc).toString('hex'));

  // A second approval is refused.
  const again = await app(['--hash', b64url(sha256(doc)), '--', 'approve-sign', id]);
  assert.notEqual(again.status, 0);
  assert.match(again.err, /HTTP 409 already_decided/);
  signed = { id, sig, doc, docFile, caPem };
});

test('the verify endpoint reports signer and time, and refuses an altered document', async () => {
  const tok = await token(rp);
  const signature = readFileSync(signed.sig).toString('base64');
  let r = await api('POST', '/api/v1/sign/verify', tok, { signature, content: signed.doc.toString('base64') });
  assert.equal(r.status, 200);
  assert.equal(r.body.valid, true);
  assert.equal(r.body.signer.personal_id, SIGNER);
  assert.equal(r.body.signer.name, 'Lê Thị Hoa');
  assert.ok(Math.abs(r.body.signing_time - Date.now() / 1000) < 120);
  assert.equal(r.body.revoked, false);
  r = await api('POST', '/api/v1/sign/verify', tok, {
    signature, hash: b64url(sha256(signed.doc)), hash_alg: 'sha256',
  });
  assert.equal(r.body.valid, true);
  const altered = Buffer.from(signed.doc);
  altered[0] ^= 1;
  r = await api('POST', '/api/v1/sign/verify', tok, { signature, content: altered.toString('base64') });
  assert.equal(r.status, 200);
  assert.equal(r.body.valid, false);
  r = await api('POST', '/api/v1/sign/verify', tok, { signature: 'not base64!', content: '' });
  assert.equal(r.status, 400);
  r = await api('POST', '/api/v1/sign/verify', null, { signature, content: '' });
  assert.equal(r.status, 401);
});

test('a DPoP-bound token works as well, and only with its proof', async () => {
  const config = await client.discovery(new URL(s.base), rp.client_id, {},
    client.ClientSecretBasic(rp.client_secret), { execute: [client.allowInsecureRequests] });
  const DPoP = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  const t = await client.clientCredentialsGrant(config, { scope: 'sign' }, { DPoP });
  assert.equal(t.token_type, 'dpop');
  const url = new URL(`${s.base}/api/v1/sign/requests/${signed.id}`);
  const r = await client.fetchProtectedResource(config, t.access_token, url, 'GET', undefined, undefined, { DPoP });
  assert.equal(r.status, 200);
  assert.equal((await r.json()).status, 'signed');
  // The same token as a bearer token: refused.
  const bearer = await api('GET', `/api/v1/sign/requests/${signed.id}`, t.access_token);
  assert.equal(bearer.status, 401);
});

test('denied, and an approval bound to another request, are refused', async () => {
  const a = await ask(SIGNER, 'first');
  const b = await ask(SIGNER, 'second');
  assert.equal(a.status, 201);
  // b's hash on a's approval: the JWS does not bind a.
  const cross = await app(['--hash', b64url(sha256('second')), '--', 'approve-sign', a.body.id]);
  assert.notEqual(cross.status, 0);
  assert.match(cross.err, /HTTP 400 invalid_request/);
  const tok = await token(rp);
  assert.equal((await api('GET', `/api/v1/sign/requests/${a.body.id}`, tok)).body.status, 'pending');

  const no = await app(['--deny', '--', 'approve-sign', a.body.id]);
  assert.equal(no.status, 0, no.err);
  assert.match(no.out, /denied/);
  const r = await api('GET', `/api/v1/sign/requests/${a.body.id}`, tok);
  assert.equal(r.body.status, 'denied');
  assert.equal(r.body.signature, undefined);
  const late = await app(['--hash', b64url(sha256('first')), '--', 'approve-sign', a.body.id]);
  assert.match(late.err, /HTTP 409 already_decided/);
  void b;
});

test('an approval after expiry is refused; the RP sees expired', async () => {
  const wait = stale.at + (TTL + 2) * 1000 - Date.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const late = await app(['--hash', stale.hash, '--', 'approve-sign', stale.id]);
  assert.notEqual(late.status, 0);
  assert.match(late.err, /HTTP 410 expired_request/);
  const r = await api('GET', `/api/v1/sign/requests/${stale.id}`, await token(rp));
  assert.equal(r.body.status, 'expired');
  const list = await app(['sign-pending']);
  assert.ok(!list.out.includes(stale.id));
});

test('the citizen sees the signing in their history', async () => {
  addClient(dir, ['--id', 'portal', '--name', 'Cổng', '--auth-method', 'none',
    '--redirect-uri', 'http://127.0.0.1:9/cb', '--scope', 'openid']);
  const b = new Browser(s.base);
  const { challenge } = pkce();
  const done = await signIn(b, authorizeUrl(s.base, {
    client_id: 'portal', redirect_uri: 'http://127.0.0.1:9/cb', response_type: 'code', scope: 'openid',
    state: 'st', code_challenge: challenge, code_challenge_method: 'S256',
  }), { username: SIGNER, password: SIGNER_PASSWORD });
  assert.equal(done.status, 303, done.text);
  const h = await b.get('/api/v1/me/history');
  assert.equal(h.status, 200);
  const e = JSON.parse(h.text).events.filter((x) => x.type === 'sign.citizen');
  assert.equal(e.length, 1);
  assert.equal(e[0].subject, SIGNER);
  assert.equal(e[0].details.document, 'Hợp đồng tín dụng số 42.pdf');
  assert.equal(e[0].details.client, 'bank');
});

test('locking the account revokes the certificate: OCSP and verify say so', async () => {
  ctl(['account', 'lock', SIGNER, '--reason', 'citizen_request']);
  const signer = join(work, 'signer.pem');
  openssl(['x509', '-inform', 'DER', '-in', join(work, 'signer.der'), '-out', signer]);
  const req = join(work, 'ocsp-req.der');
  openssl(['ocsp', '-issuer', signed.caPem, '-cert', signer, '-reqout', req]);
  const res = await fetch(`${s.base}/ca/ocsp`, {
    method: 'POST', headers: { 'content-type': 'application/ocsp-request' },
    body: readFileSync(req),
  });
  writeFileSync(join(work, 'ocsp-resp.der'), Buffer.from(await res.arrayBuffer()));
  const text = openssl(['ocsp', '-respin', join(work, 'ocsp-resp.der'), '-CAfile', signed.caPem,
    '-resp_text', '-noverify']);
  assert.match(text, /Cert Status: revoked/);
  assert.match(text, /cessationOfOperation/);
  const tok = await token(rp);
  const v = await api('POST', '/api/v1/sign/verify', tok, {
    signature: readFileSync(signed.sig).toString('base64'),
    content: signed.doc.toString('base64'),
  });
  // Made before the revocation: still valid, and the report says so.
  assert.equal(v.body.valid, true);
  assert.equal(v.body.revoked, true);
  assert.equal(v.body.revocation_reason, 'cessationOfOperation');
  const r = await ask(SIGNER, 'after the lock');
  assert.equal(r.status, 403);
  assert.equal(r.body.error, 'account_locked');
});
