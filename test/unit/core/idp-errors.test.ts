// What lakekey tells the user about refusals real IdPs are known to give (issue 10 §3).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { idpError } from '../../../main/core/login/oidc.js';

test('Dex "claimed by another client" says a newer login with this client replaced the session', () => {
  // Dex's answer to a refresh token it replaced (one refresh token per user and client).
  const e = idpError({ error: 'invalid_request', error_description: 'Refresh token is invalid or has already been claimed by another client.' }, 'the refresh');
  assert.equal(e.code, 'IDP_REFUSED');
  assert.match(e.hint ?? '', /keeps one session per user and client/);
  assert.match(e.hint ?? '', /its own client id/);
  assert.doesNotMatch(e.hint ?? '', /issuer and client id/);
});

test('a missing PKCE parameter is not blamed on the issuer or client id', () => {
  const e = idpError({ error: 'invalid_request', error_description: 'Missing parameter: code_challenge_method' }, 'the device login');
  assert.match(e.hint ?? '', /PKCE/);
  assert.doesNotMatch(e.hint ?? '', /issuer and client id/);
});

test("other refusals point at the profile's issuer and client id", () => {
  const e = idpError({ error: 'unauthorized_client', error_description: 'unknown client' }, 'the code exchange');
  assert.match(e.hint ?? '', /issuer and client id/);
});

test('Keycloak\'s "Offline tokens not allowed" names the missing offline_access role', () => {
  const e = idpError({ error: 'not_allowed', error_description: 'Offline tokens not allowed for the user or client' }, 'the code exchange');
  assert.match(e.hint ?? '', /offline_access role/);
});
