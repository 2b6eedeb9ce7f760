// Prepares what the user-bound rows consume, through the server's own
// endpoints as a relying party would, before the timed run:
//
//   node prepare.mjs codes N OUT      N codes: "CODE VERIFIER REDIRECT_URI"
//   node prepare.mjs refresh N OUT    N refresh tokens, each from its own grant
//   node prepare.mjs access OUT       one access token of a signed-in citizen
//   node prepare.mjs chip N OUT       N answered /chip/challenge challenges:
//                                     "Bearer TOKEN", the card's files as
//                                     JSON members, then "ID SIGNATURE" lines
//
// The authorization-code flow with PKCE S256 (RFC 7636): GET
// authorization_endpoint; on an HTML form, fill `username` and `password`
// (BENCH_USERNAME, BENCH_PASSWORD), keep every hidden field (CSRF) and
// choose the `approve` button on consent; follow redirects with the
// cookies until the redirect URI comes back with a code.  One login, then
// the browser session (and remembered consent) gives each further code.
// Any failure prints "unavailable REASON" and exits 0: the row is listed
// as not available, never given a made-up number.
//
// For chip: an access token of the citizen (the code flow above), then N
// challenges from POST /chip/challenge presented with it, as the phone app
// asks for them (each bound to the token's subject, single-use, 5
// minutes), answered by the test card: tools/bench/aa_answer signs each
// with the card image's Active Authentication key.
//
// Environment: BENCH_BASE (http://127.0.0.1:PORT), BENCH_CLIENT_ID,
// BENCH_CLIENT_SECRET, BENCH_REDIRECT_URI, BENCH_USERNAME, BENCH_PASSWORD;
// for chip BENCH_AA_ANSWER (the aa_answer program) and BENCH_CHIP_IMAGE.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import process from 'node:process';

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`${k} is not set`);
  return v;
};
const b64url = (b) => b.toString('base64url');

class Browser {
  constructor() { this.cookies = new Map(); }

  async fetch(url, init = {}) {
    const headers = { ...(init.headers || {}) };
    if (this.cookies.size)
      headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair.indexOf('=');
      if (i > 0) this.cookies.set(pair.slice(0, i).trim(), pair.slice(i + 1).trim());
    }
    return res;
  }
}

const attr = (tag, name) => {
  const m = tag.match(new RegExp(`\\s${name}\\s*=\\s*("([^"]*)"|'([^']*)')`, 'i'));
  return m ? (m[2] ?? m[3]).replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;/g, "'") : null;
};

// The first form of a page as a POST to make: its action and its fields,
// with the credentials filled in and the approving button chosen.
export function fillForm(html, pageUrl, creds) {
  const form = html.match(/<form\b[^>]*>[\s\S]*?<\/form>/i);
  if (!form) return null;
  const open = form[0].match(/<form\b[^>]*>/i)[0];
  const action = new URL(attr(open, 'action') || pageUrl, pageUrl).href;
  const fields = new URLSearchParams();
  let submit = null;
  for (const tag of form[0].match(/<(input|button)\b[^>]*>/gi) || []) {
    const name = attr(tag, 'name');
    if (!name) continue;
    const type = (attr(tag, 'type') || (tag.startsWith('<button') ? 'submit' : 'text')).toLowerCase();
    const value = attr(tag, 'value') ?? '';
    if (type === 'submit') {
      // The approving button wins; a cancelling or denying one is never
      // chosen (a form whose default button has no name sends none).
      const what = `${name} ${value}`;
      if (/approve|allow|accept|consent/i.test(what)) submit = [name, value];
      else if (!submit && !/cancel|deny|reject|back/i.test(what)) submit = [name, value];
    } else if (name === 'username') fields.set(name, creds.username);
    else if (name === 'password') fields.set(name, creds.password);
    else if (type !== 'checkbox' || /\schecked\b/i.test(tag)) fields.set(name, value);
  }
  if (submit) fields.set(submit[0], submit[1]);
  return { action, body: fields.toString() };
}

async function discover(base) {
  const r = await fetch(`${base}/.well-known/openid-configuration`);
  if (!r.ok) throw new Error(`discovery: HTTP ${r.status}`);
  return r.json();
}

// One authorization: returns { code, verifier }.
async function authorize(browser, doc, scope, creds) {
  const clientId = env('BENCH_CLIENT_ID');
  const redirect = env('BENCH_REDIRECT_URI');
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const state = b64url(randomBytes(16));
  const q = new URLSearchParams({
    response_type: 'code', client_id: clientId, redirect_uri: redirect, scope, state,
    nonce: b64url(randomBytes(16)), code_challenge: challenge, code_challenge_method: 'S256',
  });
  if (scope.includes('offline_access')) q.set('prompt', 'consent');
  let url = `${doc.authorization_endpoint}?${q}`;
  let init = {};
  for (let step = 0; step < 12; step++) {
    const res = await browser.fetch(url, init);
    const loc = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && loc) {
      const next = new URL(loc, url);
      if (next.href.startsWith(redirect)) {
        const code = next.searchParams.get('code');
        if (!code) throw new Error(`authorization: ${next.searchParams.get('error') || 'no code'}`);
        if (next.searchParams.get('state') !== state) throw new Error('authorization: state mismatch');
        return { code, verifier };
      }
      url = next.href;
      init = {};
      continue;
    }
    const html = await res.text();
    const form = res.ok ? fillForm(html, url, creds) : null;
    if (!form) throw new Error(`authorization: HTTP ${res.status} without a form at ${new URL(url).pathname}`);
    url = form.action;
    init = { method: 'POST', body: form.body, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('authorization: too many steps');
}

async function exchange(doc, code, verifier) {
  const basic = Buffer.from(`${encodeURIComponent(env('BENCH_CLIENT_ID'))}:${encodeURIComponent(env('BENCH_CLIENT_SECRET'))}`).toString('base64');
  const r = await fetch(doc.token_endpoint, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: env('BENCH_REDIRECT_URI'),
    }),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`token: HTTP ${r.status} ${body.error || ''}`.trim());
  return body;
}

// N challenges for the bearer token, 32 requests at a time, no longer
// than BENCH_PREP_SECONDS (30 by default): "ID CHALLENGE" lines.
async function challenges(base, bearer, n) {
  const deadline = Date.now() + 1000 * Number(process.env.BENCH_PREP_SECONDS || 30);
  const out = [];
  let left = n;
  await Promise.all(Array.from({ length: 32 }, async () => {
    while (left > 0 && Date.now() < deadline) {
      left--;
      const r = await fetch(`${base}/chip/challenge`, {
        method: 'POST',
        headers: { authorization: bearer, 'content-type': 'application/json' },
        body: '{}',
      });
      const body = await r.json().catch(() => ({}));
      if (!r.ok || !body.challenge_id || !body.challenge)
        throw new Error(`chip/challenge: HTTP ${r.status} ${body.error || ''}`.trim());
      out.push(`${body.challenge_id} ${body.challenge}`);
    }
  }));
  return out;
}

// The card's answers to the challenges (aa_answer's output lines).
function answers(lines) {
  const r = spawnSync(env('BENCH_AA_ANSWER'), [env('BENCH_CHIP_IMAGE')], {
    input: `${lines.join('\n')}\n`, encoding: 'utf8', maxBuffer: 1 << 30,
  });
  if (r.status !== 0) throw new Error(`aa_answer: ${(r.stderr || String(r.error)).trim()}`);
  const out = r.stdout.split('\n').filter(Boolean);
  if (out.length !== lines.length + 1) throw new Error('aa_answer: a line short');
  return out;
}

async function main([what, a, b]) {
  const base = env('BENCH_BASE');
  const creds = { username: env('BENCH_USERNAME'), password: env('BENCH_PASSWORD') };
  const doc = await discover(base);
  if (!doc.authorization_endpoint) throw new Error('discovery lists no authorization_endpoint');
  const browser = new Browser();
  const lines = [];
  if (what === 'codes') {
    // The first authorization logs in; the rest share its session, 32 at
    // a time, so the codes are fresh (they live 60 s) when the run starts.
    const redirect = env('BENCH_REDIRECT_URI');
    const one = async () => {
      const { code, verifier } = await authorize(browser, doc, 'openid', creds);
      lines.push(`${code} ${verifier} ${redirect}`);
    };
    // Each code is a durable write at /authorize, so making them is
    // bounded by the disk's sync rate: stop at BENCH_PREP_SECONDS (30 by
    // default), well inside the codes' 60 s lifetime, even short of N.
    const deadline = Date.now() + 1000 * Number(process.env.BENCH_PREP_SECONDS || 30);
    await one();
    let left = Number(a) - 1;
    await Promise.all(Array.from({ length: 32 }, async () => {
      while (left > 0 && Date.now() < deadline) {
        left--;
        await one();
      }
    }));
    writeFileSync(b, `${lines.join('\n')}\n`);
  } else if (what === 'refresh') {
    for (let i = 0; i < Number(a); i++) {
      const { code, verifier } = await authorize(browser, doc, 'openid offline_access', creds);
      const t = await exchange(doc, code, verifier);
      if (!t.refresh_token) throw new Error('token response has no refresh_token');
      lines.push(t.refresh_token);
    }
    writeFileSync(b, `${lines.join('\n')}\n`);
  } else if (what === 'access') {
    const { code, verifier } = await authorize(browser, doc, 'openid profile', creds);
    const t = await exchange(doc, code, verifier);
    if (!t.access_token) throw new Error('token response has no access_token');
    writeFileSync(a, `${t.access_token}\n`);
  } else if (what === 'chip') {
    const { code, verifier } = await authorize(browser, doc, 'openid profile', creds);
    const t = await exchange(doc, code, verifier);
    if (!t.access_token) throw new Error('token response has no access_token');
    const bearer = `Bearer ${t.access_token}`;
    const signed = answers(await challenges(base, bearer, Number(a)));
    writeFileSync(b, `${bearer}\n${signed.join('\n')}\n`);
  } else {
    console.error('usage: node prepare.mjs codes N OUT | refresh N OUT | access OUT | chip N OUT');
    return 2;
  }
  console.log('ok');
  return 0;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop())) {
  main(process.argv.slice(2)).then((rc) => { process.exitCode = rc; }, (e) => {
    console.log(`unavailable ${String(e.message || e).split('\n')[0]}`);
  });
}
