// The back-channel endpoints against a real eidd, driven by the certified
// relying-party library openid-client (unmodified): discovery, the
// client_credentials grant with every client authentication method, DPoP,
// introspection and revocation, and the refusals with their exact errors.
// The authorization_code and refresh_token grants need the login pages of
// the front channel; their logic is tested in test/idp/test_token_grant.c.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import * as client from 'openid-client';
import { startEidd, eidctl } from './lib/eidd.mjs';
import { configFor as rpConfig, oauthError } from './lib/rp.mjs';

let s;
let meta;

before(async () => {
  s = await startEidd();
  meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
});

after(async () => {
  await s.stop();
  s.cleanup();
});

let seq = 0;
function addClient(args) {
  const id = `rp${++seq}`;
  const r = eidctl(['client', 'add', '--data', s.dataDir, '--json', '--id', id,
    '--name', `RP ${id}`, ...args]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function serviceClient(args = []) {
  return addClient(['--grant', 'client_credentials', '--scope', 'openid profile citizen', ...args]);
}

function configFor(c, auth) {
  return rpConfig(s.base, c.client_id, auth);
}

function post(path, body, headers = {}) {
  return fetch(`${s.base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
  });
}

function basic(id, secret) {
  const enc = (v) => encodeURIComponent(v);
  return { authorization: `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}` };
}

test('discovery announces the back-channel endpoints and what they accept', async () => {
  for (const [k, p] of [['token_endpoint', '/token'], ['userinfo_endpoint', '/userinfo'],
    ['introspection_endpoint', '/introspect'], ['revocation_endpoint', '/revoke']]) {
    assert.equal(meta[k], `${s.base}${p}`);
  }
  assert.deepEqual(meta.token_endpoint_auth_methods_supported,
    ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none']);
  assert.ok(!meta.introspection_endpoint_auth_methods_supported.includes('none'));
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  assert.deepEqual(meta.acr_values_supported, ['urn:eid:loa:1', 'urn:eid:loa:2']);
  assert.ok(meta.dpop_signing_alg_values_supported.includes('ES256'));
  assert.ok(meta.grant_types_supported.includes('client_credentials'));
  assert.ok(meta.claims_supported.includes('personal_id'));
  assert.equal(meta.claims_parameter_supported, true);
  const config = await configFor(serviceClient(), client.None());
  assert.equal(config.serverMetadata().issuer, s.base);
});

test('client_credentials with client_secret_basic: an RFC 9068 token that verifies offline', async () => {
  const c = serviceClient();
  const config = await configFor(c, client.ClientSecretBasic(c.client_secret));
  const t = await client.clientCredentialsGrant(config, { scope: 'citizen' });
  assert.equal(t.token_type, 'bearer');
  assert.equal(t.scope, 'citizen');
  assert.ok(t.expires_in > 0);
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const { payload, protectedHeader } = await jose.jwtVerify(t.access_token, jwks,
    { issuer: s.base, typ: 'at+jwt' });
  assert.equal(protectedHeader.alg, 'ES256');
  assert.equal(payload.sub, c.client_id);
  assert.equal(payload.client_id, c.client_id);
  assert.ok(payload.jti);

  // Without a scope: everything the client may have but openid.
  const all = await client.clientCredentialsGrant(config);
  assert.equal(all.scope, 'profile citizen');
  const e = await oauthError(client.clientCredentialsGrant(config, { scope: 'openid' }));
  assert.equal(e.error, 'invalid_scope');
  assert.equal(e.status, 400);
});

test('client_credentials with client_secret_post', async () => {
  const c = serviceClient(['--auth-method', 'client_secret_post']);
  const config = await configFor(c, client.ClientSecretPost(c.client_secret));
  const t = await client.clientCredentialsGrant(config);
  assert.ok(t.access_token);
  // The registered method only.
  const other = await configFor(c, client.ClientSecretBasic(c.client_secret));
  const e = await oauthError(client.clientCredentialsGrant(other));
  assert.equal(e.status, 401);
  assert.equal(e.challenge, 'basic');
});

async function jwtClient() {
  const { privateKey, publicKey } = await jose.generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await jose.exportJWK(publicKey)), alg: 'ES256', use: 'sig' };
  const file = join(s.dataDir, `jwks-${seq + 1}.json`);
  writeFileSync(file, JSON.stringify({ keys: [jwk] }));
  const c = serviceClient(['--auth-method', 'private_key_jwt', '--jwks', file]);
  return { c, privateKey };
}

test('client_credentials with private_key_jwt, and the bad assertions', async () => {
  const { c, privateKey } = await jwtClient();
  const config = await configFor(c, client.PrivateKeyJwt(privateKey));
  assert.ok((await client.clientCredentialsGrant(config)).access_token);

  // Signed by a key the client did not register.
  const { privateKey: stranger } = await jose.generateKeyPair('ES256');
  let e = await oauthError(client.clientCredentialsGrant(
    await configFor(c, client.PrivateKeyJwt(stranger))));
  assert.equal(e.status, 401);
  assert.equal(e.error, 'invalid_client');

  // Expired.
  const expired = client.PrivateKeyJwt(privateKey, {
    [client.modifyAssertion]: (h, p) => { p.iat -= 3600; p.exp = p.iat + 60; },
  });
  e = await oauthError(client.clientCredentialsGrant(await configFor(c, expired)));
  assert.equal(e.error, 'invalid_client');
  assert.match(e.description, /expired/);

  // The same jti twice.
  const fixed = client.PrivateKeyJwt(privateKey, {
    [client.modifyAssertion]: (h, p) => { p.jti = 'only-once'; },
  });
  const fixedConfig = await configFor(c, fixed);
  assert.ok((await client.clientCredentialsGrant(fixedConfig)).access_token);
  e = await oauthError(client.clientCredentialsGrant(fixedConfig));
  assert.equal(e.error, 'invalid_client');
  assert.match(e.description, /jti/);

  // The token endpoint's URL as the audience is accepted as the issuer is;
  // another URL of ours is not.
  const toEndpoint = (aud) => client.PrivateKeyJwt(privateKey, {
    [client.modifyAssertion]: (h, p) => { p.aud = aud; },
  });
  assert.ok((await client.clientCredentialsGrant(
    await configFor(c, toEndpoint(meta.token_endpoint)))).access_token);
  e = await oauthError(client.clientCredentialsGrant(
    await configFor(c, toEndpoint(meta.introspection_endpoint))));
  assert.equal(e.error, 'invalid_client');
  assert.match(e.description, /audience/);

  // Not even a JWT.
  const r = await post('/token', new URLSearchParams({
    grant_type: 'client_credentials', client_assertion: 'x.y.z',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
  }));
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'invalid_client');
});

test('DPoP: bound tokens, nonces, introspection shows the key', async () => {
  const c = serviceClient(['--require-dpop']);
  const config = await configFor(c, client.ClientSecretBasic(c.client_secret));
  // A client that requires DPoP gets nothing without a proof.
  let e = await oauthError(client.clientCredentialsGrant(config));
  assert.equal(e.error, 'invalid_request');

  const keys = await client.randomDPoPKeyPair('ES256');
  const DPoP = client.getDPoPHandle(config, keys);
  // The first proof carries no nonce: openid-client retries after
  // use_dpop_nonce with the DPoP-Nonce we sent.
  const t = await client.clientCredentialsGrant(config, {}, { DPoP });
  assert.equal(t.token_type, 'dpop');
  const jkt = await jose.calculateJwkThumbprint(await jose.exportJWK(keys.publicKey));
  assert.equal(jose.decodeJwt(t.access_token).cnf.jkt, jkt);
  const info = await client.tokenIntrospection(config, t.access_token);
  assert.equal(info.active, true);
  assert.equal(info.token_type, 'DPoP');
  assert.equal(info.cnf.jkt, jkt);

  // A proof without a nonce, seen raw.
  const r = await post('/token', 'grant_type=client_credentials', {
    ...basic(c.client_id, c.client_secret),
    dpop: await new jose.SignJWT({ htm: 'POST', htu: `${s.base}/token`, jti: 'raw-1', iat: Math.floor(Date.now() / 1000) })
      .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await jose.exportJWK(keys.publicKey) })
      .sign(keys.privateKey),
  });
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'use_dpop_nonce');
  assert.ok(r.headers.get('dpop-nonce'));

  // A proof for another URL.
  const bad = await post('/token', 'grant_type=client_credentials', {
    ...basic(c.client_id, c.client_secret), dpop: 'not-a-proof',
  });
  assert.equal(bad.status, 400);
  assert.equal((await bad.json()).error, 'invalid_dpop_proof');
});

test('introspection and revocation through openid-client', async () => {
  const c = serviceClient();
  const config = await configFor(c, client.ClientSecretBasic(c.client_secret));
  const t = await client.clientCredentialsGrant(config, { scope: 'profile' });
  let info = await client.tokenIntrospection(config, t.access_token);
  assert.equal(info.active, true);
  assert.equal(info.client_id, c.client_id);
  assert.equal(info.sub, c.client_id);
  assert.equal(info.scope, 'profile');
  assert.equal(info.iss, s.base);
  assert.equal(info.token_type, 'Bearer');
  assert.ok(info.exp > info.iat);

  // Another client learns nothing; nor does anyone about an unknown token.
  const d = serviceClient();
  const dConfig = await configFor(d, client.ClientSecretBasic(d.client_secret));
  assert.deepEqual(await client.tokenIntrospection(dConfig, t.access_token), { active: false });
  assert.deepEqual(await client.tokenIntrospection(config, 'no-such-token'), { active: false });
  // Nor may it revoke it.
  const e = await oauthError(client.tokenRevocation(dConfig, t.access_token));
  assert.equal(e.error, 'invalid_request');

  await client.tokenRevocation(config, t.access_token);
  info = await client.tokenIntrospection(config, t.access_token);
  assert.deepEqual(info, { active: false });
  await client.tokenRevocation(config, 'no-such-token'); // 200 all the same

  // A public client may not introspect.
  const pub = addClient(['--auth-method', 'none', '--redirect-uri', 'https://rp.example/cb']);
  const r = await post('/introspect', new URLSearchParams({ client_id: pub.client_id, token: t.access_token }));
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'invalid_client');
});

test('userinfo refuses tokens that are not a citizen\'s, and missing ones', async () => {
  const c = serviceClient();
  const config = await configFor(c, client.ClientSecretBasic(c.client_secret));
  const t = await client.clientCredentialsGrant(config);
  let r = await fetch(`${s.base}/userinfo`, { headers: { authorization: `Bearer ${t.access_token}` } });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /^Bearer error="invalid_token"/);
  r = await fetch(`${s.base}/userinfo`);
  assert.equal(r.status, 401);
  r = await fetch(`${s.base}/userinfo`, { headers: { authorization: 'Bearer not.a.token' } });
  assert.equal(r.status, 401);
  assert.equal((await r.json()).error, 'invalid_token');
});

test('refusals: wrong secret, unsupported grant, disabled client, repeated and oversized parameters', async () => {
  const c = serviceClient();
  const wrong = await configFor(c, client.ClientSecretBasic('not-the-secret'));
  let e = await oauthError(client.clientCredentialsGrant(wrong));
  assert.equal(e.status, 401);
  assert.equal(e.challenge, 'basic');
  let r = await post('/token', 'grant_type=client_credentials', basic(c.client_id, 'nope'));
  assert.equal(r.status, 401);
  assert.equal(r.headers.get('www-authenticate'), 'Basic realm="eid"');
  assert.equal(r.headers.get('cache-control'), 'no-store');
  assert.deepEqual(await r.json(),
    { error: 'invalid_client', error_description: 'client authentication failed' });

  const config = await configFor(c, client.ClientSecretBasic(c.client_secret));
  e = await oauthError(client.genericGrantRequest(config, 'password',
    { username: 'x', password: 'y' }));
  assert.equal(e.status, 400);
  assert.equal(e.error, 'unsupported_grant_type');
  e = await oauthError(client.genericGrantRequest(config, 'authorization_code',
    { code: 'x', redirect_uri: 'https://rp.example/cb', code_verifier: 'v'.repeat(43) }));
  assert.equal(e.error, 'unauthorized_client');

  r = await post('/token', 'grant_type=client_credentials&grant_type=client_credentials',
    basic(c.client_id, c.client_secret));
  assert.equal(r.status, 400);
  assert.deepEqual(await r.json(), { error: 'invalid_request', error_description: 'a parameter is repeated' });
  r = await post('/token', `grant_type=client_credentials&scope=${'a'.repeat(9000)}`,
    basic(c.client_id, c.client_secret));
  assert.equal(r.status, 400);
  assert.equal((await r.json()).error, 'invalid_request');
  r = await post('/token', `grant_type=client_credentials&x=${'a'.repeat(70000)}`,
    basic(c.client_id, c.client_secret));
  assert.equal(r.status, 413);
  r = await post('/token', `grant_type=client_credentials&client_secret=${c.client_secret}`,
    basic(c.client_id, c.client_secret));
  assert.equal(r.status, 400);
  assert.match((await r.json()).error_description, /more than one/);
  r = await post('/token', 'grant_type=client_credentials');
  assert.equal(r.status, 401);
  r = await post('/token', 'scope=profile', basic(c.client_id, c.client_secret));
  assert.equal((await r.json()).error, 'invalid_request');

  assert.equal(eidctl(['client', 'disable', '--data', s.dataDir, c.client_id]).status, 0);
  e = await oauthError(client.clientCredentialsGrant(config));
  assert.equal(e.status, 401);
  assert.equal(e.error, 'invalid_client');
});
