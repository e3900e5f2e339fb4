// Integration: the real test peers (IdP, chromium, MinIO, counting proxy) work together without lakekey in between.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { AssumeRoleWithWebIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ListBucketsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import * as oidc from 'openid-client';
import { driveLogin } from '../helpers/browser.js';
import { startIdp, type Idp } from '../peers/idp.js';
import { createBucket, startMinio } from '../peers/minio.js';
import { startCountingProxy } from '../peers/sts-counter.js';
import { startCallbackServer } from '../helpers/callback-catcher.js';

// Keep the AWS SDK away from this machine's ~/.aws and from instance metadata.
process.env.AWS_CONFIG_FILE = '/nonexistent/lakekey-test-aws-config';
process.env.AWS_SHARED_CREDENTIALS_FILE = '/nonexistent/lakekey-test-aws-credentials';
process.env.AWS_EC2_METADATA_DISABLED = 'true';
// On Node 20 the SDK otherwise prints a NodeVersionSupportWarning (it wants Node >= 22 from 2027).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete process.env[name];

/** Authorization code + PKCE (S256) through headless chromium; returns the token response and timing. */
async function browserLogin(t: TestContext, idp: Idp) {
  // http is allowed for this loopback issuer only.
  const config = await oidc.discovery(new URL(idp.issuer), idp.clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const callback = await startCallbackServer(t);
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorizeUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callback.redirectUri,
    scope: 'openid email profile offline_access',
    prompt: 'consent', // offline_access is dropped without it
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
  });
  const started = Date.now();
  const page = await driveLogin(authorizeUrl.href);
  const browserMs = Date.now() - started;
  assert.match(page.finalText, /signed in/);
  const tokens = await oidc.authorizationCodeGrant(config, await callback.received, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  });
  return { config, tokens, browserMs };
}

test('IdP: browser login with PKCE, ID token claims, refresh token rotation', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());

  const { config, tokens, browserMs } = await browserLogin(t, idp);
  t.diagnostic(`browser login took ${browserMs} ms`);
  assert.equal(idp.counts.authorizations, 1);
  assert.equal(idp.counts.codeGrants, 1);

  const claims = tokens.claims();
  assert.ok(claims);
  assert.equal(claims.sub, 'alice');
  assert.equal(claims.email, 'alice@example.com');
  assert.equal(claims.email_verified, true);
  assert.equal(claims.policy, 'readwrite');
  assert.equal(claims.aud, idp.clientId);
  const header = JSON.parse(Buffer.from(tokens.id_token!.split('.')[0], 'base64url').toString()) as { alg: string; kid: string };
  assert.equal(header.alg, 'RS256');
  assert.equal(header.kid, 'rs256-test');

  const firstRefresh = tokens.refresh_token;
  assert.ok(firstRefresh, 'offline_access + prompt=consent must yield a refresh token');
  const refreshed = await oidc.refreshTokenGrant(config, firstRefresh);
  assert.equal(idp.counts.refreshGrants, 1);
  assert.ok(refreshed.refresh_token);
  assert.notEqual(refreshed.refresh_token, firstRefresh, 'public client refresh tokens rotate');
  assert.equal(refreshed.claims()?.policy, 'readwrite');
  // The rotated-out token is consumed: reusing it fails (and oidc-provider revokes the grant).
  await assert.rejects(oidc.refreshTokenGrant(config, firstRefresh), (err: unknown) => {
    assert.ok(err instanceof oidc.ResponseBodyError);
    assert.equal(err.error, 'invalid_grant');
    return true;
  });
  assert.equal(idp.counts.refreshGrants, 1);
  assert.equal(idp.counts.codeGrants, 1);
  assert.equal(idp.counts.authorizations, 1);
});

test('MinIO: unsigned AssumeRoleWithWebIdentity with the IdP token, then S3 with the session', async (t) => {
  const idp = await startIdp();
  t.after(() => idp.stop());
  const minioStarted = Date.now();
  const minio = await startMinio({ issuer: idp.issuer, clientId: idp.clientId });
  t.after(() => minio.stop());
  t.diagnostic(`MinIO live after ${Date.now() - minioStarted} ms`);
  const proxy = await startCountingProxy(minio.endpoint);
  t.after(() => proxy.stop());
  await createBucket(minio, 'lake');

  // Use the ID token from a refresh, as lakekey does once its first token has aged.
  const { config, tokens } = await browserLogin(t, idp);
  assert.ok(tokens.refresh_token);
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token);
  assert.ok(refreshed.id_token);

  // No credentials: the SDK models AssumeRoleWithWebIdentity as smithy.api#noAuth, so it is sent unsigned.
  const sts = new STSClient({ endpoint: proxy.url, region: 'us-east-1' });
  t.after(() => sts.destroy());
  const assumed = await sts.send(
    new AssumeRoleWithWebIdentityCommand({
      // The SDK types require RoleArn. In claim mode MinIO treats an unknown ARN as no ARN at all
      // (sts-handlers.go), so any syntactically plausible value works.
      RoleArn: 'arn:minio:iam:::role/claim-mode',
      WebIdentityToken: refreshed.id_token,
      RoleSessionName: 'lakekey-peers-test',
      DurationSeconds: 3600,
    }),
  );
  const stsCalls = proxy.requests.filter((r) => r.action === 'AssumeRoleWithWebIdentity');
  assert.equal(stsCalls.length, 1);
  assert.equal(stsCalls[0].signed, false, 'the STS call must carry no Authorization header');
  assert.equal(stsCalls[0].form?.Version, '2011-06-15');
  assert.equal(stsCalls[0].form?.DurationSeconds, '3600');

  const creds = assumed.Credentials;
  assert.ok(creds?.AccessKeyId && creds.SecretAccessKey && creds.SessionToken && creds.Expiration);
  const lifetime = (creds.Expiration.getTime() - Date.now()) / 1000;
  assert.ok(lifetime > 3500 && lifetime <= 3600, `session lifetime ${lifetime} s`);

  // S3 through the same proxy with the temporary credentials (SigV4 still verifies: the proxy keeps Host).
  const s3 = new S3Client({
    endpoint: proxy.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: creds.AccessKeyId, secretAccessKey: creds.SecretAccessKey, sessionToken: creds.SessionToken },
  });
  t.after(() => s3.destroy());
  const buckets = await s3.send(new ListBucketsCommand({}));
  assert.deepEqual(
    buckets.Buckets?.map((b) => b.Name),
    ['lake'],
  );
  await s3.send(new PutObjectCommand({ Bucket: 'lake', Key: 'hello.txt', Body: 'hi' }));
  const objects = await s3.send(new ListObjectsV2Command({ Bucket: 'lake' }));
  assert.deepEqual(
    objects.Contents?.map((o) => o.Key),
    ['hello.txt'],
  );

  assert.equal(idp.counts.authorizations, 1);
  assert.equal(idp.counts.codeGrants, 1);
  assert.equal(idp.counts.refreshGrants, 1);
  assert.equal(
    proxy.count((r) => r.action === 'AssumeRoleWithWebIdentity'),
    1,
  );
  assert.equal(
    proxy.count((r) => r.action !== undefined),
    1,
    'no other STS calls',
  );
});
