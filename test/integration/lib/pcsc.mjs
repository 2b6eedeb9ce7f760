// A real PC/SC stack for the chip tests: pcscd in the foreground with the
// vsmartcard vpcd driver on a free TCP port, and eid-vcard serving card
// images to it.
//
// pcscd 1.9 always puts its socket in /run/pcscd (it ignores
// PCSCLITE_CSOCK_NAME; clients honour it), so a private pcscd runs in its
// own mount namespace with a temporary directory bound over /run/pcscd:
// the socket lands in that directory, where our clients find it through
// PCSCLITE_CSOCK_NAME, and a system pcscd is left alone.  Without
// namespaces a pcscd already running with the packaged vpcd configuration
// (port 35963) is used instead, and failing that we start pcscd on the
// standard socket ourselves (CI: no systemd to start it).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { buildDir, freePort } from './eidd.mjs';

export const vcardPath = join(buildDir, 'tools', 'eid-vcard');
const VPCD_DRIVER = '/usr/lib/pcsc/drivers/serial/libifdvpcd.so';
const PCSCD_CANDIDATES = ['/usr/sbin/pcscd', '/sbin/pcscd', '/usr/local/sbin/pcscd'];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// EID_PCSCD names another pcscd (or a missing one, to see the skip).
function findPcscd() {
  if (process.env.EID_PCSCD) {
    return existsSync(process.env.EID_PCSCD) ? process.env.EID_PCSCD : undefined;
  }
  return PCSCD_CANDIDATES.find((p) => existsSync(p));
}

// Why the chip tests cannot run here, or null when they can.
export function pcscMissing() {
  if (!findPcscd()) return 'pcscd is not installed (apt-get install pcscd)';
  if (!existsSync(VPCD_DRIVER)) {
    return 'the vpcd driver is not installed (apt-get install vsmartcard-vpcd)';
  }
  return null;
}

function systemPcscdRunning() {
  return existsSync('/run/pcscd/pcscd.comm') &&
    spawnSync('pgrep', ['-x', 'pcscd']).status === 0;
}

async function waitFor(cond, ms, what) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (cond()) return;
    await sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// Start pcscd; returns { env, port, stop(), log() }.  env holds what
// eidctl needs to reach it.
export async function startPcscd(dir) {
  const pcscd = findPcscd();
  const port = await freePort();
  const conf = join(dir, 'reader.conf.d');
  const run = join(dir, 'run');
  mkdirSync(conf, { recursive: true });
  mkdirSync(run, { recursive: true });
  writeFileSync(join(conf, 'vpcd'),
    `FRIENDLYNAME "Virtual PCD"\nDEVICENAME   /dev/null:0x${port.toString(16)}\n` +
    `LIBPATH      ${VPCD_DRIVER}\nCHANNELID    0x${port.toString(16)}\n`);
  const script = `mkdir -p /run/pcscd && mount --bind '${run}' /run/pcscd && ` +
    `exec '${pcscd}' -f -c '${conf}'`;
  let proc = spawn('unshare', ['-m', 'sh', '-c', script],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  let failed = false; // unshare itself missing
  proc.on('error', (e) => { failed = true; log += `${e}\n`; });
  const collect = (p) => {
    p.stdout.on('data', (d) => { log += d; });
    p.stderr.on('data', (d) => { log += d; });
  };
  collect(proc);
  const sock = join(run, 'pcscd.comm');
  try {
    // 20 s: a loaded machine (parallel builds) can take that long.
    await waitFor(() => existsSync(sock) || proc.exitCode !== null || failed,
      20000, 'pcscd');
  } catch (e) { proc.kill('SIGKILL'); throw e; }
  if (proc.exitCode === null && !failed) {
    const exited = new Promise((resolve) => proc.on('exit', resolve));
    return {
      env: { PCSCLITE_CSOCK_NAME: sock },
      port,
      mode: 'private pcscd (own mount namespace)',
      log: () => log,
      async stop() { proc.kill('SIGTERM'); await exited; },
    };
  }
  // No namespace: share a running system pcscd and its vpcd port ...
  if (systemPcscdRunning()) {
    return {
      env: {}, port: 35963, mode: 'system pcscd',
      log: () => log, async stop() {},
    };
  }
  // ... or, with none running (CI has no systemd), start one on the
  // standard socket with our configuration.
  proc = spawn(pcscd, ['-f', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  collect(proc);
  const std = '/run/pcscd/pcscd.comm';
  try {
    await waitFor(() => existsSync(std) || proc.exitCode !== null, 5000, 'pcscd');
  } catch (e) { proc.kill('SIGKILL'); throw e; }
  if (proc.exitCode !== null) throw new Error(`pcscd did not start:\n${log}`);
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  return {
    env: {}, port, mode: 'pcscd on the standard socket',
    log: () => log,
    async stop() { proc.kill('SIGTERM'); await exited; },
  };
}

// eid-vcard serving image until stop() (SIGTERM; resolves to the exit code).
export function startVcard(image, port) {
  const proc = spawn(vcardPath, ['--port', String(port), image],
    { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  return {
    proc,
    stderr: () => stderr,
    async connected(ms = 5000) {
      await waitFor(() => /connected to vpcd/.test(stderr) || proc.exitCode !== null,
        ms, 'eid-vcard to connect');
      if (proc.exitCode !== null) throw new Error(`eid-vcard exited: ${stderr}`);
    },
    async stop() { proc.kill('SIGTERM'); return exited; },
  };
}

// True when a reader program failed before any output with a transport
// error: pcscd may still be settling the last card's removal or not yet
// have seen the new card ("No smart card inserted"), which is worth
// another try; an error from the card's protocol or the server is not.
export function cardSettling(stdout, stderr) {
  return !stdout && /pcscd|card|connect|transport/i.test(stderr) &&
    !/BAC failed|PACE failed|offers no PACE|verdict|chip\/(verify|challenge)/.test(stderr);
}

// Serve image on the vpcd port, run `eidctl chip read ARGS` through ctl
// (a function of the argument list), stop the card (it must exit
// cleanly).  Returns ctl's result and the parsed JSON document (doc).
export async function readCardWith(ctl, image, port, args) {
  const card = startVcard(image, port);
  const tries = [];
  let r;
  try {
    await card.connected();
    for (let i = 0; i < 5; i++) {
      r = ctl(['chip', 'read', ...args]);
      if (!cardSettling(r.stdout, r.stderr)) break;
      tries.push(r.stderr.trim());
      await sleep(300);
    }
  } finally {
    const end = await card.stop();
    if (end.code !== 0 || end.sig !== null) {
      throw new Error(`eid-vcard exit ${JSON.stringify(end)}: ${card.stderr()}`);
    }
  }
  const doc = r.stdout ? JSON.parse(r.stdout) : null;
  if (tries.length) console.log(`# chip read retried after: ${tries.join(' | ')}`);
  return { ...r, doc };
}

// `eidctl card issue` (through ctl) for citizen into DIR/NAME.img; returns
// the image's path.
export function issueCard(ctl, dir, citizen, name, extra = []) {
  const image = join(dir, `${name}.img`);
  const r = ctl(['card', 'issue', '--citizen', citizen, '--out', image, ...extra]);
  if (r.status !== 0) throw new Error(`card issue: ${r.stderr}`);
  return image;
}
