// Runs the command-line citizen app (tools/eid-app) against a server:
// lines are written to its stdin (PIN, password...), and later(out), when
// given, supplies one more line once the app says "code sent" (the SMS
// code, read from the outbox meanwhile).  Resolves { status, out, err }.
// A bare id or handle may begin with '-': callers put the options first
// and '--' before the command, as a shell user would.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildDir } from './eidd.mjs';

export const EID_APP = join(buildDir, 'tools', 'eid-app');

export function runApp(base, state, args, { lines = [], later } = {}) {
  return new Promise((resolve) => {
    const p = spawn(EID_APP, ['--server', base, '--state', state, '--pin-stdin', ...args]);
    let out = '';
    let err = '';
    let sent = false;
    p.stdout.on('data', async (d) => {
      out += d;
      if (later && !sent && /code sent/.test(out)) {
        sent = true;
        p.stdin.end(`${await later(out)}\n`);
      }
    });
    p.stderr.on('data', (d) => { err += d; });
    p.stdin.write(lines.map((l) => `${l}\n`).join(''));
    if (!later) p.stdin.end();
    p.on('close', (status) => resolve({ status, out, err }));
  });
}
