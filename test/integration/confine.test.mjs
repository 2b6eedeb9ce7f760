// eidd's confinement (docs/security.md): no_new_privs and the seccomp
// allow-list on every serving eidd, the drop from root to [server] user,
// and the refusal to serve as root without one.  The other suites run
// under the default filter too (seccomp = kill), so they prove that the
// allow-list is enough for their flows; this one proves the filter is on.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chownSync, readFileSync, readdirSync, statSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startEidd, eidctl, eiddRun, tempDir } from './lib/eidd.mjs';
import { clientCredentials, procStatus } from './lib/proc.mjs';

const isRoot = process.getuid() === 0;

async function clientCredentialsToken(s) {
  const r = eidctl(['client', 'add', '--data', s.dataDir, '--json', '--id', 'svc',
    '--name', 'Service', '--grant', 'client_credentials', '--scope', 'citizen']);
  assert.equal(r.status, 0, r.stderr);
  return clientCredentials(s.base, JSON.parse(r.stdout));
}

test('by default eidd serves under no_new_privs and the seccomp kill filter', async () => {
  const s = await startEidd();
  try {
    const st = procStatus(s.proc.pid);
    assert.equal(st.NoNewPrivs, '1');
    assert.equal(st.Seccomp, '2', 'a seccomp filter is installed');
    // Every thread has it, not only the main one.
    for (const tid of readdirSync(`/proc/${s.proc.pid}/task`)) {
      const t = readFileSync(`/proc/${s.proc.pid}/task/${tid}/status`, 'utf8');
      assert.match(t, /^Seccomp:\s+2$/m, `thread ${tid}`);
    }
    assert.ok(await clientCredentialsToken(s));
  } finally {
    const { code, sig } = await s.stop();
    s.cleanup();
    assert.equal(sig, null, 'shut down cleanly, not killed by the filter');
    assert.equal(code, 0);
  }
});

test('seccomp = off installs no filter; a bad value is refused', async () => {
  const s = await startEidd({ config: () => '[server]\nseccomp = off\n' });
  try {
    const st = procStatus(s.proc.pid);
    assert.equal(st.Seccomp, '0');
    assert.equal(st.NoNewPrivs, '1', 'no_new_privs is always set');
  } finally {
    await s.stop();
    s.cleanup();
  }
  const dir = tempDir();
  try {
    writeFileSync(join(dir, 'c'), '[server]\nseccomp = maybe\n');
    const r = eiddRun(['--config', join(dir, 'c'), '--data', join(dir, 'd'), '--demo']);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /'maybe' is not one of kill, log, off/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('started as root with [server] user, eidd drops to it for good', { skip: !isRoot && 'needs root' }, async () => {
  const uid = Number(spawnSync('id', ['-u', 'nobody'], { encoding: 'utf8' }).stdout);
  const gid = Number(spawnSync('id', ['-g', 'nobody'], { encoding: 'utf8' }).stdout);
  const base = tempDir();
  chownSync(base, uid, gid);
  const dataDir = join(base, 'data');
  const s = await startEidd({ dataDir, config: () => '[server]\nuser = nobody\nseccomp = kill\n' });
  try {
    const st = procStatus(s.proc.pid);
    assert.deepEqual(st.Uid.split(/\s+/).map(Number), [uid, uid, uid, uid]);
    assert.deepEqual(st.Gid.split(/\s+/).map(Number), [gid, gid, gid, gid]);
    assert.equal(st.Groups, '');
    assert.equal(st.NoNewPrivs, '1');
    assert.equal(st.Seccomp, '2');
    assert.match(s.stderr(), /root dropped, serving as nobody/);
    // What it created in the data directory is the user's.
    for (const f of ['store', 'ephemeral', 'kek', 'store/data.mdb']) {
      assert.equal(statSync(join(dataDir, f)).uid, uid, f);
    }
    assert.ok(await clientCredentialsToken(s));
  } finally {
    await s.stop();
    rmSync(base, { recursive: true, force: true });
  }
});

test('root without [server] user is refused unless --allow-root', { skip: !isRoot && 'needs root' }, async () => {
  const dir = tempDir();
  try {
    const env = { EID_KEK: 'ab'.repeat(32) };
    let r = eiddRun(['--data', join(dir, 'd'), '--listen', '127.0.0.1:1'], { env });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /refusing to serve as root: set \[server\] user/);
    assert.deepEqual(readdirSync(dir), [], 'nothing written');
    // An unknown user is refused before anything is written.
    writeFileSync(join(dir, 'c'), '[server]\nuser = no-such-user-eid\n');
    r = eiddRun(['--config', join(dir, 'c'), '--data', join(dir, 'd')], { env });
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /\[server\] user no-such-user-eid.*not found/);
    // --allow-root gets past the check: the start-up goes on to the
    // listener, here a port already taken.
    const busy = createServer();
    await new Promise((resolve) => busy.listen(0, '127.0.0.1', resolve));
    try {
      r = eiddRun(['--data', join(dir, 'd'), '--listen', `127.0.0.1:${busy.address().port}`,
        '--allow-root'], { env });
      assert.notEqual(r.status, 0);
      assert.match(r.stderr, /cannot listen on/);
    } finally {
      busy.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
