// The authorization probe (issue 20, item 6): what stops a login before the browser opens, and
// everything that must not. Against the real IdP (oidc-provider) for its answers, and the error
// pages of other IdPs as they serve them.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { oauthErrorIn, probeAuthorization, readAuthorizationAnswer, throwawayCopy } from '../../../main/core/login/authorization-probe.js';
import { refusalError } from '../../../main/core/login/idp-refusal.js';
import { freePort } from '../../helpers/peer-process.js';
import { startIdp, type Idp } from '../../peers/idp.js';
import { fetchWithin } from '../../helpers/net.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(() => idp?.stop());

const redirectUri = 'http://127.0.0.1:5555/callback';

function authorizeUrl(params: Record<string, string>): URL {
  const url = new URL(`${idp.issuer}/auth`);
  const all = {
    response_type: 'code',
    client_id: idp.clientId,
    redirect_uri: redirectUri,
    scope: 'openid offline_access',
    prompt: 'consent',
    state: 's',
    nonce: 'n',
    code_challenge: 'c'.repeat(43),
    code_challenge_method: 'S256',
    ...params,
  };
  for (const [k, v] of Object.entries(all)) url.searchParams.set(k, v);
  return url;
}

const send = fetchWithin(5000);

test('oidc-provider: a wrong client id is refused with its words; the right one goes on to the login UI', async () => {
  assert.deepEqual(await probeAuthorization(send, authorizeUrl({ client_id: 'not-a-client' }), redirectUri, 3000), {
    verdict: 'refused',
    status: 400,
    error: 'invalid_client',
    description: 'client is invalid',
  });
  assert.deepEqual(await probeAuthorization(send, authorizeUrl({}), redirectUri, 3000), { verdict: 'proceed', seen: 'redirect' });
});

test("oidc-provider: an unregistered redirect URI is refused; prompt=none's login_required (no session server-side) goes on", async () => {
  const other = 'http://127.0.0.1:5555/elsewhere';
  const refused = await probeAuthorization(send, authorizeUrl({ redirect_uri: other }), other, 3000);
  assert.equal(refused.verdict, 'refused');
  assert.equal(refused.verdict === 'refused' && refused.error, 'invalid_redirect_uri');
  assert.deepEqual(await probeAuthorization(send, authorizeUrl({ prompt: 'none' }), redirectUri, 3000), { verdict: 'proceed', seen: 'session-needed' });
});

test('a probe that cannot ask lets the login go on: a closed port, a server that never answers (bounded)', async () => {
  const closed = new URL(`http://127.0.0.1:${await freePort()}/auth?client_id=x`);
  assert.deepEqual(await probeAuthorization(send, closed, redirectUri, 2000), { verdict: 'proceed', seen: 'no-answer' });
  const silent = createServer(() => undefined);
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  try {
    const t0 = Date.now();
    const answer = await probeAuthorization(send, new URL(`http://127.0.0.1:${(silent.address() as AddressInfo).port}/auth`), redirectUri, 500);
    assert.deepEqual(answer, { verdict: 'proceed', seen: 'no-answer' });
    assert.ok(Date.now() - t0 < 4000, "the probe's own bound, not the HTTP timeout");
  } finally {
    silent.close();
  }
});

test('the probe asks with a fresh state, nonce and PKCE challenge, and keeps everything else', () => {
  const real = authorizeUrl({});
  const copy = throwawayCopy(real);
  for (const key of ['state', 'nonce', 'code_challenge']) {
    assert.notEqual(copy.searchParams.get(key), real.searchParams.get(key), key);
  }
  assert.match(copy.searchParams.get('code_challenge') ?? '', /^[\w-]{43}$/);
  for (const key of ['client_id', 'redirect_uri', 'scope', 'prompt', 'code_challenge_method', 'response_type']) {
    assert.equal(copy.searchParams.get(key), real.searchParams.get(key), key);
  }
});

const requested = new URL('https://idp.example/authorize?client_id=x');
const answer = (status: number, extra: { location?: string; contentType?: string; body?: string } = {}) =>
  readAuthorizationAnswer(
    { status, location: extra.location ?? null, contentType: extra.contentType ?? 'text/html', body: extra.body ?? '' },
    redirectUri,
    requested,
  );

test('what stops the login: a redirect back with an error, a 4xx naming an OAuth error (JSON or a page)', () => {
  assert.deepEqual(answer(302, { location: `${redirectUri}?error=unauthorized_client&error_description=not+allowed&state=s` }), {
    verdict: 'refused',
    status: 302,
    error: 'unauthorized_client',
    description: 'not allowed',
  });
  assert.deepEqual(answer(400, { contentType: 'application/json', body: '{"error":"invalid_client","error_description":"unknown client"}' }), {
    verdict: 'refused',
    status: 400,
    error: 'invalid_client',
    description: 'unknown client',
  });
  // Keycloak's error page.
  const keycloak = '<html><body><div id="kc-content"><div id="kc-error-message">\n  <p class="instruction">Client not found.</p>\n</div></div></body></html>';
  assert.deepEqual(answer(400, { body: keycloak }), { verdict: 'refused', status: 400, error: '', description: 'Client not found.' });
  // Okta's error page names an error code and a description.
  assert.deepEqual(
    oauthErrorIn('text/html', '<h1>Error</h1><p>Error Code: invalid_client</p><p>Description: Invalid value for &#39;client_id&#39; parameter.</p>'),
    { error: 'invalid_client', description: "Invalid value for 'client_id' parameter." },
  );
});

test('what lets the login go on: a login page, a redirect to the login UI, a session error, a 4xx or 5xx with no OAuth error', () => {
  assert.deepEqual(answer(200, { body: '<form>Sign in</form>' }), { verdict: 'proceed', seen: 'login-page' });
  assert.deepEqual(answer(302, { location: '/interaction/abc' }), { verdict: 'proceed', seen: 'redirect' });
  assert.deepEqual(answer(302, { location: 'https://upstream.example/login?error=x' }), { verdict: 'proceed', seen: 'redirect' });
  assert.deepEqual(answer(302, { location: `${redirectUri}?code=abc&state=s` }), { verdict: 'proceed', seen: 'redirect' });
  for (const error of ['login_required', 'consent_required', 'interaction_required', 'server_error', 'temporarily_unavailable']) {
    assert.deepEqual(answer(303, { location: `${redirectUri}?error=${error}` }), { verdict: 'proceed', seen: 'session-needed' }, error);
  }
  // A 401 asking for Kerberos, a 403 bot check, an error page with prose only: the browser may get through.
  assert.deepEqual(answer(401, { body: '<p>Error: Authentication required</p>' }), { verdict: 'proceed', seen: 'no-oauth-error' });
  assert.deepEqual(answer(403, { body: '<p>Checking your browser…</p>' }), { verdict: 'proceed', seen: 'no-oauth-error' });
  assert.deepEqual(answer(503, { body: '{"error":"invalid_client"}' }), { verdict: 'proceed', seen: 'no-oauth-error' });
});

test("refusals in words: a bad client, redirect URI or scope is configuration (exit 2) with the fix; others are the IdP's (exit 5)", () => {
  const site = { name: 'dev', clientId: 'lakekey', during: 'the login request', redirectUri };
  const client = refusalError('', 'Client not found.', site);
  assert.equal(client.exitCode, 2);
  assert.equal(client.message, 'the identity provider refused the login request: Client not found.');
  assert.match(client.hint ?? '', /client id "lakekey".*`lakekey profile set dev --client-id ID`/);
  const redirect = refusalError('invalid_request', 'Invalid parameter: redirect_uri', site);
  assert.equal(redirect.exitCode, 2);
  assert.match(redirect.hint ?? '', /redirect URI \(http:\/\/127\.0\.0\.1:5555\/callback\).*--redirect-port/);
  assert.match(refusalError('invalid_scope', 'offline_access', site).hint ?? '', /`lakekey profile show dev`/);
  const denied = refusalError('access_denied', 'policy', site);
  assert.equal(denied.exitCode, 5);
  // The IdP's words pass the text gate: one line, no control characters.
  const hostile = refusalError('invalid_client', 'line one\n\u001b[31mline two\u202e', site);
  for (const c of ['\n', '\u001b', '\u202e']) assert.ok(!hostile.message.includes(c), JSON.stringify(hostile.message));
});
