// Private keys in a PKCS#11 token (SoftHSM2, a token of its own per run):
// eidd signs access tokens with a key generated in the token that jose
// verifies against /jwks, the CA key in the token issues the citizen
// certificate behind a CMS signature that openssl accepts, the store
// records only references, and a token that is not right refuses start-up
// with one line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { startEidd, eidctl, eiddRun, tempDir } from './lib/eidd.mjs';
import { clientCredentials as tokenFor } from './lib/proc.mjs';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const PIN = '246810';
const haveSoftHSM = existsSync(MODULE) &&
  spawnSync('softhsm2-util', ['--version']).status === 0;

const openssl = (args) =>
  execFileSync('openssl', args, { encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

// A token directory and softhsm2.conf of our own, with one token per label.
function makeTokens(work, labels) {
  const tokens = join(work, 'tokens');
  mkdirSync(tokens);
  const conf = join(work, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  const env = { SOFTHSM2_CONF: conf };
  for (const label of labels) {
    const r = spawnSync('softhsm2-util', ['--init-token', '--free', '--label', label,
      '--so-pin', '12345678', '--pin', PIN], { env: { ...process.env, ...env }, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
  }
  return env;
}

function writeSecret(path, text) {
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

// The configuration: the KEK in a file, and a [pkcs11] section (when pkcs11
// is given) naming module, token and PIN file.
function writeConfig(path, kekFile, pkcs11) {
  let text = `[keys]\nkek_file = ${kekFile}\n`;
  if (pkcs11) {
    text += `[pkcs11]\nmodule = ${pkcs11.module}\ntoken_label = ${pkcs11.label}\n` +
      `pin_file = ${pkcs11.pinFile}\n`;
  }
  writeFileSync(path, text);
  return path;
}

test('token-signing and CA keys in a SoftHSM2 token', { skip: !haveSoftHSM && 'softhsm2 is not installed' }, async () => {
  const work = tempDir('eid-hsm-');
  const dir = join(work, 'data');
  let s;
  try {
    const env = makeTokens(work, ['eid-hsm', 'eid-empty']);
    const kek = writeSecret(join(work, 'kek'), `${randomBytes(32).toString('hex')}\n`);
    const pinFile = writeSecret(join(work, 'pin'), `${PIN}\n`);
    const conf = writeConfig(join(work, 'eid.conf'), kek, { module: MODULE, label: 'eid-hsm', pinFile });
    const ctl = (args, opts = {}) => eidctl([...args, '--config', conf, '--data', dir],
      { env, ...opts });

    // Keys generated in the token before the first start: eidd then has
    // no reason to make a sealed one.
    let r = ctl(['keys', 'rotate', '--pkcs11', '--now', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const rotated = JSON.parse(r.stdout);
    assert.equal(rotated.where, 'pkcs11');
    r = ctl(['ca', 'init', '--pkcs11']);
    assert.equal(r.status, 0, r.stderr);
    const pid = '001185000123';
    r = ctl(['registry', 'add', '--personal-id', pid, '--full-name', 'Lê Thị Hoa',
      '--birthdate', '1985-02-03', '--sex', 'female', '--card-number', pid,
      '--card-issued', '2021-01-01', '--card-expires', '2035-02-03']);
    assert.equal(r.status, 0, r.stderr);
    r = ctl(['account', 'create', '--personal-id', pid, '--phone', '0911111111', '--level', '2',
      '--password-stdin'], { input: 'a-Long-passphrase-2026\n' });
    assert.equal(r.status, 0, r.stderr);

    s = await startEidd({ dataDir: dir, env, extraArgs: ['--config', conf] });

    // Every key the store knows is in the token: the records hold no
    // private key, only a label and the public key.
    r = ctl(['keys', 'list', '--json']);
    assert.equal(r.status, 0, r.stderr);
    const keys = JSON.parse(r.stdout);
    assert.ok(keys.length >= 1);
    for (const k of keys) assert.equal(k.where, 'pkcs11', JSON.stringify(k));
    r = ctl(['ca', 'show', '--json']);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).key, 'pkcs11');

    // An access token signed in the token verifies against /jwks.
    r = ctl(['client', 'add', '--json', '--id', 'svc', '--name', 'Service',
      '--grant', 'client_credentials', '--scope', 'citizen']);
    assert.equal(r.status, 0, r.stderr);
    const c = JSON.parse(r.stdout);
    const jwks = jose.createRemoteJWKSet(new URL(`${s.base}/jwks`));
    const at = await tokenFor(s.base, c);
    const { payload, protectedHeader } = await jose.jwtVerify(at, jwks, { issuer: s.base, typ: 'at+jwt' });
    assert.equal(protectedHeader.alg, 'ES256');
    assert.equal(protectedHeader.kid, rotated.kid);
    assert.equal(payload.client_id, 'svc');

    // Many at once, from the server's several threads: all good.
    const many = await Promise.all(Array.from({ length: 48 }, () => tokenFor(s.base, c)));
    for (const t of many) await jose.jwtVerify(t, jwks, { issuer: s.base });
    assert.equal(new Set(many).size, many.length);

    // A citizen signature under the CA whose key is in the token.
    const cert = Buffer.from(await (await fetch(`${s.base}/ca/cert`)).arrayBuffer());
    writeFileSync(join(work, 'ca.der'), cert);
    const caPem = join(work, 'ca.pem');
    openssl(['x509', '-inform', 'DER', '-in', join(work, 'ca.der'), '-out', caPem]);
    const doc = Buffer.from('Hợp đồng lao động số 42\n');
    writeFileSync(join(work, 'doc'), doc);
    const sig = join(work, 'sig.der');
    r = ctl(['sign', 'hash', '--citizen', pid, '--hash',
      createHash('sha256').update(doc).digest('hex'), '--out', sig]);
    assert.equal(r.status, 0, r.stderr);
    openssl(['cms', '-verify', '-binary', '-content', join(work, 'doc'), '-inform', 'DER',
      '-in', sig, '-CAfile', caPem, '-out', '/dev/null']);
    // And a document it was not made for does not verify.
    writeFileSync(join(work, 'other'), 'Hợp đồng lao động số 43\n');
    assert.throws(() => openssl(['cms', '-verify', '-binary', '-content', join(work, 'other'),
      '-inform', 'DER', '-in', sig, '-CAfile', caPem, '-out', '/dev/null']));

    // The CRL is signed in the token too.
    const crl = Buffer.from(await (await fetch(`${s.base}/ca/crl`)).arrayBuffer());
    writeFileSync(join(work, 'crl.der'), crl);
    assert.match(openssl(['crl', '-inform', 'DER', '-in', join(work, 'crl.der'), '-CAfile', caPem,
      '-noout']) + 'ok', /ok/);
    await s.stop();
    s = undefined;

    // Start-up refused, one line each, when the token is not right.
    const refuse = (name, pkcs11, re) => {
      const bad = writeConfig(join(work, `${name}.conf`), kek, pkcs11);
      // --allow-root: CI runs as root; the refusal under test comes after.
      const run = eiddRun(['--config', bad, '--data', dir, '--allow-root'], { env });
      assert.notEqual(run.status, 0, name);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.match(run.stderr, re);
    };
    const badPin = writeSecret(join(work, 'badpin'), '135790\n');
    refuse('wrong-pin', { module: MODULE, label: 'eid-hsm', pinFile: badPin }, /PIN in .* was refused/);
    refuse('no-module', { module: join(work, 'nope.so'), label: 'eid-hsm', pinFile },
      /PKCS#11 module .*nope\.so: cannot load/);
    refuse('no-token', { module: MODULE, label: 'eid-absent', pinFile }, /no token labelled 'eid-absent'/);
    refuse('empty-token', { module: MODULE, label: 'eid-empty', pinFile },
      /signing keys: a key recorded in the store is missing from the PKCS#11 token/);
    refuse('unconfigured', null, /signing keys: a key lives in a PKCS#11 token, but no \[pkcs11\]/);
  } finally {
    if (s) await s.stop();
    rmSync(work, { recursive: true, force: true });
  }
});
