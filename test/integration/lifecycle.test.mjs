// The account lifecycle against a real eidd: the card sweep (eidctl and
// eidd's own thread) locks an account whose card expired and its tokens
// die at once; data released to relying parties in the history, read
// newest first through the per-citizen index; guardians create their
// minors' accounts.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as client from 'openid-client';
import { eidctl, startEidd } from './lib/eidd.mjs';
import { Browser, addClient, signIn } from './lib/front.mjs';

const REDIRECT = 'http://127.0.0.1:9/cb';
const CARD = { id: '001088012345', phone: '0931234577', password: 'sweep-test-password-2026' };
let s;

function ctl(args, opts) {
  const r = eidctl(['--data', s.dataDir, ...args], opts);
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

function registryAdd(a, cardExpires) {
  ctl(['registry', 'add', '--personal-id', a.id, '--full-name', 'Đỗ Văn Tám',
    '--birthdate', '1988-08-08', '--sex', 'male', '--card-issued', '2016-08-08',
    '--card-expires', cardExpires]);
}

before(async () => {
  s = await startEidd();
  registryAdd(CARD, '2036-08-08');
  ctl(['account', 'create', '--personal-id', CARD.id, '--phone', CARD.phone,
    '--password-stdin'], { input: `${CARD.password}\n` });
});

after(async () => {
  await s?.stop();
  s?.cleanup();
});

let seq = 0;
async function rpLogin(user) {
  const id = `lifecycle${++seq}`;
  const c = addClient(s.dataDir, ['--id', id, '--name', `Dịch vụ công ${seq}`,
    '--grant', 'authorization_code', '--grant', 'refresh_token',
    '--redirect-uri', REDIRECT, '--scope', 'openid profile citizen offline_access']);
  const config = await client.discovery(new URL(s.base), c.client_id, {},
    client.ClientSecretBasic(c.client_secret), { execute: [client.allowInsecureRequests] });
  const verifier = client.randomPKCECodeVerifier();
  const nonce = client.randomNonce();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: REDIRECT, scope: 'openid profile citizen offline_access', prompt: 'consent',
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', nonce,
  });
  const b = new Browser(s.base);
  b.acceptLanguage = 'en';
  const done = await signIn(b, url.href, user);
  assert.equal(done.status, 303, done.text);
  const tokens = await client.authorizationCodeGrant(config, new URL(done.location),
    { pkceCodeVerifier: verifier, expectedNonce: nonce, idTokenExpected: true });
  return { c, config, tokens, b };
}

test('eidctl account sweep locks an account whose card expired; its tokens die at once', async () => {
  const { config, tokens } = await rpLogin({ username: CARD.id, password: CARD.password });
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, true);

  let report = JSON.parse(ctl(['--json', 'account', 'sweep']));
  assert.deepEqual(report.locked, { card_expired: 0, card_revoked: 0 });
  assert.ok(report.scanned >= 2, JSON.stringify(report));

  registryAdd(CARD, '2024-08-08'); // the registry now says: expired
  report = JSON.parse(ctl(['--json', 'account', 'sweep']));
  assert.deepEqual(report.locked, { card_expired: 1, card_revoked: 0 });
  assert.equal(report.errors, 0);

  const account = JSON.parse(ctl(['--json', 'account', 'show', CARD.id]));
  assert.equal(account.status, 'locked');
  assert.equal(account.lock_reason, 'card_expired');
  assert.equal(account.locked_by, 'system');
  assert.equal((await client.tokenIntrospection(config, tokens.access_token)).active, false);
  await assert.rejects(client.refreshTokenGrant(config, tokens.refresh_token),
    (e) => e.error === 'invalid_grant');
  const outbox = JSON.parse(ctl(['outbox', '--phone', CARD.phone, '--json']));
  assert.match(outbox[outbox.length - 1].text, /locked because your ID card expired/);

  // A renewed card and an officer's unlock: the next sweep leaves it be.
  registryAdd(CARD, '2046-08-08');
  ctl(['account', 'unlock', CARD.id]);
  report = JSON.parse(ctl(['--json', 'account', 'sweep']));
  assert.deepEqual(report.locked, { card_expired: 0, card_revoked: 0 });
  assert.equal(JSON.parse(ctl(['--json', 'account', 'show', CARD.id])).status, 'active');
});

test('the history lists the data released to a relying party, by name, without values', async () => {
  const { c, b } = await rpLogin({ username: '079195012346', password: 'demo-password-2026' });
  const r = await b.get('/api/v1/me/history');
  assert.equal(r.status, 200, r.text);
  const h = JSON.parse(r.text);
  assert.equal(h.retention, '5 years');
  const rel = h.events.filter((e) => e.type === 'data.release');
  assert.equal(rel.length, 1, r.text);
  assert.equal(rel[0].actor, `client:${c.client_id}`);
  assert.equal(rel[0].details.client_name, c.name ?? `Dịch vụ công ${seq}`);
  assert.equal(rel[0].details.scope, 'openid profile citizen offline_access');
  assert.ok(rel[0].details.claims.includes('personal_id'), r.text);
  assert.ok(rel[0].details.claims.includes('name'), r.text);
  assert.ok(!r.text.includes('Trần Thị Bích'), 'claim values stay out of the trail');
});

test('the history is read newest first through the per-citizen index, paged with ?before=SEQ', async () => {
  const { b } = await rpLogin({ username: '079195012346', password: 'demo-password-2026' });
  const all = JSON.parse((await b.get('/api/v1/me/history')).text).events;
  assert.ok(all.length >= 3, JSON.stringify(all));
  for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].seq > all[i].seq, 'newest first');
  assert.equal(all[0].type, 'data.release'); // the last thing that happened
  assert.ok(all.every((e) => e.subject === '079195012346' || e.actor === 'citizen:079195012346'));
  const older = JSON.parse((await b.get(`/api/v1/me/history?before=${all[0].seq}`)).text).events;
  assert.deepEqual(older, all.slice(1));
  for (const bad of ['0', '-1', 'abc', '1e3', '99999999999999999999999']) {
    const r = await b.get(`/api/v1/me/history?before=${bad}`);
    assert.equal(r.status, 400, bad);
    assert.equal(JSON.parse(r.text).error, 'invalid_request');
  }
  const anon = await new Browser(s.base).get('/api/v1/me/history');
  assert.equal(anon.status, 401);
  // Rebuilding the index (stores from before it) changes nothing here.
  const head = JSON.parse(ctl(['--json', 'audit', 'head']));
  assert.equal(JSON.parse(ctl(['--json', 'audit', 'reindex'])).entries, head.seq);
  assert.deepEqual(JSON.parse((await b.get('/api/v1/me/history')).text).events, all);
});

// Decree 69/2024: children under 14 get an account through a guardian's
// level-2 account; the registry holds the link (guardian_id).
const GUARDIAN = { id: '001085054321', phone: '0931234566', password: 'guardian-password-2026' };
const CHILD = { id: '001218054321', password: 'child-password-2026-x' };
const TEEN = '001210054321';

function csrfOf(html) {
  return html.match(/name="csrf" value="([^"]+)"/)[1];
}

test('a level-2 guardian sees the children in their care and creates a minor\'s account', async () => {
  ctl(['registry', 'add', '--personal-id', GUARDIAN.id, '--full-name', 'Lê Văn Giám',
    '--birthdate', '1985-05-05', '--sex', 'male']);
  ctl(['account', 'create', '--personal-id', GUARDIAN.id, '--phone', GUARDIAN.phone,
    '--level', '2', '--password-stdin'], { input: `${GUARDIAN.password}\n` });
  ctl(['registry', 'add', '--personal-id', CHILD.id, '--full-name', 'Lê Minh Con',
    '--birthdate', '2018-05-05', '--sex', 'male', '--guardian-id', GUARDIAN.id]);
  ctl(['registry', 'add', '--personal-id', TEEN, '--full-name', 'Lê Văn Lớn',
    '--birthdate', '2010-01-05', '--sex', 'male', '--guardian-id', GUARDIAN.id]);

  const { b } = await rpLogin({ username: GUARDIAN.id, password: GUARDIAN.password });
  let page = await b.get('/account');
  assert.equal(page.status, 200);
  const wards = page.text.match(/<table id="wards">[\s\S]*?<\/table>/)[0];
  assert.match(wards, /Lê Minh Con/);
  assert.match(wards, /Lê Văn Lớn/);
  assert.match(wards, /name="minor_id" value="001218054321"/);
  assert.doesNotMatch(wards, /name="minor_id" value="001210054321"/); // 14+: self-service

  // 14 and over: refused even when posted by hand.
  let r = await b.post('/account/minor', { csrf: csrfOf(page.text), minor_id: TEEN, password: CHILD.password });
  assert.equal(r.status, 403);
  assert.match(r.text, /14 and over register themselves/);
  // Without the session's CSRF token: refused.
  r = await b.post('/account/minor', { csrf: 'x', minor_id: CHILD.id, password: CHILD.password });
  assert.equal(r.status, 403);
  r = await b.post('/account/minor', { csrf: csrfOf(page.text), minor_id: CHILD.id, password: CHILD.password });
  assert.equal(r.status, 200, r.text);
  assert.match(r.text, /account was created/);

  const child = JSON.parse(ctl(['--json', 'account', 'show', CHILD.id]));
  assert.equal(child.level, 1);
  assert.equal(child.status, 'active');
  assert.equal(child.phone, '+84931234566'); // the guardian's number
  assert.equal(child.guardian_id, GUARDIAN.id);
  const audit = ctl(['audit', 'export']).trim().split('\n').map((l) => JSON.parse(l));
  const created = audit.filter((e) => e.type === 'account.create' && e.subject === CHILD.id);
  assert.equal(created.length, 1);
  assert.equal(created[0].actor, `citizen:${GUARDIAN.id}`);
  // In the guardian's history too (the index follows the actor).
  const h = JSON.parse((await b.get('/api/v1/me/history')).text);
  assert.ok(h.events.some((e) => e.type === 'account.create' && e.subject === CHILD.id));

  // The child signs in with their own password.
  await rpLogin({ username: CHILD.id, password: CHILD.password });
  page = await b.get('/account');
  assert.match(page.text.match(/<table id="wards">[\s\S]*?<\/table>/)[0], /has an account/);
});

test('a level-1 guardian and a non-guardian cannot create a minor\'s account', async () => {
  // The demo child 001216000777 is in the care of 001090012345 (level 1).
  const { b } = await rpLogin({ username: '001090012345', password: 'demo-password-2026' });
  const page = await b.get('/account');
  const wards = page.text.match(/<table id="wards">[\s\S]*?<\/table>/)[0];
  assert.match(wards, /Nguyễn Minh Khang/);
  assert.match(wards, /needs your level-2 account/);
  let r = await b.post('/account/minor', { csrf: csrfOf(page.text), minor_id: '001216000777', password: CHILD.password });
  assert.equal(r.status, 403);
  assert.match(r.text, /a guardian needs an active level-2 account/);

  const other = (await rpLogin({ username: GUARDIAN.id, password: GUARDIAN.password })).b;
  const otherPage = await other.get('/account');
  r = await other.post('/account/minor', { csrf: csrfOf(otherPage.text), minor_id: '001216000777', password: CHILD.password });
  assert.equal(r.status, 403);
  assert.match(r.text, /does not name you this citizen/);
  assert.equal(eidctl(['--data', s.dataDir, 'account', 'show', '001216000777']).status, 1);
});

test('eidd sweeps by itself every [accounts] sweep_interval and stops cleanly', async () => {
  const d = await startEidd({ config: () => '[accounts]\nsweep_interval = 1\n' });
  try {
    const run = (args, opts) => {
      const r = eidctl(['--data', d.dataDir, ...args], opts);
      assert.equal(r.status, 0, r.stderr);
      return r.stdout;
    };
    const id = '001089012345';
    const add = (expires) => run(['registry', 'add', '--personal-id', id, '--full-name', 'Vũ Văn Chín',
      '--birthdate', '1989-09-09', '--sex', 'male', '--card-issued', '2019-09-09', '--card-expires', expires]);
    add('2039-09-09');
    run(['account', 'create', '--personal-id', id, '--phone', '0931234555', '--password-stdin'],
      { input: 'thread-sweep-password-2026\n' });
    add('2024-09-09');
    let account;
    for (let i = 0; i < 50; i++) {
      account = JSON.parse(run(['--json', 'account', 'show', id]));
      if (account.status === 'locked') break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(account.status, 'locked');
    assert.equal(account.lock_reason, 'card_expired');
    const outbox = JSON.parse(run(['outbox', '--phone', '0931234555', '--json']));
    assert.equal(outbox.length, 1);
    assert.equal((await fetch(`${d.base}/healthz`)).status, 200);
  } finally {
    const { code, sig } = await d.stop();
    assert.equal(sig, null);
    assert.equal(code, 0);
    d.cleanup();
  }
});
