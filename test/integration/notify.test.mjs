// SMS off the request thread: with the HTTP SMS gateway hanging, a
// registration still answers at once ("code sent" is "queued"), the rest
// of the server keeps answering promptly, a full queue answers 503, and
// once the gateway recovers the queued codes arrive and confirm.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { startEidd, eidctl } from './lib/eidd.mjs';

const QUEUE_MAX = 3;
const PASSWORD = 'a quiet river at dawn';
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46,
  0x49, 0x46, 0x00, 0x01, 0xff, 0xd9]);

// The gateway: hangs (keeps every request open) until healed, then
// answers 200 and keeps what it delivered.
const gw = { hanging: true, held: [], delivered: [] };
const gateway = createServer((req, res) => {
  let body = '';
  req.on('data', (d) => { body += d; });
  req.on('end', () => {
    if (gw.hanging) { gw.held.push(res); return; }
    gw.delivered.push(JSON.parse(body));
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

let s;
let config;
before(async () => {
  await new Promise((resolve) => gateway.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${gateway.address().port}/sms`;
  config = () => `[notify]\nsms_gateway_url = ${url}\nqueue_max = ${QUEUE_MAX}\n`;
  s = await startEidd({ config });
});
after(async () => {
  const { code } = await s.stop();
  assert.equal(code, 0, s.stderr());
  s.cleanup();
  for (const res of gw.held) res.destroy();
  gateway.close();
});

async function waitFor(cond, ms) {
  const deadline = Date.now() + ms;
  while (!cond() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

let seq = 0;
function citizen() {
  seq += 1;
  const id = `001190${String(400000 + seq)}`;
  const r = eidctl(['--data', s.dataDir, 'registry', 'add', '--personal-id', id,
    '--full-name', 'Trần Thị Mai', '--birthdate', '1990-01-01', '--sex', 'female']);
  assert.equal(r.status, 0, r.stderr);
  return { personal_id: id, full_name: 'Trần Thị Mai', birthdate: '1990-01-01',
    phone: `09870000${String(10 + seq)}`, portrait: JPEG.toString('base64') };
}

async function timed(path, init) {
  const t0 = performance.now();
  const r = await fetch(`${s.base}${path}`, init);
  await r.arrayBuffer();
  return { status: r.status, ms: performance.now() - t0, r };
}

const json = (body) => ({
  method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
});

test('a hanging SMS gateway holds no request; the queue delivers on recovery', async () => {
  const people = [citizen(), citizen(), citizen()];
  const started = [];
  for (const c of people) {
    const t0 = performance.now();
    const r = await fetch(`${s.base}/api/v1/registrations`, json(c));
    assert.equal(r.status, 202);
    assert.ok(performance.now() - t0 < 1000, 'registration waited for the gateway');
    started.push(await r.json());
  }
  // The worker is stuck on the gateway now; everything else answers.
  const probes = await Promise.all([
    timed('/healthz'), timed('/healthz'), timed('/.well-known/openid-configuration'),
    timed('/login'), timed('/healthz'), timed('/.well-known/jwks.json'),
  ]);
  for (const p of probes) {
    assert.ok(p.status < 500, `status ${p.status}`);
    assert.ok(p.ms < 1000, `answered in ${p.ms} ms`);
  }
  assert.ok(gw.held.length >= 1, 'the worker tried the gateway');

  // The queue is full: a clear 503, not a wait.
  const t = await timed('/api/v1/registrations', json(citizen()));
  assert.equal(t.status, 503);
  assert.ok(t.ms < 1000);
  // The registration page says so in words, on its form, with Retry-After.
  const g = await fetch(`${s.base}/register`, { headers: { 'accept-language': 'en' } });
  const cookie = g.headers.get('set-cookie').split(';')[0];
  const csrf = (await g.text()).match(/name="csrf" value="([^"]*)"/)[1];
  const c = citizen();
  const form = new FormData();
  form.set('csrf', csrf);
  for (const k of ['personal_id', 'full_name', 'birthdate', 'phone']) form.set(k, c[k]);
  form.set('email', '');
  form.set('portrait', new Blob([JPEG], { type: 'image/jpeg' }), 'me.jpg');
  const page = await fetch(`${s.base}/register`, {
    method: 'POST', body: form, redirect: 'manual', headers: { cookie, 'accept-language': 'en' },
  });
  assert.equal(page.status, 503);
  assert.match(page.headers.get('content-type'), /^text\/html/);
  assert.equal(page.headers.get('retry-after'), '60');
  assert.match(await page.text(), /Too many text messages are waiting to be sent/);

  // Recovery: every queued code arrives, and one of them confirms.
  gw.hanging = false;
  for (const res of gw.held.splice(0)) res.destroy(); // a reset: eidd tries again
  await waitFor(() => gw.delivered.length >= people.length, 20000);
  const to = gw.delivered.map((m) => m.to).sort();
  assert.deepEqual(to, people.map((c) => `+84${c.phone.slice(1)}`).sort());
  const code = gw.delivered.find((m) => m.to === `+84${people[0].phone.slice(1)}`)
    .text.match(/\b(\d{6})\b/)[1];
  const r = await fetch(`${s.base}${started[0].confirm_uri}`, json({ code, password: PASSWORD }));
  assert.equal(r.status, 201);
  // Nothing left, and the queue takes new messages again.
  assert.equal((await timed('/api/v1/registrations', json(citizen()))).status, 202);
});

test('a stop with the gateway hanging ends within the POST timeout; the SMS is kept', async () => {
  gw.hanging = true;
  gw.delivered.length = 0;
  const c = citizen();
  const r = await fetch(`${s.base}/api/v1/registrations`, json(c));
  assert.equal(r.status, 202);
  await waitFor(() => gw.held.length >= 1, 5000);
  assert.equal(gw.held.length, 1, 'the worker is on the hanging gateway');
  const t0 = performance.now();
  const { code } = await s.stop();
  assert.equal(code, 0, s.stderr());
  assert.ok(performance.now() - t0 < 7000, 'the stop waited at most one POST (5 s)');

  // The queue is in the store: the next eidd delivers it.
  gw.hanging = false;
  for (const res of gw.held.splice(0)) res.destroy();
  s = await startEidd({ dataDir: s.dataDir, config });
  await waitFor(() => gw.delivered.length >= 1, 10000);
  assert.deepEqual(gw.delivered.map((m) => m.to), [`+84${c.phone.slice(1)}`]);
});
