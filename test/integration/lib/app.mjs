// The command-line citizen app (tools/eid-app) as tests drive it.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildDir } from './eidd.mjs';

export const EID_APP = join(buildDir, 'tools', 'eid-app');

// Runs eid-app against server with the state file; lines are written to
// its stdin, and later, a function of its output so far, may supply one
// more line once it says a code was sent (the SMS code).  A bare handle
// or id is base64url and may begin with '-': put '--' before the command.
export function eidApp(server, state, args, { lines = [], later } = {}) {
  return new Promise((resolve) => {
    const p = spawn(EID_APP, ['--server', server, '--state', state, '--pin-stdin', ...args]);
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
