// The benchmark's parsers and its one table.  tools/bench/bench.sh leaves
// raw outputs in a work directory; this reads them and prints the table.
//
//   node report.mjs probe DISCOVERY.json ROW   "ok PATH" or "unavailable REASON"
//   node report.mjs table WORKDIR              the table (markdown)
//
// Work directory layout (written by bench.sh):
//   meta.env                  key=value: date, machine, settings, load
//   openssl.txt               `openssl speed -seconds S ecdsap256 rsa2048` output
//   runs/SERVER__ROW__CONNS__REP.out   wrk output (with a BENCHJSON line)
//   unavailable.tsv           SERVER<TAB>ROW<TAB>reason
//   mem/SERVER.idle           one sample right after start
//   mem/SERVER.tsv            samples: ms rss anon file hwm lmdb (kB)
//   scale.tsv                 citizens<TAB>key<TAB>value
//   chipread.json             tools/bench/chipread.mjs's card reads
//   chipread.unavailable      why there are none
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath } from 'node:url';

// Every row, in table order.  sign/verify: ECDSA P-256 operations one
// request costs by design (a token response signs the access token, and
// the ID token when there is one; userinfo and introspection verify a JWT
// access token), rsaVerify: RSA-2048 verifications, for the "vs crypto
// limit" column.  POST /chip/verify with the bench's card: the bearer
// token (ES256), the SOD's signature by the DSC and the DSC's by the CSCA
// (the test PKI's ECDSA P-256), and Active Authentication with the card's
// RSA-2048 key.
export const ROWS = [
  { row: 'healthz', label: 'GET /healthz' },
  { row: 'discovery', label: 'GET discovery' },
  { row: 'jwks', label: 'GET /jwks' },
  { row: 'client_credentials', label: 'client_credentials', sign: 1 },
  { row: 'refresh_token', label: 'refresh_token (rotating)', sign: 2 },
  { row: 'authorization_code', label: 'authorization_code exchange', sign: 2 },
  { row: 'userinfo', label: 'GET /userinfo', verify: 1 },
  { row: 'introspect', label: 'POST /introspect', verify: 1 },
  { row: 'chip_verify', label: 'POST /chip/verify (PA + AA)', verify: 3, rsaVerify: 1 },
  { row: 'password_login', label: 'password login (Argon2id)' },
];

// What each row needs from the discovery document.
const NEEDS = {
  discovery: { path: () => '/.well-known/openid-configuration' },
  jwks: { endpoint: 'jwks_uri' },
  client_credentials: { endpoint: 'token_endpoint', grant: 'client_credentials' },
  refresh_token: { endpoint: 'token_endpoint', grant: 'refresh_token' },
  authorization_code: { endpoint: 'token_endpoint', grant: 'authorization_code' },
  userinfo: { endpoint: 'userinfo_endpoint' },
  introspect: { endpoint: 'introspection_endpoint' },
};

// The path of an absolute endpoint URL ("" when it is not one).
export function pathOf(url) {
  try {
    const u = new URL(url);
    return u.pathname + u.search;
  } catch {
    return '';
  }
}

// Whether the server's discovery document says a row can run.  RFC 8414:
// grant_types_supported defaults to authorization_code and implicit.
export function probe(doc, row) {
  if (row === 'healthz') return { ok: true, path: '/healthz' };
  const need = NEEDS[row];
  if (!need) return { ok: false, reason: 'no endpoint for this row yet' };
  if (need.path) return { ok: true, path: need.path() };
  const url = doc?.[need.endpoint];
  if (typeof url !== 'string' || url === '')
    return { ok: false, reason: `discovery lists no ${need.endpoint}` };
  const path = pathOf(url);
  if (path === '') return { ok: false, reason: `${need.endpoint} is not a URL` };
  if (need.grant) {
    const grants = Array.isArray(doc.grant_types_supported)
      ? doc.grant_types_supported : ['authorization_code', 'implicit'];
    if (!grants.includes(need.grant))
      return { ok: false, reason: `grant_types_supported lacks ${need.grant}` };
  }
  return { ok: true, path };
}

// `openssl speed ecdsap256 rsa2048`: the lines "256 bits ecdsa
// (nistp256) Ts Ts sign/s verify/s" and "rsa 2048 bits Ts Ts [Ts Ts]
// sign/s verify/s [...]" (OpenSSL 3.2 adds encrypt and decrypt columns).
// Rates per second of one core: { sign, verify, rsaSign, rsaVerify }, the
// RSA ones NaN when the line is missing; null without the ECDSA line.
function rates(rest) {
  const nums = rest.trim().split(/\s+/).filter((f) => !f.endsWith('s')).map(Number);
  return nums.length >= 2 && nums.every(Number.isFinite) ? nums : null;
}

export function parseOpensslSpeed(text) {
  let ec = null;
  let rsa = null;
  for (const line of text.split('\n')) {
    let m = line.match(/^\s*256 bits ecdsa \(nistp256\)\s+(.*)$/);
    if (m) ec = rates(m[1]);
    m = line.match(/^\s*rsa\s+2048 bits\s+(.*)$/);
    if (m) rsa = rates(m[1]);
  }
  if (!ec) return null;
  return { sign: ec[0], verify: ec[1], rsaSign: rsa ? rsa[0] : NaN, rsaVerify: rsa ? rsa[1] : NaN };
}

// The BENCHJSON line that tools/bench/lua/bench.lua prints.
export function parseWrk(text) {
  for (const line of text.split('\n')) {
    if (line.startsWith('BENCHJSON ')) {
      const r = JSON.parse(line.slice('BENCHJSON '.length));
      r.rps = r.duration_us > 0 ? r.requests / (r.duration_us / 1e6) : 0;
      // wrk counts only statuses >= 400; scripts with a response()
      // callback count every non-2xx.
      r.errors = Math.max(r.status_errors, r.non2xx)
        + r.connect_errors + r.read_errors + r.write_errors + r.timeouts;
      return r;
    }
  }
  return null;
}

export function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// Groups runs by server, row and connections, and takes the medians.
export function summarize(runs) {
  const groups = new Map();
  for (const r of runs) {
    const k = `${r.server}\t${r.row}\t${r.conns}`;
    if (!groups.has(k)) groups.set(k, { server: r.server, row: r.row, conns: r.conns, runs: [] });
    groups.get(k).runs.push(r);
  }
  const out = new Map();
  for (const [k, g] of groups) {
    out.set(k, {
      ...g,
      rps: median(g.runs.map((r) => r.rps)),
      p50_us: median(g.runs.map((r) => r.p50_us)),
      p99_us: median(g.runs.map((r) => r.p99_us)),
      errors: g.runs.reduce((n, r) => n + r.errors, 0),
      // Ratios within one repetition, then their median: both sides ran
      // minutes apart at most, under the same background load.
      reps: g.runs.length,
    });
  }
  return out;
}

function ratioInRun(runs, server, row, conns, baseServer, baseRow) {
  const byRep = new Map();
  for (const r of runs) {
    if (r.conns !== conns) continue;
    if (r.server === server && r.row === row) byRep.set(r.rep, { ...byRep.get(r.rep), a: r.rps });
    if (r.server === baseServer && r.row === baseRow) byRep.set(r.rep, { ...byRep.get(r.rep), b: r.rps });
  }
  const xs = [...byRep.values()].filter((v) => v.a > 0 && v.b > 0).map((v) => v.a / v.b);
  return xs.length ? median(xs) : NaN;
}

// Requests/s at which the server's cores would do nothing but the row's
// public-key operations.
export function cryptoLimit(rowDef, speed, cores) {
  if (!speed || !(rowDef.sign || rowDef.verify || rowDef.rsaVerify)) return NaN;
  const perRequest = (rowDef.sign || 0) / speed.sign + (rowDef.verify || 0) / speed.verify
    + (rowDef.rsaVerify ? rowDef.rsaVerify / speed.rsaVerify : 0);
  return cores / perRequest;
}

const fmtRate = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '—');
const fmtMs = (us) => (Number.isFinite(us) ? (us / 1000).toFixed(2) : '—');
const fmtPct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '—');
const fmtX = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '—');
const fmtMB = (kb) => (Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : '—');

export function readEnv(text) {
  const out = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

// Memory of one server from sample lines "ms rss anon file hwm lmdb pss
// main" (kB, summed over its processes but main, the first process's own
// RSS): idle (the line taken right after start) and the peak of each
// figure sampled under load.  lmdb is the resident part of the LMDB maps,
// counted in file; rss - lmdb is what the issue's target bounds.  pss
// counts a page shared by n processes 1/n in each, so pages a forked child
// shares with its parent count once.  Lines from before pss and main were
// sampled (six figures) give NaN for both.
export function memory(idleText, samplesText) {
  const parse = (text) => text.split('\n').map((line) => line.trim().split(/\s+/).map(Number))
    .filter((f) => f.length >= 6 && f.every(Number.isFinite))
    .map(([, rss, anon, file, hwm, lmdb, pss = NaN, main = NaN]) =>
      ({ rss, anon, file, hwm, lmdb, own: rss - lmdb, pss, main }));
  const zero = { rss: 0, anon: 0, file: 0, hwm: 0, lmdb: 0, own: 0, pss: NaN, main: NaN };
  const idle = parse(idleText)[0] || zero;
  const peak = { ...zero };
  for (const s of parse(samplesText))
    for (const k of Object.keys(peak))
      peak[k] = Number.isNaN(peak[k]) ? s[k] : Math.max(peak[k], s[k]);
  return { idle, peak };
}

export function readWorkdir(dir) {
  const read = (p) => (existsSync(join(dir, p)) ? readFileSync(join(dir, p), 'utf8') : '');
  const meta = readEnv(read('meta.env'));
  const speed = parseOpensslSpeed(read('openssl.txt'));
  const runs = [];
  const runDir = join(dir, 'runs');
  if (existsSync(runDir)) {
    for (const f of readdirSync(runDir).sort()) {
      const m = f.match(/^([a-z]+)__([a-z_]+)__(\d+)__(\d+)\.out$/);
      if (!m) continue;
      const r = parseWrk(readFileSync(join(runDir, f), 'utf8'));
      if (r) runs.push({ ...r, server: m[1], row: m[2], conns: Number(m[3]), rep: Number(m[4]) });
      else runs.push({ server: m[1], row: m[2], conns: Number(m[3]), rep: Number(m[4]), rps: NaN, p50_us: NaN, p99_us: NaN, errors: 1, failed: true });
    }
  }
  const unavailable = new Map();
  for (const line of read('unavailable.tsv').split('\n')) {
    const [server, row, reason] = line.split('\t');
    if (server && row) unavailable.set(`${server}\t${row}`, reason || 'not available yet');
  }
  const mem = {};
  for (const server of ['eidd', 'peer']) {
    if (existsSync(join(dir, 'mem', `${server}.tsv`)))
      mem[server] = memory(read(`mem/${server}.idle`), read(`mem/${server}.tsv`));
  }
  const scale = read('scale.tsv').split('\n').filter(Boolean).map((l) => l.split('\t'));
  let reads = [];
  try { reads = JSON.parse(read('chipread.json') || '[]'); } catch { reads = []; }
  const chip = { reads, reason: read('chipread.unavailable').trim() };
  return { meta, speed, runs, unavailable, mem, scale, chip };
}

// The chip read table: per read (card and reader settings), the set-up
// (EF.CardAccess, PACE or BAC, SELECT of the application) and each of DG1,
// DG13, DG2 and EF.SOD: SELECTs, READ BINARYs against the fewest the
// card's largest answer allows (ceil(size / card_max)), other APDUs (GET
// RESPONSE, a refused read size), bytes on the wire and what secure
// messaging added to them.
const CHIP_FILES = [['dg1', 'DG1'], ['dg13', 'DG13'], ['dg2', 'DG2'], ['sod', 'EF.SOD']];

export function chipTable({ reads, reason }) {
  if (!reads.length) return [`chip read: not available yet: ${reason}`];
  const out = [];
  out.push('| chip read | file | bytes | APDUs | SELECT | READ BINARY | minimum READ BINARY | other APDUs | bytes on the wire | SM overhead |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  const bad = [];
  for (const r of reads) {
    const d = r.doc;
    const name = `${r.label}; read size ${d.read_size}, card's largest ${r.card_max}`;
    out.push(`| ${name} | set-up (${d.access_control}) | | ${d.setup.apdus} | | | | | ${fmtRate(d.setup.bytes)} | |`);
    const sum = { size: 0, apdus: 0, selects: 0, reads: 0, min: 0, bytes: 0, sm: 0 };
    for (const [key, label] of CHIP_FILES) {
      const f = d.file_stats?.[key];
      if (!f) continue;
      const min = Math.ceil(f.size / r.card_max);
      if (f.reads > min && !r.before) bad.push(`${r.name}/${key}`);
      out.push(`| ${name} | ${label} | ${fmtRate(f.size)} | ${f.apdus} | ${f.selects} | ${f.reads} | ${min} | ${f.apdus - f.selects - f.reads} | ${fmtRate(f.bytes)} | ${fmtRate(f.sm_overhead)} |`);
      for (const [k, v] of [['size', f.size], ['apdus', f.apdus], ['selects', f.selects], ['reads', f.reads], ['min', min], ['bytes', f.bytes], ['sm', f.sm_overhead]])
        sum[k] += v;
    }
    out.push(`| ${name} | the four files | ${fmtRate(sum.size)} | ${sum.apdus} | ${sum.selects} | ${sum.reads} | ${sum.min} | ${sum.apdus - sum.selects - sum.reads} | ${fmtRate(sum.bytes)} | ${fmtRate(sum.sm)} |`);
  }
  out.push('', bad.length ? `chip reads above the minimum: ${bad.join(', ')}` : 'chip reads: every file in the fewest READ BINARYs the card allows');
  return out;
}

export function table(w) {
  const { meta, speed, runs, unavailable, mem, scale } = w;
  const chip = w.chip || { reads: [], reason: '' };
  const sum = summarize(runs);
  const conns = [...new Set(runs.map((r) => r.conns))].sort((a, b) => a - b);
  const cores = { eidd: Number(meta.eidd_cores || 2), peer: Number(meta.peer_cores || 2) };
  const out = [];
  out.push(`eid benchmark, ${meta.date || '?'}: ${meta.nproc || '?'} cores (${meta.cpu || '?'}), Linux ${meta.kernel || '?'}`);
  out.push(`wrk ${meta.duration || '?'} s per run, ${meta.wrk_threads || '?'} threads, median of ${meta.repeat || '?'} run(s); eidd ${meta.eidd_threads || '?'} threads; peer: node-oidc-provider ${meta.peer_version || '—'} on node ${meta.node_version || '—'}, ${meta.peer_workers || '—'} workers`);
  out.push(`load average before: ${meta.load_before || '?'}; after: ${meta.load_after || '?'}`);
  if (speed)
    out.push(`openssl speed (this run, per core): ecdsap256 ${fmtRate(speed.sign)} signs/s, ${fmtRate(speed.verify)} verifies/s; rsa2048 ${fmtRate(speed.rsaSign)} signs/s, ${fmtRate(speed.rsaVerify)} verifies/s`);
  out.push('');
  out.push('| server | row | conns | req/s | p50 ms | p99 ms | errors | vs /healthz | vs crypto limit | vs peer |');
  out.push('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const server of ['eidd', 'peer']) {
    for (const def of ROWS) {
      const reason = unavailable.get(`${server}\t${def.row}`);
      const have = conns.filter((c) => sum.has(`${server}\t${def.row}\t${c}`));
      if (have.length === 0) {
        if (reason) out.push(`| ${server} | ${def.label} | | | | | | | | ${reason.startsWith('measured') ? reason : `not available yet: ${reason}`} |`);
        continue;
      }
      for (const c of have) {
        const s = sum.get(`${server}\t${def.row}\t${c}`);
        const vsHealth = server === 'eidd' && def.row !== 'healthz'
          ? ratioInRun(runs, server, def.row, c, 'eidd', 'healthz') : NaN;
        const limit = cryptoLimit(def, speed, cores[server]);
        const vsPeer = server === 'eidd' ? ratioInRun(runs, 'eidd', def.row, c, 'peer', def.row) : NaN;
        out.push(`| ${server} | ${def.label} | ${c} | ${fmtRate(s.rps)} | ${fmtMs(s.p50_us)} | ${fmtMs(s.p99_us)} | ${s.errors} | ${fmtPct(vsHealth)} | ${fmtPct(s.rps / limit)} | ${fmtX(vsPeer)} |`);
      }
    }
  }
  if (Object.keys(mem).length) {
    out.push('');
    out.push('| memory | idle RSS | idle PSS | idle RSS, main process | idle anon | idle file | idle LMDB | peak RSS | peak PSS | peak anon | peak file | peak LMDB | peak RSS − LMDB | VmHWM |');
    out.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const [server, m] of Object.entries(mem))
      out.push(`| ${server} | ${fmtMB(m.idle.rss)} | ${fmtMB(m.idle.pss)} | ${fmtMB(m.idle.main)} | ${fmtMB(m.idle.anon)} | ${fmtMB(m.idle.file)} | ${fmtMB(m.idle.lmdb)} | ${fmtMB(m.peak.rss)} | ${fmtMB(m.peak.pss)} | ${fmtMB(m.peak.anon)} | ${fmtMB(m.peak.file)} | ${fmtMB(m.peak.lmdb)} | ${fmtMB(m.peak.own)} | ${fmtMB(m.peak.hwm)} |`);
  }
  const bad_scale = [];
  if (scale.length) {
    out.push('');
    out.push('| citizens | generate /s | import /s | import /s of CPU | bytes per citizen | data dir | userinfo (profile) req/s | p50 ms | p99 ms | errors | p99 vs smallest |');
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    const by = new Map();
    for (const [n, k, v] of scale) {
      if (!by.has(n)) by.set(n, {});
      by.get(n)[k] = Number(v);
    }
    const sizes = [...by.keys()].filter((n) => by.get(n).ui_p99_us > 0).sort((x, y) => Number(x) - Number(y));
    const base99 = sizes.length ? by.get(sizes[0]).ui_p99_us : NaN;
    for (const [n, s] of by) {
      const ui = s.ui_rps > 0;
      out.push(`| ${Number(n).toLocaleString('en-US')} | ${fmtRate(s.gen_rate)} | ${fmtRate(s.import_rate)} | ${fmtRate(s.import_cpu_rate)} | ${fmtRate(s.bytes / Number(n))} | ${fmtMB(s.bytes / 1024)} | ${ui ? fmtRate(s.ui_rps) : '—'} | ${ui ? fmtMs(s.ui_p50_us) : '—'} | ${ui ? fmtMs(s.ui_p99_us) : '—'} | ${ui ? s.ui_errors : '—'} | ${ui ? fmtX(s.ui_p99_us / base99) : '—'} |`);
    }
    const uiBad = [...by].filter(([, s]) => s.ui_errors > 0);
    if (uiBad.length) bad_scale.push(...uiBad.map(([n]) => `scale/${n}/userinfo`));
  }
  const starved = runs.filter((r) => r.starved > 0);
  if (starved.length)
    out.push('', `prepared codes or challenges ran out in ${starved.map((r) => `${r.server}/${r.row}/${r.conns}`).join(', ')}: those rates are over the time they lasted`);
  if (chip.reads.length || chip.reason) out.push('', ...chipTable(chip));
  const bad = runs.filter((r) => r.errors > 0 || r.failed).map((r) => `${r.server}/${r.row}/${r.conns}`).concat(bad_scale);
  out.push('');
  out.push(bad.length ? `ERRORS in ${bad.length} run(s): ${bad.join(', ')}` : 'errors: 0 in every run');
  return { text: out.join('\n'), ok: bad.length === 0 };
}

function main(argv) {
  const [cmd, a, b] = argv;
  if (cmd === 'probe' && a && b) {
    let doc = null;
    try { doc = JSON.parse(readFileSync(a, 'utf8')); } catch { doc = null; }
    const p = doc ? probe(doc, b) : { ok: false, reason: 'no discovery document' };
    console.log(p.ok ? `ok ${p.path}` : `unavailable ${p.reason}`);
    return 0;
  }
  if (cmd === 'table' && a) {
    const t = table(readWorkdir(a));
    console.log(t.text);
    return t.ok ? 0 : 1;
  }
  console.error('usage: node report.mjs probe DISCOVERY.json ROW | table WORKDIR');
  return 2;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2));
