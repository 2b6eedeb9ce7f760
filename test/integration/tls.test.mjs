// eidd serving HTTPS itself: a self-signed certificate made here with
// openssl, TLS 1.2+ only, HSTS, the certificate swapped on SIGHUP; and
// X-Forwarded-* believed only from [server] trusted_proxies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEidd, tempDir, httpsGet, eiddRun } from './lib/eidd.mjs';

// A fresh self-signed P-256 certificate for 127.0.0.1 in dir/NAME.{crt,key}.
function makeCert(dir, name) {
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec',
    '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', crt,
    '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
  { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, r.stderr);
  return { crt, key, pem: readFileSync(crt, 'utf8') };
}

function tlsConfig(crt, key, extra = '') {
  return (port) => `[server]\nissuer = https://127.0.0.1:${port}\n${extra}` +
    `[tls]\ncert_file = ${crt}\nkey_file = ${key}\n`;
}

// The handshake openssl s_client makes with the given protocol flag.
function sClient(port, flags) {
  return spawnSync('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, ...flags],
    { input: '', encoding: 'utf8', timeout: 10000 });
}

test('HTTPS with HSTS, TLS 1.1 refused, SIGHUP swaps the certificate', async () => {
  const dir = tempDir('eid-tls-');
  // Paths stay the same; their contents change before SIGHUP.
  const crt = join(dir, 'live.crt');
  const key = join(dir, 'live.key');
  const first = makeCert(dir, 'first');
  const second = makeCert(dir, 'second');
  writeFileSync(crt, readFileSync(first.crt));
  writeFileSync(key, readFileSync(first.key));
  const s = await startEidd({ config: tlsConfig(crt, key), tlsCa: first.pem });
  try {
    const r = await httpsGet(`${s.base}/healthz`, { ca: first.pem });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { status: 'ok' });
    assert.match(r.headers['strict-transport-security'], /^max-age=31536000; includeSubDomains$/);
    const serial1 = r.cert.serialNumber;

    // TLS 1.2 works; 1.1 is refused by the server (SECLEVEL=0 so the
    // client itself would allow it).
    let h = sClient(s.port, ['-tls1_2']);
    assert.equal(h.status, 0, h.stderr);
    h = sClient(s.port, ['-tls1_1', '-cipher', 'DEFAULT@SECLEVEL=0']);
    assert.notEqual(h.status, 0);

    // A bad new certificate keeps the old one serving, with one line.
    writeFileSync(crt, 'not a certificate\n');
    s.proc.kill('SIGHUP');
    await new Promise((res) => setTimeout(res, 500));
    let again = await httpsGet(`${s.base}/healthz`, { ca: first.pem });
    assert.equal(again.cert.serialNumber, serial1);
    assert.match(s.stderr(), /TLS reload failed, keeping the old certificate/);

    // A good one is served from then on, by the same process.
    writeFileSync(crt, readFileSync(second.crt));
    writeFileSync(key, readFileSync(second.key));
    s.proc.kill('SIGHUP');
    const deadline = Date.now() + 5000;
    for (;;) {
      again = await httpsGet(`${s.base}/healthz`, { ca: second.pem }).catch(() => null);
      if (again?.status === 200 || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 100));
    }
    assert.equal(again?.status, 200);
    assert.notEqual(again.cert.serialNumber, serial1);
    assert.equal(s.proc.exitCode, null);
  } finally {
    await s.stop();
    s.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TLS start-up checks: both files, an https issuer, a loadable pair', () => {
  const dir = tempDir('eid-tls-');
  try {
    const c = makeCert(dir, 'c');
    const conf = join(dir, 'eidd.conf');
    writeFileSync(conf, `[tls]\ncert_file = ${c.crt}\nkey_file = ${c.key}\n`);
    let r = eiddRun(['--config', conf, '--data', join(dir, 'd'), '--demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /issuer must be https/);
    writeFileSync(conf, `[tls]\ncert_file = ${c.crt}\n`);
    r = eiddRun(['--config', conf, '--data', join(dir, 'd'), '--demo']);
    assert.match(r.stderr, /cert_file and key_file must be set together/);
    writeFileSync(join(dir, 'bad.key'), 'nope\n');
    writeFileSync(conf, '[server]\nlisten = 127.0.0.1:1\nissuer = https://127.0.0.1:1\n' +
      `[tls]\ncert_file = ${c.crt}\nkey_file = ${join(dir, 'bad.key')}\n`);
    r = eiddRun(['--config', conf, '--data', join(dir, 'd'), '--demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /do not load/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The access log's "remote" of the request to /healthz carrying reqId.
function loggedRemote(stderr, path) {
  const lines = stderr.split('\n').filter((l) => l.includes(`"path":"${path}"`));
  return lines.length ? JSON.parse(lines[lines.length - 1]).remote : undefined;
}

test('X-Forwarded-For and -Proto only from trusted proxies', async () => {
  const plain = await startEidd();
  try {
    await fetch(`${plain.base}/healthz`, { headers: { 'X-Forwarded-For': '203.0.113.9' } });
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(loggedRemote(plain.stderr(), '/healthz'), '127.0.0.1');
  } finally {
    await plain.stop();
    plain.cleanup();
  }
  const s = await startEidd({
    config: (port) => '[server]\ntrusted_proxies = 10.0.0.0/8, 127.0.0.1\n',
  });
  try {
    // The client is the last address that is not a trusted proxy.
    let r = await fetch(`${s.base}/jwks`, {
      headers: { 'X-Forwarded-For': '198.51.100.1, 203.0.113.9, 10.1.2.3', 'X-Forwarded-Proto': 'https' },
    });
    assert.equal(r.status, 200);
    assert.match(r.headers.get('strict-transport-security') ?? '', /max-age=/);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(loggedRemote(s.stderr(), '/jwks'), '203.0.113.9');
    r = await fetch(`${s.base}/healthz`, { headers: { 'X-Forwarded-For': 'not-an-address' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('strict-transport-security'), null);
    await new Promise((res) => setTimeout(res, 100));
    assert.equal(loggedRemote(s.stderr(), '/healthz'), '127.0.0.1');
  } finally {
    await s.stop();
    s.cleanup();
  }
});
