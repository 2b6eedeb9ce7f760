// The benchmark's chip read measurement: the bench's test cards read with
// `eidctl chip read` through the real reader path, a private pcscd with
// the vsmartcard vpcd driver and eid-vcard serving each card image (the
// chip integration tests' test/integration/lib/pcsc.mjs).  The reader's
// own counters (chip/reader.h, printed as "setup" and "file_stats") give
// the APDUs and bytes; report.mjs sets them against the fewest READ
// BINARYs the card's largest answer allows.
//
//   EID_BUILD_DIR=BUILD node chipread.mjs OUT EIDCTL DATA CAN PACE.img BAC.img EXT.img
//
// OUT gets a JSON array, one entry per read:
//   { name, label, image_max_read, extended, card_max, before, doc }
// card_max: the largest READ BINARY answer whose protected response fits
// what the card and the APDU form allow (short: 256 bytes of response;
// extended: the card's largest answer); before: the reader as it was
// before its read size followed the cipher (for the comparison); doc:
// chip read's JSON document.
// Prints "ok", or "unavailable REASON" and exits 0 (the table then says
// why there is no chip read table).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import process from 'node:process';

import { pcscMissing, readCardWith, startPcscd } from '../../test/integration/lib/pcsc.mjs';

// Secure messaging's share of a READ BINARY answer of at most max bytes:
// the data padded to the cipher's block (at least one byte) inside DO'87'
// (tag, length, padding-content indicator), DO'99' (4), DO'8E' (10).
export function smReadMax(max, block) {
  const do87 = max > 0xff + 18 ? 5 : 4; // 87 82 xx xx 01 or 87 81 xx 01
  return Math.floor((max - do87 - 4 - 10) / block) * block - 1;
}

// PACE on the bench's cards runs AES (EF.CardAccess: ECDH-GM-AES-CBC-CMAC-128);
// BAC is always 3DES.
const blockOf = (doc) => (doc.access_control === 'PACE' ? 16 : 8);

// "YYYY-MM-DD" to "YYMMDD".
const yymmdd = (d) => d.slice(2).replace(/-/g, '');

async function main([out, eidctl, data, can, pace, bac, ext]) {
  const missing = pcscMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(out, '..', 'pcsc.'));
  const pcscd = await startPcscd(dir);
  const ctl = (args) => spawnSync(eidctl, ['--data', data, ...args], {
    env: { ...process.env, ...pcscd.env }, encoding: 'utf8', timeout: 60000,
  });
  const reads = [];
  try {
    const read = async (name, label, image, card, args, before = false) => {
      const r = await readCardWith(ctl, image, pcscd.port, args);
      if (!r.doc) throw new Error(`chip read (${name}): ${r.stderr.trim().split('\n').pop()}`);
      const cardMax = card.extended ? card.maxRead : 256;
      reads.push({
        name, label, image_max_read: card.maxRead, extended: card.extended,
        card_max: smReadMax(cardMax, blockOf(r.doc)), before, doc: r.doc,
      });
      return r.doc;
    };
    const first = await read('pace', 'PACE (AES), short APDUs, reader default', pace,
      { maxRead: 256, extended: false }, ['--can', can]);
    const m = first.mrz;
    const mrz = `${m.document_number}+${yymmdd(m.birthdate)}+${yymmdd(m.expiry)}`;
    await read('bac', 'BAC (3DES), short APDUs, reader default', bac,
      { maxRead: 256, extended: false }, ['--mrz-info', mrz]);
    await read('bac_df', 'BAC (3DES), short APDUs, --max-read 223: the reader before', bac,
      { maxRead: 256, extended: false }, ['--mrz-info', mrz, '--max-read', '223'], true);
    await read('extended', 'PACE (AES), extended length (card and reader 65536)', ext,
      { maxRead: 65536, extended: true }, ['--can', can, '--max-read', '65536']);
  } finally {
    await pcscd.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  writeFileSync(out, `${JSON.stringify(reads, null, 1)}\n`);
  console.log('ok');
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  main(process.argv.slice(2)).catch((e) => {
    console.log(`unavailable ${String(e.message || e).split('\n')[0]}`);
  });
}
