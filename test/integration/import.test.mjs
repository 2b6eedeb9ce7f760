// `eidctl registry import` is all-or-nothing under SIGKILL: an import
// killed at a random moment leaves the registry exactly as it was (the
// store still opens, its one record is there, none of the file's), and
// an import that was not killed has every row.  Counted with mdb_stat,
// outside our code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildDir, tempDir, eidctl } from './lib/eidd.mjs';

const ROWS = 50000;
const KILLS = Number(process.env.EID_IMPORT_KILLS ?? 6);

function registryEntries(dataDir) {
  const r = spawnSync('mdb_stat', ['-s', 'registry', join(dataDir, 'store')],
    { encoding: 'utf8', timeout: 20000 });
  assert.equal(r.status, 0, `mdb_stat: ${r.stderr}`);
  const m = /Entries: (\d+)/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return Number(m[1]);
}

// Runs the import; kills it after ms unless ms is null.  Resolves
// { status, signal, stderr, elapsed }.
function importFile(dataDir, file, ms) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(join(buildDir, 'tools', 'eidctl'),
      ['--data', dataDir, 'registry', 'import', file],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => { stderr += d; });
    const timer = ms === null ? null : setTimeout(() => p.kill('SIGKILL'), ms);
    p.on('close', (status, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ status, signal, stderr, elapsed: Date.now() - t0 });
    });
  });
}

test('a killed import leaves the registry as it was', async () => {
  const dataDir = tempDir('eid-import-');
  const file = join(tempDir('eid-import-file-'), 'citizens.jsonl');
  const gen = spawnSync(join(buildDir, 'tools', 'bench', 'gen_citizens'),
    ['--jsonl', file, '--count', String(ROWS)], { encoding: 'utf8' });
  assert.equal(gen.status, 0, gen.stderr);

  // One record before any import (not one of the file's: province 036).
  let r = eidctl(['--data', dataDir, 'registry', 'add', '--personal-id',
    '036090000123', '--full-name', 'Lê Văn Cường', '--birthdate',
    '1990-05-05', '--sex', 'male']);
  assert.equal(r.status, 0, r.stderr);
  assert.equal(registryEntries(dataDir), 1);

  // How long a whole import takes here, on a copy of the store.
  const probeDir = tempDir('eid-import-probe-');
  const probe = await importFile(probeDir, file, null);
  assert.equal(probe.status, 0, probe.stderr);
  assert.equal(registryEntries(probeDir), ROWS);

  let finished = 0;
  for (let i = 0; i < KILLS; i += 1) {
    // from the start of the process to past the commit
    const ms = Math.floor(((i + 0.5) / KILLS) * probe.elapsed * 1.2);
    const run = await importFile(dataDir, file, ms);
    const n = registryEntries(dataDir);
    if (run.status !== 0) assert.equal(run.signal, 'SIGKILL', `run ${i}: ${run.stderr}`);
    // A kill that lands after the commit, before the process ends, finds
    // every row in: all or nothing either way.
    const committed = run.status === 0 || n === 1 + ROWS;
    if (committed) {
      assert.equal(n, 1 + ROWS, `run ${i} finished: every row`);
      if (run.status === 0) finished += 1;
      // start again from the one record
      rmSync(dataDir, { recursive: true, force: true });
      r = eidctl(['--data', dataDir, 'registry', 'add', '--personal-id',
        '036090000123', '--full-name', 'Lê Văn Cường', '--birthdate',
        '1990-05-05', '--sex', 'male']);
      assert.equal(r.status, 0, r.stderr);
    } else {
      assert.equal(n, 1, `run ${i} killed after ${ms} ms: ${n} entries`);
    }
    r = eidctl(['--data', dataDir, 'registry', 'show', '036090000123']);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.ok(finished < KILLS, 'no import was killed: the test proves nothing');

  // Left alone, the import has every row; again, every row is unchanged.
  const last = await importFile(dataDir, file, null);
  assert.equal(last.status, 0, last.stderr);
  assert.equal(registryEntries(dataDir), 1 + ROWS);
  r = eidctl(['--data', dataDir, 'registry', 'import', file]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, new RegExp(`${ROWS} rows read: 0 imported, 0 updated, ${ROWS} unchanged, 0 rejected`));
  for (const d of [dataDir, probeDir, dirname(file)]) rmSync(d, { recursive: true, force: true });
});
