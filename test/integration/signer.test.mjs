// Keys out of reach ([keys] signer = process, docs/security.md): eidd
// forks a signer process that holds the KEK and the sealed token-signing,
// CA and citizens' keys.  Tokens it signs verify with jose against /jwks,
// before and after a key rotation; the CRL and an OCSP response signed
// with the CA key verify with openssl; a citizen's CMS signature made
// through it verifies with openssl; the KEK, the CA's private scalar and
// the citizen's are in the signer's memory and nowhere in the HTTP
// worker's (nor the KEK's text, from a file or from EID_KEK); and when the
// signer dies, eidd exits non-zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createDecipheriv, createHash, createPrivateKey, randomBytes } from 'node:crypto';
import { chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { runApp } from './lib/app.mjs';
import { startEidd, eidctl, eiddRun, tempDir } from './lib/eidd.mjs';
import { addClient, b64url } from './lib/front.mjs';
import { clientCredentials as tokenFor, memoryHolds, procStatus } from './lib/proc.mjs';

const openssl = (args) =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

// The one child of eidd: its signer process.
function signerPid(pid) {
  const kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/);
  assert.equal(kids.length, 1, `children of ${pid}: ${kids}`);
  return Number(kids[0]);
}

// A client_credentials token from s verifies against its /jwks.
async function tokenVerifies(s) {
  const r = eidctl(['client', 'add', '--data', s.dataDir, '--json', '--id', 'svc',
    '--name', 'Service', '--grant', 'client_credentials', '--scope', 'citizen']);
  assert.equal(r.status, 0, r.stderr);
  const jwks = jose.createRemoteJWKSet(new URL(`${s.base}/jwks`));
  await jose.jwtVerify(await tokenFor(s.base, JSON.parse(r.stdout)), jwks, { issuer: s.base });
}

// The KEK a test wrote (hex text, as eidd reads it): its 32 bytes and text.
function kekOf(file) {
  const text = readFileSync(file, 'utf8').trim();
  const raw = Buffer.from(text, 'hex');
  assert.equal(raw.length, 32);
  return { raw, text: Buffer.from(text) };
}

// A private scalar, as bytes (big-endian) or as an OpenSSL BIGNUM holds
// it (little-endian words, least significant first: the bytes reversed).
function holdsScalar(pid, scalar) {
  return memoryHolds(pid, scalar) || memoryHolds(pid, Buffer.from(scalar).reverse());
}

// In the signer (when the test may read it: as root) and not in the worker.
function onlyInSigner(worker, child, needle, what, holds = memoryHolds) {
  if (process.getuid() === 0) assert.ok(holds(child, needle), `the signer holds ${what}`);
  assert.ok(!holds(worker, needle), `the worker holds no ${what}`);
}

test('token-signing and CA keys in the signer process', async () => {
  const work = tempDir('eid-signer-');
  const dir = join(work, 'data');
  let s;
  try {
    const kek = join(work, 'kek');
    writeFileSync(kek, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
    const kekBytes = kekOf(kek);
    const conf = join(work, 'eid.conf');
    writeFileSync(conf, `[keys]\nkek_file = ${kek}\nsigner = process\n`);
    const ctl = (args, opts = {}) => eidctl([...args, '--config', conf, '--data', dir], opts);

    // A CA whose private key the test knows, sealed into the store.
    const caKey = join(work, 'ca.key');
    const caPem = join(work, 'ca.pem');
    openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
      '-keyout', caKey, '-out', caPem, '-subj', '/C=VN/O=eid/CN=Signer Test CA', '-days', '30',
      '-addext', 'basicConstraints=critical,CA:TRUE',
      '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
    let r = ctl(['ca', 'import', '--cert', caPem, '--key', caKey]);
    assert.equal(r.status, 0, r.stderr);
    const scalar = Buffer.from(
      createPrivateKey(readFileSync(caKey)).export({ format: 'jwk' }).d, 'base64url');
    assert.equal(scalar.length, 32);

    s = await startEidd({ dataDir: dir, extraArgs: ['--config', conf] });
    const child = signerPid(s.proc.pid);
    const st = procStatus(child);
    assert.equal(st.NoNewPrivs, '1');
    assert.equal(st.Seccomp, '2', 'the signer has its own filter');

    r = ctl(['client', 'add', '--json', '--id', 'svc', '--name', 'Service',
      '--grant', 'client_credentials', '--scope', 'citizen']);
    assert.equal(r.status, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    const jwks = jose.createRemoteJWKSet(new URL(`${s.base}/jwks`));
    const at = await tokenFor(s.base, c);
    const { payload, protectedHeader } = await jose.jwtVerify(at, jwks, { issuer: s.base, typ: 'at+jwt' });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(payload.client_id, 'svc');

    // Many at once, from the server's threads over their channels.
    const many = await Promise.all(Array.from({ length: 48 }, () => tokenFor(s.base, c)));
    for (const t of many) await jose.jwtVerify(t, jwks, { issuer: s.base });

    // The CRL is signed with the CA key, in the signer.
    const crl = Buffer.from(await (await fetch(`${s.base}/ca/crl`)).arrayBuffer());
    writeFileSync(join(work, 'crl.der'), crl);
    assert.match(openssl(['crl', '-inform', 'DER', '-in', join(work, 'crl.der'),
      '-CAfile', caPem, '-noout']) + 'ok', /ok/);

    // So is an OCSP response (an unknown serial), verified by openssl.
    const ocspReq = join(work, 'ocsp-req.der');
    openssl(['ocsp', '-issuer', caPem, '-serial', '0x0123456789', '-no_nonce', '-reqout', ocspReq]);
    const ocsp = await fetch(`${s.base}/ca/ocsp`, {
      method: 'POST', headers: { 'content-type': 'application/ocsp-request' },
      body: readFileSync(ocspReq),
    });
    assert.equal(ocsp.status, 200);
    writeFileSync(join(work, 'ocsp.der'), Buffer.from(await ocsp.arrayBuffer()));
    const said = spawnSync('openssl', ['ocsp', '-respin', join(work, 'ocsp.der'), '-VAfile', caPem,
      '-resp_text'], { encoding: 'utf8' });
    assert.match(said.stderr, /Response verify OK/, said.stderr);
    assert.match(said.stdout, /Cert Status: unknown/);

    // The CA's private scalar: in the signer, not in the worker.  The
    // signer is not dumpable: only root (CAP_SYS_PTRACE) reads its memory,
    // not the user eidd runs as.
    assert.equal(st.Uid, procStatus(s.proc.pid).Uid);
    if (process.getuid() === 0) {
      assert.ok(memoryHolds(child, scalar), 'the signer holds the CA key');
    } else {
      assert.throws(() => memoryHolds(child, scalar), /EACCES|EPERM/);
    }
    assert.ok(!holdsScalar(s.proc.pid, scalar), 'the worker holds no CA private key');
    // Nor the KEK that seals it (or its text): only the signer has it.
    onlyInSigner(s.proc.pid, child, kekBytes.raw, 'KEK');
    assert.ok(!memoryHolds(s.proc.pid, kekBytes.text), 'the worker holds no KEK text');

    // A rotation reaches the running server: the new key signs there.
    r = ctl(['keys', 'rotate', '--now', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rotated = JSON.parse(r.stdout);
    await new Promise((ok) => setTimeout(ok, 1500));
    const jwks2 = jose.createRemoteJWKSet(new URL(`${s.base}/jwks`));
    const at2 = await tokenFor(s.base, c);
    const v2 = await jose.jwtVerify(at2, jwks2, { issuer: s.base });
    assert.equal(v2.protectedHeader.kid, rotated.kid);
    assert.notEqual(v2.protectedHeader.kid, protectedHeader.kid);

    // The signer dies: eidd says so and exits non-zero for its
    // supervisor to restart it.
    const exited = new Promise((ok) => s.proc.on('exit', (code, sig) => ok({ code, sig })));
    process.kill(child, 'SIGKILL');
    const end = await exited;
    s = undefined;
    assert.equal(end.sig, null);
    assert.notEqual(end.code, 0);
  } finally {
    if (s) await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
});

// The private scalar of the one citizen key in the store (DIR/store, table certs,
// {"v":1,"serial":...,"sealed":...}), its blob opened with the KEK:
// 0xE1 | alg | kid_len | kid | 12-byte nonce | AES-256-GCM(PKCS#8) |
// 16-byte tag, the bytes before the nonce as associated data
// (crypto/keys.h).
function citizenScalar(dir, kek) {
  const db = readFileSync(join(dir, 'store', 'data.mdb')).toString('latin1');
  const re = /\{"v":1,"serial":"[0-9A-Fa-f]+","sealed":"([A-Za-z0-9_-]+)"\}/g;
  const blobs = new Set([...db.matchAll(re)].map((m) => m[1]));
  assert.equal(blobs.size, 1, 'one citizen key in the store');
  const blob = Buffer.from([...blobs][0], 'base64url');
  const hdr = 3 + blob[2];
  const d = createDecipheriv('aes-256-gcm', kek, blob.subarray(hdr, hdr + 12));
  d.setAAD(blob.subarray(0, hdr));
  d.setAuthTag(blob.subarray(blob.length - 16));
  const der = Buffer.concat([d.update(blob.subarray(hdr + 12, blob.length - 16)), d.final()]);
  const jwk = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }).export({ format: 'jwk' });
  return Buffer.from(jwk.d, 'base64url');
}

test('a citizen signs through the signer: the key is born there, the worker never holds it', async () => {
  const PIN = '246801';
  const PID = '001185000321';
  const PASSWORD = 'a-Long-passphrase-2026';
  const dir = tempDir();
  const work = tempDir('eid-signer-cms-');
  const config = () => '[keys]\nsigner = process\n';
  const ctl = (args, input) => {
    const r = eidctl([...args, '--data', dir], { input });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout;
  };
  let s = await startEidd({ dataDir: dir, config }); // the store and the demo KEK
  await s.stop();
  s = undefined;
  try {
    ctl(['ca', 'init']);
    ctl(['registry', 'add', '--personal-id', PID, '--full-name', 'Lê Thị Hoa', '--birthdate', '1985-02-03',
      '--sex', 'female', '--card-number', PID, '--card-issued', '2021-01-01', '--card-expires', '2035-02-03']);
    ctl(['account', 'create', '--personal-id', PID, '--phone', '0911111999', '--level', '2',
      '--password-stdin'], `${PASSWORD}\n`);
    const rp = addClient(dir, ['--id', 'bank', '--name', 'Bank', '--grant', 'client_credentials',
      '--scope', 'sign']);
    s = await startEidd({ dataDir: dir, config });
    const worker = s.proc.pid;
    const child = signerPid(worker);
    const kek = kekOf(join(dir, 'kek'));
    onlyInSigner(worker, child, kek.raw, 'KEK');
    assert.ok(!memoryHolds(worker, kek.text), 'the worker holds no KEK text');

    const state = join(work, 'state.json');
    const app = (args, lines, later) => runApp({ base: s.base, state }, args, { lines, later });
    const smsCode = () => JSON.parse(ctl(['outbox', '--json'])).filter((m) => m.channel === 'sms')
      .at(-1).text.match(/\b(\d{6})\b/)[1];
    const bound = await app(['bind-device', '--personal-id', PID, '--password-stdin'], [PIN, PASSWORD], smsCode);
    assert.equal(bound.status, 0, bound.err + bound.out);

    const doc = Buffer.from('Hợp đồng số 7\n');
    const auth = { authorization: `Bearer ${await tokenFor(s.base, rp, 'sign')}` };
    let r = await fetch(`${s.base}/api/v1/sign/requests`, {
      method: 'POST', headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ personal_id: PID, hash: b64url(createHash('sha256').update(doc).digest()),
        hash_alg: 'sha256', document_name: 'hop-dong-7.pdf' }),
    });
    assert.equal(r.status, 201, await r.clone().text());
    const { id } = await r.json();
    const ok = await app(['--', 'approve-sign', id], [PIN]);
    assert.equal(ok.status, 0, ok.err);
    r = await fetch(`${s.base}/api/v1/sign/requests/${id}`, { headers: auth });
    const res = await r.json();
    assert.equal(res.status, 'signed');

    // openssl accepts the CMS under the CA.
    writeFileSync(join(work, 'sig.der'), Buffer.from(res.signature, 'base64'));
    writeFileSync(join(work, 'doc'), doc);
    writeFileSync(join(work, 'ca.der'), Buffer.from(await (await fetch(`${s.base}/ca/cert`)).arrayBuffer()));
    openssl(['x509', '-inform', 'DER', '-in', join(work, 'ca.der'), '-out', join(work, 'ca.pem')]);
    const v = spawnSync('openssl', ['cms', '-verify', '-binary', '-content', join(work, 'doc'), '-inform', 'DER',
      '-in', join(work, 'sig.der'), '-CAfile', join(work, 'ca.pem'), '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /Verification successful/);

    // The citizen's key, sealed in the store: in the signer, where it was
    // born (GENERATE), and not in the worker (no leaked copy; an
    // inprocess worker wipes it after each signature too, so the
    // signer's copy is what shows where it lives); and still no KEK there
    // after the signature.
    onlyInSigner(worker, child, citizenScalar(dir, kek.raw), "citizen's private key", holdsScalar);
    assert.ok(!memoryHolds(worker, kek.raw), 'the worker holds no KEK');
  } finally {
    if (s) await s.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(`${dir}.conf`, { force: true });
    rmSync(work, { recursive: true, force: true });
  }
});

test('with the KEK in EID_KEK, its text leaves the worker (signer = process)', async () => {
  const text = randomBytes(32).toString('hex');
  const s = await startEidd({ env: { EID_KEK: text }, config: () => '[keys]\nsigner = process\n' });
  try {
    const worker = s.proc.pid;
    assert.ok(!readFileSync(`/proc/${worker}/environ`, 'latin1').includes(text));
    onlyInSigner(worker, signerPid(worker), Buffer.from(text, 'hex'), 'KEK');
    // AddressSanitizer's runtime keeps its own copy of the environment
    // block (read from /proc/self/environ as it starts), out of eidd's
    // reach: the text is searched for in the plain build only.
    if (!readFileSync(`/proc/${worker}/maps`, 'utf8').includes('libasan')) {
      assert.ok(!memoryHolds(worker, Buffer.from(text)), 'the worker holds no KEK text');
    }
    await tokenVerifies(s);
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('signer = inprocess keeps the keys in eidd; a bad value is refused', async () => {
  const s = await startEidd({ config: () => '[keys]\nsigner = inprocess\n' });
  try {
    const kids = readFileSync(`/proc/${s.proc.pid}/task/${s.proc.pid}/children`, 'utf8').trim();
    assert.equal(kids, '', 'no signer process');
    // The control for the checks above: here the worker holds the KEK.
    assert.ok(memoryHolds(s.proc.pid, kekOf(join(s.dataDir, 'kek')).raw), 'eidd holds its KEK');
    await tokenVerifies(s);
  } finally {
    await s.stop();
    s.cleanup();
  }
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'c'), '[keys]\nsigner = elsewhere\n');
    const r = eiddRun(['--config', join(dir, 'c'), '--data', join(dir, 'd'), '--demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /'elsewhere' is not one of process, inprocess/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('started as root with [server] user, the signer drops to it too', { skip: process.getuid() !== 0 && 'needs root' }, async () => {
  const uid = Number(execFileSync('id', ['-u', 'nobody'], { encoding: 'utf8' }));
  const base = tempDir();
  chownSync(base, uid, uid);
  const s = await startEidd({ dataDir: join(base, 'data'),
    config: () => '[server]\nuser = nobody\n[keys]\nsigner = process\n' });
  try {
    const st = procStatus(signerPid(s.proc.pid));
    assert.deepEqual(st.Uid.split(/\s+/).map(Number), [uid, uid, uid, uid]);
    assert.equal(st.Groups, '');
    assert.equal(st.Seccomp, '2');
    await tokenVerifies(s);
  } finally {
    const { code, sig } = await s.stop();
    rmSync(base, { recursive: true, force: true });
    assert.equal(sig, null);
    assert.equal(code, 0, 'a clean shutdown: the signer reaped, no SIGSYS');
  }
});
