// The device authorization grant (RFC 8628) against a real eidd: the TV
// is openid-client (initiateDeviceAuthorization, pollDeviceAuthorizationGrant),
// the citizen's phone the fetch-based Browser of lib/front.mjs; the ID
// token is verified with jose against /jwks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as client from 'openid-client';
import * as jose from 'jose';
import { eidctl, startEidd } from './lib/eidd.mjs';
import { Browser, CITIZEN, addClient, formFields, signIn } from './lib/front.mjs';
import { configFor, oauthError } from './lib/rp.mjs';

const GRANT = 'urn:ietf:params:oauth:grant-type:device_code';
const TTL = 15;
const config = () => `[device_grant]\nexpires_in = ${TTL}\ninterval = 1\n` +
  '[limits]\nuser_code = 10\nwindow = 1h\n';

let s;
let tv;
let tv2;

before(async () => {
  s = await startEidd({ config });
  tv = addClient(s.dataDir, ['--id', 'tv', '--name', 'Truyền hình Dịch vụ công',
    '--auth-method', 'none', '--grant', GRANT, '--grant', 'refresh_token',
    '--scope', 'openid profile']);
  tv2 = addClient(s.dataDir, ['--id', 'kiosk', '--name', 'Ki-ốt', '--grant', GRANT,
    '--scope', 'openid']);
});

after(async () => {
  await s?.stop();
  s?.cleanup();
});

const discover = (c, auth) => configFor(s.base, c.client_id, auth);

// A poll of /token by hand (openid-client hides slow_down).
async function poll(clientId, deviceCode, secret) {
  const body = new URLSearchParams({ grant_type: GRANT, device_code: deviceCode, client_id: clientId });
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (secret) headers.authorization = `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`;
  if (secret) body.delete('client_id');
  const r = await fetch(`${s.base}/token`, { method: 'POST', headers, body });
  return { status: r.status, json: await r.json() };
}

// The PNG's content by zbarimg (zbar-tools, in tools/dev.sh) when it is
// installed; null otherwise (then only the PNG signature is checked).
function zbarDecode(png) {
  if (spawnSync('zbarimg', ['--version']).error) return null;
  const file = join(s.dataDir, 'device-qr.png');
  writeFileSync(file, png);
  const r = spawnSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// The phone: enter the code (from the link), sign in, and answer the
// consent page; returns the consent page and the final page.
async function phone(da, { approve = true, b = new Browser(s.base) } = {}) {
  let r = await b.get(da.verification_uri_complete);
  assert.equal(r.status, 200);
  const { action, fields } = formFields(r.text);
  assert.equal(action, '/device');
  assert.equal(fields.user_code, da.user_code, 'pre-filled, not submitted');
  r = await b.post('/device', fields);
  assert.equal(r.status, 303);
  // signIn signs in and approves; to deny, stop at the consent page.
  if (approve) {
    r = await signIn(b, r.location);
    return { b, page: r };
  }
  r = await b.get(r.location);
  const login = formFields(r.text);
  r = await b.post(login.action, { ...login.fields, username: CITIZEN, password: 'demo-password-2026' });
  assert.equal(r.status, 303);
  const consent = await b.get(r.location);
  const f = formFields(consent.text);
  assert.equal(f.action, '/consent');
  r = await b.post('/consent', { ...f.fields, deny: '1' });
  return { b, consent, page: r };
}

test('discovery names the endpoint and the grant', async () => {
  const meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
  assert.equal(meta.device_authorization_endpoint, `${s.base}/device_authorization`);
  assert.ok(meta.grant_types_supported.includes(GRANT));
});

test('a TV signs a citizen in: tokens, an ID token with acr and amr, refresh', async () => {
  const config = await discover(tv, client.None());
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid profile' });
  assert.match(da.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
  assert.match(da.device_code, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(da.verification_uri, `${s.base}/device`);
  assert.equal(da.expires_in, TTL);
  assert.equal(da.interval, 1);
  const qr = await fetch(da.verification_uri_qr);
  assert.equal(qr.status, 200);
  assert.equal(qr.headers.get('content-type'), 'image/png');
  const png = Buffer.from(await qr.arrayBuffer());
  assert.deepEqual([...png.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  const decoded = zbarDecode(png);
  if (decoded !== null) assert.equal(decoded, da.verification_uri_complete);

  const polling = client.pollDeviceAuthorizationGrant(config, da);
  const { page } = await phone(da);
  assert.equal(page.status, 200);
  assert.match(page.text, /Hoàn tất\. Bạn có thể quay lại thiết bị/);
  const tokens = await polling;
  assert.equal(tokens.token_type.toLowerCase(), 'bearer');
  assert.ok(tokens.refresh_token);

  const meta = config.serverMetadata();
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { payload } = await jose.jwtVerify(tokens.id_token, jwks, { issuer: meta.issuer, audience: 'tv' });
  assert.equal(payload.acr, 'urn:eid:loa:1');
  assert.deepEqual(payload.amr, ['pwd']);
  assert.ok(payload.auth_time <= payload.iat);
  assert.equal(payload.sid, undefined);
  const info = await client.fetchUserInfo(config, tokens.access_token, payload.sub);
  assert.equal(info.sub, payload.sub);
  assert.ok(info.name);

  // The approved code is single-use.
  const again = await poll('tv', da.device_code);
  assert.equal(again.status, 400);
  assert.equal(again.json.error, 'invalid_grant');
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.access_token);
});

test('the consent page names the device code; a denial reaches the TV', async () => {
  const config = await discover(tv, client.None());
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  const pending = await poll('tv', da.device_code);
  assert.equal(pending.json.error, 'authorization_pending');
  const { consent, page } = await phone(da, { approve: false });
  assert.match(consent.text, new RegExp(`<strong class="user-code">${da.user_code}</strong>`));
  assert.match(consent.text, /Truyền hình Dịch vụ công/);
  assert.equal(page.status, 200);
  assert.match(page.text, /Thiết bị chưa được đăng nhập/);
  const e = await oauthError(client.pollDeviceAuthorizationGrant(config, da));
  assert.equal(e.error, 'access_denied');
  const audit = eidctl(['--data', s.dataDir, 'audit', 'export']).stdout.trim().split('\n')
    .map((l) => JSON.parse(l)).filter((e) => e.type.startsWith('device.'));
  assert.deepEqual(audit.map((e) => [e.type, e.actor, e.details.client_id]),
    [['device.approve', `citizen:${CITIZEN}`, 'tv'], ['device.deny', `citizen:${CITIZEN}`, 'tv']]);
});

test('a signed-in phone goes straight to consent; a level it cannot reach is denied', async () => {
  const config = await discover(tv, client.None());
  const b = new Browser(s.base);
  const first = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  await phone(first, { b });
  assert.ok((await client.pollDeviceAuthorizationGrant(config, first)).id_token);

  const second = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  let r = await b.post('/device', { user_code: second.user_code.toLowerCase().replace('-', ' ') });
  assert.equal(r.status, 303);
  assert.match(r.location, /^\/consent\?i=/);
  r = await signIn(b, r.location);
  assert.match(r.text, /Hoàn tất/);
  assert.ok((await client.pollDeviceAuthorizationGrant(config, second)).access_token);

  // The demo citizen's account is level 1: a level-2 request cannot be met.
  const third = await client.initiateDeviceAuthorization(config,
    { scope: 'openid', acr_values: 'urn:eid:loa:2' });
  r = await b.post('/device', { user_code: third.user_code });
  assert.equal(r.status, 200);
  assert.match(r.text, /Thiết bị chưa được đăng nhập/);
  const e = await oauthError(client.pollDeviceAuthorizationGrant(config, third));
  assert.equal(e.error, 'access_denied');
});

test('polling faster than the interval gets slow_down', async () => {
  const config = await discover(tv, client.None());
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  assert.equal((await poll('tv', da.device_code)).json.error, 'authorization_pending');
  // The server counts whole seconds: of three polls at once, two fall in
  // the same second however the first ones straddle a tick.
  const fast = [await poll('tv', da.device_code), await poll('tv', da.device_code)];
  assert.ok(fast.every((r) => r.status === 400));
  assert.ok(fast.some((r) => r.json.error === 'slow_down'), JSON.stringify(fast));
});

test('another client cannot redeem the code; unknown codes are invalid_grant', async () => {
  const config = await discover(tv, client.None());
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  const other = await poll('kiosk', da.device_code, tv2.client_secret);
  assert.equal(other.json.error, 'invalid_grant');
  assert.match(other.json.error_description, /another client/);
  const unknown = await poll('tv', 'A'.repeat(43));
  assert.equal(unknown.json.error, 'invalid_grant');
  // A client without the grant is refused at both endpoints.
  const web = addClient(s.dataDir, ['--id', 'web', '--name', 'Web', '--auth-method', 'none',
    '--redirect-uri', 'https://rp.example/cb']);
  const r = await fetch(`${s.base}/device_authorization`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: `client_id=${web.client_id}&scope=openid`,
  });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'unauthorized_client');
  const bad = await oauthError(client.initiateDeviceAuthorization(config, { scope: 'openid email' }));
  assert.equal(bad.error, 'invalid_scope');
});

test('wrong user codes are refused, then rate limited', async () => {
  const b = new Browser(s.base);
  let r = await b.post('/device', { user_code: 'BCDF-GHJK' });
  assert.equal(r.status, 400);
  assert.match(r.text, /Mã không đúng hoặc đã hết hạn/);
  r = await b.post('/device', { user_code: 'not a code' });
  assert.equal(r.status, 400);
  b.acceptLanguage = 'en';
  r = await b.post('/device', { user_code: 'bcdf ghjk' });
  assert.match(r.text, /This code is wrong or has expired/);
  // [limits] user_code = 10 per hour from this address (earlier tests
  // used 8): the next ones are refused before any lookup.
  let limited;
  for (let i = 0; i < 4 && !limited; i++) {
    r = await b.post('/device', { user_code: 'BCDF-GHJK' });
    if (r.status === 429) limited = r;
  }
  assert.ok(limited, 'rate limited');
  assert.ok(Number(limited.headers.get('retry-after')) >= 1);
  assert.match(limited.text, /Too many attempts/);
});

test('an expired device_code is expired_token', { timeout: 60000 }, async () => {
  const config = await discover(tv, client.None());
  const da = await client.initiateDeviceAuthorization(config, { scope: 'openid' });
  await new Promise((r) => setTimeout(r, (TTL + 1) * 1000));
  const late = await poll('tv', da.device_code);
  assert.equal(late.json.error, 'expired_token');
});
