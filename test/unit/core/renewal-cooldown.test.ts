// Back-off while valid credentials exist (issue 20, item 4): the cool-down file
// (main/core/usecases/renewal-cooldown.ts) and the rules renewal.ts applies with it — a renewal made while
// the cached credentials could be served uses the short timeout; after it fails outside our
// control, calls within the cool-down serve them without the network; never for a forced renewal,
// never for credentials that expire within the cool-down. Run headless (the composed Context, an
// in-memory keychain) against the in-process oidc-provider and a tiny real STS that answers 500
// or never answers.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { LakekeyError } from '../../../main/core/errors.js';
import type { S3Credentials } from '../../../main/core/keychain/record.js';
import { clearRenewalFailure, cooldownPath, readRenewalFailure, recordRenewalFailure } from '../../../main/core/renewal-failures.js';
import { inCooldown } from '../../../main/core/usecases/renewal-cooldown.js';
import { getS3Credentials } from '../../../main/core/usecases/renewal.js';
import { login } from '../../../main/core/usecases/session.js';
import { DEFAULT_SCOPES, type Profile } from '../../../main/core/config/settings.js';
import { composeHeadless, type Headless } from '../../helpers/compose-headless.js';
import { startIdp, type Idp } from '../../peers/idp.js';
import type { Context } from '../../../main/core/ports.js';

describe('the cool-down file', () => {
  const dir = () => join(mkdtempSync(join(tmpdir(), 'lakekey-cooldown-')), 'cfg');

  test('holds only a time and an error code, mode 0600 in a 0700 folder, replaced atomically', () => {
    const d = dir();
    assert.equal(readRenewalFailure(d, 'work'), undefined, 'none recorded: no cool-down');
    recordRenewalFailure(d, 'work', { at: 1_000, code: 'IDP_UNREACHABLE' });
    recordRenewalFailure(d, 'work', { at: 2_000, code: 'STS_REFUSED' });
    assert.deepEqual(readRenewalFailure(d, 'work'), { at: 2_000, code: 'STS_REFUSED' });
    const file = cooldownPath(d, 'work');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { at: 2_000, code: 'STS_REFUSED' });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(join(d, 'locks')).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(join(d, 'locks')), ['work.cooldown'], 'no temporary file left behind');
    clearRenewalFailure(d, 'work');
    assert.equal(existsSync(file), false);
    clearRenewalFailure(d, 'work'); // none: no error
  });

  test('a corrupt, foreign or planted file means no cool-down, never an error', () => {
    const d = dir();
    mkdirSync(join(d, 'locks'), { recursive: true, mode: 0o700 });
    const file = cooldownPath(d, 'work');
    for (const text of [
      '',
      '{"at":',
      'null',
      '[]',
      '{"at":"soon","code":"STS_REFUSED"}',
      '{"at":1,"code":"NOT_A_CODE"}',
      '{"at":1e999,"code":"STS_REFUSED"}',
      `{"at":1,"code":"STS_REFUSED","pad":"${'x'.repeat(400)}"}`,
    ]) {
      writeFileSync(file, text);
      assert.equal(readRenewalFailure(d, 'work'), undefined, text.slice(0, 40));
    }
    writeFileSync(file, '{"at":1,"code":"STS_REFUSED"}');
    chmodSync(file, 0o000); // unreadable to a user (root reads it anyway): either way, no throw
    assert.doesNotThrow(() => readRenewalFailure(d, 'work'));
    chmodSync(file, 0o600);
    clearRenewalFailure(d, 'work');
    const target = join(d, 'elsewhere.json');
    writeFileSync(target, '{"at":1,"code":"STS_REFUSED"}');
    symlinkSync(target, file);
    assert.equal(readRenewalFailure(d, 'work'), undefined, 'a symlink is not followed');
    clearRenewalFailure(d, 'work');
    mkdirSync(file);
    assert.equal(readRenewalFailure(d, 'work'), undefined, 'a folder in its place');
  });

  test('the cool-down runs from the failure for its length; a failure stamped in the future (clock set back) starts none', () => {
    const failure = { at: 100_000, code: 'IDP_UNREACHABLE' as const };
    assert.equal(inCooldown(failure, 100_000, 60_000), true);
    assert.equal(inCooldown(failure, 159_999, 60_000), true);
    assert.equal(inCooldown(failure, 160_000, 60_000), false);
    assert.equal(inCooldown(failure, 99_000, 60_000), false, 'the clock went back past the failure');
    assert.equal(inCooldown(undefined, 100_000, 60_000), false);
  });
});

// ---- the renewal rules ---------------------------------------------------------------------

const NAME = 'work';
let idp: Idp;
let sts: Server;
let stsUrl: string;
let stsMode: '500' | 'hang' = '500';
let stsCalls = 0;
const hanging = new Set<Socket>();
let h: Headless;
let withS3: Profile;

before(async () => {
  idp = await startIdp();
  sts = createServer((req, res) => {
    stsCalls++;
    req.resume();
    if (stsMode === 'hang') {
      hanging.add(req.socket);
      return;
    }
    res.writeHead(500, { 'content-type': 'text/xml' });
    res.end(
      '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>STS is down</Message></Error><RequestId>1</RequestId></ErrorResponse>',
    );
  });
  await new Promise<void>((r) => sts.listen(0, '127.0.0.1', r));
  stsUrl = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
  const profile: Profile = { issuer: idp.issuer, clientId: idp.clientId, scopes: DEFAULT_SCOPES, redirectPort: 0, refreshBeforeSeconds: 1200 };
  withS3 = { ...profile, s3: { stsEndpoint: stsUrl, region: 'us-east-1', durationSeconds: 3600, tokenSource: 'idp' } };
  h = composeHeadless();
  const record = await login(h.ctx, NAME, profile, { timeoutSeconds: 90 });
  assert.ok(record.idp?.refreshToken, 'the login must yield a refresh token (offline_access)');
});

after(async () => {
  for (const s of hanging) s.destroy();
  await new Promise<void>((r) => sts.close(() => r()));
  await idp.stop();
});

beforeEach(() => {
  stsMode = '500';
  clearRenewalFailure(h.ctx.dir, NAME);
});

const cachedCreds = (expiresInSeconds: number): S3Credentials => ({
  accessKeyId: 'ASIACACHEDCACHED0001',
  secretAccessKey: 'cached-secret-access-key-0000000000000000',
  sessionToken: 'cached-session-token-00000000000000000000',
  expiresAt: h.ctx.clock.now() + expiresInSeconds * 1000,
});

async function cache(expiresInSeconds: number | undefined): Promise<S3Credentials | undefined> {
  const record = await h.ctx.vault.read(NAME);
  const s3 = expiresInSeconds === undefined ? undefined : cachedCreds(expiresInSeconds);
  await h.ctx.vault.write(NAME, { ...record, s3 });
  return s3;
}

describe('renewal with the cool-down', () => {
  test('after a renewal fails outside our control, calls within the cool-down serve the cached credentials without the network, said once', async () => {
    const cached = await cache(600); // inside the 1200 s renewal window, far from expiry
    const notices = h.notices.length;
    const calls = stsCalls;
    const grants = idp.counts.refreshGrants;
    assert.deepEqual(await getS3Credentials(h.ctx, NAME, withS3, { interactive: false }), cached);
    assert.ok(stsCalls > calls, 'the first call tried STS');
    assert.equal(idp.counts.refreshGrants, grants + 1);
    assert.equal(h.notices.length, notices + 1);

    const tried = stsCalls;
    for (let i = 0; i < 3; i++) assert.deepEqual(await getS3Credentials(h.ctx, NAME, withS3, { interactive: false }), cached);
    assert.equal(stsCalls, tried, 'no STS call within the cool-down');
    assert.equal(idp.counts.refreshGrants, grants + 1, 'no IdP call within the cool-down');
    assert.equal(h.notices.length, notices + 1, 'said once per cool-down');
    assert.match(
      h.notices.at(-1) ?? '',
      /could not renew credentials .*; using the current ones, valid \d+ min, until \d\d:\d\d local; lakekey tries again after 1 min\./,
    );
    assert.equal(readRenewalFailure(h.ctx.dir, NAME)?.code, 'STS_REFUSED');

    // Once the cool-down is over (a context whose cool-down is shorter than the time since), it tries again.
    const later: Context = { ...h.ctx, limits: { ...h.ctx.limits, renewalCooldownMs: 1 } };
    await new Promise((r) => setTimeout(r, 5));
    assert.deepEqual(await getS3Credentials(later, NAME, withS3, { interactive: false }), cached);
    assert.ok(stsCalls > tried, 'tried again after the cool-down');
  });

  test('a forced renewal ("Refresh now", the tray scheduler) ignores the cool-down', async () => {
    const cached = await cache(600);
    recordRenewalFailure(h.ctx.dir, NAME, { at: h.ctx.clock.now(), code: 'STS_REFUSED' });
    const calls = stsCalls;
    assert.deepEqual(await getS3Credentials(h.ctx, NAME, withS3, { interactive: false, force: true }), cached);
    assert.ok(stsCalls > calls, 'STS was asked');
  });

  test('credentials that expire within the cool-down are renewed regardless; expired ones too', async () => {
    await cache(60); // still servable, but gone before the 60 s cool-down (plus its margin) is over
    recordRenewalFailure(h.ctx.dir, NAME, { at: h.ctx.clock.now(), code: 'STS_REFUSED' });
    let calls = stsCalls;
    await getS3Credentials(h.ctx, NAME, withS3, { interactive: false });
    assert.ok(stsCalls > calls, 'STS was asked');

    await cache(-10);
    recordRenewalFailure(h.ctx.dir, NAME, { at: h.ctx.clock.now(), code: 'STS_REFUSED' });
    calls = stsCalls;
    const err = await getS3Credentials(h.ctx, NAME, withS3, { interactive: false }).then(
      () => assert.fail('nothing valid to serve'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof LakekeyError && err.code === 'STS_REFUSED', String(err));
    assert.ok(stsCalls > calls, 'STS was asked');
  });

  test('a cool-down stamped in the future (the clock was set back) or a corrupt file does not stop a renewal', async () => {
    await cache(600);
    recordRenewalFailure(h.ctx.dir, NAME, { at: h.ctx.clock.now() + 3_600_000, code: 'IDP_UNREACHABLE' });
    let calls = stsCalls;
    await getS3Credentials(h.ctx, NAME, withS3, { interactive: false });
    assert.ok(stsCalls > calls, 'STS was asked');
    assert.ok((readRenewalFailure(h.ctx.dir, NAME)?.at ?? Infinity) <= h.ctx.clock.now(), 'the failure is stamped again, on the clock as it is');

    writeFileSync(cooldownPath(h.ctx.dir, NAME), '{"at": 17');
    calls = stsCalls;
    await getS3Credentials(h.ctx, NAME, withS3, { interactive: false });
    assert.ok(stsCalls > calls, 'STS was asked');
  });

  test("a failure that is ours, not the network's (login required), starts no cool-down", async () => {
    await cache(600);
    const own = await h.ctx.vault.read(NAME);
    const record = await h.view.read(NAME);
    assert.ok(record.idp);
    // A session from another issuer: the refresh token must not be sent, a login is required (exit 3).
    await h.ctx.vault.write(NAME, {
      ...record,
      idp: { ...record.idp, minted: { issuer: 'http://127.0.0.1:9', clientId: idp.clientId, scopes: DEFAULT_SCOPES } },
    });
    try {
      await getS3Credentials(h.ctx, NAME, withS3, { interactive: false });
    } catch {
      /* login required, or the cached credentials served with the hint */
    }
    assert.equal(readRenewalFailure(h.ctx.dir, NAME), undefined);
    await h.ctx.vault.write(NAME, own);
  });

  test('while valid credentials are cached a hanging STS costs the short timeout; with nothing valid, the full one', async () => {
    // The full timeout far above the short one, so which one applied shows without tight bounds.
    const ctx: Context = { ...h.ctx, limits: { ...h.ctx.limits, httpTimeoutMs: 6_000, earlyRenewalTimeoutMs: 300 } };
    stsMode = 'hang';
    const cached = await cache(600);
    let t0 = Date.now();
    assert.deepEqual(await getS3Credentials(ctx, NAME, withS3, { interactive: false }), cached);
    const early = Date.now() - t0;
    assert.ok(early < 6_000, `gave up before the full timeout (took ${early} ms)`);
    assert.equal(readRenewalFailure(h.ctx.dir, NAME)?.code, 'STS_UNREACHABLE');

    await cache(undefined);
    t0 = Date.now();
    const err = await getS3Credentials(ctx, NAME, withS3, { interactive: false }).then(
      () => assert.fail('nothing to serve'),
      (e: unknown) => e,
    );
    const full = Date.now() - t0;
    assert.ok(err instanceof LakekeyError && err.code === 'STS_UNREACHABLE', String(err));
    assert.ok(full >= 6_000 - 50, `waited the full timeout with nothing valid cached (took ${full} ms)`);
    for (const s of hanging) s.destroy();
  });
});
