// Journey 3, self-service level 2 through the citizen's app: the demo
// citizen (level 1) binds a device with eid-app; a chip card issued for
// them is served by eid-vcard through pcscd/vpcd, and `eid-app read-chip`
// reads it (PACE/BAC, AA over the server's challenge bound to the device)
// and uploads it with a selfie.  With the default configuration the
// server refuses: no biometric service.  Then eidd runs with
// [biometric] service = http pointing at a small HTTP server in this test:
// the stand-in for the vendor's face-match service (a real HTTP peer that
// checks the bearer token and the images, and answers match only for the
// "right" selfie's bytes).  Someone else's card (DG13 against the
// registry), a replayed challenge and the wrong selfie are refused; the
// right selfie raises the account to level 2, and a relying party asking
// acr urn:eid:loa:2 gets it.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createDecipheriv, createPrivateKey, pbkdf2Sync } from 'node:crypto';
import { createServer } from 'node:http';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';

import { runApp } from './lib/app.mjs';
import { eidctl, startEidd, tempDir } from './lib/eidd.mjs';
import {
  Browser, CITIZEN, PASSWORD, addClient, authorizeUrl, formFields, idTokenClaims, pkce,
} from './lib/front.mjs';
import {
  cardSettling, issueCard, pcscMissing, startPcscd, startVcard,
} from './lib/pcsc.mjs';

const MRZ_INFO = '090012345+900315+300315';
const OTHER = '079195012346'; // Trần Thị Bích, another demo citizen
const PIN = '135790';
const TOKEN = 'bio-t0ken-for-tests';
const REDIRECT = 'http://127.0.0.1:9/cb';
const missing = pcscMissing();
const opts = { skip: missing ?? false };

// Two selfies: JPEG-shaped bytes; the stand-in service knows the right one.
const RIGHT = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from('the citizen')]);
const WRONG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, ...Buffer.from('someone else')]);

let dir, data, eidd, pcscd, bio, state;
let boundAt = 0; // codes to one phone: one a minute
const bioSeen = []; // what the stand-in service was sent

before(async () => {
  if (missing) return;
  dir = tempDir('eid-ss2-');
  data = join(dir, 'data');
  state = join(dir, 'state.json');
  writeFileSync(join(dir, 'right.jpg'), RIGHT);
  writeFileSync(join(dir, 'wrong.jpg'), WRONG);
  pcscd = await startPcscd(dir);
  eidd = await startEidd({ dataDir: data });
  bio = await startBiometricService();
});

after(async () => {
  if (eidd) await eidd.stop();
  if (pcscd) await pcscd.stop();
  if (bio) await new Promise((r) => bio.server.close(r));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

// The vendor's face-match service as far as eidd can tell: POST JSON with
// the portrait and the selfie (base64url), a bearer token; it answers
// {"match", "score"}.
function startBiometricService() {
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const reply = (status, o) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(o));
      };
      if (req.headers.authorization !== `Bearer ${TOKEN}`) return reply(401, { error: 'token' });
      const o = JSON.parse(body);
      const portrait = Buffer.from(o.portrait, 'base64url');
      const selfie = Buffer.from(o.selfie, 'base64url');
      bioSeen.push({ type: o.portrait_type, portrait, selfie });
      if (portrait[0] !== 0xff || portrait[1] !== 0xd8) return reply(400, { error: 'portrait' });
      return reply(200, selfie.equals(RIGHT) ? { match: true, score: 0.97 }
        : { match: false, score: 0.08 });
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1',
    () => resolve({ server, url: `http://127.0.0.1:${server.address().port}/v1/match` })));
}

const ctl = (args) => eidctl(['--data', data, ...args], { env: pcscd.env });

function account() {
  const r = ctl(['--json', 'account', 'show', CITIZEN]);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function lastCode() {
  const r = ctl(['outbox', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const msgs = JSON.parse(r.stdout).filter((m) => m.channel === 'sms');
  return msgs[msgs.length - 1].text.match(/\b(\d{6})\b/)[1];
}

// eid-app (lib/app.mjs) with the PIN on stdin.
const app = (args, { lines = [PIN], later } = {}) =>
  runApp({ base: eidd.base, state, env: pcscd.env }, args, { lines, later });

// `eid-app read-chip` with image in the virtual reader; the printed
// verdicts (JSON) parsed.
async function readChip(image, selfie, access = ['--mrz-info', MRZ_INFO]) {
  const card = startVcard(image, pcscd.port);
  let r;
  try {
    await card.connected();
    // pcscd may not have seen the new card yet: retried as readCardWith does
    for (let i = 0; i < 5; i++) {
      r = await app(['read-chip', ...access, '--selfie', join(dir, selfie)]);
      if (!cardSettling(r.out.trim(), r.err)) break;
      await new Promise((res) => setTimeout(res, 300));
    }
  } finally {
    const end = await card.stop();
    assert.equal(end.code, 0, card.stderr());
  }
  const json = r.out.trim() ? JSON.parse(r.out) : null;
  return { ...r, json };
}

async function restartWith(config) {
  await eidd.stop();
  eidd = await startEidd({ dataDir: data, port: eidd.port, config });
}

test('eid-app binds a device for the level-1 citizen', opts, async () => {
  assert.equal(account().level, 1);
  const r = await app(['bind-device', '--personal-id', CITIZEN, '--password-stdin'], {
    lines: [PIN, PASSWORD], later: async () => lastCode(),
  });
  assert.equal(r.status, 0, r.err + r.out);
  boundAt = Date.now();
  const st = await app(['status']);
  assert.equal(st.status, 0, st.err);
  assert.equal(JSON.parse(st.out).level, 1);
});

test('the CSCA store trusts the test PKI', opts, () => {
  issueCard(ctl, dir, CITIZEN, 'good');
  const imp = ctl(['csca', 'import', join(data, 'test-pki', 'csca.pem')]);
  assert.equal(imp.status, 0, imp.stderr);
});

test('without a biometric service the server refuses and says so', opts, async () => {
  const r = await readChip(join(dir, 'good.img'), 'right.jpg');
  assert.equal(r.status, 1, r.err);
  assert.equal(r.json.result, 'biometric_not_configured', r.out);
  assert.equal(r.json.passive_authentication, 'valid');
  assert.equal(r.json.active_authentication, 'valid');
  assert.equal(r.json.dg13, 'match');
  assert.match(r.err, /no biometric service is configured/);
  assert.equal(account().level, 1);
});

test('eidd with [biometric] service = http and a 0600 token file', opts, async () => {
  const tokenFile = join(dir, 'bio.token');
  writeFileSync(tokenFile, `${TOKEN}\n`);
  chmodSync(tokenFile, 0o600);
  await restartWith(() => `[biometric]\nservice = http\nurl = ${bio.url}\n` +
    `token_file = ${tokenFile}\nthreshold = 80\ntimeout_ms = 5000\n`);
});

test("someone else's card: DG13 does not match the registry", opts, async () => {
  const issued = ctl(['--json', 'card', 'issue', '--citizen', OTHER, '--out', join(dir, 'other.img')]);
  assert.equal(issued.status, 0, issued.stderr);
  const { mrz_info: mrz } = JSON.parse(issued.stdout);
  const seen = bioSeen.length;
  const r = await readChip(join(dir, 'other.img'), 'right.jpg', ['--mrz-info', mrz]);
  assert.equal(r.status, 1, r.err);
  assert.equal(r.json.result, 'dg13', r.out);
  assert.equal(r.json.passive_authentication, 'valid');
  assert.equal(r.json.dg13, 'mismatch');
  assert.equal(r.json.biometric, 'not_run');
  assert.equal(bioSeen.length, seen, 'no face match for a card that failed');
  assert.equal(account().level, 1);
});

// The device key, unsealed from eid-app's state file as eid-app does it
// (tools/eid_app_key.c: PBKDF2, AES-256-GCM, the key's DER from
// i2d_PrivateKey, which for EC is SEC 1).
function deviceKey() {
  const st = JSON.parse(readFileSync(state, 'utf8'));
  const k = st.key;
  const b = (s) => Buffer.from(s, 'base64url');
  const key = pbkdf2Sync(PIN, b(k.salt), k.iter, 32, 'sha256');
  const ct = b(k.ct);
  const d = createDecipheriv('aes-256-gcm', key, b(k.iv));
  d.setAAD(Buffer.from(st.device_id));
  d.setAuthTag(ct.subarray(ct.length - 16));
  const der = Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
  return { id: st.device_id, key: createPrivateKey({ key: der, format: 'der', type: 'sec1' }) };
}

async function deviceCall(dev, path, body) {
  const { nonce } = await (await fetch(`${eidd.base}/api/v1/devices/nonce`)).json();
  const jws = await new jose.SignJWT({
    aud: `${eidd.base}${path}`, jti: `j${Math.random()}`, nonce,
  }).setProtectedHeader({ alg: 'ES256', typ: 'eid-device+jwt' })
    .setIssuer(dev.id).setIssuedAt().sign(dev.key);
  const r = await fetch(`${eidd.base}${path}`, {
    method: 'POST', body: JSON.stringify(body),
    headers: { authorization: `EID-Device ${jws}`, 'content-type': 'application/json' },
  });
  return { status: r.status, body: await r.json() };
}

test('a challenge is good once; one not the device\'s is refused', opts, async () => {
  const dev = deviceKey();
  const ch = await deviceCall(dev, '/api/v1/me/level2/challenge', {});
  assert.equal(ch.status, 200, JSON.stringify(ch.body));
  const upload = {
    challenge_id: ch.body.challenge_id, sod: 'MAA', dg1: 'YQA', selfie: RIGHT.toString('base64url'),
  };
  const first = await deviceCall(dev, '/api/v1/me/level2', upload);
  assert.equal(first.status, 403, JSON.stringify(first.body));
  assert.equal(first.body.result, 'pa');
  assert.equal(first.body.biometric, 'not_run');
  const again = await deviceCall(dev, '/api/v1/me/level2', upload);
  assert.equal(again.status, 400);
  assert.equal(again.body.error, 'invalid_challenge');
  // without a selfie: a clear 400 naming it
  const ch2 = await deviceCall(dev, '/api/v1/me/level2/challenge', {});
  const none = await deviceCall(dev, '/api/v1/me/level2',
    { challenge_id: ch2.body.challenge_id, sod: 'MAA', dg1: 'YQA' });
  assert.equal(none.status, 400);
  assert.match(none.body.error_description, /selfie: missing/);
  // an unbound key gets 401
  const stranger = { id: dev.id, key: (await jose.generateKeyPair('ES256')).privateKey };
  const r = await deviceCall(stranger, '/api/v1/me/level2/challenge', {});
  assert.equal(r.status, 401);
});

test('the wrong selfie: the biometric service says no match', opts, async () => {
  const r = await readChip(join(dir, 'good.img'), 'wrong.jpg');
  assert.equal(r.status, 1, r.err);
  assert.equal(r.json.result, 'biometric_no_match', r.out);
  assert.equal(r.json.biometric, 'no_match');
  assert.match(r.err, /does not match the card's portrait/);
  const last = bioSeen[bioSeen.length - 1];
  assert.equal(last.type, 'image/jpeg');
  assert.ok(last.selfie.equals(WRONG));
  assert.equal(account().level, 1);
});

test('the right selfie: the account is level 2 at once, audited, the citizen told', opts, async () => {
  const r = await readChip(join(dir, 'good.img'), 'right.jpg');
  assert.equal(r.status, 0, r.err + r.out);
  assert.equal(r.json.result, 'ok');
  assert.equal(r.json.level, 2);
  const a = account();
  assert.equal(a.level, 2);
  assert.equal(a.status, 'active');
  const st = await app(['status']);
  assert.equal(JSON.parse(st.out).level, 2);
  const audit = ctl(['audit', 'export', '--since', '2000-01-01']);
  const events = audit.stdout.trim().split('\n').map((l) => JSON.parse(l))
    .filter((e) => e.type === 'activation.selfservice');
  assert.deepEqual(events.map((e) => e.details.result),
    ['biometric_not_configured', 'dg13', 'pa', 'biometric_no_match', 'ok']);
  const ok = events[events.length - 1].details;
  assert.equal(ok.passive_authentication, 'valid');
  assert.equal(ok.active_authentication, 'valid');
  assert.equal(ok.dg13, 'match');
  assert.equal(ok.biometric, 'match');
  const sms = JSON.parse(ctl(['outbox', '--json']).stdout);
  assert.match(sms[sms.length - 1].text, /level 2/);
  // once level 2, the way is closed
  const again = await readChip(join(dir, 'good.img'), 'right.jpg');
  assert.equal(again.status, 1);
  assert.match(again.err, /already level 2/);
});

test('a relying party asking acr urn:eid:loa:2 gets it', { ...opts, timeout: 90000 }, async () => {
  addClient(data, ['--id', 'rp-ss2', '--name', 'Dịch vụ công', '--auth-method', 'none',
    '--redirect-uri', REDIRECT, '--scope', 'openid']);
  const b = new Browser(eidd.base);
  const { verifier, challenge } = pkce();
  const r = await b.get(authorizeUrl(eidd.base, {
    client_id: 'rp-ss2', redirect_uri: REDIRECT, response_type: 'code', scope: 'openid',
    state: 's', nonce: 'n', code_challenge: challenge, code_challenge_method: 'S256',
    acr_values: 'urn:eid:loa:2',
  }));
  assert.equal(r.status, 303, r.text);
  let page = await b.get(r.location);
  let { action, fields } = formFields(page.text);
  let next = await b.post(action, { ...fields, username: CITIZEN, password: PASSWORD });
  assert.equal(next.status, 303, next.text);
  for (const step of ['/login/otp', '/consent']) {
    if (!next.location.startsWith(step)) continue;
    const wait = boundAt + 61000 - Date.now(); // one code a minute
    if (step === '/login/otp' && wait > 0) await new Promise((res) => setTimeout(res, wait));
    page = await b.get(next.location);
    ({ action, fields } = formFields(page.text));
    const form = step === '/consent' ? { approve: '1' } : { code: lastCode() };
    next = await b.post(action, { ...fields, ...form });
    assert.equal(next.status, 303, next.text);
  }
  assert.ok(next.location.startsWith(`${REDIRECT}?`), next.location);
  const claims = await idTokenClaims(eidd.base, next.location,
    { verifier, clientId: 'rp-ss2', redirectUri: REDIRECT });
  assert.equal(claims.acr, 'urn:eid:loa:2');
});
