// Starts and stops a real eidd for integration tests: a fresh data
// directory, a free loopback port, and the binaries from the Meson build
// directory named by EID_BUILD_DIR.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const buildDir = process.env.EID_BUILD_DIR;
if (!buildDir) throw new Error('EID_BUILD_DIR is not set (run through meson test)');
export const eiddPath = join(buildDir, 'tools', 'eidd');
export const eidctlPath = join(buildDir, 'tools', 'eidctl');

export function tempDir(prefix = 'eid-it-') {
  return mkdtempSync(join(tmpdir(), prefix));
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

// Runs eidctl synchronously; returns { status, stdout, stderr }.
export function eidctl(args, { input, env } = {}) {
  const r = spawnSync(eidctlPath, args, {
    input, encoding: 'utf8', env: { ...process.env, ...env }, timeout: 30000,
    // An audit export of a long test outgrows node's 1 MiB default, and
    // spawnSync then kills the child: status null.
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// Runs eidd to completion (for start-up failures); returns its result.
export function eiddRun(args, { env, timeout = 10000 } = {}) {
  const r = spawnSync(eiddPath, args, {
    encoding: 'utf8', env: { ...process.env, ...env }, timeout,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

// One HTTPS request trusting only ca (PEM); resolves { status, headers,
// body, cert } (cert: the server's certificate as node reports it).
export function httpsGet(url, { ca, headers = {}, method = 'GET' } = {}) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, headers, method, agent: false }, (res) => {
      const cert = res.socket.getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body, cert }));
    });
    req.setTimeout(10000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function probe(base, ca) {
  if (ca) return (await httpsGet(`${base}/healthz`, { ca })).status === 200;
  return (await fetch(`${base}/healthz`)).ok;
}

async function waitHealthy(base, proc, ms = 10000, ca = undefined) {
  const deadline = Date.now() + ms;
  let lastErr;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`eidd exited with ${proc.exitCode}`);
    try {
      if (await probe(base, ca)) return;
    } catch (e) { lastErr = e; }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`eidd did not become healthy: ${lastErr}`);
}

// A running server.  stop() ends it with SIGTERM (or kill() with SIGKILL).
// config(port), when given, returns the text of an INI file passed with
// --config; tlsCa (PEM) makes the server's base https and trusted with it.
export async function startEidd({ dataDir, extraArgs = [], env, config, tlsCa, port: fixedPort } = {}) {
  const port = fixedPort ?? await freePort();
  const dir = dataDir ?? tempDir();
  const args = ['--data', dir, '--demo', '--listen', `127.0.0.1:${port}`];
  if (config) {
    const file = `${dir}.conf`;
    writeFileSync(file, config(port));
    args.push('--config', file);
  }
  args.push(...extraArgs);
  const proc = spawn(eiddPath, args, {
    env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  proc.stderr.on('data', (d) => { stderr += d; });
  proc.stdout.on('data', () => {});
  const base = `${tlsCa ? 'https' : 'http'}://127.0.0.1:${port}`;
  await waitHealthy(base, proc, 10000, tlsCa);
  const exited = new Promise((resolve) => proc.on('exit', (code, sig) => resolve({ code, sig })));
  return {
    base, port, dataDir: dir, proc,
    stderr: () => stderr,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      return exited;
    },
    cleanup() {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}.conf`, { force: true });
    },
  };
}
