// Officers for the console tests: `eidctl officer add --json` and the
// TOTP codes (RFC 6238: HMAC-SHA-1, 6 digits, 30 s) computed here.
import { createHmac } from 'node:crypto';

import { eidctl } from './eidd.mjs';

export const OFFICER_PASSWORD = 'officer-pass-2026-x';

function base32Decode(s) {
  const alpha = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0, value = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    value = (value << 5) | alpha.indexOf(ch);
    bits += 5;
    if (bits >= 8) { out.push((value >>> (bits - 8)) & 255); bits -= 8; }
  }
  return Buffer.from(out);
}

// The code for the time step of `at` (ms since the epoch).
export function totp(secretB32, at = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 1000 / 30)));
  const h = createHmac('sha1', base32Decode(secretB32)).update(counter).digest();
  const off = h[h.length - 1] & 15;
  const n = (h.readUInt32BE(off) & 0x7fffffff) % 1e6;
  return String(n).padStart(6, '0');
}

// Add an officer; returns { id, totp_secret, totp_uri }.
export function addOfficer(dataDir, id, unit = 'CA-HN-HBT', role = 'officer') {
  const r = eidctl(['--data', dataDir, '--json', 'officer', 'add', '--id', id,
    '--name', 'Trần Văn Công', '--unit', unit, '--role', role,
    '--password-stdin'], { input: `${OFFICER_PASSWORD}\n` });
  if (r.status !== 0) throw new Error(`officer add: ${r.stderr}`);
  return JSON.parse(r.stdout);
}
