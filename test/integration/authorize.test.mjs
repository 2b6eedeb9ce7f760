// The front channel against a real eidd, with plain fetch: /authorize,
// the login and consent pages, the redirect back with code, state and
// iss, every refusal where it belongs (an error page when the redirect
// URI cannot be trusted, the RP otherwise), SSO, prompt, max_age, acr,
// RP-initiated logout and back-channel logout.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as jose from 'jose';
import { eidctl, startEidd } from './lib/eidd.mjs';
import {
  Browser, CITIZEN, PASSWORD, addClient, authorizeUrl, formFields, pkce,
  recorder, rpParams,
} from './lib/front.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
const POST_LOGOUT = 'http://127.0.0.1:9/bye';
let s;
let meta;
let bcl; // the RP's back-channel logout receiver

before(async () => {
  s = await startEidd();
  meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
  bcl = await recorder();
  addClient(s.dataDir, ['--id', 'rp', '--name', 'Cổng Dịch vụ công', '--auth-method', 'none',
    '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', POST_LOGOUT,
    '--backchannel-logout-uri', `${bcl.base}/bcl`, '--scope', 'openid profile citizen']);
  addClient(s.dataDir, ['--id', 'rp2', '--name', 'Second <RP>', '--auth-method', 'none',
    '--redirect-uri', REDIRECT, '--scope', 'openid']);
});

after(async () => {
  await bcl?.close();
  await s?.stop();
  s?.cleanup();
});

function params(extra = {}) {
  const { challenge } = pkce();
  return {
    client_id: 'rp', redirect_uri: REDIRECT, response_type: 'code',
    scope: 'openid profile', state: 'st-123', nonce: 'n-1',
    code_challenge: challenge, code_challenge_method: 'S256', ...extra,
  };
}

// /authorize -> the login page; returns it.
async function toLogin(b, extra) {
  const r = await b.get(authorizeUrl(s.base, params(extra)));
  assert.equal(r.status, 303, r.text);
  assert.match(r.location, /^\/login\?i=/);
  const page = await b.get(r.location);
  assert.equal(page.status, 200);
  return page;
}

async function login(b, page, username = CITIZEN, password = PASSWORD) {
  const { action, fields } = formFields(page.text);
  return b.post(action, { ...fields, username, password });
}

// Login and consent all the way to the RP; returns its parameters.
async function fullFlow(b, extra) {
  const page = await toLogin(b, extra);
  const r = await login(b, page);
  assert.equal(r.status, 303, r.text);
  if (r.location.startsWith(REDIRECT)) return rpParams(r.location);
  assert.match(r.location, /^\/consent\?i=/);
  const consent = await b.get(r.location);
  assert.equal(consent.status, 200);
  const { action, fields } = formFields(consent.text);
  const done = await b.post(action, { ...fields, approve: '1' });
  assert.equal(done.status, 303);
  assert.ok(done.location.startsWith(`${REDIRECT}?`), done.location);
  return rpParams(done.location);
}

test('discovery lists the front channel', () => {
  assert.equal(meta.authorization_endpoint, `${s.base}/authorize`);
  assert.equal(meta.end_session_endpoint, `${s.base}/end_session`);
  assert.deepEqual(meta.response_types_supported, ['code']);
  assert.deepEqual(meta.response_modes_supported, ['query']);
  assert.deepEqual(meta.ui_locales_supported, ['vi', 'en']);
  assert.deepEqual(meta.code_challenge_methods_supported, ['S256']);
  assert.ok(meta.prompt_values_supported.includes('none'));
  assert.equal(meta.backchannel_logout_supported, true);
  assert.equal(meta.backchannel_logout_session_supported, true);
  assert.equal(meta.authorization_response_iss_parameter_supported, true);
  assert.equal(meta.request_parameter_supported, false);
});

test('login page in Vietnamese by default, English with ui_locales=en or Accept-Language', async () => {
  let page = await toLogin(new Browser(s.base), { login_hint: CITIZEN });
  assert.match(page.text, /<html lang="vi">/);
  assert.match(page.text, /Đăng nhập/);
  assert.match(page.text, /Cổng Dịch vụ công/);
  assert.match(page.headers.get('content-security-policy'), /form-action 'self'/);
  const { fields } = formFields(page.text);
  assert.equal(fields.username, CITIZEN);
  assert.ok(fields.csrf.length >= 43);
  assert.equal(fields.password, '');

  page = await toLogin(new Browser(s.base), { ui_locales: 'en' });
  assert.match(page.text, /<html lang="en">/);
  assert.match(page.text, /Sign in/);
  assert.equal(formFields(page.text).fields.username, '');

  const b = new Browser(s.base);
  b.acceptLanguage = 'fr;q=0.9, en;q=0.8';
  page = await toLogin(b);
  assert.match(page.text, /<html lang="en">/);
});

test('the whole journey: login, consent, code with state and iss; cookies as they must be', async () => {
  const b = new Browser(s.base);
  const r = await b.get(authorizeUrl(s.base, params()));
  const setCookie = r.headers.getSetCookie().join('\n');
  assert.match(setCookie, /eid_interaction=[^;]+; Path=\/; Max-Age=600; HttpOnly; SameSite=Lax/);
  const page = await b.get(r.location);
  const logged = await login(b, page);
  assert.equal(logged.status, 303);
  assert.match(logged.headers.getSetCookie().join('\n'), /eid_session=[^;]+;.*HttpOnly; SameSite=Lax/);
  const consent = await b.get(logged.location);
  assert.match(consent.text, /Họ và tên/);
  assert.match(consent.text, /Cổng Dịch vụ công/);
  // The form's redirect ends at the RP: form-action must allow its origin.
  assert.match(consent.headers.get('content-security-policy'), /form-action 'self' http:\/\/127\.0\.0\.1:9;/);
  const { action, fields } = formFields(consent.text);
  const done = await b.post(action, { ...fields, approve: '1' });
  assert.equal(done.status, 303);
  const p = rpParams(done.location);
  assert.match(p.code, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(p.state, 'st-123');
  assert.equal(p.iss, meta.issuer);
  // The interaction is over: its page is gone.
  const again = await b.get(logged.location);
  assert.equal(again.status, 400);
});

test('wrong password and unknown account get the same message; CSRF is required', async () => {
  const b = new Browser(s.base);
  const page = await toLogin(b, { ui_locales: 'en' });
  const wrong = await login(b, page, CITIZEN, 'not-the-password');
  assert.equal(wrong.status, 200);
  const unknown = await login(b, page, '001099999999', PASSWORD);
  assert.equal(unknown.status, 200);
  const msg = (t) => t.match(/<p class="error"[^>]*>([^<]*)</)[1];
  assert.equal(msg(wrong.text), 'The personal ID number or the password is wrong.');
  assert.equal(msg(unknown.text), msg(wrong.text));

  const { action, fields } = formFields(page.text);
  const noCsrf = await b.post(action, { i: fields.i, username: CITIZEN, password: PASSWORD });
  assert.equal(noCsrf.status, 403);
  const badCsrf = await b.post(action, { ...fields, csrf: 'A'.repeat(43), username: CITIZEN, password: PASSWORD });
  assert.equal(badCsrf.status, 403);
  assert.equal(b.cookies.has('eid_session'), false);
  // Without the interaction cookie (another browser) the form is dead.
  const other = new Browser(s.base);
  const stolen = await other.post(action, { ...fields, username: CITIZEN, password: PASSWORD });
  assert.equal(stolen.status, 400);
  // The right credentials still work afterwards.
  const ok = await login(b, page);
  assert.equal(ok.status, 303);
});

test('cancel on the login page and deny on the consent page send access_denied', async () => {
  let b = new Browser(s.base);
  const page = await toLogin(b);
  const { action, fields } = formFields(page.text);
  const cancel = await b.post(action, { ...fields, cancel: '1' });
  assert.equal(cancel.status, 303);
  assert.equal(rpParams(cancel.location).error, 'access_denied');

  b = new Browser(s.base);
  const logged = await login(b, await toLogin(b, { client_id: 'rp2', scope: 'openid' }));
  const consent = await b.get(logged.location);
  assert.match(consent.text, /Second &lt;RP&gt;/);
  const f = formFields(consent.text);
  const deny = await b.post(f.action, { ...f.fields, deny: '1' });
  assert.equal(rpParams(deny.location).error, 'access_denied');
  assert.equal(rpParams(deny.location).state, 'st-123');
  // No CSRF on consent: refused.
  const noCsrf = await b.post(f.action, { i: f.fields.i, approve: '1' });
  assert.ok(noCsrf.status === 403 || noCsrf.status === 400);
});

test('bad client or redirect URI: an error page, never a redirect', async () => {
  const b = new Browser(s.base);
  for (const extra of [
    { redirect_uri: 'https://evil.example/cb' },
    { redirect_uri: `${REDIRECT}/` },
    { redirect_uri: undefined },
    { client_id: 'nobody' },
    { client_id: undefined },
  ]) {
    const r = await b.get(authorizeUrl(s.base, params(extra)));
    assert.equal(r.status, 400, JSON.stringify(extra));
    assert.equal(r.location, null);
    assert.match(r.headers.get('content-type'), /text\/html/);
  }
  // A repeated redirect_uri is not trusted either.
  const u = new URL(authorizeUrl(s.base, params()));
  u.searchParams.append('redirect_uri', REDIRECT);
  const r = await b.get(u.toString());
  assert.equal(r.status, 400);
  assert.equal(r.location, null);
});

test('request errors go back to the RP with the exact error', async () => {
  const b = new Browser(s.base);
  const cases = [
    [{ code_challenge: undefined }, 'invalid_request'],
    [{ code_challenge_method: 'plain' }, 'invalid_request'],
    [{ code_challenge_method: undefined }, 'invalid_request'],
    [{ response_type: 'token' }, 'unsupported_response_type'],
    [{ scope: 'profile' }, 'invalid_scope'],
    [{ scope: 'openid email' }, 'invalid_scope'],
    [{ prompt: 'none login' }, 'invalid_request'],
    [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
    [{ response_mode: 'fragment' }, 'invalid_request'],
    [{ max_age: '-5' }, 'invalid_request'],
    [{ acr_values: 'urn:eid:loa:9' }, 'invalid_request'],
    [{ claims: '{"userinfo":' }, 'invalid_request'],
    [{ state: 'x'.repeat(600) }, 'invalid_request'],
    [{ nonce: 'x'.repeat(600) }, 'invalid_request'],
  ];
  for (const [extra, error] of cases) {
    const r = await b.get(authorizeUrl(s.base, params(extra)));
    assert.equal(r.status, 303, JSON.stringify(extra));
    const p = rpParams(r.location);
    assert.ok(r.location.startsWith(`${REDIRECT}?`));
    assert.equal(p.error, error, JSON.stringify(extra));
    assert.ok(p.error_description);
    assert.equal(p.iss, meta.issuer);
    if (!extra.state) assert.equal(p.state, 'st-123');
  }
  // A repeated parameter.
  const u = new URL(authorizeUrl(s.base, params()));
  u.searchParams.append('scope', 'openid');
  const r = await b.get(u.toString());
  assert.equal(rpParams(r.location).error, 'invalid_request');
  // An unknown request_uri: a page (nothing to trust yet).
  const par = await b.get(authorizeUrl(s.base, { client_id: 'rp', request_uri: 'urn:ietf:params:oauth:request_uri:nope' }));
  assert.equal(par.status, 400);
  assert.equal(par.location, null);
});

test('prompt=none without a session: login_required', async () => {
  const r = await new Browser(s.base).get(authorizeUrl(s.base, params({ prompt: 'none' })));
  assert.equal(r.status, 303);
  const p = rpParams(r.location);
  assert.equal(p.error, 'login_required');
  assert.equal(p.state, 'st-123');
});

test('SSO: the session skips login; prompt=login and max_age force it; consent is remembered', async () => {
  const b = new Browser(s.base);
  const first = await fullFlow(b, { scope: 'openid profile citizen' });
  assert.ok(first.code);

  // Same scopes, or fewer: straight back with a code.
  let r = await b.get(authorizeUrl(s.base, params({ scope: 'openid profile', state: 's2' })));
  assert.equal(r.status, 303);
  let p = rpParams(r.location);
  assert.ok(p.code, r.location);
  assert.equal(p.state, 's2');
  r = await b.get(authorizeUrl(s.base, params({ prompt: 'none' })));
  assert.ok(rpParams(r.location).code);

  // Another RP: no login, but its own consent.
  r = await b.get(authorizeUrl(s.base, params({ client_id: 'rp2', scope: 'openid' })));
  assert.match(r.location, /^\/consent\?i=/);
  r = await b.get(authorizeUrl(s.base, params({ client_id: 'rp2', scope: 'openid', prompt: 'none' })));
  assert.equal(rpParams(r.location).error, 'consent_required');

  // prompt=consent asks again.
  r = await b.get(authorizeUrl(s.base, params({ prompt: 'consent' })));
  assert.match(r.location, /^\/consent\?i=/);

  // prompt=login: the login page, then straight on.
  r = await b.get(authorizeUrl(s.base, params({ prompt: 'login' })));
  assert.match(r.location, /^\/login\?i=/);
  const page = await b.get(r.location);
  r = await login(b, page);
  assert.ok(rpParams(r.location).code, r.location);

  // max_age: a session older than it must sign in again.
  await new Promise((res) => setTimeout(res, 1100));
  r = await b.get(authorizeUrl(s.base, params({ max_age: '0' })));
  assert.match(r.location, /^\/login\?i=/);
  r = await b.get(authorizeUrl(s.base, params({ max_age: '3600' })));
  assert.ok(rpParams(r.location).code);
  r = await b.get(authorizeUrl(s.base, params({ max_age: '0', prompt: 'none' })));
  assert.equal(rpParams(r.location).error, 'login_required');
});

test('level 2 asked of a level-1 account: unmet_authentication_requirements, never a lower acr', async () => {
  const b = new Browser(s.base);
  const page = await toLogin(b, { acr_values: 'urn:eid:loa:2' });
  const r = await login(b, page);
  assert.equal(r.status, 303);
  const p = rpParams(r.location);
  assert.equal(p.error, 'unmet_authentication_requirements');
  assert.equal(p.state, 'st-123');
  assert.equal(p.code, undefined);
  // The session exists: level 1 still passes, level 2 still fails.
  let again = await b.get(authorizeUrl(s.base, params({ acr_values: 'urn:eid:loa:2' })));
  assert.equal(rpParams(again.location).error, 'unmet_authentication_requirements');
  again = await b.get(authorizeUrl(s.base, params({ acr_values: 'urn:eid:loa:1 urn:eid:loa:2' })));
  assert.match(again.location, /^\/consent\?i=|code=/);
});

// An ID token hint for the browser's session: from /token when the
// server has it, else signed by eidctl (then without the sid, which only
// the server knows, so logout asks to confirm).
async function idTokenHint(b, flow, verifier) {
  if (meta.token_endpoint) {
    const r = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT,
        client_id: 'rp', code_verifier: verifier,
      }),
    });
    const body = await r.json();
    assert.equal(r.status, 200, JSON.stringify(body));
    return { hint: body.id_token, withSid: true };
  }
  const out = eidctl(['token', 'sign', '--data', s.dataDir, '--json', '--claims',
    JSON.stringify({ sub: 'someone', aud: 'rp', iss: meta.issuer })]);
  assert.equal(out.status, 0, out.stderr);
  return { hint: JSON.parse(out.stdout).token, withSid: false };
}

test('logout with id_token_hint and post_logout_redirect_uri; back-channel logout token; tampered hint refused', async () => {
  const b = new Browser(s.base);
  const { verifier, challenge } = pkce();
  const flow = await fullFlow(b, { code_challenge: challenge });
  const { hint, withSid } = await idTokenHint(b, flow, verifier);

  // A tampered hint: an error page, and the session lives on.
  const [h, c, sig] = hint.split('.');
  const claims = JSON.parse(Buffer.from(c, 'base64url'));
  const forged = `${h}.${Buffer.from(JSON.stringify({ ...claims, aud: 'rp2' })).toString('base64url')}.${sig}`;
  let r = await b.get(`/end_session?id_token_hint=${forged}&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}`);
  assert.equal(r.status, 400);
  assert.equal(r.location, null);
  // An unregistered post-logout URI: an error page too.
  r = await b.get(`/end_session?id_token_hint=${hint}&post_logout_redirect_uri=${encodeURIComponent('https://evil.example/')}`);
  assert.equal(r.status, 400);
  assert.equal(r.location, null);
  r = await b.get(authorizeUrl(s.base, params({ prompt: 'none' })));
  assert.ok(rpParams(r.location).code, 'still signed in');

  const before = bcl.seen.length;
  r = await b.get(`/end_session?id_token_hint=${hint}&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}&state=bye-1`);
  if (!withSid) {
    // The hint does not name this session: the citizen confirms.
    assert.equal(r.status, 200);
    const { action, fields } = formFields(r.text);
    assert.equal(fields.post_logout_redirect_uri, POST_LOGOUT);
    const noCsrf = await b.post(action, { ...fields, csrf: 'x', logout: '1' });
    assert.equal(noCsrf.status, 200); // asked again, not signed out
    r = await b.post(action, { ...fields, logout: '1' });
  }
  assert.equal(r.status, 303);
  assert.equal(r.location, `${POST_LOGOUT}?state=bye-1`);
  assert.equal(b.cookies.has('eid_session'), false);
  r = await b.get(authorizeUrl(s.base, params({ prompt: 'none' })));
  assert.equal(rpParams(r.location).error, 'login_required');

  // The RP hears about it on its back channel.
  const hit = await bcl.nth(before + 1);
  assert.equal(hit.method, 'POST');
  assert.equal(hit.url, '/bcl');
  assert.match(hit.headers['content-type'], /application\/x-www-form-urlencoded/);
  const token = new URLSearchParams(hit.body).get('logout_token');
  const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri));
  const v = await jose.jwtVerify(token, jwks, { issuer: meta.issuer, audience: 'rp', typ: 'logout+jwt' });
  assert.ok(v.payload.sub);
  assert.ok(v.payload.sid);
  assert.ok(v.payload.jti);
  assert.ok(v.payload.iat && v.payload.exp > v.payload.iat);
  assert.deepEqual(v.payload.events, { 'http://schemas.openid.net/event/backchannel-logout': {} });
  assert.equal(v.payload.nonce, undefined);
  if (withSid) assert.equal(v.payload.sid, claims.sid);

  // Logging out again: nothing to end, straight back.
  r = await b.get(`/end_session?client_id=rp&post_logout_redirect_uri=${encodeURIComponent(POST_LOGOUT)}`);
  assert.equal(r.status, 303);
  assert.equal(r.location, POST_LOGOUT);
});

test('logout without a hint asks first; the signed-out page otherwise', async () => {
  const b = new Browser(s.base);
  await fullFlow(b);
  let r = await b.get('/end_session');
  assert.equal(r.status, 200);
  assert.match(r.text, /Đăng xuất/);
  const { action, fields } = formFields(r.text);
  r = await b.post(action, { ...fields, logout: '1' });
  assert.equal(r.status, 200);
  assert.match(r.text, /Bạn đã đăng xuất/);
  assert.equal(b.cookies.has('eid_session'), false);
});

test('the citizen sees the services given consent on /account and withdraws one', async () => {
  const b = new Browser(s.base);
  const first = await fullFlow(b, { scope: 'openid profile' });
  assert.ok(first.code);
  let r = await b.get(authorizeUrl(s.base, params({ scope: 'openid profile', prompt: 'none' })));
  assert.ok(rpParams(r.location).code, 'consent remembered');

  const account = await b.get('/account');
  assert.equal(account.status, 200);
  const table = account.text.slice(account.text.indexOf('id="consents"'));
  const forms = [...table.matchAll(/<form method="post" action="\/account\/consent\/revoke">(.*?)<\/form>/gs)];
  assert.ok(forms.length >= 1, 'a withdraw form per service');
  const fields = Object.fromEntries([...forms[0][1].matchAll(/name="([^"]+)" value="([^"]*)"/g)]
    .map((m) => [m[1], m[2].replace(/&amp;/g, '&').replace(/&quot;/g, '"')]));
  assert.equal(fields.client_id, 'rp');

  // Without the CSRF token: refused.
  r = await b.post('/account/consent/revoke', { client_id: 'rp' });
  assert.equal(r.status, 403);
  r = await b.post('/account/consent/revoke', fields);
  assert.equal(r.status, 200);
  assert.match(r.text, /Consent withdrawn|Đã rút lại/);

  // The service has to ask again.
  r = await b.get(authorizeUrl(s.base, params({ scope: 'openid profile', prompt: 'none' })));
  assert.equal(rpParams(r.location).error, 'consent_required');
  const audit = eidctl(['--data', s.dataDir, 'audit', 'export']);
  assert.match(audit.stdout, /"consent\.revoke"/);
});

// A request whose client closed right after sending it (wrk when a run
// ends, a client that timed out) is not handled: nobody can read the
// answer, and a code exchange would spend a durable commit on an HTTP
// thread and use the code up.  TCP_CORK makes the request and the FIN
// leave in one segment, so the server sees both before it handles it.
function sendAndClose(base, raw) {
  const { hostname, port } = new URL(base);
  const py = `import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
s.close()`;
  const r = spawnSync('python3', ['-c', py, hostname, port], { input: raw });
  assert.equal(r.status, 0, String(r.stderr));
}

test('a code exchange whose client already closed is not handled: the code stays usable', async () => {
  const { verifier, challenge } = pkce();
  const flow = await fullFlow(new Browser(s.base), { code_challenge: challenge });
  const body = new URLSearchParams({
    grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT,
    client_id: 'rp', code_verifier: verifier,
  }).toString();
  const host = new URL(s.base).host;
  sendAndClose(s.base, `POST /token HTTP/1.1\r\nHost: ${host}\r\n` +
    'Content-Type: application/x-www-form-urlencoded\r\n' +
    `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
  // Time for the server to take the connection in (and, before the fix,
  // to spend the code); then the code must still be unused.
  await new Promise((done) => setTimeout(done, 300));
  const r = await fetch(`${s.base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body,
  });
  const tok = await r.json();
  assert.equal(r.status, 200, JSON.stringify(tok));
  assert.ok(tok.id_token);
});
