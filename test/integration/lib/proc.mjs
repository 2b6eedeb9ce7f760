// What /proc says about a running eidd: its status lines, and whether a
// byte string is anywhere in its memory (the signer suite's check that a
// private key is not in the worker).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

export function procStatus(pid) {
  const out = {};
  for (const line of readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1).trim();
  }
  return out;
}

// Mappings larger than this are skipped: AddressSanitizer's shadow
// (terabytes reserved) and LMDB's map of the store, not heap or stacks.
const REGION_MAX = 512 * 1024 * 1024;

// True when needle is anywhere in pid's readable memory (its heaps,
// stacks and data; not mappings over REGION_MAX).
export function memoryHolds(pid, needle) {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8').trim().split('\n');
  const fd = openSync(`/proc/${pid}/mem`, 'r');
  const chunk = Buffer.alloc(1 << 20);
  try {
    for (const line of maps) {
      const [range, perms, , , , name = ''] = line.split(/\s+/);
      if (perms[0] !== 'r' || name === '[vvar]' || name === '[vsyscall]') continue;
      const [lo, hi] = range.split('-').map((h) => parseInt(h, 16));
      if (hi - lo > REGION_MAX) continue;
      // Chunks overlap by the needle's length, so no match is split.
      for (let at = lo; at < hi; at += chunk.length - needle.length) {
        const want = Math.min(chunk.length, hi - at);
        let got;
        try { got = readSync(fd, chunk, 0, want, at); } catch { break; }
        if (chunk.subarray(0, got).indexOf(needle) >= 0) return true;
        if (want < chunk.length) break;
      }
    }
  } finally {
    closeSync(fd);
  }
  return false;
}

// An access token by client_credentials for the client c (eidctl client
// add --json's answer).
export async function clientCredentials(base, c, scope = 'citizen') {
  const auth = Buffer.from(`${c.client_id}:${c.client_secret}`).toString('base64');
  const r = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${auth}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: `grant_type=client_credentials&scope=${scope}`,
  });
  if (r.status !== 200) throw new Error(`token: ${r.status} ${await r.text()}`);
  return (await r.json()).access_token;
}
