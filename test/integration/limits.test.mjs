// Abuse limits against a real eidd: per-address request limits ([limits],
// 429 + Retry-After), header size, the per-address connection cap and
// slow clients cut off by connection_timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { startEidd } from './lib/eidd.mjs';

const config = () => '[server]\nconnection_timeout = 2\nmax_connections_per_ip = 4\n' +
  'trusted_proxies = 127.0.0.1\n' +
  '[limits]\ntoken = 3\nlogin = 2\nregistration = 2\nchip = 2\nwindow = 1h\n';

const form = (from) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...(from ? { 'x-forwarded-for': from } : {}) },
  body: 'grant_type=client_credentials',
});

test('per-address limits answer 429 with Retry-After', async () => {
  const s = await startEidd({ config });
  try {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${s.base}/token`, form());
      assert.notEqual(r.status, 429);
    }
    let r = await fetch(`${s.base}/token`, form());
    assert.equal(r.status, 429);
    assert.equal((await r.json()).error, 'rate_limited');
    const after = Number(r.headers.get('retry-after'));
    assert.ok(after >= 1 && after <= 3600, `Retry-After ${after}`);
    // Another address (through the trusted proxy) has its own counter.
    r = await fetch(`${s.base}/token`, form('192.0.2.44'));
    assert.notEqual(r.status, 429);
    // Other endpoints are not affected.
    r = await fetch(`${s.base}/jwks`);
    assert.equal(r.status, 200);

    // The login form: a page, not JSON.
    for (let i = 0; i < 2; i++) assert.notEqual((await fetch(`${s.base}/login`, form())).status, 429);
    r = await fetch(`${s.base}/login`, form());
    assert.equal(r.status, 429);
    assert.match(r.headers.get('content-type'), /text\/html/);
    assert.ok(Number(r.headers.get('retry-after')) >= 1);

    const reg = () => fetch(`${s.base}/api/v1/registrations`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
    });
    for (let i = 0; i < 2; i++) assert.notEqual((await reg()).status, 429);
    r = await reg();
    assert.equal(r.status, 429);
    assert.equal((await r.json()).error, 'rate_limited');
  } finally {
    await s.stop();
    s.cleanup();
  }
});

// A raw connection: resolves { data, closedAfterMs } once the server
// closes it (or after limitMs).
function raw(port, { send = [], everyMs = 0, limitMs = 8000 } = {}) {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const sock = connect(port, '127.0.0.1');
    let data = '';
    let timer;
    const done = () => { clearInterval(timer); sock.destroy(); resolve({ data, closedAfterMs: Date.now() - t0 }); };
    sock.on('data', (d) => { data += d; });
    sock.on('close', done);
    sock.on('error', () => {});
    const guard = setTimeout(() => { done(); }, limitMs);
    sock.on('close', () => clearTimeout(guard));
    sock.on('connect', () => {
      if (everyMs === 0) { for (const p of send) sock.write(p); return; }
      let i = 0;
      timer = setInterval(() => { if (i < send.length) sock.write(send[i++]); }, everyMs);
    });
  });
}

test('oversized headers get 431; a stalled or slow client is cut off', async () => {
  const s = await startEidd({ config });
  try {
    const big = `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100 * 1024)}\r\n\r\n`;
    let r = await raw(s.port, { send: [big] });
    assert.match(r.data, /^HTTP\/1\.1 431/);

    // Slowloris: a request line and then silence, or header lines slower
    // than connection_timeout (2 s): closed after about 2 s, no answer.
    r = await raw(s.port, { send: ['GET /healthz HTTP/1.1\r\nHost: x\r\n'] });
    assert.equal(r.data, '');
    assert.ok(r.closedAfterMs >= 1500 && r.closedAfterMs < 6000, `${r.closedAfterMs} ms`);
    r = await raw(s.port, { send: ['GET /healthz HTTP/1.1\r\n', 'X-A: 1\r\n', 'X-B: 2\r\n', 'X-C: 3\r\n'], everyMs: 2600 });
    assert.equal(r.data, '');
    assert.ok(r.closedAfterMs < 7000, `${r.closedAfterMs} ms`);
  } finally {
    await s.stop();
    s.cleanup();
  }
});

test('at most max_connections_per_ip connections from one address', async () => {
  const s = await startEidd({ config });
  const socks = [];
  try {
    for (let i = 0; i < 4; i++) {
      socks.push(await new Promise((resolve, reject) => {
        const c = connect(s.port, '127.0.0.1', () => resolve(c));
        c.on('error', reject);
      }));
    }
    await new Promise((res) => setTimeout(res, 200));
    // The fifth is accepted by the kernel and closed by eidd unanswered.
    const r = await raw(s.port, { send: ['GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'], limitMs: 1500 });
    assert.equal(r.data, '');
    assert.ok(r.closedAfterMs < 1500, `${r.closedAfterMs} ms`);
    for (const c of socks) c.destroy();
    await new Promise((res) => setTimeout(res, 300));
    const ok = await fetch(`${s.base}/healthz`);
    assert.equal(ok.status, 200);
  } finally {
    for (const c of socks) c.destroy();
    await s.stop();
    s.cleanup();
  }
});
