// OpenID CIBA (poll and ping modes) with the citizen app: the RP side is
// openid-client (initiateBackchannelAuthentication,
// pollBackchannelAuthenticationGrant) with client_secret_basic and
// private_key_jwt, tokens verified with jose; the citizen side is eid-app
// (pending, approve-ciba) with devices bound for two demo citizens.
// Approve end to end, id_token_hint, deny, expiry, unknown users, a second
// decision, another citizen's device, slow_down; in ping mode a loopback
// server is the client's notification endpoint.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import * as client from 'openid-client';
import { runApp } from './lib/app.mjs';
import { eidctl, startEidd } from './lib/eidd.mjs';
import { CITIZEN, PASSWORD, addClient, recorder } from './lib/front.mjs';
import { configFor, oauthError } from './lib/rp.mjs';

const CITIZEN2 = '079195012346';
const PIN = '135790';
const CIBA = 'urn:openid:params:grant-type:ciba';
let s;
let work;
let meta;
let bank; // client_secret_basic, with refresh tokens
let bankConfig;
let jwtConfig; // private_key_jwt
const states = {};

// eid-app for a citizen's state file, the PIN first on stdin.
function app(who, args, { lines = [PIN], later } = {}) {
  return runApp({ base: s.base, state: states[who] }, args, { lines, later });
}

function outbox(channel) {
  const r = eidctl(['--data', s.dataDir, 'outbox', '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).filter((m) => m.channel === channel);
}

async function bind(who, pid) {
  states[who] = join(work, `${who}.json`);
  const r = await app(who, ['bind-device', '--personal-id', pid, '--password-stdin'], {
    lines: [PIN, PASSWORD],
    later: async () => outbox('sms').filter((m) => m.text.match(/\b\d{6}\b/)).pop().text.match(/\b(\d{6})\b/)[1],
  });
  assert.equal(r.status, 0, r.err + r.out);
  return r.out.match(/device_id (\S+)/)[1];
}

// A raw back-channel POST with client_secret_basic.
async function post(path, params, c = bank) {
  const r = await fetch(`${s.base}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams(params),
  });
  return { status: r.status, body: await r.json() };
}

// The pending CIBA lines of eid-app: [{ id, line }].
async function pending(who) {
  const r = await app(who, ['pending']);
  assert.equal(r.status, 0, r.err);
  return r.out.split('\n').filter((l) => l.startsWith('ciba ')).map((line) => ({ id: line.split(' ')[1], line }));
}

before(async () => {
  s = await startEidd();
  work = mkdtempSync(join(tmpdir(), 'eid-ciba-'));
  meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
  await bind('an', CITIZEN);
  await bind('binh', CITIZEN2);
  bank = addClient(s.dataDir, ['--id', 'bank', '--name', 'Ngân hàng Demo', '--grant', CIBA,
    '--grant', 'refresh_token', '--auth-method', 'client_secret_basic', '--scope', 'openid profile']);
  bankConfig = await configFor(s.base, bank.client_id, client.ClientSecretBasic(bank.client_secret));
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const file = join(work, 'teller-jwks.json');
  writeFileSync(file, JSON.stringify({ keys: [{ ...(await jose.exportJWK(publicKey)), alg: 'ES256' }] }));
  const teller = addClient(s.dataDir, ['--id', 'teller', '--name', 'Teller', '--grant', CIBA,
    '--auth-method', 'private_key_jwt', '--jwks', file, '--scope', 'openid']);
  jwtConfig = await configFor(s.base, teller.client_id, client.PrivateKeyJwt(privateKey));
});

after(async () => {
  await s?.stop();
  s?.cleanup();
  if (work) rmSync(work, { recursive: true, force: true });
});

test('discovery announces CIBA in poll and ping modes', () => {
  assert.equal(meta.backchannel_authentication_endpoint, `${s.base}/bc-authorize`);
  assert.deepEqual(meta.backchannel_token_delivery_modes_supported, ['poll', 'ping']);
  assert.equal(meta.backchannel_user_code_parameter_supported, false);
  assert.ok(meta.grant_types_supported.includes(CIBA));
});

let idToken;

test('approve end to end: push, pending on the right phone only, tokens once', async () => {
  const started = Math.floor(Date.now() / 1000);
  const br = await client.initiateBackchannelAuthentication(bankConfig, {
    scope: 'openid profile', login_hint: CITIZEN, binding_message: 'Quầy 3: mã 7F2K',
  });
  assert.match(br.auth_req_id, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(br.interval, 5);
  assert.equal(br.expires_in, 300);

  const push = outbox('push').pop();
  assert.ok(push.text.includes('Ngân hàng Demo') && push.text.includes('Quầy 3: mã 7F2K'), push.text);

  const mine = await pending('an');
  assert.equal(mine.length, 1);
  assert.match(mine[0].line, /"Ngân hàng Demo" scope="openid profile" level=0 .*binding_message="Quầy 3: mã 7F2K"/);
  assert.equal((await pending('binh')).length, 0);
  const other = await app('binh', ['--', 'approve-ciba', mine[0].id]);
  assert.notEqual(other.status, 0);
  assert.match(other.err, /404 not_found/);

  const ok = await app('an', ['--', 'approve-ciba', mine[0].id]);
  assert.equal(ok.status, 0, ok.err);
  assert.match(ok.out, /binding_message Quầy 3: mã 7F2K/);
  assert.match(ok.out, /approved/);
  const again = await app('an', ['--deny', '--', 'approve-ciba', mine[0].id]);
  assert.notEqual(again.status, 0);
  assert.match(again.err, /404 not_found|409 already_decided/);

  const t = await client.pollBackchannelAuthenticationGrant(bankConfig, br);
  assert.ok(t.access_token && t.refresh_token);
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { payload } = await jose.jwtVerify(t.id_token, jwks, { issuer: s.base, audience: 'bank' });
  assert.deepEqual(payload.amr, ['hwk', 'user']);
  assert.equal(payload.acr, 'urn:eid:loa:1');
  assert.ok(payload.auth_time >= started && payload.auth_time <= payload.iat);
  idToken = t.id_token;
  const at = await jose.jwtVerify(t.access_token, jwks, { issuer: s.base });
  assert.equal(at.payload.sub, payload.sub);
  assert.equal(at.payload.scope, 'openid profile');
  const info = await client.fetchUserInfo(bankConfig, t.access_token, payload.sub);
  assert.equal(info.sub, payload.sub);

  // single use
  const used = await post('/token', { grant_type: CIBA, auth_req_id: br.auth_req_id });
  assert.equal(used.status, 400);
  assert.equal(used.body.error, 'invalid_grant');
  // refresh works for a CIBA grant
  const rt = await client.refreshTokenGrant(bankConfig, t.refresh_token);
  assert.ok(rt.access_token);
  // the audit trail: who asked, who approved with which device
  const audit = eidctl(['--data', s.dataDir, 'audit', 'export']).stdout.split('\n')
    .filter((l) => l.includes('login.ciba_')).map((l) => JSON.parse(l));
  assert.deepEqual(audit.map((e) => [e.type, e.actor]), [
    ['login.ciba_request', 'client:bank'], ['login.ciba_approve', `citizen:${CITIZEN}`]]);
});

test('id_token_hint names the citizen; private_key_jwt; deny gives access_denied', async () => {
  const r = await post('/bc-authorize', { scope: 'openid', id_token_hint: idToken });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const [p] = await pending('an');
  assert.ok(p);
  const ok = await app('an', ['--', 'approve-ciba', p.id]);
  assert.equal(ok.status, 0, ok.err);
  const t = await post('/token', { grant_type: CIBA, auth_req_id: r.body.auth_req_id });
  assert.equal(t.status, 200, JSON.stringify(t.body));
  const hinted = jose.decodeJwt(t.body.id_token);
  assert.equal(hinted.sub, jose.decodeJwt(idToken).sub);
  // an ID token of another client is refused
  const foreign = await oauthError(client.initiateBackchannelAuthentication(jwtConfig, {
    scope: 'openid', id_token_hint: idToken,
  }));
  assert.equal(foreign.error, 'invalid_request');

  const br = await client.initiateBackchannelAuthentication(jwtConfig, {
    scope: 'openid', login_hint: CITIZEN2,
  });
  const [q] = await pending('binh');
  const no = await app('binh', ['--deny', '--', 'approve-ciba', q.id]);
  assert.equal(no.status, 0, no.err);
  assert.match(no.out, /denied/);
  const e = await oauthError(client.pollBackchannelAuthenticationGrant(jwtConfig, br));
  assert.equal(e.error, 'access_denied');
});

test('refusals at /bc-authorize: unknown user, bad hints, level, client', async () => {
  const cases = [
    [{ scope: 'openid', login_hint: '001090099999' }, 'unknown_user_id'], // no account
    [{ scope: 'openid', login_hint: 'nobody' }, 'unknown_user_id'],
    [{ scope: 'openid' }, 'invalid_request'],
    [{ scope: 'openid', login_hint: CITIZEN, login_hint_token: 'a.b.c' }, 'invalid_request'],
    [{ scope: 'openid', login_hint_token: 'a.b.c' }, 'invalid_request'],
    [{ scope: 'profile', login_hint: CITIZEN }, 'invalid_scope'],
    [{ scope: 'openid', login_hint: CITIZEN, binding_message: 'x'.repeat(65) }, 'invalid_binding_message'],
    [{ scope: 'openid', login_hint: CITIZEN, binding_message: 'a\nb' }, 'invalid_binding_message'],
    [{ scope: 'openid', login_hint: CITIZEN, acr_values: 'urn:eid:loa:2' }, 'access_denied'], // level 1
    [{ scope: 'openid', login_hint: CITIZEN, requested_expiry: '-1' }, 'invalid_request'],
    [{ scope: 'openid', id_token_hint: 'a.b.c' }, 'invalid_request'],
  ];
  for (const [params, error] of cases) {
    const r = await post('/bc-authorize', params);
    assert.equal(r.status, 400, `${JSON.stringify(params)}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error, error, JSON.stringify(params));
  }
  const plain = addClient(s.dataDir, ['--id', 'plain', '--name', 'Plain', '--grant', 'client_credentials',
    '--auth-method', 'client_secret_basic', '--scope', 'openid']);
  const r = await post('/bc-authorize', { scope: 'openid', login_hint: CITIZEN }, plain);
  assert.equal(r.body.error, 'unauthorized_client');
  const t = await post('/token', { grant_type: CIBA, auth_req_id: 'x' }, plain);
  assert.equal(t.body.error, 'unauthorized_client');
});

test('polling too fast: slow_down; then pending; expiry: expired_token', async () => {
  const r = await post('/bc-authorize', { scope: 'openid', login_hint: CITIZEN2, requested_expiry: '3' });
  assert.equal(r.status, 200);
  assert.equal(r.body.expires_in, 3);
  const poll = () => post('/token', { grant_type: CIBA, auth_req_id: r.body.auth_req_id });
  assert.equal((await poll()).body.error, 'authorization_pending');
  assert.equal((await poll()).body.error, 'slow_down');
  await new Promise((res) => { setTimeout(res, 3500); });
  assert.equal((await poll()).body.error, 'expired_token');
  // the app no longer offers it
  assert.equal((await pending('binh')).length, 0);
});

test('a locked account: access_denied, and its pending requests give no tokens', async () => {
  const r = await post('/bc-authorize', { scope: 'openid', login_hint: CITIZEN2 });
  assert.equal(r.status, 200);
  const [p] = await pending('binh');
  assert.equal((await app('binh', ['--', 'approve-ciba', p.id])).status, 0);
  const lock = eidctl(['--data', s.dataDir, 'account', 'lock', CITIZEN2, '--reason', 'suspected_fraud']);
  assert.equal(lock.status, 0, lock.stderr);
  const t = await post('/token', { grant_type: CIBA, auth_req_id: r.body.auth_req_id });
  assert.equal(t.body.error, 'invalid_grant', JSON.stringify(t.body));
  const again = await post('/bc-authorize', { scope: 'openid', login_hint: CITIZEN2 });
  assert.equal(again.body.error, 'access_denied');
});

// ---- ping mode (CIBA 10.2) ----

function auditOf(type) {
  return eidctl(['--data', s.dataDir, 'audit', 'export']).stdout.split('\n')
    .filter((l) => l.includes(type)).map((l) => JSON.parse(l));
}

test('ping mode: registration rules of eidctl client add', () => {
  const add = (args) => eidctl(['client', 'add', '--data', s.dataDir, '--json', '--grant', CIBA,
    '--auth-method', 'client_secret_basic', '--scope', 'openid', ...args]);
  let r = add(['--id', 'p1', '--name', 'P1', '--ciba-delivery', 'ping']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /backchannel_client_notification_endpoint is required with ping delivery/);
  r = add(['--id', 'p2', '--name', 'P2', '--ciba-delivery', 'ping', '--ciba-notification-uri', 'http://rp.example/cb']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /uses http on a host that is not loopback/);
  r = add(['--id', 'p3', '--name', 'P3', '--ciba-delivery', 'push', '--ciba-notification-uri', 'https://rp.example/cb']);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /backchannel_token_delivery_mode: unknown value 'push'/);
  r = add(['--id', 'p4', '--name', 'P4', '--ciba-delivery', 'ping', '--ciba-notification-uri', 'https://rp.example/cb']);
  assert.equal(r.status, 0, r.stderr);
  const c = JSON.parse(r.stdout);
  assert.equal(c.backchannel_token_delivery_mode, 'ping');
  assert.equal(c.backchannel_client_notification_endpoint, 'https://rp.example/cb');
  // back to poll: the endpoint goes with ping
  r = eidctl(['client', 'update', 'p4', '--data', s.dataDir, '--json', '--ciba-delivery', 'poll']);
  assert.equal(r.status, 0, r.stderr);
  const u = JSON.parse(r.stdout);
  assert.equal(u.backchannel_token_delivery_mode, 'poll');
  assert.equal(u.backchannel_client_notification_endpoint, undefined);
});

test('ping mode: the ping after approval and denial, then tokens at /token', async () => {
  const rp = await recorder((hit, res) => { res.writeHead(hit.url === '/broken' ? 500 : 204); res.end(); });
  try {
    const pinged = addClient(s.dataDir, ['--id', 'pinged', '--name', 'Ping Bank', '--grant', CIBA,
      '--auth-method', 'client_secret_basic', '--scope', 'openid profile',
      '--ciba-delivery', 'ping', '--ciba-notification-uri', `${rp.base}/cb`]);
    const token = 'cnt-8d67dc78.7faa~4d41+aabd/67707b374255==';
    for (const [params, why] of [
      [{}, /client_notification_token is required in ping mode/],
      [{ client_notification_token: 'a b' }, /RFC 6750 bearer token/],
      [{ client_notification_token: 'x'.repeat(1025) }, /1 to 1024/],
    ]) {
      const r = await post('/bc-authorize', { scope: 'openid', login_hint: CITIZEN, ...params }, pinged);
      assert.equal(r.status, 400);
      assert.equal(r.body.error, 'invalid_request');
      assert.match(r.body.error_description, why);
    }

    const r = await post('/bc-authorize', { scope: 'openid profile', login_hint: CITIZEN,
      client_notification_token: token }, pinged);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.interval, 5);
    const [p] = await pending('an');
    assert.equal(rp.seen.length, 0); // nothing before the decision
    assert.equal((await app('an', ['--', 'approve-ciba', p.id])).status, 0);
    const hit = await rp.nth(1);
    assert.equal(hit.method, 'POST');
    assert.equal(hit.url, '/cb');
    assert.equal(hit.headers.authorization, `Bearer ${token}`);
    assert.match(hit.headers['content-type'], /^application\/json/);
    assert.deepEqual(JSON.parse(hit.body), { auth_req_id: r.body.auth_req_id });
    const t = await post('/token', { grant_type: CIBA, auth_req_id: r.body.auth_req_id }, pinged);
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(jose.decodeJwt(t.body.id_token).aud, 'pinged');

    // denial: pinged too; /token says access_denied
    const d = await post('/bc-authorize', { scope: 'openid', login_hint: CITIZEN,
      client_notification_token: 'second' }, pinged);
    assert.equal(d.status, 200, JSON.stringify(d.body));
    const [q] = await pending('an');
    assert.equal((await app('an', ['--deny', '--', 'approve-ciba', q.id])).status, 0);
    const hit2 = await rp.nth(2);
    assert.equal(hit2.headers.authorization, 'Bearer second');
    assert.deepEqual(JSON.parse(hit2.body), { auth_req_id: d.body.auth_req_id });
    const e = await post('/token', { grant_type: CIBA, auth_req_id: d.body.auth_req_id }, pinged);
    assert.equal(e.status, 400);
    assert.equal(e.body.error, 'access_denied');
    assert.equal(rp.seen.length, 2); // one ping per decision
    assert.equal(auditOf('login.ciba_ping_failed').length, 0);
  } finally {
    await rp.close();
  }
});

test('ping mode: an endpoint that keeps failing is tried 3 times, then audited', async () => {
  const rp = await recorder((hit, res) => { res.writeHead(500); res.end(); });
  try {
    const broken = addClient(s.dataDir, ['--id', 'broken', '--name', 'Broken', '--grant', CIBA,
      '--auth-method', 'client_secret_basic', '--scope', 'openid',
      '--ciba-delivery', 'ping', '--ciba-notification-uri', `${rp.base}/ping`]);
    const r = await post('/bc-authorize', { scope: 'openid', login_hint: CITIZEN,
      client_notification_token: 'tok' }, broken);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const [p] = await pending('an');
    const ok = await app('an', ['--', 'approve-ciba', p.id]);
    assert.equal(ok.status, 0, ok.err); // the citizen does not wait on the RP
    await rp.nth(3);
    let failed = [];
    for (let i = 0; i < 50 && failed.length === 0; i++) {
      await new Promise((res) => { setTimeout(res, 100); });
      failed = auditOf('login.ciba_ping_failed');
    }
    assert.equal(failed.length, 1);
    assert.equal(failed[0].subject, CITIZEN);
    assert.equal(failed[0].details.client_id, 'broken');
    assert.equal(failed[0].details.uri, `${rp.base}/ping`);
    assert.equal(failed[0].details.attempts, 3);
    assert.equal(failed[0].details.status, 500);
    // the result is still there to poll
    const t = await post('/token', { grant_type: CIBA, auth_req_id: r.body.auth_req_id }, broken);
    assert.equal(t.status, 200, JSON.stringify(t.body));
  } finally {
    await rp.close();
  }
});
