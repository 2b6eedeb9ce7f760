// The soak (tools/dev.sh soak MINUTES; docs/security.md): eidd under mixed
// traffic for MINUTES while its outbound peers fail on a schedule
// (tools/soak/peer.mjs) and its remote citizen registry fails a fraction
// of its lookups, then a full disk, with RSS, open fds, latency and
// errors sampled every 10 s and verdicts at the end.  Exit 0 only when
// every verdict holds.
//
//   node tools/soak/soak.mjs --build DIR --minutes M [--work DIR]
//        [--concurrency N] [--no-disk-full]
//        [--registry-500 F] [--registry-hang F]   (fractions, default 0.1)
//
// Traffic, from N concurrent loops: password logins through /authorize
// (the integration tests' browser, test/integration/lib/front.mjs) with
// the code exchange, userinfo, introspection, refresh and, one login in
// four, a logout that sends back-channel logouts; client_credentials;
// self-service registrations and their confirmation (the SMS gateway is
// the peer); /chip/challenge and a /chip/verify with data groups that do
// not verify (refused, 4xx).
//
// Each answer is one of: ok; refused (a 4xx the step expects); fault (a
// 5xx with a JSON error body from a step that waits on a peer that is
// misbehaving, any write while the disk is full, or a 503 that says the
// registry cannot be reached while the registry peer injects faults);
// unexpected (anything else: a 5xx without a JSON error body, a 5xx while nothing
// fails, a connection reset, an unexpected status).
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync,
  rmSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';
import { phaseAt } from './schedule.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const opt = { minutes: 1, concurrency: 8, diskFull: true, registry500: 0.1, registryHang: 0.1 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--build') opt.build = resolve(process.argv[++i]);
  else if (a === '--minutes') opt.minutes = Number(process.argv[++i]);
  else if (a === '--work') opt.work = resolve(process.argv[++i]);
  else if (a === '--concurrency') opt.concurrency = Number(process.argv[++i]);
  else if (a === '--no-disk-full') opt.diskFull = false;
  else if (a === '--registry-500') opt.registry500 = Number(process.argv[++i]);
  else if (a === '--registry-hang') opt.registryHang = Number(process.argv[++i]);
  else { console.error(`soak: unknown argument ${a}`); process.exit(2); }
}
const fraction = (x) => x >= 0 && x <= 1;
if (!opt.build || !(opt.minutes > 0) || !fraction(opt.registry500) ||
    !fraction(opt.registryHang) || opt.registry500 + opt.registryHang > 1) {
  console.error('usage: soak.mjs --build DIR --minutes M [--work DIR] [--concurrency N] [--no-disk-full]\n' +
    '       [--registry-500 F] [--registry-hang F] (fractions of the registry\'s lookups, sum at most 1)');
  process.exit(2);
}
process.env.EID_BUILD_DIR = opt.build;
const { eidctl, freePort } = await import('../../test/integration/lib/eidd.mjs');
const { Browser, signIn, pkce, authorizeUrl, rpParams, addClient } =
  await import('../../test/integration/lib/front.mjs');

const PHASE_S = 20;        // each fault phase of the peer
const SLOW_MS = 12000;     // past eidd's SMS and logout timeouts (5 s)
const SAMPLE_S = 10;
const DISK_FULL_S = 30;    // traffic against a full disk
const RECOVER_S = 10;      // and after it is freed again
// The traffic phase's first third is the warm-up: glibc gives threads
// their own malloc arenas, and each arena keeps the Argon2id buffer of the
// first password hash its thread computed (19 MiB by default), so
// anonymous memory climbs in such steps until every worker thread has
// hashed once (docs/security.md, soak).  Flat means: the last third
// against the middle third.
const RSS_TOLERANCE = 0.15; // last third's mean within 15% of the middle's
const FD_TOLERANCE = 16;    // last third's maximum within 16 of the middle's
const CITIZENS = 20000;
// The registry's client settings in eidd: a hanging lookup costs two
// tries of REGISTRY_TIMEOUT.
const REGISTRY_TIMEOUT = '1s';
const REGISTRY_TOKEN = 'soak-registry-token';
// The demo's citizens, looked up by the logins: handed to the registry
// peer once eidd has seeded them.
const DEMO_IDS = ['001090012345', '079195012346', '001216000777'];

const log = (m) => console.error(`soak: ${m}`);
const work = opt.work ?? mkdtempSync(join(tmpdir(), 'eid-soak-'));
const data = join(work, 'data');
mkdirSync(data, { recursive: true });

// ---- the data directory, on a small tmpfs when we may mount one ----
let diskFull = opt.diskFull ? null : 'skipped: --no-disk-full';
let mounted = false;
if (diskFull === null && process.getuid() !== 0) {
  diskFull = 'skipped: not root (mounting the small tmpfs needs root)';
}
if (diskFull === null) {
  const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=128m,mode=0700', 'tmpfs', data],
    { encoding: 'utf8' });
  if (m.status === 0) mounted = true;
  else diskFull = `skipped: mount -t tmpfs failed: ${m.stderr.trim()}`;
}
if (diskFull) log(`disk-full phase ${diskFull}`);

function run(cmd, args) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

// ---- citizens in the registry for the registrations ----
const gen = join(opt.build, 'tools', 'bench', 'gen_citizens');
run(gen, ['--data', data, '--count', String(CITIZENS)]);
run(gen, ['--jsonl', join(work, 'citizens.jsonl'), '--count', String(CITIZENS)]);
const citizens = readFileSync(join(work, 'citizens.jsonl'), 'utf8').trim().split('\n')
  .map((l) => JSON.parse(l));
let nextCitizen = 0;

// ---- the peer ----
const peer = spawn(process.execPath, [join(here, 'peer.mjs'), String(PHASE_S), String(SLOW_MS),
  String(opt.registry500), String(opt.registryHang), join(work, 'citizens.jsonl')],
{ stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, REGISTRY_TOKEN } });
const [peerPort, peerStart] = await new Promise((ok, fail) => {
  peer.stdout.once('data', (d) => {
    const m = /^peer (\d+) (\d+)/.exec(String(d));
    if (m) ok([Number(m[1]), Number(m[2])]); else fail(new Error(`peer: ${d}`));
  });
  peer.once('exit', (c) => fail(new Error(`peer exited with ${c}`)));
});
const peerBase = `http://127.0.0.1:${peerPort}`;
const faulty = (t) => phaseAt(t, peerStart, PHASE_S) !== 'ok';

// ---- eidd ----
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const conf = join(work, 'eidd.conf');
const tokenFile = join(work, 'registry-token');
writeFileSync(tokenFile, `${REGISTRY_TOKEN}\n`, { mode: 0o600 });
writeFileSync(conf, `[server]
threads = 8
max_connections_per_ip = 0
[limits]
token = 0
login = 0
registration = 0
chip = 0
[lockout]
per_address_max = 1000000
[registration]
per_address_max = 1000000
[notify]
sms_gateway_url = ${peerBase}/sms
[registry]
source = http
url = ${peerBase}/registry
bearer_token_file = ${tokenFile}
connect_timeout = 500ms
timeout = ${REGISTRY_TIMEOUT}
retries = 1
backoff = 50ms
allow_insecure_http = true
[accounts]
sweep_interval = 30s
[log]
access_log = false
`);
const eiddBin = join(opt.build, 'tools', 'eidd');
let eidd;
async function startEidd() {
  const p = spawn(eiddBin, ['--config', conf, '--data', data, '--demo', '--listen', `127.0.0.1:${port}`],
    { stdio: ['ignore', 'ignore', openSync(join(work, 'eidd.log'), 'a')] });
  p.exited = new Promise((ok) => p.once('exit', (code, sig) => ok({ code, sig })));
  for (let i = 0; i < 200; i++) {
    if (p.exitCode !== null) throw new Error(`eidd exited with ${p.exitCode} (see ${work}/eidd.log)`);
    try { if ((await fetch(`${base}/healthz`)).ok) return p; } catch { /* not yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('eidd did not become healthy');
}
eidd = await startEidd();
// The demo citizens, seeded into the local table by eidd --demo, are
// what the logins look up: the registry peer serves them too.
{
  const lines = DEMO_IDS.map((id) => {
    const r = eidctl(['--json', '--data', data, 'registry', 'show', id]);
    if (r.status !== 0) throw new Error(`eidctl registry show ${id}: ${r.stderr}`);
    return JSON.stringify(JSON.parse(r.stdout));
  });
  writeFileSync(join(work, 'demo.jsonl'), `${lines.join('\n')}\n`);
  const r = await fetch(`${peerBase}/registry/load`, { method: 'POST', body: join(work, 'demo.jsonl') });
  if (!r.ok) throw new Error(`registry peer: load: ${r.status} ${await r.text()}`);
}

const REDIRECT = `${peerBase}/cb`;
const web = addClient(data, ['--id', 'soak-web', '--name', 'Soak web',
  '--grant', 'authorization_code', '--grant', 'refresh_token',
  '--redirect-uri', REDIRECT, '--post-logout-redirect-uri', `${peerBase}/bye`,
  '--backchannel-logout-uri', `${peerBase}/bcl`,
  '--scope', 'openid profile citizen offline_access']);
const svc = addClient(data, ['--id', 'soak-svc', '--name', 'Soak service',
  '--grant', 'client_credentials', '--scope', 'openid']);
const basic = (c) => `Basic ${Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64')}`;

// ---- recording ----
const KINDS = ['ok', 'refused', 'fault', 'unexpected'];
let window = newWindow();
const samples = [];
const unexpected = [];
function newWindow() {
  return { since: Date.now(), n: 0, kinds: { ok: 0, refused: 0, fault: 0, unexpected: 0 }, lat: [] };
}
let phase = 'traffic'; // traffic, diskfull, recover

// A 503 telling that the registry cannot be reached: JSON
// (registry_unavailable on the self-service APIs, temporarily_unavailable
// on the OAuth endpoints) or the pages' message, in either language.
let registryFaults = 0;
function registryDown(status, body) {
  if (status !== 503) return false;
  if (/population registry cannot be reached|cơ sở dữ liệu quốc gia về dân cư/.test(body)) return true;
  try {
    const e = JSON.parse(body);
    return e.error === 'registry_unavailable' ||
      (e.error === 'temporarily_unavailable' && /depends on/.test(e.error_description ?? ''));
  } catch { return false; }
}

// classify(step, res, bodyText, {t0, peerStep, refusedOk, write})
function classify(step, status, body, ctx) {
  // An error body: OAuth-shaped JSON, or an error page for the browser.
  let json = ctx.html === true && /^<!doctype html/i.test(body);
  try { json = json || typeof JSON.parse(body).error === 'string'; } catch { /* not JSON */ }
  if (status >= 200 && status < 400) return 'ok';
  if (registryDown(status, body) && opt.registry500 + opt.registryHang > 0) {
    registryFaults++;
    return 'fault';
  }
  if (status >= 400 && status < 500 && ctx.refused?.includes(status)) return 'refused';
  if (status >= 500 && json) {
    if (ctx.peer && (faulty(ctx.t0) || faulty(Date.now()))) return 'fault';
    if (phase !== 'traffic' && ctx.write) return 'fault';
  }
  return 'unexpected';
}

function record(step, kind, ms, detail) {
  window.n++;
  window.kinds[kind]++;
  window.lat.push(ms);
  const ph = (perPhase[phase] ??= {});
  const st = (ph[step] ??= { ok: 0, refused: 0, fault: 0, unexpected: 0 });
  st[kind]++;
  if (kind === 'unexpected' && unexpected.length < 50) {
    unexpected.push(`${new Date().toISOString()} ${phase} ${step}: ${detail}`);
  }
}

// One HTTP call, timed and classified; returns { status, body, json }.
async function call(step, url, init, ctx = {}) {
  const t0 = Date.now();
  try {
    const res = await fetch(url, { redirect: 'manual', ...init, signal: AbortSignal.timeout(60000) });
    const body = await res.text();
    const kind = classify(step, res.status, body, { ...ctx, t0 });
    record(step, kind, Date.now() - t0, `${res.status} ${body.slice(0, 160)}`);
    let json = null;
    try { json = JSON.parse(body); } catch { /* not JSON */ }
    return { status: res.status, body, json, kind, headers: res.headers };
  } catch (e) {
    record(step, 'unexpected', Date.now() - t0, `${e.name}: ${e.cause?.code ?? e.message}`);
    return { status: 0, body: '', json: null, kind: 'unexpected' };
  }
}

const form = (o) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(o).toString(),
});
const withAuth = (init, auth) => ({ ...init, headers: { ...init.headers, authorization: auth } });

// ---- the steps ----
async function clientCredentials() {
  await call('client_credentials', `${base}/token`,
    withAuth(form({ grant_type: 'client_credentials' }), basic(svc)),
    { write: true });
}

async function login() {
  const b = new Browser(base);
  const { verifier, challenge } = pkce();
  const url = authorizeUrl(base, {
    response_type: 'code', client_id: web.client_id, redirect_uri: REDIRECT,
    scope: 'openid profile citizen offline_access', code_challenge: challenge,
    code_challenge_method: 'S256', state: 's', nonce: 'n', prompt: 'consent',
  });
  const t0 = Date.now();
  let done;
  try {
    done = await signIn(b, url);
  } catch (e) {
    record('login', 'unexpected', Date.now() - t0, `${e.name}: ${e.cause?.code ?? e.message}`);
    return;
  }
  const code = done.status === 303 && done.location?.startsWith(REDIRECT) ? rpParams(done.location).code : null;
  if (!code) {
    const kind = classify('login', done.status, done.text, { t0, write: true, html: true });
    record('login', kind === 'ok' ? 'unexpected' : kind, Date.now() - t0,
      `${done.status} ${done.location ?? done.text.slice(0, 160)}`);
    return;
  }
  record('login', 'ok', Date.now() - t0, '');
  const tok = await call('token_code', `${base}/token`, withAuth(form({
    grant_type: 'authorization_code', code, redirect_uri: REDIRECT, code_verifier: verifier,
  }), basic(web)), { write: true });
  if (tok.status !== 200) return;
  const { access_token: at, refresh_token: rt, id_token: idt } = tok.json;
  await call('userinfo', `${base}/userinfo`, { headers: { authorization: `Bearer ${at}` } });
  await call('introspect', `${base}/introspect`, withAuth(form({ token: at }), basic(web)));
  await call('refresh', `${base}/token`,
    withAuth(form({ grant_type: 'refresh_token', refresh_token: rt }), basic(web)), { write: true });
  await chip(at);
  if (Math.random() < 0.25) {
    // The logout: eidd answers at once; the back-channel logouts to the
    // peer go out from its worker, faults or not.
    const t1 = Date.now();
    const r = await b.get(`/end_session?id_token_hint=${idt}&post_logout_redirect_uri=${encodeURIComponent(`${peerBase}/bye`)}`)
      .catch((e) => ({ status: 0, text: `${e.name}: ${e.cause?.code ?? e.message}` }));
    let kind = classify('end_session', r.status, r.text, { t0: t1, write: true, html: true });
    if (r.status === 200 && /<form/.test(r.text)) kind = 'ok'; // asks to confirm
    record('end_session', kind, Date.now() - t1, `${r.status} ${r.text.slice(0, 160)}`);
  }
}

// [limits] chip caps /chip/* per address (off in the soak's configuration;
// a 429 would be the cap working).
const CHIP_REFUSED = [401, 403, 429];

async function chip(at) {
  const auth = { 'content-type': 'application/json', authorization: `Bearer ${at}` };
  const ch = await call('chip_challenge', `${base}/chip/challenge`,
    { method: 'POST', headers: auth, body: '{}' }, { write: true, refused: CHIP_REFUSED });
  if (ch.status !== 200) return;
  await call('chip_verify', `${base}/chip/verify`, {
    method: 'POST', headers: auth,
    body: JSON.stringify({ challenge_id: ch.json.challenge_id, sod: 'dwA', dg1: 'YQA' }),
  }, { write: true, refused: [...CHIP_REFUSED, 400, 422] });
}

const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00,
  0x01, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0xff, 0xd9]).toString('base64');

async function registration() {
  if (nextCitizen >= citizens.length) return clientCredentials();
  const c = citizens[nextCitizen];
  const phone = `09${String(10000000 + nextCitizen).slice(-8)}`;
  nextCitizen++;
  const json = { 'content-type': 'application/json' };
  const r = await call('registration', `${base}/api/v1/registrations`, {
    method: 'POST', headers: json,
    body: JSON.stringify({ personal_id: c.personal_id, full_name: c.full_name,
      birthdate: c.birthdate, phone, portrait: JPEG }),
  }, { peer: true, write: true, refused: [403] });
  if (r.status !== 202) return;
  // The SMS is queued: eidd's worker delivers it a moment after the 202.
  let code = null;
  for (let i = 0; i < 10 && !code; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, 200));
    code = await fetch(`${peerBase}/codes/${encodeURIComponent(`+84${phone.slice(1)}`)}`)
      .then((x) => (x.ok ? x.text() : null)).catch(() => null);
  }
  if (!code) return; // the SMS did not arrive (a fault phase): nothing to confirm
  await call('registration_confirm', `${base}${r.json.confirm_uri}`, {
    method: 'POST', headers: json, body: JSON.stringify({ code, password: 'soak-password-2026!' }),
  }, { write: true });
}

// Registrations only queue their SMS (eidd's worker waits on the gateway),
// but they wait for the code: they get their own loops, so the rest of the
// traffic shows whether eidd keeps serving while the gateway hangs.
const MIX = [[login, 3], [clientCredentials, 4]];
const MIX_TOTAL = MIX.reduce((n, [, w]) => n + w, 0);
function pick() {
  let x = Math.random() * MIX_TOTAL;
  for (const [f, w] of MIX) { if ((x -= w) < 0) return f; }
  return MIX[0][0];
}

// ---- sampling ----
function procStats(pid) {
  try {
    const st = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (k) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(st)[1]);
    const fds = readdirSync(`/proc/${pid}/fd`).length;
    return { rss: kib('VmRSS'), anon: kib('RssAnon'), fds };
  } catch {
    return { rss: NaN, anon: NaN, fds: NaN };
  }
}
const pct = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor(a.length * p))] : NaN);
const start = Date.now();
const perPhase = {}; // phase -> step -> kind -> count
let sampleTimer;
function sample() {
  clearTimeout(sampleTimer);
  sampleTimer = setTimeout(sample, SAMPLE_S * 1000);
  const w = window;
  window = newWindow();
  const lat = w.lat.sort((x, y) => x - y);
  const secs = Math.max(0.001, (Date.now() - w.since) / 1000);
  const s = { t: Math.round((Date.now() - start) / 1000), phase, rps: w.n / secs,
    ...w.kinds, p50: pct(lat, 0.5), p99: pct(lat, 0.99), ...procStats(eidd.pid) };
  samples.push(s);
  log(`${String(s.t).padStart(5)}s ${s.phase.padEnd(8)} ${s.rps.toFixed(1)} req/s ok ${s.ok} refused ${s.refused} ` +
    `fault ${s.fault} unexpected ${s.unexpected} p50 ${s.p50} ms p99 ${s.p99} ms rss ${s.rss} KiB ` +
    `(anon ${s.anon}) fds ${s.fds}`);
}
sampleTimer = setTimeout(sample, SAMPLE_S * 1000);
function enterPhase(p) {
  sample(); // the window so far belongs to the phase that ends
  phase = p;
}

async function traffic(untilMs) {
  const loops = [];
  const going = () => Date.now() < untilMs && eidd.exitCode === null;
  const regLoops = Math.max(1, Math.floor(opt.concurrency / 4));
  for (let i = 0; i < opt.concurrency; i++) {
    const step = i < regLoops ? registration : null;
    loops.push((async () => { while (going()) await (step ?? pick())(); })());
  }
  await Promise.all(loops);
}

// ---- the run ----
log(`eidd pid ${eidd.pid} on ${base}, peer ${peerBase}, work ${work}, ${opt.minutes} min`);
await traffic(start + opt.minutes * 60000);
const crashedDuringTraffic = eidd.exitCode !== null;
const steady = samples.filter((s) => s.phase === 'traffic');

let diskFullResult = diskFull;
if (!diskFull && !crashedDuringTraffic) {
  // Fill what is left of the tmpfs, then keep the traffic going.
  enterPhase('diskfull');
  const filler = join(data, 'filler');
  const fd = openSync(filler, 'w');
  const chunk = Buffer.alloc(1 << 20, 0x5a);
  let filled = 0;
  try { for (;;) filled += writeSync(fd, chunk); } catch (e) {
    if (e.code !== 'ENOSPC') throw e;
  }
  closeSync(fd);
  log(`disk full: ${filled >> 20} MiB of filler written`);
  await traffic(Date.now() + DISK_FULL_S * 1000);
  const duringFull = samples.filter((s) => s.phase === 'diskfull');
  rmSync(filler);
  enterPhase('recover');
  await traffic(Date.now() + RECOVER_S * 1000);
  diskFullResult = `filled (${filled >> 20} MiB filler) for ${DISK_FULL_S} s: ` +
    `${duringFull.reduce((n, s) => n + s.fault, 0)} clean write failures (5xx with an error body)`;
}
sample();
clearTimeout(sampleTimer);

// ---- after: a clean stop, the store reopens, the audit chain verifies ----
const alive = eidd.exitCode === null;
eidd.kill('SIGTERM');
const stop = await eidd.exited;
const audit = eidctl(['audit', 'verify', '--data', data]);
let reopened = false;
try {
  eidd = await startEidd();
  reopened = (await fetch(`${base}/readyz`)).status === 200;
  eidd.kill('SIGTERM');
  await eidd.exited;
} catch (e) {
  log(`restart: ${e.message}`);
}
const peerStats = await fetch(`${peerBase}/stats`).then((r) => r.json()).catch(() => ({}));
peer.kill('SIGTERM');

// ---- the table and the verdicts ----
const sum = (k) => samples.reduce((n, s) => n + s[k], 0);
console.log('\n| t (s) | phase | req/s | ok | refused | fault | unexpected | p50 ms | p99 ms | RSS KiB | of which anon | fds |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const s of samples) {
  console.log(`| ${s.t} | ${s.phase} | ${s.rps.toFixed(1)} | ${s.ok} | ${s.refused} | ${s.fault} | ` +
    `${s.unexpected} | ${s.p50} | ${s.p99} | ${s.rss} | ${s.anon} | ${s.fds} |`);
}
console.log('\n| phase | step | ok | refused | fault | unexpected |\n|---|---|---|---|---|---|');
for (const [ph, steps] of Object.entries(perPhase)) {
  for (const [st, k] of Object.entries(steps)) {
    console.log(`| ${ph} | ${st} | ${k.ok} | ${k.refused} | ${k.fault} | ${k.unexpected} |`);
  }
}
const third = Math.max(1, Math.floor(steady.length / 3));
const warmup = steady.slice(0, third);
const middle = steady.slice(third, 2 * third);
const last = steady.slice(-third);
const mean = (a, k) => a.reduce((n, s) => n + s[k], 0) / a.length;
const max = (a, k) => Math.max(...a.map((s) => s[k]));
// Anonymous memory (heap, stacks) is what a leak grows; the file-backed
// part of RSS is LMDB's map of a store that grows with the data written.
const rssMiddle = mean(middle, 'anon');
const rssLast = mean(last, 'anon');
const recovered = ['login', 'token_code', 'registration']
  .reduce((n, st) => n + (perPhase.recover?.[st]?.ok ?? 0), 0);
const verdicts = [
  [`anonymous RSS flat: last third's mean ${Math.round(rssLast)} KiB within ${RSS_TOLERANCE * 100}% of the middle third's ` +
    `${Math.round(rssMiddle)} KiB (warm-up third: ${Math.round(mean(warmup, 'anon'))} KiB)`,
    steady.length >= 3 && rssLast <= rssMiddle * (1 + RSS_TOLERANCE)],
  [`fds flat: last third's maximum ${max(last, 'fds')} within ${FD_TOLERANCE} of the middle third's ${max(middle, 'fds')}`,
    steady.length >= 3 && max(last, 'fds') <= max(middle, 'fds') + FD_TOLERANCE],
  [`no unexpected errors: ${sum('unexpected')} (of ${sum('ok') + sum('refused') + sum('fault') + sum('unexpected')} answers; ${sum('fault')} fault-induced)`,
    sum('unexpected') === 0],
  [`eidd alive to the end and stopped cleanly (exit ${stop.code}, signal ${stop.sig})`,
    alive && stop.code === 0],
  [`audit chain verifies (eidctl audit verify: ${audit.stdout.trim() || audit.stderr.trim()})`,
    audit.status === 0],
  ['the store reopens: a restarted eidd is ready', reopened],
];
const reg = peerStats.registry ?? {};
const injected = (reg.error ?? 0) + (reg.hang ?? 0);
verdicts.push([`the registry peer was used: ${reg.ok ?? 0} records served, ${reg.not_found ?? 0} not found, ` +
  `${injected} faults injected (${reg.error ?? 0} 500s, ${reg.hang ?? 0} hangs), ${reg.unauthorized ?? 0} without the token`,
(reg.ok ?? 0) > 0 && (reg.unauthorized ?? 0) === 0 &&
  (opt.registry500 + opt.registryHang === 0 || injected > 0)]);
if (!diskFull) {
  verdicts.push([`writes succeed again once the disk has room: ${recovered} logins, code exchanges and registrations after`,
    recovered > 0]);
}
console.log(`\nfaults served by the peer: ${JSON.stringify(peerStats)}`);
console.log(`registry: ${opt.registry500} of the lookups answered 500, ${opt.registryHang} hung past the ` +
  `${REGISTRY_TIMEOUT} timeout; ${registryFaults} answers were a clean 503 "registry unavailable"`);
console.log(`disk-full phase: ${diskFullResult}`);
for (const [what, ok] of verdicts) console.log(`${ok ? 'PASS' : 'FAIL'} ${what}`);
for (const u of unexpected) console.log(`  unexpected: ${u}`);
if (mounted) spawnSync('umount', [data]);
if (!opt.work) rmSync(work, { recursive: true, force: true });
process.exit(verdicts.every(([, ok]) => ok) ? 0 : 1);
