// The fault schedule shared by the soak and its peer (tools/soak/peer.mjs):
// which way the peer misbehaves at a given moment.
export const PHASES = ['ok', 'slow', 'error', 'silent'];

export function phaseAt(ms, startMs, phaseSeconds) {
  return PHASES[Math.floor((ms - startMs) / 1000 / phaseSeconds) % PHASES.length];
}
