// Helpers for tests that play a relying party with openid-client.
import assert from 'node:assert/strict';
import * as client from 'openid-client';

// openid-client's Configuration for client c (its client_id) of the
// server at base, plain http allowed (loopback tests).
export function discover(base, c, auth) {
  return client.discovery(new URL(base), c.client_id, {}, auth,
    { execute: [client.allowInsecureRequests] });
}

// The OAuth error of a request openid-client made fail: status, error
// (invalid_client for a 401 challenge) and description.
export async function oauthError(promise) {
  try {
    await promise;
  } catch (e) {
    if (e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
      return { status: e.status, error: e.cause[0].parameters.error ?? 'invalid_client' };
    }
    return { status: e.status, error: e.error, description: e.error_description };
  }
  assert.fail('the request should have failed');
}
