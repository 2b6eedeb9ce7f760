// node-oidc-provider configured as eidd is (or will be) for the benchmark
// rows: an ES256 signing key, the client_credentials grant, a confidential
// client authenticated with client_secret_basic, and JWT access tokens
// (RFC 9068) through the resource-indicators feature, so every token is an
// ES256 signature as ours will be.  A cluster of BENCH_WORKERS processes
// (default 2, one per core) shares one loopback port.
//
//   node server.mjs PORT      (tools/bench/bench.sh starts and stops it)
//
// Environment: BENCH_CLIENT_ID, BENCH_CLIENT_SECRET, BENCH_WORKERS.
import cluster from 'node:cluster';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import process from 'node:process';

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0 || port > 65535) {
  console.error('usage: node server.mjs PORT');
  process.exit(2);
}
const host = '127.0.0.1';
const issuer = `http://${host}:${port}`;
const resource = 'urn:eid:bench:api';

if (cluster.isPrimary) {
  // One key for every worker, so a token from one verifies with /jwks of
  // any other.
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
  const env = {
    BENCH_JWK: JSON.stringify(jwk),
    BENCH_COOKIE_KEY: randomBytes(32).toString('hex'),
  };
  const n = Number(process.env.BENCH_WORKERS || 2);
  for (let i = 0; i < n; i++) cluster.fork(env);
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  cluster.on('exit', (w, code, sig) => {
    if (!stopping) {
      console.error(`peer: worker ${w.process.pid} exited (${code ?? sig})`);
      stop();
      process.exitCode = 1;
    }
  });
} else {
  const { default: Provider } = await import('oidc-provider');
  const provider = new Provider(issuer, {
    clients: [{
      client_id: process.env.BENCH_CLIENT_ID || 'bench',
      client_secret: process.env.BENCH_CLIENT_SECRET || 'bench-secret',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256',
    }],
    jwks: { keys: [JSON.parse(process.env.BENCH_JWK)] },
    cookies: { keys: [process.env.BENCH_COOKIE_KEY] },
    ttl: { AccessToken: 300, ClientCredentials: 300 },
    enabledJWA: { idTokenSigningAlgValues: ['ES256'] },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: () => resource,
        useGrantedResource: () => true,
        getResourceServerInfo: () => ({
          scope: 'api',
          audience: resource,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } },
        }),
      },
    },
  });
  const server = provider.listen(port, host);
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
}
