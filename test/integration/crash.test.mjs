// Crash safety: eidd (and any eidctl in flight) is killed with SIGKILL at
// random moments during a mix of writes, then restarted, again and again.
// After each kill: the store opens, the audit chain verifies, every write
// that was acknowledged (a 2xx answer, or eidctl exiting 0) is there, and
// no account exists without its phone index entry or the other way round.
//
// EID_CRASH_ITERATIONS sets the number of kills (default 30, the CI
// budget); the soak in docs/security.md runs it with more.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startEidd, tempDir, eidctlPath, eidctl } from './lib/eidd.mjs';

const ITERATIONS = Number(process.env.EID_CRASH_ITERATIONS ?? 30);
const PASSWORD = 'a quiet river at dawn';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46,
  0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]).toString('base64');
// Limits off: this test is about durability, not throttling.
const config = () => '[limits]\ntoken = 0\nlogin = 0\nregistration = 0\n' +
  '[registration]\nper_address_max = 1000000\nper_id_max = 1000\n' +
  '[passwords]\nmemory_kib = 64\niterations = 1\n';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// eidctl without blocking the event loop; the child can be killed with
// the server.  Resolves { status, stdout, stderr }.
function eidctlAsync(live, args) {
  return new Promise((resolve) => {
    const p = spawn(eidctlPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(p);
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => { stdout += d; });
    p.stderr.on('data', (d) => { stderr += d; });
    p.on('close', (status) => { live.delete(p); resolve({ status, stdout, stderr }); });
    p.on('error', () => { live.delete(p); resolve({ status: -1, stdout, stderr }); });
  });
}

// The table as { key: value } through mdb_dump (no eidd code involved).
function dumpTable(dataDir, table) {
  const r = spawnSync('mdb_dump', ['-p', '-s', table, join(dataDir, 'store')],
    { encoding: 'latin1', timeout: 20000, maxBuffer: 256 << 20 });
  assert.equal(r.status, 0, `mdb_dump ${table}: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  const start = lines.indexOf('HEADER=END') + 1;
  // print format: a leading blank, "\\" for a backslash, "\xx" for others
  const unescape = (l) => Buffer.from(l.slice(1).replace(/\\(\\|[0-9a-fA-F]{2})/g,
    (_, x) => (x === '\\' ? '\\' : String.fromCharCode(parseInt(x, 16)))), 'latin1').toString('utf8');
  const out = {};
  for (let i = start; i + 1 < lines.length && lines[i] !== 'DATA=END'; i += 2) {
    out[unescape(lines[i])] = unescape(lines[i + 1]);
  }
  return out;
}

let seq = 0;
function nextCitizen() {
  seq += 1;
  const serial = String(100000 + seq).slice(-6);
  return {
    personal_id: `001190${serial}`,
    full_name: 'Trần Thị Bình',
    birthdate: '1990-01-01',
    phone: `08${String(10000000 + seq * 7919).slice(-8)}`,
  };
}

async function postJson(base, path, body) {
  const r = await fetch(`${base}${path}`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

// One registration from registry record to confirmed account.
async function register(s, live, acked) {
  const c = nextCitizen();
  let r = await eidctlAsync(live, ['--data', s.dataDir, 'registry', 'add',
    '--personal-id', c.personal_id, '--full-name', c.full_name,
    '--birthdate', c.birthdate, '--sex', 'female']);
  if (r.status !== 0) return;
  acked.registry.add(c.personal_id);
  const started = await postJson(s.base, '/api/v1/registrations', { ...c, portrait: JPEG });
  if (started.status !== 202) return;
  r = await eidctlAsync(live, ['--data', s.dataDir, 'outbox', '--phone', c.phone, '--json']);
  if (r.status !== 0) return;
  const msgs = JSON.parse(r.stdout);
  if (msgs.length === 0) return;
  const code = msgs[msgs.length - 1].text.match(/\b(\d{6})\b/)[1];
  const done = await postJson(s.base, started.body.confirm_uri, { code, password: PASSWORD });
  if (done.status >= 200 && done.status < 300) {
    acked.accounts.set(c.personal_id, { phone: `+84${c.phone.slice(1)}`, locked: false, certain: true, busy: false });
  }
}

async function token(s, acked, client) {
  const r = await fetch(`${s.base}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`,
    },
    body: 'grant_type=client_credentials',
  });
  if (r.status === 200) acked.tokens += 1;
}

// Lock or unlock a known account with eidctl; only an exit 0 counts.
async function toggleLock(s, live, acked) {
  // One change at a time per account, so the order of the answers is
  // the order of the commits.
  const ids = [...acked.accounts.keys()].filter((id) => !acked.accounts.get(id).busy);
  if (ids.length === 0) return;
  const id = ids[Math.floor(Math.random() * ids.length)];
  const a = acked.accounts.get(id);
  const lock = !a.locked || !a.certain;
  a.certain = false; // until eidctl says it is done
  a.busy = true;
  const args = lock ? ['account', 'lock', id, '--reason', 'suspected_fraud'] : ['account', 'unlock', id];
  const r = await eidctlAsync(live, ['--data', s.dataDir, ...args]);
  a.busy = false;
  if (r.status === 0) {
    a.locked = lock;
    a.certain = true;
    acked.locks += 1;
  }
}

async function workload(s, live, acked, client, stop) {
  const ops = [() => register(s, live, acked), () => token(s, acked, client),
    () => toggleLock(s, live, acked), () => token(s, acked, client)];
  for (let i = Math.floor(Math.random() * ops.length); !stop.now; i++) {
    try { await ops[i % ops.length](); } catch { /* the crash cut it */ }
  }
}

function checkStore(dataDir, acked) {
  const verify = eidctl(['--data', dataDir, 'audit', 'verify']);
  assert.equal(verify.status, 0, `audit verify: ${verify.stdout}${verify.stderr}`);
  const accounts = dumpTable(dataDir, 'accounts');
  const index = dumpTable(dataDir, 'account_index');
  // No half-written account: each record has its index entries, each
  // index entry its record.
  for (const [id, text] of Object.entries(accounts)) {
    const a = JSON.parse(text);
    assert.equal(index[`phone:${a.phone}`], id, `account ${id} without its phone index`);
    if (a.email) assert.equal(index[`email:${a.email}`], id, `account ${id} without its e-mail index`);
  }
  for (const [k, id] of Object.entries(index)) {
    assert.ok(accounts[id], `index ${k} -> ${id} without an account`);
    const a = JSON.parse(accounts[id]);
    assert.ok(k === `phone:${a.phone}` || k === `email:${a.email}`, `stale index ${k}`);
  }
  // Every acknowledged write is there, with its audit entry.
  const registry = dumpTable(dataDir, 'registry');
  for (const id of acked.registry) assert.ok(registry[id], `registry record ${id} lost`);
  const audit = eidctl(['--data', dataDir, 'audit', 'export']);
  assert.equal(audit.status, 0, audit.stderr);
  const entries = audit.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const subjects = new Set(entries.filter((e) => e.type.startsWith('account.')).map((e) => e.subject));
  for (const [id, a] of acked.accounts) {
    assert.ok(accounts[id], `account ${id} lost`);
    const rec = JSON.parse(accounts[id]);
    assert.equal(rec.phone, a.phone);
    assert.ok(subjects.has(id), `no audit entry for account ${id}`);
    if (a.certain) assert.equal(rec.status === 'locked', a.locked, `account ${id} lock state lost`);
  }
  // And as eidctl sees them, for a few.
  const certain = [...acked.accounts].filter(([, a]) => a.certain);
  for (let i = 0; i < 3 && certain.length > 0; i++) {
    const [id, a] = certain[Math.floor(Math.random() * certain.length)];
    const shown = JSON.parse(eidctl(['--data', dataDir, '--json', 'account', 'show', id]).stdout);
    assert.equal(shown.status === 'locked', a.locked, `account ${id} lock state lost`);
  }
  return entries.length;
}

test(`SIGKILL at random moments, ${ITERATIONS} times: nothing acknowledged is lost`, { timeout: 60 * 60 * 1000 }, async (t) => {
  const dataDir = tempDir('eid-crash-');
  const acked = { registry: new Set(), accounts: new Map(), tokens: 0, locks: 0 };
  const live = new Set();
  const client = { id: 'crashrp', secret: null };
  const added = eidctl(['client', 'add', '--data', dataDir, '--json', '--id', client.id,
    '--name', 'Crash RP', '--grant', 'client_credentials', '--scope', 'openid']);
  assert.equal(added.status, 0, added.stderr);
  client.secret = JSON.parse(added.stdout).client_secret;
  let auditEntries = 0;
  let s;
  try {
    for (let i = 0; i < ITERATIONS; i++) {
      s = await startEidd({ dataDir, config });
      const stop = { now: false };
      const work = [workload(s, live, acked, client, stop), workload(s, live, acked, client, stop)];
      await sleep(100 + Math.random() * 900);
      stop.now = true;
      s.proc.kill('SIGKILL');
      for (const p of live) p.kill('SIGKILL');
      await s.kill();
      await Promise.all(work);
      const n = checkStore(dataDir, acked);
      assert.ok(n >= auditEntries, 'the audit trail shrank');
      auditEntries = n;
    }
    s = undefined;
    const checked = acked.registry.size + acked.accounts.size + acked.locks;
    t.diagnostic(`crash: ${ITERATIONS} kills, ${checked} acknowledged writes checked ` +
      `(${acked.registry.size} registry records, ${acked.accounts.size} accounts, ` +
      `${acked.locks} lock changes), ${acked.tokens} tokens, ${auditEntries} audit entries`);
    assert.ok(acked.accounts.size > 0 && acked.tokens > 0, 'the workload did nothing');
  } finally {
    if (s) await s.kill();
    for (const p of live) p.kill('SIGKILL');
    spawnSync('rm', ['-rf', dataDir, `${dataDir}.conf`]);
  }
});
