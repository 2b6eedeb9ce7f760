// The soak's fault-injecting peer: eidd's outbound HTTP targets in one
// process.  It plays the SMS gateway ([notify] sms_gateway_url, POST
// /sms {to, text}) and the relying parties' back-channel logout URIs (POST
// /bcl), and misbehaves on a schedule that the soak also knows:
//
//   phase = floor(seconds since start / PHASE_S) % 4
//   0 ok      answers 200 at once
//   1 slow    answers 200 after SLOW_MS (past eidd's client timeouts)
//   2 error   answers 500
//   3 silent  accepts the request and never answers (the socket stays
//             open until eidd gives up)
//
// It is also the remote citizen registry ([registry] source = http, GET
// /registry/citizens/ID with the bearer token of $REGISTRY_TOKEN, the
// citizen JSON object or 404: idp/registry_http.c), with faults of its
// own, drawn per request rather than by phase: a fraction FAIL_500 of the
// lookups answers 500, a fraction HANG never answers (eidd's timeout ends
// it).  Its records: the JSON Lines file RECORDS, and the files POSTed
// (as a path) to /registry/load.
//
// GET /codes/PHONE answers the last SMS code sent to PHONE (the soak
// confirms registrations with it); GET /stats counts what came in.
//
//   node peer.mjs PHASE_S SLOW_MS FAIL_500 HANG RECORDS
//                                      prints "peer PORT START_MS" when ready
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { phaseAt } from './schedule.mjs';

const phaseS = Number(process.argv[2] ?? 20);
const slowMs = Number(process.argv[3] ?? 15000);
const fail500 = Number(process.argv[4] ?? 0);
const hang = Number(process.argv[5] ?? 0);
const token = process.env.REGISTRY_TOKEN ?? '';
const start = Date.now();
const codes = new Map();
const stats = { sms: {}, bcl: {}, registry: { ok: 0, not_found: 0, error: 0, hang: 0, unauthorized: 0 } };
const MAX_CODES = 100000;
const records = new Map();

function load(file) {
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const rec = JSON.parse(line);
    records.set(rec.personal_id, line);
  }
}
if (process.argv[6]) load(process.argv[6]);

function lookup(req, res) {
  const reg = stats.registry;
  if (token === '' || req.headers.authorization !== `Bearer ${token}`) {
    reg.unauthorized++;
    res.writeHead(401).end();
    return;
  }
  const x = Math.random();
  if (x < fail500) {
    reg.error++;
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected"}');
  } else if (x < fail500 + hang) {
    reg.hang++; // no answer; eidd's timeout ends it
  } else {
    const rec = records.get(req.url.slice('/registry/citizens/'.length));
    if (rec) reg.ok++; else reg.not_found++;
    if (rec) res.writeHead(200, { 'content-type': 'application/json' }).end(rec);
    else res.writeHead(404).end();
  }
}

function misbehave(kind, res) {
  const phase = phaseAt(Date.now(), start, phaseS);
  stats[kind][phase] = (stats[kind][phase] ?? 0) + 1;
  if (phase === 'ok') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  } else if (phase === 'slow') {
    const t = setTimeout(() => res.writeHead(200).end('{"ok":true}'), slowMs);
    res.on('close', () => clearTimeout(t));
  } else if (phase === 'error') {
    res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":"injected"}');
  }
  // silent: no answer; eidd's timeout ends it.
}

const srv = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (d) => { if (body.length < 65536) body += d; });
  req.on('end', () => {
    if (req.method === 'POST' && req.url === '/sms') {
      try {
        const { to, text } = JSON.parse(body);
        const m = /\b(\d{6})\b/.exec(text);
        if (m && codes.size < MAX_CODES) codes.set(to, m[1]);
      } catch { /* counted like any other request */ }
      misbehave('sms', res);
    } else if (req.method === 'POST' && req.url.startsWith('/bcl')) {
      misbehave('bcl', res);
    } else if (req.method === 'GET' && req.url.startsWith('/registry/citizens/')) {
      lookup(req, res);
    } else if (req.method === 'POST' && req.url === '/registry/load') {
      try {
        load(body);
        res.writeHead(200).end(String(records.size));
      } catch (e) {
        res.writeHead(400).end(String(e.message));
      }
    } else if (req.method === 'GET' && req.url.startsWith('/codes/')) {
      const to = decodeURIComponent(req.url.slice('/codes/'.length));
      const code = codes.get(to);
      codes.delete(to);
      res.writeHead(code ? 200 : 404).end(code ?? '');
    } else if (req.method === 'GET' && req.url === '/stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    } else {
      res.writeHead(404).end();
    }
  });
});
srv.keepAliveTimeout = 5000;
srv.listen(0, '127.0.0.1', () => {
  console.log(`peer ${srv.address().port} ${start}`);
});
process.on('SIGTERM', () => process.exit(0));
