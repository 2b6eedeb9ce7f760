// A tiny relying party of eid with openid-client: GET / redirects to eid
// (PAR, PKCE), GET /cb exchanges the code and shows the ID token claims.
//   EID_ISSUER=http://127.0.0.1:8080 CLIENT_ID=rp-node CLIENT_SECRET=... node server.mjs
import { createServer } from 'node:http';
import * as client from 'openid-client';

const issuer = process.env.EID_ISSUER ?? 'http://127.0.0.1:8080';
const port = Number(process.env.PORT ?? 3000);
const redirectUri = `http://127.0.0.1:${port}/cb`;
const config = await client.discovery(new URL(issuer), process.env.CLIENT_ID, {},
  client.ClientSecretBasic(process.env.CLIENT_SECRET),
  issuer.startsWith('http:') ? { execute: [client.allowInsecureRequests] } : {});
const pending = new Map(); // state -> { verifier, nonce }

createServer(async (req, res) => {
  try {
    const url = new URL(req.url, redirectUri);
    if (url.pathname === '/') {
      const verifier = client.randomPKCECodeVerifier();
      const nonce = client.randomNonce();
      const state = client.randomState();
      pending.set(state, { verifier, nonce });
      const to = await client.buildAuthorizationUrlWithPAR(config, {
        redirect_uri: redirectUri, scope: 'openid profile', nonce, state,
        code_challenge: await client.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        ...(url.searchParams.get('acr') === '2' ? { acr_values: 'urn:eid:loa:2' } : {}),
      });
      res.writeHead(303, { location: to.href }).end();
    } else if (url.pathname === '/cb') {
      const p = pending.get(url.searchParams.get('state'));
      pending.delete(url.searchParams.get('state'));
      if (!p) throw new Error('unknown state');
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: p.verifier, expectedNonce: p.nonce,
        expectedState: url.searchParams.get('state'), idTokenExpected: true,
      });
      const claims = tokens.claims();
      console.log(claims);
      res.writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify(claims, null, 2));
    } else {
      res.writeHead(404).end();
    }
  } catch (e) {
    res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
  }
}).listen(port, '127.0.0.1', () => console.log(`open http://127.0.0.1:${port}/`));
