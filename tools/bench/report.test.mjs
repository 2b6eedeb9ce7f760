// The benchmark's parsers and table, on canned outputs (no server).
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

import {
  chipTable, cryptoLimit, median, memory, parseOpensslSpeed, parseWrk,
  pathOf, probe, readWorkdir, table,
} from './report.mjs';

const OPENSSL = `CPUINFO: OPENSSL_ia32cap=0xfffa3203078bffff:0x405fc6f1bf07ab
                              sign    verify    sign/s verify/s
 256 bits ecdsa (nistp256)   0.0000s   0.0001s  51209.9  16584.7
                  sign    verify    sign/s verify/s
rsa 2048 bits 0.000661s 0.000020s   1512.6  50000.0
`;

const wrkOut = (o) => `Running 2s test @ http://127.0.0.1:1
  2 threads and 64 connections
BENCHJSON ${JSON.stringify({
  requests: 20000, duration_us: 2000000, bytes: 1, p50_us: 1500, p99_us: 4000, max_us: 9000,
  status_errors: 0, non2xx: 0, starved: 0, connect_errors: 0, read_errors: 0, write_errors: 0, timeouts: 0, ...o,
})}
Requests/sec:  10000.00
`;

test('openssl speed: sign and verify per second, ECDSA P-256 and RSA-2048', () => {
  assert.deepEqual(parseOpensslSpeed(OPENSSL),
    { sign: 51209.9, verify: 16584.7, rsaSign: 1512.6, rsaVerify: 50000 });
  // OpenSSL 3.2 and later: encrypt and decrypt columns after verify.
  const v32 = parseOpensslSpeed(' 256 bits ecdsa (nistp256)   0.0000s   0.0001s  40000.0  13000.0\n' +
    'rsa  2048 bits 0.000700s 0.000021s 0.000022s 0.000690s   1428.6  47619.0  45454.5  1449.3\n');
  assert.equal(v32.rsaSign, 1428.6);
  assert.equal(v32.rsaVerify, 47619);
  // Without the RSA line the ECDSA rates stand and RSA's are unknown.
  const ec = parseOpensslSpeed(OPENSSL.split('\n').slice(0, 3).join('\n'));
  assert.equal(ec.verify, 16584.7);
  assert.ok(Number.isNaN(ec.rsaVerify));
  assert.equal(parseOpensslSpeed('garbage\n'), null);
});

test('wrk: rate from requests and duration; every kind of error counts', () => {
  const r = parseWrk(wrkOut({}));
  assert.equal(r.rps, 10000);
  assert.equal(r.errors, 0);
  assert.equal(parseWrk(wrkOut({ status_errors: 3, non2xx: 5, timeouts: 1, read_errors: 2 })).errors, 8);
  // Codes running out is the harness's shortfall, not the server's error.
  assert.equal(parseWrk(wrkOut({ starved: 4 })).errors, 0);
  assert.equal(parseWrk('wrk: connection refused\n'), null);
});

test('memory: idle, peaks, and RSS beside the LMDB map', () => {
  const m = memory('0 10240 2048 8192 10240 1024 7000 6000\n',
    '1 20000 12000 8000 20000 3000 15000 14000\n2 30000 15000 15000 31000 9000 22000 21000\nbad line\n');
  assert.deepEqual(m.idle, { rss: 10240, anon: 2048, file: 8192, hwm: 10240, lmdb: 1024, own: 9216, pss: 7000, main: 6000 });
  assert.deepEqual(m.peak, { rss: 30000, anon: 15000, file: 15000, hwm: 31000, lmdb: 9000, own: 21000, pss: 22000, main: 21000 });
  // Six figures (samples from before PSS was taken): no PSS, no main RSS.
  const old = memory('0 10240 2048 8192 10240 1024\n', '1 20000 12000 8000 20000 3000\n');
  assert.ok(Number.isNaN(old.idle.pss) && Number.isNaN(old.peak.main));
  assert.equal(old.peak.rss, 20000);
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('probe: endpoints and grants from discovery', () => {
  const doc = {
    issuer: 'http://127.0.0.1:9', jwks_uri: 'http://127.0.0.1:9/jwks',
    token_endpoint: 'http://127.0.0.1:9/token', grant_types_supported: ['authorization_code', 'client_credentials'],
  };
  assert.deepEqual(probe(doc, 'healthz'), { ok: true, path: '/healthz' });
  assert.deepEqual(probe(doc, 'jwks'), { ok: true, path: '/jwks' });
  assert.deepEqual(probe(doc, 'client_credentials'), { ok: true, path: '/token' });
  assert.equal(probe(doc, 'refresh_token').reason, 'grant_types_supported lacks refresh_token');
  assert.equal(probe(doc, 'userinfo').reason, 'discovery lists no userinfo_endpoint');
  assert.equal(probe({ issuer: 'x', jwks_uri: '/jwks' }, 'jwks').reason, 'jwks_uri is not a URL');
  // RFC 8414's default for grant_types_supported has no client_credentials.
  assert.equal(probe({ token_endpoint: 'http://h/token' }, 'client_credentials').ok, false);
  assert.equal(probe({ token_endpoint: 'http://h/token' }, 'authorization_code').ok, true);
  assert.equal(probe(doc, 'chip_verify').ok, false);
  assert.equal(pathOf('http://h:1/a/b?x=1'), '/a/b?x=1');
});

test('crypto limit: cores over the cost of one request', () => {
  const speed = { sign: 50000, verify: 20000, rsaSign: 1000, rsaVerify: 40000 };
  assert.equal(Math.round(cryptoLimit({ sign: 1 }, speed, 2)), 100000);
  assert.equal(Math.round(cryptoLimit({ sign: 2 }, speed, 2)), 50000);
  assert.equal(Math.round(cryptoLimit({ verify: 1 }, speed, 2)), 40000);
  // /chip/verify: 3 ECDSA verifications (150 µs) and one RSA (25 µs).
  assert.equal(Math.round(cryptoLimit({ verify: 3, rsaVerify: 1 }, speed, 2)), 11429);
  assert.ok(Number.isNaN(cryptoLimit({ verify: 3, rsaVerify: 1 }, { ...speed, rsaVerify: NaN }, 2)));
  assert.ok(Number.isNaN(cryptoLimit({}, speed, 2)));
});

// A chip read's document as eidctl chip read prints it (the parts the
// table reads).
const chipDoc = (readSize, dg2) => ({
  access_control: 'PACE', read_size: readSize,
  setup: { apdus: 9, bytes: 700 },
  file_stats: {
    dg1: { size: 95, apdus: 2, selects: 1, reads: 1, bytes: 177, sm_overhead: 40 },
    dg13: { size: 240, apdus: 3, selects: 1, reads: 2, bytes: 368, sm_overhead: 80 },
    dg2: { size: 20085, apdus: 1 + dg2, selects: 1, reads: dg2, bytes: 23767, sm_overhead: 3000 },
    sod: { size: 943, apdus: 6, selects: 1, reads: 5, bytes: 1189, sm_overhead: 200 },
  },
});

test('chip read table: counts against ceil(size / largest answer)', () => {
  const t = chipTable({
    reason: '',
    reads: [{ name: 'pace', label: 'PACE', card_max: 223, doc: chipDoc(223, 91) }],
  });
  const line = (s) => t.find((l) => l.includes(s));
  assert.match(line('| DG2 |'), /\| 20,085 \| 92 \| 1 \| 91 \| 91 \| 0 \| 23,767 \| 3,000 \|$/);
  assert.match(line('| set-up (PACE) |'), /\| 9 \| \| \| \| \| 700 \| \|$/);
  assert.match(line('the four files'), /\| 21,363 \| 103 \| 4 \| 99 \| 99 \| 0 \| 25,501 \| 3,320 \|$/);
  assert.equal(t.at(-1), 'chip reads: every file in the fewest READ BINARYs the card allows');
  // One read more than the card allows is called out, unless it is the
  // "before" comparison.
  const over = chipTable({ reason: '', reads: [{ name: 'bac', label: 'BAC', card_max: 231, doc: chipDoc(223, 91) }] });
  assert.equal(over.at(-1), 'chip reads above the minimum: bac/dg2');
  const before = chipTable({ reason: '', reads: [{ name: 'bac', label: 'BAC', card_max: 231, before: true, doc: chipDoc(223, 91) }] });
  assert.match(before.at(-1), /every file/);
  assert.deepEqual(chipTable({ reads: [], reason: 'pcscd is not installed' }),
    ['chip read: not available yet: pcscd is not installed']);
});

test('table from a work directory: ratios within a run, unavailable rows, errors', () => {
  const dir = mkdtempSync(join(tmpdir(), 'eid-report-'));
  try {
    mkdirSync(join(dir, 'runs'));
    mkdirSync(join(dir, 'mem'));
    writeFileSync(join(dir, 'meta.env'), 'date=2026-01-01\nnproc=2\neidd_cores=2\npeer_cores=2\nrepeat=1\n');
    writeFileSync(join(dir, 'openssl.txt'), OPENSSL);
    writeFileSync(join(dir, 'runs', 'eidd__healthz__64__1.out'), wrkOut({ requests: 40000 }));
    writeFileSync(join(dir, 'runs', 'eidd__client_credentials__64__1.out'), wrkOut({ requests: 20000 }));
    writeFileSync(join(dir, 'runs', 'peer__client_credentials__64__1.out'), wrkOut({ requests: 5000, non2xx: 2 }));
    writeFileSync(join(dir, 'unavailable.tsv'), 'eidd\tuserinfo\tdiscovery lists no userinfo_endpoint\n');
    writeFileSync(join(dir, 'mem', 'eidd.idle'), '0 10240 2048 8192 10240 1024 7168 6144\n');
    writeFileSync(join(dir, 'mem', 'eidd.tsv'), '1 20480 4096 16384 20480 2048 15360 14336\n');
    writeFileSync(join(dir, 'scale.tsv'), '10000\tgen_rate\t500000\n10000\tbytes\t4096000\n' +
      '10000\timport_rate\t80000\n10000\timport_cpu_rate\t250000\n');
    writeFileSync(join(dir, 'runs', 'eidd__chip_verify__64__1.out'), wrkOut({ requests: 2000, starved: 1 }));
    writeFileSync(join(dir, 'chipread.json'), JSON.stringify([
      { name: 'pace', label: 'PACE', card_max: 223, doc: chipDoc(223, 91) }]));
    const t = table(readWorkdir(dir));
    assert.equal(t.ok, false);
    const line = (s) => t.text.split('\n').find((l) => l.includes(s));
    // 10k/s against 20k/s healthz; 2.5× the peer; 10k / (2 × 51209.9) = 10%.
    assert.match(line('| eidd | client_credentials | 64'), /\| 10,000 \| 1\.50 \| 4\.00 \| 0 \| 50% \| 10% \| 4\.00× \|$/);
    assert.match(line('| peer | client_credentials'), /\| 2,500 \| .* \| 2 \|/);
    assert.match(line('GET /userinfo'), /not available yet: discovery lists no userinfo_endpoint/);
    assert.match(line('| eidd | 10.0 MB'), /\| 7\.0 MB \| 6\.0 MB \| 2\.0 MB \| 8\.0 MB \| 1\.0 MB \| 20\.0 MB \| 15\.0 MB \| 4\.0 MB \| 16\.0 MB \| 2\.0 MB \| 18\.0 MB \| 20\.0 MB \|$/);
    assert.match(line('| 10,000 | 500'), /\| 500,000 \| 80,000 \| 250,000 \| 410 \| 3\.9 MB \|/);
    assert.match(t.text, /ERRORS in 1 run\(s\): peer\/client_credentials\/64/);
    // 1,000/s of POST /chip/verify: 5% of /healthz; the limit is
    // 2 / (3 / 16584.7 + 1 / 50000) = 9,956/s.
    assert.match(line('| eidd | POST /chip/verify (PA + AA) | 64'), /\| 1,000 \| 1\.50 \| 4\.00 \| 0 \| 5% \| 10% \| — \|$/);
    assert.match(t.text, /prepared codes or challenges ran out in eidd\/chip_verify\/64/);
    assert.match(line('| PACE; read size 223'), /set-up \(PACE\)/);
    assert.match(t.text, /rsa2048 1,513 signs\/s, 50,000 verifies\/s/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
