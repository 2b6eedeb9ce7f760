// The foundation issue's promises, checked against a real eidd: the
// endpoints, keys that a certified JOSE library verifies, start-up errors
// that write nothing, and surviving kill -9.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';
import { startEidd, eidctl, eiddRun, tempDir } from './lib/eidd.mjs';

const securityHeaders = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

test('health, readiness, discovery and JWKS', async () => {
  const s = await startEidd();
  try {
    let r = await fetch(`${s.base}/healthz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ok' });
    for (const [h, v] of Object.entries(securityHeaders)) assert.equal(r.headers.get(h), v);
    assert.equal(r.headers.get('cache-control'), 'no-store');

    r = await fetch(`${s.base}/readyz`);
    assert.equal(r.status, 200);
    assert.deepEqual(await r.json(), { status: 'ready', store: true, keys: true });

    r = await fetch(`${s.base}/.well-known/openid-configuration`);
    assert.equal(r.status, 200);
    const meta = await r.json();
    assert.equal(meta.issuer, s.base);
    assert.equal(meta.jwks_uri, `${s.base}/jwks`);
    // Only what exists is announced: no endpoint without a route behind it.
    for (const [k, v] of Object.entries(meta)) {
      if (k.endsWith('_endpoint') || k === 'jwks_uri') {
        const probe = await fetch(v, { method: 'HEAD' });
        assert.notEqual(probe.status, 404, `${k} ${v} is announced but not served`);
      }
    }

    r = await fetch(meta.jwks_uri);
    assert.equal(r.status, 200);
    assert.match(r.headers.get('content-type'), /^application\/jwk-set\+json/);
    const jwks = await r.json();
    assert.equal(jwks.keys.length, 1);
    const [k] = jwks.keys;
    assert.equal(k.alg, 'ES256');
    assert.equal(k.use, 'sig');
    assert.ok(k.kid);
    for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi']) assert.equal(k[priv], undefined);
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('errors are JSON in the OAuth shape with the right status', async () => {
  const s = await startEidd();
  try {
    let r = await fetch(`${s.base}/nope`);
    assert.equal(r.status, 404);
    assert.ok((await r.json()).error);
    r = await fetch(`${s.base}/jwks`, { method: 'POST' });
    assert.equal(r.status, 405);
    assert.match(r.headers.get('allow'), /GET/);
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('a token signed by eidctl verifies with jose against /jwks, across a rotation', async () => {
  const s = await startEidd();
  try {
    const meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
    const jwks = jose.createRemoteJWKSet(new URL(meta.jwks_uri), { cooldownDuration: 0 });
    const sign = () => {
      const out = eidctl(['token', 'sign', '--data', s.dataDir, '--json', '--claims',
        JSON.stringify({ sub: 'citizen-1', iss: meta.issuer, aud: 'rp-test' })]);
      assert.equal(out.status, 0, out.stderr);
      return JSON.parse(out.stdout).token;
    };
    const first = sign();
    const v1 = await jose.jwtVerify(first, jwks, { issuer: meta.issuer, audience: 'rp-test' });
    assert.equal(v1.payload.sub, 'citizen-1');
    assert.equal(v1.protectedHeader.alg, 'ES256');

    // A tampered token is refused.
    const parts = first.split('.');
    const forged = jose.base64url.encode(JSON.stringify({ ...v1.payload, sub: 'someone-else' }));
    await assert.rejects(jose.jwtVerify(`${parts[0]}.${forged}.${parts[2]}`, jwks));

    // Rotate with no delay: the running server publishes the new key and
    // keeps the old one, so both tokens verify.
    const rot = eidctl(['keys', 'rotate', '--data', s.dataDir, '--now', '--json']);
    assert.equal(rot.status, 0, rot.stderr);
    const newKid = JSON.parse(rot.stdout).kid;
    await new Promise((r) => setTimeout(r, 1200));
    const second = sign();
    const v2 = await jose.jwtVerify(second, jwks, { issuer: meta.issuer });
    assert.equal(v2.protectedHeader.kid, newKid);
    await jose.jwtVerify(first, jwks, { issuer: meta.issuer });
    const published = await (await fetch(meta.jwks_uri)).json();
    assert.equal(published.keys.length, 2);

    const list = eidctl(['keys', 'list', '--data', s.dataDir, '--json']);
    assert.equal(list.status, 0, list.stderr);
    const states = JSON.parse(list.stdout).map((k) => k.state).sort();
    assert.deepEqual(states, ['active', 'retired']);
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('start-up errors: one line, non-zero exit, nothing written', () => {
  const base = tempDir();
  try {
    // A malformed configuration line names the file and the line.
    const conf = join(base, 'bad.conf');
    writeFileSync(conf, '[server]\nthreads = 2\nlisten = nowhere\n');
    const data1 = join(base, 'data1');
    let r = eiddRun(['--config', conf, '--data', data1, '--demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /bad\.conf:3: .*listen/);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.equal(existsSync(data1), false);

    // An unknown key is refused the same way.
    writeFileSync(conf, '[server]\nlisen = 127.0.0.1:1\n');
    r = eiddRun(['--config', conf, '--data', data1, '--demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /bad\.conf:2: unknown key 'lisen'/);
    assert.equal(existsSync(data1), false);

    // No key-encryption key and no --demo: refused before anything exists.
    const data2 = join(base, 'data2');
    r = eiddRun(['--data', data2, '--allow-root'], { env: { EID_KEK: '' } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no key-encryption key/);
    assert.equal(existsSync(data2), false);

    // A data directory that cannot be created.
    const file = join(base, 'plainfile');
    writeFileSync(file, 'x');
    r = eiddRun(['--data', join(file, 'sub'), '--demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /data directory .*plainfile\/sub/);

    // A key-encryption key file readable by others is refused.
    const kek = join(base, 'kek');
    writeFileSync(kek, 'ab'.repeat(32) + '\n');
    chmodSync(kek, 0o644);
    writeFileSync(conf, `[keys]\nkek_file = ${kek}\n`);
    const data3 = join(base, 'data3');
    r = eiddRun(['--config', conf, '--data', data3, '--allow-root']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /key-encryption key/);
    assert.equal(existsSync(data3), false);

    // Bad flags.
    r = eiddRun(['--listen', '127.0.0.1:99999', '--demo', '--data', data1]);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /--listen/);
    r = eiddRun(['--frobnicate']);
    assert.notEqual(r.status, 0);
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
});

test('the KEK from the environment works without --demo, and a wrong one is refused', async () => {
  const dir = tempDir();
  const kek = 'cd'.repeat(32);
  try {
    const s = await startEidd({ dataDir: dir, env: { EID_KEK: kek } });
    await s.stop();
    assert.equal(existsSync(join(dir, 'kek')), false, 'no demo KEK when one is configured');
    const r = eiddRun(['--data', dir, '--listen', '127.0.0.1:1', '--allow-root'], { env: { EID_KEK: 'ef'.repeat(32) } });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /do not open with this key-encryption key/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('kill -9 at any moment, then restart: keys and store intact', async () => {
  const dir = tempDir();
  try {
    let s = await startEidd({ dataDir: dir });
    const jwks1 = await (await fetch(`${s.base}/jwks`)).json();
    const meta = await (await fetch(`${s.base}/.well-known/openid-configuration`)).json();
    const tok = eidctl(['token', 'sign', '--data', dir, '--claims', JSON.stringify({ sub: 'x', iss: meta.issuer })]);
    assert.equal(tok.status, 0, tok.stderr);
    // Kill while requests are in flight.
    const inflight = Array.from({ length: 50 }, () => fetch(`${s.base}/jwks`).catch(() => null));
    await s.kill();
    await Promise.all(inflight);
    for (let i = 0; i < 3; i++) {
      s = await startEidd({ dataDir: dir });
      const r = await fetch(`${s.base}/readyz`);
      assert.equal(r.status, 200);
      const jwks = await (await fetch(`${s.base}/jwks`)).json();
      assert.deepEqual(jwks.keys.map((k) => k.kid), jwks1.keys.map((k) => k.kid));
      const keyset = jose.createLocalJWKSet(jwks);
      await jose.jwtVerify(tok.stdout.trim(), keyset);
      await s.kill();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
