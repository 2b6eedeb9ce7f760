// The command-line citizen app (tools/eid-app) as tests drive it, as a
// test's phone.
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { buildDir } from './eidd.mjs';

const EID_APP = join(buildDir, 'tools', 'eid-app');

// Runs `eid-app --server base --state state --pin-stdin ARGS` (env added to
// the process's); lines are written to its stdin, and later, a function of
// its output so far, may supply one more line (the SMS code) once it says
// "code sent".  Resolves to { status, out, err }.  A bare handle or id is
// base64url and may begin with '-': put '--' before the command.
export function runApp({ base, state, env = {} }, args, { lines = [], later } = {}) {
  return new Promise((resolve) => {
    const p = spawn(EID_APP, ['--server', base, '--state', state, '--pin-stdin', ...args],
      { env: { ...process.env, ...env } });
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
