// Keys out of reach ([keys] signer = process, docs/security.md): eidd
// forks a signer process that holds the sealed token-signing and CA keys.
// Tokens it signs verify with jose against /jwks, before and after a key
// rotation; the CRL and an OCSP response signed with the CA key verify
// with openssl; the CA's private scalar is in the signer's memory and
// nowhere in the HTTP worker's; and when the signer dies, eidd exits
// non-zero.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPrivateKey, randomBytes } from 'node:crypto';
import { chownSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { startEidd, eidctl, eiddRun, tempDir } from './lib/eidd.mjs';
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

test('token-signing and CA keys in the signer process', async () => {
  const work = tempDir('eid-signer-');
  const dir = join(work, 'data');
  let s;
  try {
    const kek = join(work, 'kek');
    writeFileSync(kek, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600 });
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
    assert.ok(!memoryHolds(s.proc.pid, scalar), 'the worker holds no CA private key');

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

test('signer = inprocess keeps the keys in eidd; a bad value is refused', async () => {
  const s = await startEidd({ config: () => '[keys]\nsigner = inprocess\n' });
  try {
    const kids = readFileSync(`/proc/${s.proc.pid}/task/${s.proc.pid}/children`, 'utf8').trim();
    assert.equal(kids, '', 'no signer process');
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
