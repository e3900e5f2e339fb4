// The renewal use case (main/core/usecases/renewal.ts) run headless, without spawning a process: the
// composed Context (test/helpers/compose-headless.ts) against the in-process oidc-provider and a
// tiny real STS that answers 500. One browser login in `before` gives a real refresh token; the
// tests then run in order on the same session, each reading what the previous one left stored.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { LakekeyError } from '../../../main/core/errors.js';
import type { S3Credentials } from '../../../main/core/keychain/record.js';
import { getS3Credentials } from '../../../main/core/usecases/renewal.js';
import { login } from '../../../main/core/usecases/session.js';
import { DEFAULT_SCOPES, type Profile } from '../../../main/core/config/settings.js';
import { composeHeadless, type Headless } from '../../helpers/compose-headless.js';
import { startIdp, type Idp } from '../../peers/idp.js';

const NAME = 'work';
let idp: Idp;
let sts: Server;
let stsUrl: string;
let stsCalls = 0;
let h: Headless;
let profile: Profile;
let withS3: Profile;

before(async () => {
  idp = await startIdp();
  sts = createServer((req, res) => {
    stsCalls++;
    req.resume();
    res.writeHead(500, { 'content-type': 'text/xml' });
    res.end(
      '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>STS is down</Message></Error><RequestId>1</RequestId></ErrorResponse>',
    );
  });
  await new Promise<void>((r) => sts.listen(0, '127.0.0.1', r));
  stsUrl = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
  profile = { issuer: idp.issuer, clientId: idp.clientId, scopes: DEFAULT_SCOPES, redirectPort: 0, refreshBeforeSeconds: 1200 };
  withS3 = { ...profile, s3: { stsEndpoint: stsUrl, region: 'us-east-1', durationSeconds: 3600, tokenSource: 'idp' } };
  h = composeHeadless();
  const record = await login(h.ctx, NAME, profile, { timeoutSeconds: 90 });
  assert.ok(record.idp?.refreshToken, 'the login must yield a refresh token (offline_access)');
});

after(async () => {
  await new Promise<void>((r) => sts.close(() => r()));
  await idp.stop();
});

async function refused(p: Promise<unknown>): Promise<LakekeyError> {
  const err = await p.then(
    () => assert.fail('must be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof LakekeyError, String(err));
  return err;
}

const cachedCreds = (expiresInSeconds: number): S3Credentials => ({
  accessKeyId: 'ASIACACHEDCACHED0001',
  secretAccessKey: 'cached-secret-access-key-0000000000000000',
  sessionToken: 'cached-session-token-00000000000000000000',
  expiresAt: h.ctx.clock.now() + expiresInSeconds * 1000,
});

test('STS answers 5xx while the cached credentials are still valid: they are served, with a notice', async () => {
  const record = await h.ctx.vault.read(NAME);
  const cached = cachedCreds(600); // inside the 1200 s refresh window, far from expiry
  await h.ctx.vault.write(NAME, { ...record, s3: cached });
  const before = stsCalls;
  const got = await getS3Credentials(h.ctx, NAME, withS3, { interactive: false });
  assert.deepEqual(got, cached);
  assert.ok(stsCalls > before, 'STS was asked');
  assert.ok(
    h.notices.some((n) => /could not renew credentials \(.*HTTP 500.*\); using the current ones, valid \d+ (s|min), until \d\d:\d\d local/.test(n)),
    JSON.stringify(h.notices),
  );
});

test('a rotated refresh token is stored before STS is called: STS failing does not lose it', async () => {
  // The profile's own item (its session is the shared one the login made) and the session as it sees it.
  const record = await h.ctx.vault.read(NAME);
  const old = (await h.view.read(NAME)).idp?.refreshToken;
  assert.ok(old);
  await h.ctx.vault.write(NAME, { ...record, s3: undefined });
  const grants = idp.counts.refreshGrants;
  const err = await refused(getS3Credentials(h.ctx, NAME, withS3, { interactive: false }));
  assert.equal(err.code, 'STS_REFUSED');
  assert.equal(err.exitCode, 5);
  assert.equal(idp.counts.refreshGrants, grants + 1, 'one refresh at the IdP');
  const stored = (await h.view.read(NAME)).idp;
  assert.ok(stored?.refreshToken, 'a refresh token is still stored');
  assert.notEqual(stored.refreshToken, old, 'the rotated one, not the spent one');
});

test('a refreshed ID token for a different subject is refused and the record is kept as it was', async () => {
  const record = await h.view.read(NAME);
  assert.ok(record.idp);
  // The stored session says someone else is signed in than the IdP's refresh will name (written
  // into the profile's own item: a session of its own, as from before sharing, is renewed the same way).
  const tampered = { ...record, idp: { ...record.idp, subject: 'mallory' } };
  await h.ctx.vault.write(NAME, tampered);
  const err = await refused(getS3Credentials(h.ctx, NAME, withS3, { interactive: false }));
  assert.equal(err.code, 'IDP_REFUSED');
  assert.match(err.message, /ID token for a different user/);
  assert.match(err.hint ?? '', /lakekey login work/);
  assert.deepEqual(await h.ctx.vault.read(NAME), tampered);
});

test('invalid_grant (the refresh token was spent): it is dropped, the rest kept, and a login is required', async () => {
  // The mismatch test left the refresh token the IdP rotated away: the IdP now answers invalid_grant.
  const record = await h.view.read(NAME);
  assert.ok(record.idp?.refreshToken);
  const err = await refused(getS3Credentials(h.ctx, NAME, withS3, { interactive: false }));
  assert.equal(err.code, 'LOGIN_REQUIRED');
  assert.equal(err.exitCode, 3);
  assert.match(err.message, /session at the identity provider has ended/);
  const stored = await h.view.read(NAME);
  assert.equal(stored.idp?.refreshToken, undefined, 'the dead refresh token is forgotten');
  assert.equal(stored.idp?.subject, 'mallory', 'the rest of the session is kept');
});
