// The relying party's side with openid-client: a configuration from our
// discovery over plain HTTP, and the OAuth error a call failed with.
import assert from 'node:assert/strict';
import * as client from 'openid-client';

export function configFor(base, clientId, auth) {
  return client.discovery(new URL(base), clientId, {}, auth,
    { execute: [client.allowInsecureRequests] });
}

// { status, error, description } of the OAuth error the promise rejects
// with; a 401 with a challenge reads as the challenge's error, or
// invalid_client when it has none (Basic was used).
export async function oauthError(promise) {
  try {
    await promise;
  } catch (e) {
    if (e.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE') {
      const ch = e.cause[0];
      return { status: e.status, error: ch.parameters.error ?? 'invalid_client', challenge: ch.scheme };
    }
    return { status: e.status, error: e.error, description: e.error_description };
  }
  assert.fail('the request should have failed');
}
