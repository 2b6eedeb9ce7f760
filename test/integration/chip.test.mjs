// Chip cards end to end through a real PC/SC stack: `eidctl card issue`
// makes test cards for a registry citizen, eid-vcard serves each one to
// pcscd's vpcd driver, and `eidctl chip read` reads it with BAC, Active
// and Passive Authentication.  A good card is valid in every verdict with
// its DG13 intact; each faulty card fails the way it should and is never
// "valid"; wrong MRZ information fails BAC.  Skips (with the reason) only
// when pcscd or the vpcd driver is not installed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { eidctl, startEidd, tempDir } from './lib/eidd.mjs';
import { issueCard, pcscMissing, readCardWith, startPcscd } from './lib/pcsc.mjs';

const CITIZEN = '001090012345'; // eidd --demo: Nguyễn Văn An, born 1990-03-15
const MRZ_INFO = '090012345+900315+300315';
const missing = pcscMissing();

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// Top-level tests (nested ones confuse meson's TAP parser); each skips
// with the reason when the stack is missing.
const opts = { skip: missing ?? false };
let dir, data, pcscd;

before(async () => {
  if (missing) return;
  dir = tempDir('eid-chip-');
  data = join(dir, 'data');
  // eidd --demo seeds the registry with the demo citizens.
  const eidd = await startEidd({ dataDir: data });
  await eidd.stop();
  pcscd = await startPcscd(dir);
});

after(async () => {
  if (pcscd) await pcscd.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const ctl = (args) => eidctl(['--data', data, ...args], { env: pcscd.env });

const issue = (name, extra = []) => issueCard(ctl, dir, CITIZEN, name, extra);

// Serve image, run `chip read`, stop the card (it must exit cleanly).
const readCard = (image, args = ['--mrz-info', MRZ_INFO]) =>
  readCardWith(ctl, image, pcscd.port, args);

test('the test PKI and the CSCA store', opts, () => {
  issue('good');
  assert.ok(existsSync(join(data, 'test-pki', 'csca.pem')));
  const imp = ctl(['csca', 'import', join(data, 'test-pki', 'csca.pem')]);
  assert.equal(imp.status, 0, imp.stderr);
  assert.match(imp.stdout, /1 CSCA certificate\(s\) added/);
  const again = ctl(['csca', 'import', join(data, 'test-pki', 'csca.pem')]);
  assert.match(again.stdout, /0 CSCA certificate\(s\) added, 1 already present/);
  const list = ctl(['--json', 'csca', 'list']);
  assert.equal(list.status, 0, list.stderr);
  assert.equal(JSON.parse(list.stdout)[0].subject, '/C=VN/CN=eid test CSCA');
});

test('chip readers lists the virtual reader', opts, () => {
  const r = ctl(['chip', 'readers']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Virtual PCD/);
});

test('a good card: BAC, every verdict valid, DG13 intact', opts, async () => {
  const out = join(dir, 'read');
  const r = await readCard(join(dir, 'good.img'),
    ['--mrz-info', MRZ_INFO, '--out', out]);
  assert.equal(r.status, 0, r.stderr);
  const d = r.doc;
  assert.equal(d.verdict, 'valid');
  assert.equal(d.access_control, 'BAC');
  assert.equal(d.pace_offered, true);
  assert.equal(d.passive_authentication.overall, 'valid');
  assert.equal(d.passive_authentication.signature.verdict, 'valid');
  assert.equal(d.passive_authentication.chain.verdict, 'valid');
  assert.equal(d.passive_authentication.dg_hashes.verdict, 'valid');
  assert.equal(d.active_authentication, 'valid');
  assert.deepEqual(d.files_read, ['com', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15', 'sod']);
  assert.equal(d.dg13.full_name, 'Nguyễn Văn An');
  assert.equal(d.dg13.personal_id, CITIZEN);
  assert.equal(d.dg13.residence, '12 Phố Huế, Hai Bà Trưng, Hà Nội');
  assert.equal(d.mrz.document_number, '090012345');
  assert.equal(d.mrz.personal_id, CITIZEN);
  assert.equal(d.mrz.primary_identifier, 'NGUYEN');
  assert.equal(d.mrz.secondary_identifier, 'VAN AN');
  assert.ok(d.apdus > 0 && d.bytes > 0);
  // The files written out verify on their own.
  const files = ['sod', 'dg1', 'dg2', 'dg13', 'dg14', 'dg15'];
  const args = files.flatMap((f) => [`--${f}`, join(out, `${f}.bin`)]);
  const v = ctl(['chip', 'verify', ...args]);
  assert.equal(v.status, 0, v.stderr);
  assert.equal(JSON.parse(v.stdout).verdict, 'valid');
  // ... and not once a byte changes.
  const dg13 = readFileSync(join(out, 'dg13.bin'));
  dg13[dg13.length - 1] ^= 1;
  writeFileSync(join(out, 'dg13.bin'), dg13);
  const bad = ctl(['chip', 'verify', ...args]);
  assert.equal(bad.status, 1);
  assert.equal(JSON.parse(bad.stdout).passive_authentication.dg_hashes.verdict, 'invalid');
});

const faults = [
  ['tampered-dg1', (d) => {
    assert.equal(d.passive_authentication.dg_hashes.verdict, 'invalid');
    assert.equal(d.passive_authentication.data_groups.find((g) => g.number === 1).verdict, 'invalid');
  }],
  ['tampered-dg13', (d) => {
    assert.equal(d.passive_authentication.dg_hashes.verdict, 'invalid');
    assert.equal(d.passive_authentication.data_groups.find((g) => g.number === 13).verdict, 'invalid');
  }],
  ['wrong-sod-signer', (d) => {
    assert.equal(d.passive_authentication.chain.verdict, 'invalid');
  }],
  ['expired-dsc', (d) => {
    assert.equal(d.passive_authentication.chain.verdict, 'invalid');
    assert.match(d.passive_authentication.chain.reason, /expired/);
  }],
  ['no-dg15', (d) => {
    assert.equal(d.passive_authentication.overall, 'valid');
    assert.equal(d.active_authentication, 'not_supported');
    assert.ok(!d.files_read.includes('dg15'));
  }],
];

for (const [fault, check] of faults) {
  test(`a card with fault ${fault} is never valid`, opts, async () => {
    const r = await readCard(issue(fault, ['--fault', fault]));
    assert.equal(r.status, 1, `exit status; stderr: ${r.stderr}`);
    assert.ok(r.doc, `no document; stderr: ${r.stderr}`);
    assert.notEqual(r.doc.verdict, 'valid');
    assert.match(r.stderr, /verdict (invalid|incomplete)/);
    check(r.doc);
  });
}

test('a BAC-only card offers no PACE and reads with BAC', opts, async () => {
  const r = await readCard(issue('bac-only', ['--fault', 'bac-only']));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.doc.pace_offered, false);
  assert.equal(r.doc.access_control, 'BAC');
});

test('wrong MRZ information: BAC fails with a clear error', opts, async () => {
  const r = await readCard(join(dir, 'good.img'), ['--mrz-info', '090012345+900316+300315']);
  assert.equal(r.status, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /BAC failed: the card refused the MRZ information/);
});

test('--can is refused until PACE exists', opts, () => {
  const r = ctl(['chip', 'read', '--can', '012345']);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /PACE not available yet/);
});

test('extended length: a 20 KB DG2 in one READ BINARY', opts, async () => {
  const image = issue('big-ext', ['--face-bytes', '20000', '--extended', '--max-read', '65536']);
  const ext = await readCard(image, ['--mrz-info', MRZ_INFO, '--max-read', '65536']);
  assert.equal(ext.status, 0, ext.stderr);
  assert.ok(ext.doc.file_stats.dg2.size > 20000);
  assert.equal(ext.doc.file_stats.dg2.apdus, 2); // SELECT, READ BINARY
  const short = await readCard(image);
  assert.equal(short.status, 0, short.stderr);
  // SELECT and ceil(size / 0xDF) READ BINARYs: the fewest short APDUs.
  assert.equal(short.doc.file_stats.dg2.apdus,
    1 + Math.ceil(short.doc.file_stats.dg2.size / 0xdf));
});
