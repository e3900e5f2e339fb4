// Integration: the lakeFS test peers (remote authenticator + lakeFS server) work with the real IdP, chromium, the AWS
// JS SDK's STS client and the lakeFS Python SDK — without lakekey in between — and never break lakeFS's contracts.
// As in real lakeFS, STS login looks the lakeFS user up by the IdP's `sub` (alice) as external id: alice@example.com
// signs in and is lakeFS user `alice-lakefs`. The real lakeFS OSS server (with the external auth service stand-in)
// serves STS login, GET /user and the Python SDK; the stand-in (peers/lakefs.ts) only S3 STS and injected faults.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import { AssumeRoleWithWebIdentityCommand, STSClient, type AssumeRoleWithWebIdentityCommandInput } from '@aws-sdk/client-sts';
import * as oidc from 'openid-client';
import { driveLogin } from '../helpers/browser.js';
import { startAuthenticator, type Authenticator } from '../peers/authenticator.js';
import { startIdp, type Idp } from '../peers/idp.js';
import { lakefsPython, startLakefs, type Lakefs } from '../peers/lakefs.js';
import { startCallbackServer } from '../helpers/callback-catcher.js';
import { startLakefsAuthService, type AuthService } from '../peers/lakefs-auth-service.js';
import { basicAuth, createRepository, startLakefsServer, type LakefsServer } from '../peers/lakefs-server.js';

// Keep the AWS SDK away from this machine's ~/.aws and from instance metadata.
process.env.AWS_CONFIG_FILE = '/nonexistent/lakekey-test-aws-config';
process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/lakekey-test-aws-credentials';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];

const run = promisify(execFile);
const now = () => Math.floor(Date.now() / 1000);

let idp: Idp;
let authenticator: Authenticator;
let lakefs: Lakefs;
let config: oidc.Configuration;
let authService: AuthService;
let real: LakefsServer;
const USER = 'alice-lakefs';

before(async () => {
  idp = await startIdp();
  authenticator = await startAuthenticator({ issuer: idp.issuer, clientId: idp.clientId });
  lakefs = await startLakefs({ authenticatorUrl: authenticator.url });
  authService = await startLakefsAuthService({ users: [{ username: USER, externalId: 'alice', email: 'alice@example.com' }] });
  real = await startLakefsServer({ authenticatorUrl: authenticator.url, authServiceUrl: authService.url });
  await createRepository(real, basicAuth(authService.admin.accessKeyId, authService.admin.secretAccessKey), 'example-repo');
  config = await oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests], // loopback issuer
  });
});

after(async () => {
  await real?.stop();
  await authService?.stop();
  await lakefs?.stop();
  await authenticator?.stop();
  await idp?.stop();
});

/** Neither peer may have seen a request or sent a response outside lakeFS's contracts. */
function assertNoViolations(): void {
  assert.deepEqual(lakefs.violations, [], 'lakeFS contract violations');
  assert.deepEqual(authenticator.violations, [], 'authenticator contract violations');
  assert.deepEqual(authService.violations, [], 'auth service contract violations');
}

interface LakefsCode {
  code: string;
  state: string;
  redirectUri: string;
}

/**
 * A browser login shaped like lakeFS's documented STS sample: PKCE S256, `state` = the code verifier, no nonce.
 * Returns the authorization code for lakeFS (nobody redeems it here; the remote authenticator will). `extra` adds
 * authorization parameters.
 */
async function lakefsAuthorizationCode(t: TestContext, extra: Record<string, string> = {}): Promise<LakefsCode> {
  const callback = await startCallbackServer(t);
  const verifier = oidc.randomPKCECodeVerifier();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callback.redirectUri,
    scope: 'openid email profile',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state: verifier,
    ...extra,
  });
  const page = await driveLogin(url.href);
  assert.match(page.finalText, /signed in/);
  const received = await callback.received;
  assert.equal(received.searchParams.get('state'), verifier, 'the IdP returns the state unchanged');
  const code = received.searchParams.get('code');
  assert.ok(code, 'callback carries a code');
  return { code, state: verifier, redirectUri: callback.redirectUri };
}

async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; text: string; json?: unknown }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, text, json };
}

async function getUser(token?: string): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${lakefs.apiUrl}/user`, { headers: token === undefined ? {} : { authorization: `Bearer ${token}` } });
  return { status: res.status, json: await res.json() };
}

function assumeRole(input: Partial<AssumeRoleWithWebIdentityCommandInput> & { WebIdentityToken: string }) {
  const sts = new STSClient({ endpoint: lakefs.endpoint, region: 'us-east-1' });
  return sts
    .send(new AssumeRoleWithWebIdentityCommand({ RoleArn: 'arn:aws:iam::000000000000:role/lakefs', RoleSessionName: 'alice-example.com', ...input }))
    .finally(() => sts.destroy());
}

/** The lakeFS token from the first test, shared with the ones after it. */
let token: string;
let tokenExpiration: number;

test('STS login: browser code → lakeFS token (ttl 600) → GET /user is alice', async (t) => {
  const login = await lakefsAuthorizationCode(t);
  const before = now();
  const res = await postJson(`${lakefs.apiUrl}/sts/login`, {
    code: login.code,
    state: login.state,
    redirect_uri: login.redirectUri,
    ttl_seconds: 600,
  });
  assert.equal(res.status, 200, res.text);
  const body = res.json as { token: string; token_expiration: number };
  assert.equal(typeof body.token, 'string');
  assert.ok(Math.abs(body.token_expiration - (before + 600)) <= 5, `token_expiration ${body.token_expiration} ≈ now + 600`);
  token = body.token;
  tokenExpiration = body.token_expiration;
  assert.equal(authenticator.counts.logins, 1);
  assert.equal(idp.counts.codeGrants, 1, 'the authenticator redeemed the code at the IdP');

  const me = await getUser(token);
  assert.equal(me.status, 200);
  const user = (me.json as { user: { id: string; email?: string; creation_date: number } }).user;
  assert.equal(user.id, USER);
  assert.equal(user.email, 'alice@example.com');
  assert.equal(lakefs.counts.userCalls, 1);

  // The same code cannot be redeemed twice: the IdP refuses, the authenticator answers 401, lakeFS 401.
  const replay = await postJson(`${lakefs.apiUrl}/sts/login`, { code: login.code, state: login.state, redirect_uri: login.redirectUri });
  assert.equal(replay.status, 401, replay.text);
  assert.match(authenticator.lastFailure ?? '', /invalid_grant/);
  assertNoViolations();
});

test('S3 temporary credentials: AssumeRoleWithWebIdentity with the lakeFS token (@aws-sdk/client-sts, unsigned)', async () => {
  assert.ok(token, 'needs the token from the STS login test');
  const assumed = await assumeRole({ WebIdentityToken: token, DurationSeconds: 3600 });
  const creds = assumed.Credentials;
  assert.ok(creds?.AccessKeyId?.startsWith('ASIA'), 'access key id starts with ASIA');
  assert.ok(creds?.SecretAccessKey && creds.SessionToken);
  assert.ok(creds?.Expiration instanceof Date);
  // 3600 s were asked for, but credentials never outlive the lakeFS token (600 s) they come from.
  assert.equal(Math.floor(creds.Expiration.getTime() / 1000), tokenExpiration);
  assert.equal(assumed.SubjectFromWebIdentityToken, USER);
  assert.equal(lakefs.issued.at(-1)?.accessKeyId, creds.AccessKeyId);
  const call = lakefs.stsCalls.at(-1);
  assert.equal(call?.signed, false, 'the STS call is unsigned');
  assert.equal(call?.params.Version, '2011-06-15');
  assert.equal(call?.params.DurationSeconds, '3600');
  assert.equal(lakefs.counts.s3Sts, 1);

  // AWS's wire code InvalidIdentityToken surfaces in the SDK as InvalidIdentityTokenException.
  const refused = async (input: Parameters<typeof assumeRole>[0], code: string, status: number) => {
    await assert.rejects(assumeRole(input), (err: { name?: string; $metadata?: { httpStatusCode?: number } }) => {
      assert.equal(err.name, code);
      assert.equal(err.$metadata?.httpStatusCode, status);
      return true;
    });
  };
  await refused({ WebIdentityToken: await lakefs.mintToken(USER, now() - 5) }, 'ExpiredTokenException', 400);
  await refused({ WebIdentityToken: await lakefs.mintToken(USER, now() + 600, Buffer.alloc(32, 7)) }, 'InvalidIdentityTokenException', 400);
  await refused({ WebIdentityToken: 'not-a-jwt' }, 'InvalidIdentityTokenException', 400);
  await refused({ WebIdentityToken: token, DurationSeconds: 60 }, 'ValidationError', 400);
  await refused({ WebIdentityToken: token, RoleSessionName: 'has spaces' }, 'ValidationError', 400);
  assert.equal(lakefs.issued.length, 1, 'refused calls issue nothing');
  assertNoViolations();
});

test('GET /user: a missing, forged, expired or non-Bearer token is 401', async () => {
  const cases: Array<[string, string | undefined]> = [
    ['missing', undefined],
    ['garbage', 'garbage'],
    ['forged', await lakefs.mintToken(USER, now() + 600, Buffer.alloc(32, 1))],
    ['expired', await lakefs.mintToken(USER, now() - 1)],
    ['unknown user', await lakefs.mintToken('mallory', now() + 600)],
  ];
  for (const [name, bad] of cases) {
    const res = await getUser(bad);
    assert.equal(res.status, 401, name);
    assert.equal(typeof (res.json as { message?: unknown }).message, 'string', name);
  }
  const basic = await fetch(`${lakefs.apiUrl}/user`, { headers: { authorization: 'Basic YWxpY2U6cHc=' } });
  assert.equal(basic.status, 401);
  assert.equal((await getUser(await lakefs.mintToken(USER, now() + 60))).status, 200, 'a fresh token for alice-lakefs passes');
  assertNoViolations();
});

test('/sts/login failures: forced faults, authenticator modes, bad state, ttl bounds, contract violations', async () => {
  const dummy = { code: 'not-a-real-code', state: 'x'.repeat(43), redirect_uri: 'http://127.0.0.1:1/callback' };
  const expectations: Array<['401' | '429' | '500', number]> = [
    ['401', 401],
    ['429', 429],
    ['500', 500],
  ];
  for (const [fault, status] of expectations) {
    lakefs.setFault(fault);
    const res = await postJson(`${lakefs.apiUrl}/sts/login`, dummy);
    assert.equal(res.status, status, `fault ${fault}`);
    assert.equal(typeof (res.json as { message?: unknown }).message, 'string');
  }
  lakefs.setFault('malformed');
  const malformed = await postJson(`${lakefs.apiUrl}/sts/login`, dummy);
  assert.equal(malformed.status, 200);
  assert.equal(malformed.json, undefined, 'a malformed answer is not JSON');
  lakefs.setFault('none');

  // The authenticator's answers reach the client: 401 stays 401, a failure becomes 500.
  authenticator.setMode('401');
  assert.equal((await postJson(`${lakefs.apiUrl}/sts/login`, dummy)).status, 401);
  authenticator.setMode('500');
  assert.equal((await postJson(`${lakefs.apiUrl}/sts/login`, dummy)).status, 500);
  authenticator.setMode('ok');

  // A state that is not a PKCE verifier never reaches the IdP; an unknown code is refused by it.
  const grantsBefore = idp.counts.codeGrants;
  assert.equal((await postJson(`${lakefs.apiUrl}/sts/login`, { ...dummy, state: 'short' })).status, 401);
  assert.match(authenticator.lastFailure ?? '', /code_verifier/);
  assert.equal((await postJson(`${lakefs.apiUrl}/sts/login`, dummy)).status, 401);
  assert.match(authenticator.lastFailure ?? '', /invalid_grant/);
  assert.equal(idp.counts.codeGrants, grantsBefore);

  // ttl_seconds above 12 h is refused before anything is redeemed.
  const failuresBefore = authenticator.counts.failures;
  const tooLong = await postJson(`${lakefs.apiUrl}/sts/login`, { ...dummy, ttl_seconds: 43201 });
  assert.equal(tooLong.status, 400);
  assert.match((tooLong.json as { message: string }).message, /43200/);
  assert.equal(authenticator.counts.failures, failuresBefore);
  assertNoViolations();

  // A request outside the contract is answered 400 and recorded — loudly.
  const invalid = await postJson(`${lakefs.apiUrl}/sts/login`, { code: 'c', state: 's' });
  assert.equal(invalid.status, 400);
  assert.equal(lakefs.violations.length, 1);
  assert.match(lakefs.violations[0], /redirect_uri/);
  lakefs.violations.length = 0;
  assertNoViolations();
});

test('an authorization request with a nonce is refused: the authenticator cannot check it (the sample sends none)', async (t) => {
  const login = await lakefsAuthorizationCode(t, { nonce: oidc.randomNonce() });
  const res = await postJson(`${lakefs.apiUrl}/sts/login`, { code: login.code, state: login.state, redirect_uri: login.redirectUri });
  assert.equal(res.status, 401, res.text);
  assert.match(authenticator.lastFailure ?? '', /nonce/);
  assertNoViolations();
});

test('lakeFS Python SDK: LAKECTL_SERVER_ENDPOINT_URL + LAKECTL_CREDENTIALS_SESSION_TOKEN reach the server as Bearer', async () => {
  assert.ok(token, 'needs the token from the STS login test');
  const python = lakefsPython();
  const script = [
    'import json, lakefs',
    'from lakefs.client import Client',
    'client = Client()',
    'me = client.sdk_client.auth_api.get_current_user()',
    'print(json.dumps({"user": me.user.id, "version": client.version, "repos": [r.id for r in lakefs.repositories()]}))',
  ].join('\n');
  // The endpoint works with and without /api/v1 (the SDK appends it to a URL without a path).
  for (const endpoint of [lakefs.endpoint, lakefs.apiUrl]) {
    const callsBefore = lakefs.apiCalls.length;
    const { stdout } = await run(python, ['-c', script], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/nonexistent',
        LAKECTL_CONFIG_FILE: '/nonexistent/lakectl.yaml',
        LAKECTL_SERVER_ENDPOINT_URL: endpoint,
        LAKECTL_CREDENTIALS_SESSION_TOKEN: token,
      },
      timeout: 60_000,
    });
    assert.deepEqual(JSON.parse(stdout), { user: USER, version: '1.84.0', repos: ['example-repo'] }, endpoint);
    const calls = lakefs.apiCalls.slice(callsBefore);
    assert.deepEqual(
      calls.map((c) => c.operationId),
      ['getCurrentUser', 'getConfig', 'listRepositories'],
      endpoint,
    );
    for (const call of calls) {
      assert.equal(call.user, USER, `${call.operationId} carried alice's bearer token`);
      assert.equal(call.status, 200);
    }
  }
  assertNoViolations();
});

test('lakeFS Python SDK: lakefs.client.from_web_identity() posts a contract-valid STS login', async (t) => {
  const python = lakefsPython();
  const login = await lakefsAuthorizationCode(t);
  const script = [
    'import json, sys',
    'import lakefs',
    'code, state, redirect_uri, host = sys.argv[1:5]',
    'client = lakefs.client.from_web_identity(code=code, state=state, redirect_uri=redirect_uri, ttl_seconds=7200, host=host)',
    'print(json.dumps({"user": client.sdk_client.auth_api.get_current_user().user.id}))',
  ].join('\n');
  const loginsBefore = authenticator.counts.logins;
  const { stdout } = await run(python, ['-c', script, login.code, login.state, login.redirectUri, lakefs.endpoint], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/nonexistent', LAKECTL_CONFIG_FILE: '/nonexistent/lakectl.yaml' },
    timeout: 60_000,
  });
  assert.deepEqual(JSON.parse(stdout), { user: USER });
  assert.equal(authenticator.counts.logins, loginsBefore + 1);
  const stsCall = lakefs.apiCalls.filter((c) => c.operationId === 'stsLogin').at(-1);
  assert.equal(stsCall?.status, 200);
  assertNoViolations();
});

// ---- the real lakeFS OSS server -------------------------------------------------------------------------------------

async function realLogin(t: TestContext, ttl?: number): Promise<{ status: number; text: string; json?: unknown; login: LakefsCode }> {
  const login = await lakefsAuthorizationCode(t);
  const res = await postJson(`${real.apiUrl}/sts/login`, {
    code: login.code,
    state: login.state,
    redirect_uri: login.redirectUri,
    ...(ttl ? { ttl_seconds: ttl } : {}),
  });
  return { ...res, login };
}

test('real lakeFS: STS login → a token named after the lakeFS user (sub), aud "login", TTL honoured; GET /user; replay is 401', async (t) => {
  const before = now();
  const res = await realLogin(t, 900);
  assert.equal(res.status, 200, res.text);
  const body = res.json as { token: string; token_expiration: number };
  assert.ok(Math.abs(body.token_expiration - (before + 900)) <= 30, 'ttl_seconds honoured');
  const jwt = JSON.parse(Buffer.from(body.token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
  assert.equal(jwt.sub, USER, 'the lakeFS username, not the IdP subject');
  assert.equal(jwt.aud, 'login');
  assert.equal(jwt.exp, body.token_expiration);
  assert.equal(authService.externalIdsLookedUp.at(-1), 'alice', 'looked up by the IdP subject');
  const me = await fetch(`${real.apiUrl}/user`, { headers: { authorization: `Bearer ${body.token}` } });
  assert.equal(me.status, 200);
  assert.equal(((await me.json()) as { user: { id: string } }).user.id, USER);
  // The same code again: the IdP refuses it, the authenticator says 401, and so does lakeFS.
  const replay = await postJson(`${real.apiUrl}/sts/login`, { code: res.login.code, state: res.login.state, redirect_uri: res.login.redirectUri });
  assert.equal(replay.status, 401, replay.text);
  assert.match(authenticator.lastFailure ?? '', /invalid_grant/);
  assertNoViolations();

  // The lakeFS Python SDK: LAKECTL_CREDENTIALS_SESSION_TOKEN as the bearer, against the real server.
  const script =
    'import json, lakefs\nfrom lakefs.client import Client\nc = Client()\nprint(json.dumps({"user": c.sdk_client.auth_api.get_current_user().user.id, "repos": [r.id for r in lakefs.repositories()]}))';
  const { stdout } = await run(lakefsPython(), ['-c', script], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/nonexistent',
      LAKECTL_CONFIG_FILE: '/nonexistent/lakectl.yaml',
      LAKECTL_SERVER_ENDPOINT_URL: real.endpoint,
      LAKECTL_CREDENTIALS_SESSION_TOKEN: body.token,
    },
    timeout: 60_000,
  });
  assert.deepEqual(JSON.parse(stdout), { user: USER, repos: ['example-repo'] });
  assertNoViolations();
});

test("real lakeFS: an IdP user with no lakeFS user is 404 with lakeFS's JSON", async (t) => {
  const linked = authService.users.get(USER)!;
  authService.users.delete(USER);
  try {
    const res = await realLogin(t);
    assert.equal(res.status, 404, res.text);
    assert.equal(typeof (res.json as { message?: unknown }).message, 'string');
  } finally {
    authService.users.set(USER, linked);
  }
  assertNoViolations();
});
