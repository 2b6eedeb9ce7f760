// The signing CA's public services over HTTP, checked with the openssl
// command line (what a relying party would use): the CA certificate, the
// CRL, and OCSP answers for a good, a revoked and an unknown certificate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startEidd, eidctl, tempDir } from './lib/eidd.mjs';

const openssl = (args, opts = {}) =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...opts });

async function fetchBytes(url, init) {
  const r = await fetch(url, init);
  return { status: r.status, type: r.headers.get('content-type'), body: Buffer.from(await r.arrayBuffer()) };
}

test('CA certificate, CRL and OCSP over HTTP', async () => {
  const dir = tempDir();
  const work = tempDir();
  let s;
  try {
    // A data directory with demo data, then a CA, then the server.
    s = await startEidd({ dataDir: dir });
    await s.stop();
    s = undefined;
    let r = eidctl(['ca', 'init', '--data', dir]);
    assert.equal(r.status, 0, r.stderr);
    const pid = '001185000123';
    r = eidctl(['registry', 'add', '--data', dir, '--personal-id', pid, '--full-name', 'Lê Thị Hoa',
      '--birthdate', '1985-02-03', '--sex', 'female', '--card-number', pid,
      '--card-issued', '2021-01-01', '--card-expires', '2035-02-03']);
    assert.equal(r.status, 0, r.stderr);
    r = eidctl(['account', 'create', '--data', dir, '--personal-id', pid,
      '--phone', '0911111111', '--level', '2', '--password-stdin'], { input: 'a-Long-passphrase-2026\n' });
    assert.equal(r.status, 0, r.stderr);
    s = await startEidd({ dataDir: dir });

    // Without an HTTP cache or an account: the CA certificate.
    const cert = await fetchBytes(`${s.base}/ca/cert`);
    assert.equal(cert.status, 200);
    assert.equal(cert.type, 'application/pkix-cert');
    const caPem = join(work, 'ca.pem');
    writeFileSync(join(work, 'ca.der'), cert.body);
    openssl(['x509', '-inform', 'DER', '-in', join(work, 'ca.der'), '-out', caPem]);
    assert.match(openssl(['x509', '-in', caPem, '-noout', '-subject']), /CN\s*=\s*eid/);

    // A signature by a level-2 citizen gives us a citizen certificate.
    const doc = Buffer.from('Đơn đề nghị cấp giấy phép\n');
    const hash = createHash('sha256').update(doc).digest('hex');
    const sig = join(work, 'sig.der');
    r = eidctl(['sign', 'hash', '--data', dir, '--citizen', pid, '--hash', hash, '--out', sig]);
    assert.equal(r.status, 0, r.stderr);
    writeFileSync(join(work, 'doc'), doc);
    openssl(['cms', '-verify', '-binary', '-content', join(work, 'doc'), '-inform', 'DER',
      '-in', sig, '-CAfile', caPem, '-out', '/dev/null', '-signer', join(work, 'signer.pem')]);
    const citizenPem = join(work, 'signer.pem');

    // The CRL verifies against the CA.
    const crl = await fetchBytes(`${s.base}/ca/crl`);
    assert.equal(crl.status, 200);
    assert.equal(crl.type, 'application/pkix-crl');
    writeFileSync(join(work, 'crl.der'), crl.body);
    const crlText = openssl(['crl', '-inform', 'DER', '-in', join(work, 'crl.der'), '-CAfile', caPem, '-noout'],
      { stdio: ['pipe', 'pipe', 'pipe'] });
    void crlText;

    // OCSP: an unknown serial.
    const req = join(work, 'req.der');
    openssl(['ocsp', '-issuer', caPem, '-serial', '0x0123456789', '-no_nonce', '-reqout', req]);
    const ask = async (reqFile) => {
      const res = await fetchBytes(`${s.base}/ca/ocsp`, {
        method: 'POST', headers: { 'content-type': 'application/ocsp-request' },
        body: execFileSync('cat', [reqFile]),
      });
      assert.equal(res.status, 200);
      assert.equal(res.type, 'application/ocsp-response');
      const f = join(work, 'resp.der');
      writeFileSync(f, res.body);
      return openssl(['ocsp', '-respin', f, '-CAfile', caPem, '-resp_text', '-noverify']);
    };
    assert.match(await ask(req), /Cert Status: unknown/);

    openssl(['ocsp', '-issuer', caPem, '-cert', citizenPem, '-reqout', req]);
    assert.match(await ask(req), /Cert Status: good/);

    // Revoked (the operator's command), then the CRL and OCSP say so.
    r = eidctl(['ca', 'revoke', '--data', dir, '--citizen', pid, '--reason', 'keyCompromise']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(await ask(req), /Cert Status: revoked/);
    const crl2 = await fetchBytes(`${s.base}/ca/crl`);
    writeFileSync(join(work, 'crl2.der'), crl2.body);
    const serial = openssl(['x509', '-in', citizenPem, '-noout', '-serial']).trim().split('=')[1];
    assert.match(openssl(['crl', '-inform', 'DER', '-in', join(work, 'crl2.der'), '-noout', '-text']),
      new RegExp(`Serial Number: ${serial}`, 'i'));

    // Garbage gets an OCSP malformedRequest answer, not a crash.
    const bad = await fetchBytes(`${s.base}/ca/ocsp`, {
      method: 'POST', headers: { 'content-type': 'application/ocsp-request' }, body: Buffer.from('not der'),
    });
    assert.equal(bad.status, 200);
    writeFileSync(join(work, 'bad.der'), bad.body);
    // openssl exits non-zero for an error response: read what it says.
    const said = spawnSync('openssl', ['ocsp', '-respin', join(work, 'bad.der'), '-resp_text', '-noverify'],
      { encoding: 'utf8' });
    assert.match(said.stdout + said.stderr, /malformedrequest/i);
    // The wrong media type is refused.
    const wrong = await fetch(`${s.base}/ca/ocsp`, { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } });
    assert.equal(wrong.status, 415);
    void pid;
  } finally {
    if (s) await s.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  }
});

test('without a CA the services say so', async () => {
  const s = await startEidd();
  try {
    for (const p of ['/ca/cert', '/ca/crl']) {
      const r = await fetch(`${s.base}${p}`);
      assert.equal(r.status, 404);
      assert.equal((await r.json()).error, 'not_found');
    }
  } finally {
    await s.stop();
    s.cleanup();
  }
});
