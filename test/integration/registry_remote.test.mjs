// eidd with [registry] source = http: citizens looked up at a remote
// registry (a small node server here, speaking idp/registry_http.c's
// protocol: GET {url}/citizens/{id} with a bearer token, 200 and the
// citizen JSON object, or 404).  The server then fails in each way the
// adapter knows: 500s, hanging past the timeout, garbage.  Registration,
// login and the card sweep answer with a clear, localized 503 and write
// nothing; the sweep locks nobody while the registry is down; all works
// again once it heals.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createServer } from 'node:http';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eidctl, eidctlPath, eiddRun, freePort, startEidd, tempDir } from './lib/eidd.mjs';
import { Browser, CITIZEN, addClient, authorizeUrl, exchangeCode, pkce, signIn }
  from './lib/front.mjs';

const TOKEN = 'registry-token-7f3a';
const REDIRECT = 'http://127.0.0.1:9/cb';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46,
  0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]).toString('base64');
const NEW_PASSWORD = 'a quiet river at dawn';
const REGISTRANT = {
  personal_id: '001088054321', full_name: 'Đỗ Văn Tám', birthdate: '1988-08-08',
  sex: 'male', card_issued: '2016-08-08', card_expires: '2036-08-08',
};
const BICH = '079195012346'; // the demo's second citizen

// ---- the remote registry ----
const records = new Map([
  [CITIZEN, { personal_id: CITIZEN, full_name: 'Nguyễn Văn An', birthdate: '1990-03-15',
    sex: 'male', card_issued: '2021-04-10', card_expires: '2030-03-15' }],
  [BICH, { personal_id: BICH, full_name: 'Trần Thị Bích', birthdate: '1995-11-02',
    sex: 'female', card_issued: '2022-01-20', card_expires: '2035-11-02' }],
  [REGISTRANT.personal_id, REGISTRANT],
]);
let mode = 'ok'; // ok, 500, hang, garbage
let hits = 0;
let unauthorized = 0;
const registry = createServer((req, res) => {
  hits++;
  if (req.headers.authorization !== `Bearer ${TOKEN}`) {
    unauthorized++;
    res.writeHead(401).end();
    return;
  }
  const m = /^\/v1\/citizens\/(\d{12})$/.exec(req.url);
  if (mode === 'hang') return; // eidd's timeout ends it
  if (mode === '500') { res.writeHead(500).end('{"error":"down"}'); return; }
  if (mode === 'garbage') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('<html>maintenance</html>');
    return;
  }
  const rec = m && records.get(m[1]);
  if (!rec) { res.writeHead(404).end(); return; }
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(rec));
});

let s;
let conf;
let tokenFile;
let registryUrl;

function registryConfig(url, extra = '') {
  return `[registry]
source = http
url = ${url}
bearer_token_file = ${tokenFile}
connect_timeout = 500ms
timeout = 1s
retries = 1
backoff = 50ms
allow_insecure_http = true
${extra}`;
}

function ctl(args, opts) {
  return eidctl(['--data', s.dataDir, '--config', conf, ...args], opts);
}

// eidctl without blocking this process, which is the registry it asks.
function ctlAsync(args) {
  return new Promise((ok) => {
    execFile(eidctlPath, ['--data', s.dataDir, '--config', conf, ...args], { timeout: 30000 },
      (err, stdout, stderr) => ok({ status: err ? err.code : 0, stdout, stderr }));
  });
}

function account(id) {
  const r = ctl(['account', 'show', id, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

before(async () => {
  await new Promise((ok) => registry.listen(0, '127.0.0.1', ok));
  registryUrl = `http://127.0.0.1:${registry.address().port}/v1`;
  const dir = tempDir('eid-registry-');
  tokenFile = join(dir, 'token');
  writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
  s = await startEidd({
    config: () => `${registryConfig(registryUrl)}[accounts]\nsweep_interval = 0\n`,
  });
  conf = `${s.dataDir}.conf`;
  addClient(s.dataDir, ['--id', 'rp', '--name', 'Dịch vụ công', '--auth-method', 'none',
    '--redirect-uri', REDIRECT, '--scope', 'openid profile']);
});

after(async () => {
  await s?.stop();
  s?.cleanup();
  registry.close();
});

async function login() {
  const b = new Browser(s.base);
  b.acceptLanguage = 'en';
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(s.base, {
    client_id: 'rp', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid profile',
    state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
    prompt: 'consent',
  });
  const t0 = Date.now();
  const done = await signIn(b, url);
  return { done, verifier, ms: Date.now() - t0 };
}

const FAULTS = ['500', 'hang', 'garbage'];

test('start-up refuses a bad [registry] with one clear line, before writing anything', async () => {
  const dir = tempDir('eid-registry-bad-');
  const listen = `127.0.0.1:${await freePort()}`;
  const cases = [
    [registryConfig('http://10.1.2.3/v1'), /allow_insecure_http is for a plain http:\/\/ registry on this machine/],
    [registryConfig(registryUrl).replace('allow_insecure_http = true', ''), /must be https/],
    ['[registry]\nsource = http\n', /source = http needs url/],
    ['[registry]\nsource = ldap\n', /is not one of local, http/],
    [registryConfig(registryUrl).replace('timeout = 1s', 'timeout = 5ms'), /100-120000 milliseconds/],
  ];
  for (const [text, why] of cases) {
    const file = join(dir, 'bad.conf');
    writeFileSync(file, text);
    const r = eiddRun(['--config', file, '--data', join(dir, 'data'), '--demo', '--listen', listen]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, why);
    assert.ok(!existsSync(join(dir, 'data')), 'nothing written');
  }
  // The token file is a secret: refused when others may read it, and
  // never echoed.
  const loose = join(dir, 'loose-token');
  writeFileSync(loose, `${TOKEN}\n`);
  chmodSync(loose, 0o644);
  const file = join(dir, 'loose.conf');
  writeFileSync(file, registryConfig(registryUrl).replace(tokenFile, loose));
  const r = eiddRun(['--config', file, '--data', join(dir, 'data'), '--demo', '--listen', listen]);
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /\[registry\] bearer_token_file .*group or others may read it \(chmod 600\)/);
  assert.ok(!existsSync(join(dir, 'data')), 'nothing written');
  assert.ok(!r.stderr.includes(TOKEN));
  assert.ok(!s.stderr().includes(TOKEN));
  assert.match(s.stderr(), /local registry table is not used/);
});

test('login and token claims come from the remote registry', async () => {
  hits = 0;
  const { done, verifier } = await login();
  assert.equal(done.status, 303, done.text);
  assert.ok(done.location.startsWith(`${REDIRECT}?`), done.location);
  assert.ok(hits >= 1, 'the card was checked at the registry');
  // The claims at /userinfo are the registry's.
  const tok = await exchangeCode(s.base, done.location,
    { verifier, clientId: 'rp', redirectUri: REDIRECT });
  hits = 0;
  const info = await (await fetch(`${s.base}/userinfo`,
    { headers: { authorization: `Bearer ${tok.access_token}` } })).json();
  assert.equal(info.name, 'Nguyễn Văn An');
  assert.ok(hits >= 1);
  assert.equal(unauthorized, 0);
});

test('registry down: login answers a localized 503, no session, no failure counted', async () => {
  const before = account(CITIZEN);
  for (const m of FAULTS) {
    mode = m;
    const { done, ms } = await login();
    assert.equal(done.status, 503, `${m}: ${done.text}`);
    assert.match(done.text, /population registry cannot be reached/);
    assert.ok(!done.location, m);
    if (m === 'hang') assert.ok(ms >= 2000, `the two tries waited out the timeout: ${ms} ms`);
    assert.ok(ms < 15000, `${m}: ${ms} ms`);
  }
  mode = 'ok';
  const afterOutage = account(CITIZEN);
  assert.equal(afterOutage.status, 'active');
  assert.equal(afterOutage.failed_logins, before.failed_logins);
  // Vietnamese by default.
  mode = '500';
  const b = new Browser(s.base);
  const { challenge } = pkce();
  const r = await signIn(b, authorizeUrl(s.base, {
    client_id: 'rp', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
    state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
  }));
  mode = 'ok';
  assert.equal(r.status, 503);
  assert.match(r.text, /Hiện không kết nối được với cơ sở dữ liệu quốc gia về dân cư/);
  // Healed: the citizen gets in.
  const { done } = await login();
  assert.equal(done.status, 303, done.text);
});

async function post(path, body) {
  const r = await fetch(`${s.base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: r.status, headers: r.headers, json: await r.json() };
}

function lastCode(phone) {
  const r = ctl(['outbox', '--phone', phone, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const msgs = JSON.parse(r.stdout);
  return msgs.length ? msgs[msgs.length - 1].text.match(/\b(\d{6})\b/)[1] : null;
}

test('registration: 503 registry_unavailable while down, nothing pending, the code kept', async () => {
  const c = { personal_id: REGISTRANT.personal_id, full_name: REGISTRANT.full_name,
    birthdate: REGISTRANT.birthdate, phone: '0931234599', portrait: JPEG };
  for (const m of FAULTS) {
    mode = m;
    const r = await post('/api/v1/registrations', c);
    assert.equal(r.status, 503, `${m}: ${JSON.stringify(r.json)}`);
    assert.equal(r.json.error, 'registry_unavailable');
    assert.equal(r.headers.get('retry-after'), '60');
  }
  mode = 'ok';
  assert.equal(lastCode('0931234599'), null, 'no code was sent during the outage');
  const started = await post('/api/v1/registrations', c);
  assert.equal(started.status, 202, JSON.stringify(started.json));
  const code = lastCode('0931234599');
  assert.ok(code);
  // Down at the confirmation: refused before the code is looked at.
  mode = '500';
  let r = await post(started.json.confirm_uri, { code, password: NEW_PASSWORD });
  assert.equal(r.status, 503, JSON.stringify(r.json));
  assert.equal(r.json.error, 'registry_unavailable');
  assert.equal(ctl(['account', 'show', c.personal_id, '--json']).status === 0, false);
  // Healed: the same code creates the account.
  mode = 'ok';
  r = await post(started.json.confirm_uri, { code, password: NEW_PASSWORD });
  assert.ok(r.status === 200 || r.status === 201, JSON.stringify(r.json));
  assert.equal(account(c.personal_id).status, 'active');
});

test('the sweep locks nobody while the registry is down, and locks once it heals', async () => {
  records.set(BICH, { ...records.get(BICH), card_status: 'revoked' });
  for (const m of ['500', 'garbage']) {
    mode = m;
    const r = await ctlAsync(['account', 'sweep', '--json']);
    assert.equal(r.status, 1, `${m}: unavailable accounts make the run fail: ${r.stderr}`);
    const st = JSON.parse(r.stdout);
    assert.equal(st.locked.card_revoked + st.locked.card_expired, 0, r.stdout);
    assert.ok(st.registry_unavailable >= 1, r.stdout);
    assert.equal(account(BICH).status, 'active');
  }
  mode = 'ok';
  const r = await ctlAsync(['account', 'sweep', '--json']);
  assert.equal(r.status, 0, `${r.stderr} ${r.stdout}`);
  const st = JSON.parse(r.stdout);
  assert.equal(st.locked.card_revoked, 1, r.stdout);
  assert.equal(st.registry_unavailable, 0);
  const a = account(BICH);
  assert.equal(a.status, 'locked');
  assert.equal(a.lock_reason, 'card_revoked');
});
