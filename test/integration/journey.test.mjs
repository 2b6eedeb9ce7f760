// The whole relying-party journey against a real eidd, with the certified
// relying-party library openid-client (unmodified): discovery, PAR,
// authorization with PKCE, the login and consent pages followed with plain
// HTTP, code exchange, ID-token validation, userinfo, refresh rotation,
// introspection, revocation, RP-initiated logout; the same with
// private_key_jwt and with DPoP; the level-2 journey with step-up; and the
// refusals, each with its exact error.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import * as client from 'openid-client';
import { eidctl, startEidd, tempDir } from './lib/eidd.mjs';
import {
  Browser, CITIZEN, addClient, addLevel2 as addLevel2Account, formFields, rpParams, signIn,
} from './lib/front.mjs';
import { configFor, oauthError } from './lib/rp.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
const POST_LOGOUT = 'http://127.0.0.1:9/bye';
// Two level-2 accounts: codes to one phone are throttled (one a minute).
const L2 = { id: '001190054321', phone: '0931234599', password: 'level-two-password-2026' };
const L2B = { id: '001190054322', phone: '0931234598', password: 'level-two-password-2027' };
let s;

function addLevel2(a) {
  addLevel2Account(s.dataDir, a);
  const r = eidctl(['--data', s.dataDir, '--json', 'account', 'show', a.id]);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).level, 2);
}

before(async () => {
  s = await startEidd();
  addLevel2(L2);
  addLevel2(L2B);
});

after(async () => {
  await s?.stop();
  s?.cleanup();
});

let seq = 0;
function register(args = []) {
  const id = `journey${++seq}`;
  return addClient(s.dataDir, ['--id', id, '--name', `Journey ${id}`,
    '--grant', 'authorization_code', '--grant', 'refresh_token',
    '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', POST_LOGOUT,
    '--scope', 'openid profile citizen offline_access', ...args]);
}

const discover = (c, auth) => configFor(s.base, c.client_id, auth);

// The latest one-time code sent to a phone, read from the outbox.
function lastCode(phone) {
  const r = eidctl(['--data', s.dataDir, 'outbox', '--phone', phone, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const msgs = JSON.parse(r.stdout);
  assert.ok(msgs.length > 0, 'a code was sent');
  return msgs[msgs.length - 1].text.match(/\b(\d{6})\b/)[1];
}

// Discovery, PAR with PKCE, login and consent, the code exchange with the
// ID token checked by openid-client.  Returns what the later steps need.
async function authorize(config, { dpop, acr, user, browser } = {}) {
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const state = client.randomState();
  const params = {
    redirect_uri: REDIRECT, scope: 'openid profile citizen offline_access', prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', nonce, state, ...(acr ? { acr_values: acr } : {}),
  };
  const url = await client.buildAuthorizationUrlWithPAR(config, params, dpop ? { DPoP: dpop } : undefined);
  assert.match(url.searchParams.get('request_uri'), /^urn:ietf:params:oauth:request_uri:/);
  const b = browser ?? new Browser(s.base);
  const done = await signIn(b, url.href, user);
  assert.equal(done.status, 303, done.text);
  assert.ok(done.location.startsWith(`${REDIRECT}?`), done.location);
  const tokens = await client.authorizationCodeGrant(config, new URL(done.location),
    { pkceCodeVerifier: verifier, expectedNonce: nonce, expectedState: state, idTokenExpected: true },
    undefined, dpop ? { DPoP: dpop } : undefined);
  return { tokens, b, callback: done.location, verifier };
}

async function active(config, token) {
  return (await client.tokenIntrospection(config, token)).active;
}

// Everything after the code: userinfo, refresh rotation and reuse,
// introspection, revocation, logout.
async function afterCode(config, { tokens, b }, dpop) {
  const opts = dpop ? { DPoP: dpop } : undefined;
  const claims = tokens.claims();
  assert.equal(claims.iss, config.serverMetadata().issuer);
  assert.equal(claims.aud, config.clientMetadata().client_id);
  assert.equal(claims.acr, 'urn:eid:loa:1');
  assert.deepEqual(claims.amr, ['pwd']);
  assert.ok(claims.sid && claims.at_hash && claims.auth_time);
  assert.equal(tokens.token_type.toLowerCase(), dpop ? 'dpop' : 'bearer');
  const info = await client.fetchUserInfo(config, tokens.access_token, claims.sub, opts);
  assert.equal(info.sub, claims.sub);
  assert.equal(info.personal_id, CITIZEN);

  // Refresh with rotation; the old refresh token is refused.
  assert.ok(tokens.refresh_token);
  const r1 = await client.refreshTokenGrant(config, tokens.refresh_token, undefined, opts);
  assert.notEqual(r1.refresh_token, tokens.refresh_token);
  assert.equal(await active(config, r1.access_token), true);
  const reuse = await oauthError(client.refreshTokenGrant(config, tokens.refresh_token, undefined, opts));
  assert.equal(reuse.error, 'invalid_grant');
  // The reuse revoked the grant: the newest tokens are dead too.
  assert.equal(await active(config, r1.access_token), false);
  const newest = await oauthError(client.refreshTokenGrant(config, r1.refresh_token, undefined, opts));
  assert.equal(newest.error, 'invalid_grant');

  // A fresh grant for introspection, revocation and logout.
  const again = await authorize(config, { dpop, browser: b });
  const at = again.tokens.access_token;
  const intro = await client.tokenIntrospection(config, at);
  assert.equal(intro.active, true);
  assert.equal(intro.client_id, config.clientMetadata().client_id);
  if (dpop) assert.ok(intro.cnf?.jkt);
  await client.tokenRevocation(config, at);
  assert.equal(await active(config, at), false);

  const end = client.buildEndSessionUrl(config, {
    id_token_hint: again.tokens.id_token, post_logout_redirect_uri: POST_LOGOUT, state: 'bye',
  });
  const out = await b.get(end.href);
  assert.equal(out.status, 303, out.text);
  assert.equal(out.location, `${POST_LOGOUT}?state=bye`);
  assert.equal(b.cookies.has('eid_session'), false);
}

test('discovery lists PAR', async () => {
  const meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
  assert.equal(meta.pushed_authorization_request_endpoint, `${s.base}/par`);
  assert.equal(meta.require_pushed_authorization_requests, false);
});

test('the journey with client_secret_basic', async () => {
  const c = register();
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  await afterCode(config, await authorize(config));
});

test('the journey with private_key_jwt', async () => {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' };
  const dir = tempDir();
  const file = join(dir, 'jwks.json');
  writeFileSync(file, JSON.stringify({ keys: [jwk] }));
  const c = register(['--auth-method', 'private_key_jwt', '--jwks', file]);
  const config = await discover(c, client.PrivateKeyJwt({ key: privateKey, kid: 'k1' }));
  await afterCode(config, await authorize(config));

  // Bad assertions: another key, expired, a replayed jti.
  const other = (await jose.generateKeyPair('ES256')).privateKey;
  const tokenUrl = `${s.base}/token`;
  const assertion = (key, claims = {}) => new jose.SignJWT({ jti: crypto.randomUUID(), ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' }).setIssuer(c.client_id).setSubject(c.client_id)
    .setAudience(tokenUrl).setIssuedAt().setExpirationTime(claims.exp ?? '60s').sign(key);
  const tryAssertion = async (jwt) => {
    const r = await fetch(tokenUrl, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token', refresh_token: 'x', client_id: c.client_id,
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: jwt,
      }),
    });
    return { status: r.status, ...(await r.json()) };
  };
  assert.equal((await tryAssertion(await assertion(other))).error, 'invalid_client');
  const expired = await assertion(privateKey, { exp: Math.floor(Date.now() / 1000) - 120 });
  assert.equal((await tryAssertion(expired)).error, 'invalid_client');
  const once = await assertion(privateKey);
  const first = await tryAssertion(once);
  assert.equal(first.error, 'invalid_grant'); // the client got in, the token is bad
  const replay = await tryAssertion(once);
  assert.equal(replay.status, 401);
  assert.equal(replay.error, 'invalid_client');
});

test('the journey with DPoP: the code and every token bound to the key', async () => {
  const c = register(['--require-dpop']);
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
  await afterCode(config, await authorize(config, { dpop }), dpop);
});

test('level 2: step-up with a one-time code by SMS, acr loa:2 and amr pwd otp sms', async () => {
  const c = register();
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  const user = { username: L2.id, password: L2.password, otp: () => lastCode(L2.phone) };
  const { tokens } = await authorize(config, { acr: 'urn:eid:loa:2', user });
  const claims = tokens.claims();
  assert.equal(claims.acr, 'urn:eid:loa:2');
  assert.deepEqual(claims.amr, ['pwd', 'otp', 'sms']);
});

test('level 2: the code page in both languages, wrong codes, burnt after five', async () => {
  const c = register();
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT, scope: 'openid', acr_values: 'urn:eid:loa:2', ui_locales: 'en',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256', state: 'st',
  });
  const b = new Browser(s.base);
  let page = await signIn(b, url.href, { username: L2B.id, password: L2B.password });
  assert.equal(page.status, 200);
  assert.match(page.text, /Confirm it is you/);
  const { action, fields } = formFields(page.text);
  assert.equal(action, '/login/otp');
  assert.ok(fields.csrf);
  const vi = await b.get(`/login/otp?i=${fields.i}`, { headers: {} });
  assert.equal(vi.status, 200);
  // Without the CSRF token: refused.
  const noCsrf = await b.post(action, { i: fields.i, code: '000000' });
  assert.equal(noCsrf.status, 403);
  const right = lastCode(L2B.phone);
  const wrong = right === '000000' ? '111111' : '000000';
  for (let k = 0; k < 5; k++) {
    page = await b.post(action, { ...fields, code: wrong });
    assert.equal(page.status, 200);
    assert.match(page.text, /The code is wrong/);
  }
  // Burnt: even the right code ends the attempt.
  const burnt = await b.post(action, { ...fields, code: right });
  assert.equal(burnt.status, 303);
  const p = rpParams(burnt.location);
  assert.equal(p.error, 'access_denied');
  assert.equal(p.state, 'st');
});

test('level 2 asked for a level-1 account: unmet_authentication_requirements', async () => {
  const c = register();
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  const url = await client.buildAuthorizationUrlWithPAR(config, {
    redirect_uri: REDIRECT, scope: 'openid', acr_values: 'urn:eid:loa:2', state: 's',
    code_challenge: await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier()),
    code_challenge_method: 'S256',
  });
  const r = await signIn(new Browser(s.base), url.href);
  assert.equal(r.status, 303);
  assert.equal(rpParams(r.location).error, 'unmet_authentication_requirements');
});

// ---- refusals, each with its exact error ----

function form(path, body, headers = {}) {
  return fetch(`${s.base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: typeof body === 'string' ? body : new URLSearchParams(body),
  });
}

function basic(c) {
  return { authorization: `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}` };
}

function codeParams(extra = {}) {
  return {
    response_type: 'code', redirect_uri: REDIRECT, scope: 'openid', state: 'st',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    ...extra,
  };
}

async function parError(c, body) {
  const r = await form('/par', body, basic(c));
  const j = await r.json();
  return { status: r.status, error: j.error, description: j.error_description };
}

test('PAR: client authentication, and every parameter checked as at /authorize', async () => {
  const c = register();
  let r = await form('/par', codeParams(), { authorization: `Basic ${Buffer.from(`${c.client_id}:wrong`).toString('base64')}` });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'invalid_client');
  r = await form('/par', codeParams({ client_id: c.client_id }));
  assert.equal(r.status, 401);

  assert.deepEqual((await parError(c, codeParams({ request_uri: 'urn:ietf:params:oauth:request_uri:x' }))).description,
    'request_uri is not allowed in a pushed request');
  assert.equal((await parError(c, codeParams({ redirect_uri: 'https://evil.example/cb' }))).error, 'invalid_request');
  assert.equal((await parError(c, codeParams({ code_challenge: undefined }))).error, 'invalid_request');
  assert.equal((await parError(c, codeParams({ scope: 'profile' }))).error, 'invalid_scope');
  // Repeated, over-long, not UTF-8.
  const q = new URLSearchParams(codeParams());
  q.append('state', 'again');
  assert.deepEqual(await parError(c, q.toString()),
    { status: 400, error: 'invalid_request', description: 'state is repeated' });
  assert.equal((await parError(c, codeParams({ nonce: 'n'.repeat(600) }))).error, 'invalid_request');
  assert.equal((await parError(c, codeParams({ state: 'x'.repeat(10000) }))).error, 'invalid_request');
  const bad = `${new URLSearchParams(codeParams()).toString()}&login_hint=%FF%FE`;
  assert.equal((await parError(c, bad)).error, 'invalid_request');

  // A pushed request works once, and only for its client.
  r = await form('/par', codeParams(), basic(c));
  assert.equal(r.status, 201);
  const { request_uri, expires_in } = await r.json();
  assert.equal(expires_in, 60);
  const other = register();
  const b = new Browser(s.base);
  let page = await b.get(`/authorize?client_id=${other.client_id}&request_uri=${encodeURIComponent(request_uri)}`);
  assert.equal(page.status, 400);
  assert.equal(page.location, null);
  page = await b.get(`/authorize?client_id=${c.client_id}&request_uri=${encodeURIComponent(request_uri)}`);
  assert.equal(page.status, 400, 'consumed by the failed attempt');
});

test('a client that requires PAR is refused plain /authorize', async () => {
  const c = register(['--require-par']);
  const u = new URL('/authorize', s.base);
  for (const [k, v] of Object.entries(codeParams({ client_id: c.client_id }))) u.searchParams.set(k, v);
  const r = await new Browser(s.base).get(u.href);
  assert.equal(r.status, 303);
  const p = rpParams(r.location);
  assert.equal(p.error, 'invalid_request');
  assert.match(p.error_description, /pushed authorization requests/);
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  const { tokens } = await authorize(config);
  assert.ok(tokens.id_token);
});

test('redirect URI wrong or unregistered: an error page, no redirect', async () => {
  const c = register();
  for (const uri of ['https://evil.example/cb', `${REDIRECT}/x`, `${REDIRECT}?a=1`]) {
    const u = new URL('/authorize', s.base);
    for (const [k, v] of Object.entries(codeParams({ client_id: c.client_id, redirect_uri: uri }))) u.searchParams.set(k, v);
    const r = await new Browser(s.base).get(u.href);
    assert.equal(r.status, 400);
    assert.equal(r.location, null);
    assert.match(r.text, /invalid_request/);
  }
});

// A code from a full sign-in, with the PKCE verifier.
async function freshCode(c) {
  const verifier = client.randomPKCECodeVerifier();
  const challenge = await client.calculatePKCECodeChallenge(verifier);
  const r = await form('/par', codeParams({ code_challenge: challenge }), basic(c));
  const { request_uri } = await r.json();
  const done = await signIn(new Browser(s.base),
    `${s.base}/authorize?client_id=${c.client_id}&request_uri=${encodeURIComponent(request_uri)}`);
  return { code: rpParams(done.location).code, verifier };
}

async function redeem(c, code, verifier, base = s.base) {
  const body = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT };
  if (verifier !== undefined) body.code_verifier = verifier;
  const r = await fetch(`${base}/token`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...basic(c) },
    body: new URLSearchParams(body),
  });
  return { status: r.status, ...(await r.json()) };
}

test('PKCE missing or wrong, code replay revoking its tokens, wrong client secret', async () => {
  const c = register();
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  let { code, verifier } = await freshCode(c);
  // No verifier at all is a malformed request (missing PKCE at the
  // authorization request is refused there: see the PAR test).
  const none = await redeem(c, code);
  assert.equal(none.error, 'invalid_request');
  ({ code, verifier } = await freshCode(c));
  assert.equal((await redeem(c, code, client.randomPKCECodeVerifier())).error, 'invalid_grant');

  ({ code, verifier } = await freshCode(c));
  const first = await redeem(c, code, verifier);
  assert.equal(first.status, 200);
  assert.equal(await active(config, first.access_token), true);
  const replay = await redeem(c, code, verifier);
  assert.equal(replay.error, 'invalid_grant');
  assert.equal(await active(config, first.access_token), false);
  assert.equal((await oauthError(client.refreshTokenGrant(config, first.refresh_token))).error, 'invalid_grant');

  ({ code, verifier } = await freshCode(c));
  const wrong = await redeem({ ...c, client_secret: 'not-the-secret' }, code, verifier);
  assert.equal(wrong.status, 401);
  assert.equal(wrong.error, 'invalid_client');
});

test('an expired code: invalid_grant (code_ttl = 1 from the configuration)', async () => {
  const dir = tempDir();
  const conf = join(dir, 'eid.conf');
  writeFileSync(conf, '[tokens]\ncode_ttl = 1\n');
  const t = await startEidd({ extraArgs: ['--config', conf] });
  try {
    const c = addClient(t.dataDir, ['--id', 'short', '--name', 'Short', '--redirect-uri', REDIRECT,
      '--scope', 'openid']);
    const verifier = client.randomPKCECodeVerifier();
    const u = new URL('/authorize', t.base);
    for (const [k, v] of Object.entries(codeParams({
      client_id: c.client_id, code_challenge: await client.calculatePKCECodeChallenge(verifier),
    }))) u.searchParams.set(k, v);
    const done = await signIn(new Browser(t.base), u.href);
    const { code } = rpParams(done.location);
    await new Promise((r) => setTimeout(r, 2100));
    const r = await redeem(c, code, verifier, t.base);
    assert.equal(r.status, 400);
    assert.equal(r.error, 'invalid_grant');
  } finally {
    await t.stop();
    t.cleanup();
  }
});

test('the C example relying party (examples/rp-c) signs in end to end', async () => {
  const { spawn } = await import('node:child_process');
  const { buildDir, freePort } = await import('./lib/eidd.mjs');
  const port = await freePort();
  const c = addClient(s.dataDir, ['--id', 'rp-c-example', '--name', 'C example',
    '--redirect-uri', `http://127.0.0.1:${port}/cb`, '--scope', 'openid profile']);
  const proc = spawn(join(buildDir, 'examples', 'rp-c', 'eid-rp-example'),
    [s.base, c.client_id, c.client_secret, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stderr.on('data', (d) => { err += d; });
  const exited = new Promise((r) => proc.on('exit', r));
  const waitFor = async (re) => {
    for (let k = 0; k < 200 && !re.test(out); k++) await new Promise((r) => setTimeout(r, 50));
    return out.match(re);
  };
  proc.stdout.on('data', (d) => { out += d; });
  const url = (await waitFor(/^open: (\S+)$/m))[1];
  await waitFor(/^listening:/m);
  const done = await signIn(new Browser(s.base), url);
  assert.equal(done.status, 303);
  const hit = await fetch(done.location);
  assert.equal(hit.status, 200);
  assert.equal(await exited, 0, err);
  const claims = JSON.parse(out.match(/^claims: (.*)$/m)[1]);
  assert.ok(claims.sub);
  assert.ok(claims.name);
});

test('a client registered for RS256 ID tokens gets them, and openid-client validates them', async () => {
  const c = register(['--auth-method', 'client_secret_basic', '--id-token-alg', 'RS256']);
  const meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
  assert.deepEqual(meta.id_token_signing_alg_values_supported, ['ES256', 'RS256', 'PS256']);
  const config = await client.discovery(new URL(s.base), c.client_id,
    { id_token_signed_response_alg: 'RS256' }, client.ClientSecretBasic(c.client_secret),
    { execute: [client.allowInsecureRequests] });
  const { tokens } = await authorize(config);
  const header = JSON.parse(Buffer.from(tokens.id_token.split('.')[0], 'base64url'));
  assert.equal(header.alg, 'RS256');
  // Access tokens stay on the server's own algorithm.
  const at = JSON.parse(Buffer.from(tokens.access_token.split('.')[0], 'base64url'));
  assert.equal(at.alg, 'ES256');
  assert.equal(tokens.claims().aud, c.client_id);
});

test('locking the account ends its tokens at once: refresh refused, access token inactive', async () => {
  const c = register();
  const config = await discover(c, client.ClientSecretBasic(c.client_secret));
  const user = { username: '079195012346', password: 'demo-password-2026' };
  const { tokens } = await authorize(config, { user });
  assert.equal(await active(config, tokens.access_token), true);
  const r = eidctl(['--data', s.dataDir, 'account', 'lock', '079195012346', '--reason', 'suspected_fraud']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(await active(config, tokens.access_token), false);
  const refresh = await oauthError(client.refreshTokenGrant(config, tokens.refresh_token));
  assert.equal(refresh.error, 'invalid_grant');
  await assert.rejects(client.fetchUserInfo(config, tokens.access_token, tokens.claims().sub));
});
