// Helpers for the front-channel tests: a cookie jar for plain fetch, the
// forms of the server-rendered pages, PKCE, relying parties registered
// with eidctl, and small loopback servers standing in for an RP.
import { createHash, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { eidctl } from './eidd.mjs';

export const CITIZEN = '001090012345';
export const PASSWORD = 'demo-password-2026';

export function b64url(buf) {
  return Buffer.from(buf).toString('base64url');
}

export function pkce() {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

// Registers a client; returns its JSON (with client_secret when made).
export function addClient(dataDir, args) {
  const out = eidctl(['client', 'add', '--data', dataDir, '--json', ...args]);
  if (out.status !== 0) throw new Error(`eidctl client add: ${out.stderr}`);
  return JSON.parse(out.stdout);
}

// A browser without a browser: cookies kept by name, redirects followed
// by hand so each hop can be checked.
export class Browser {
  constructor(base) {
    this.base = base;
    this.cookies = new Map();
    this.acceptLanguage = undefined;
  }

  cookieHeader() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  keep(res) {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      const gone = attrs.some((a) => /^max-age=0$/i.test(a));
      if (gone || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async request(url, { method = 'GET', form, headers = {} } = {}) {
    const h = { ...headers };
    if (this.cookies.size) h.cookie = this.cookieHeader();
    if (this.acceptLanguage) h['accept-language'] = this.acceptLanguage;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h['content-type'] = 'application/x-www-form-urlencoded';
    }
    const abs = new URL(url, this.base).toString();
    const res = await fetch(abs, { method, body, headers: h, redirect: 'manual' });
    this.keep(res);
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, location: res.headers.get('location') };
  }

  get(url, opts) { return this.request(url, opts); }
  post(url, form, opts = {}) { return this.request(url, { ...opts, method: 'POST', form }); }
}

// The hidden and pre-filled fields of the first form on a page.
export function formFields(html) {
  const form = html.match(/<form[^>]*>([\s\S]*?)<\/form>/);
  if (!form) throw new Error(`no form in page: ${html.slice(0, 300)}`);
  const fields = {};
  for (const m of form[1].matchAll(/<input([^>]*)>/g)) {
    const name = m[1].match(/name="([^"]*)"/);
    const value = m[1].match(/value="([^"]*)"/);
    if (name) fields[name[1]] = value ? decode(value[1]) : '';
  }
  const action = form[0].match(/action="([^"]*)"/)[1];
  return { action, fields };
}

function decode(s) {
  return s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

export function authorizeUrl(base, params) {
  const u = new URL('/authorize', base);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  return u.toString();
}

// The parameters of a redirect to the RP.
export function rpParams(location) {
  return Object.fromEntries(new URL(location).searchParams);
}

// A loopback HTTP server that records what it receives; handler(req,
// body, res) answers (default 200 "ok").
export async function recorder(handler) {
  const seen = [];
  let waiters = [];
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => { body += d; });
    req.on('end', () => {
      const hit = { method: req.method, url: req.url, headers: req.headers, body };
      seen.push(hit);
      waiters.forEach((w) => w());
      waiters = [];
      if (handler) handler(hit, res);
      else { res.writeHead(200); res.end('ok'); }
    });
  });
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${srv.address().port}`;
  return {
    base,
    seen,
    // Resolves with the n-th request received (1-based), waiting for it.
    async nth(n, ms = 10000) {
      const deadline = Date.now() + ms;
      while (seen.length < n) {
        if (Date.now() > deadline) throw new Error(`request ${n} never came`);
        await new Promise((r) => { waiters.push(r); setTimeout(r, 100); });
      }
      return seen[n - 1];
    },
    close() { return new Promise((r) => srv.close(r)); },
  };
}

// A registry citizen with a level-2 account ({ id, phone, password }).
export function addLevel2(dataDir, a) {
  let r = eidctl(['--data', dataDir, 'registry', 'add', '--personal-id', a.id,
    '--full-name', 'Trần Thị Hai', '--birthdate', '1990-05-05', '--sex', 'female']);
  if (r.status !== 0) throw new Error(`registry add: ${r.stderr}`);
  r = eidctl(['--data', dataDir, 'account', 'create', '--personal-id', a.id,
    '--phone', a.phone, '--level', '2', '--password-stdin'], { input: `${a.password}\n` });
  if (r.status !== 0) throw new Error(`account create: ${r.stderr}`);
}

// The tokens for the code in an RP redirect (a public client).
export async function exchangeCode(base, location, { verifier, clientId, redirectUri }) {
  const code = new URL(location).searchParams.get('code');
  const res = await fetch(`${base}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code', code, redirect_uri: redirectUri, client_id: clientId,
      code_verifier: verifier,
    }),
  });
  const tok = await res.json();
  if (res.status !== 200) throw new Error(`token: ${res.status} ${JSON.stringify(tok)}`);
  return tok;
}

// The ID token's claims for the code in an RP redirect (a public client).
export async function idTokenClaims(base, location, opts) {
  const tok = await exchangeCode(base, location, opts);
  return JSON.parse(Buffer.from(tok.id_token.split('.')[1], 'base64url'));
}

// Follows an authorization URL through the pages like a citizen: the
// login form (username, password), the one-time code page (otp() gives
// the code), the consent page (approved).  Returns the final response
// that leaves the server (its location is the RP's redirect URI) or the
// first page it cannot go past.
export async function signIn(b, url, { username = CITIZEN, password = PASSWORD, otp } = {}) {
  let r = await b.get(url);
  for (let hops = 0; hops < 10; hops++) {
    if (r.status === 303 && r.location.startsWith('/')) {
      r = await b.get(r.location);
      continue;
    }
    if (r.status !== 200 || !/<form/.test(r.text)) return r;
    const { action, fields } = formFields(r.text);
    if (action === '/login') r = await b.post(action, { ...fields, username, password });
    else if (action === '/login/otp' && otp) r = await b.post(action, { ...fields, code: await otp() });
    else if (action === '/consent') r = await b.post(action, { ...fields, approve: '1' });
    else return r;
  }
  throw new Error('too many hops');
}
