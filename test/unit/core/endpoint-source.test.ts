// The credentials endpoint's source (main/core/endpoint/source.ts) with the real "current
// credentials or renew" use case underneath: the composed Context (test/helpers/compose-headless.ts:
// real file locks, the real cool-down file, the real STS client) over the in-memory keychain, and a
// tiny real STS whose answers the test controls. The background renewals run on a fake clock
// (test/helpers/fake-clock.ts), so hours pass in a moment; the work each renewal does (keychain,
// files, HTTP) is real, and is waited for in real time.
//
// - renew ahead: with no request at all after the first, the credentials are renewed once they
//   enter the renewal window;
// - an outage in the renewal window: the renewal serves the still-valid credentials, and the next
//   background attempt comes after the retry interval, not a second later (it once re-ran every
//   second, each run reading the keychain, and near the end trying the network);
// - a login holding the profile's lock (in this process or another) is never waited for: the
//   endpoint answers at once, with the still-valid credentials or with "a login is in progress".
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, test } from 'node:test';
import { randomBytes } from 'node:crypto';
import { endpointSource, type CredentialSource } from '../../../main/core/endpoint/source.js';
import { serveProfiles, type ServedEndpoint } from '../../../main/core/endpoint/serve.js';
import { fileLocks } from '../../../main/core/lock.js';
import { idpMint, s3Mint } from '../../../main/core/keychain/minted-with.js';
import { clearRenewalFailure, readRenewalFailure } from '../../../main/core/renewal-failures.js';
import { DEFAULT_SCOPES, type Profile } from '../../../main/core/config/settings.js';
import type { S3Credentials } from '../../../main/core/keychain/record.js';
import type { Logger } from '../../../main/core/ports.js';
import { composeHeadless, type Headless } from '../../helpers/compose-headless.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const NAME = 'work';
const REFRESH_BEFORE_S = 1200;

/** The STS stand-in: answers AssumeRoleWithWebIdentity with new credentials lasting `ttlS` on `now()`'s clock, or 500 while down. */
let sts: Server;
let stsUrl: string;
let stsCalls = 0;
let stsDown = false;
let stsNow: () => number = Date.now;
const TTL_S = 3600;

before(async () => {
  sts = createServer((req, res) => {
    stsCalls++;
    req.resume();
    req.on('end', () => {
      if (stsDown) {
        res.writeHead(500, { 'content-type': 'text/xml' });
        res.end('<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>STS is down</Message></Error></ErrorResponse>');
        return;
      }
      const expires = new Date(stsNow() + TTL_S * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
      res.writeHead(200, { 'content-type': 'text/xml' });
      res.end(
        '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
          `<Credentials><AccessKeyId>ASIANEW${randomBytes(6).toString('hex').toUpperCase()}</AccessKeyId>` +
          `<SecretAccessKey>${randomBytes(20).toString('base64url')}</SecretAccessKey>` +
          `<SessionToken>${randomBytes(32).toString('base64url')}</SessionToken><Expiration>${expires}</Expiration></Credentials>` +
          '</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>',
      );
    });
  });
  await new Promise<void>((r) => sts.listen(0, '127.0.0.1', r));
  stsUrl = `http://127.0.0.1:${(sts.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => sts.close(() => r()));
});

beforeEach(() => {
  stsDown = false;
});

/** An S3 profile whose IdP is never asked: its session holds a usable ID token and no refresh token. */
function s3Profile(): Profile {
  return {
    issuer: 'http://127.0.0.1:9/never-asked',
    clientId: 'lakekey-test',
    scopes: DEFAULT_SCOPES,
    redirectPort: 0,
    refreshBeforeSeconds: REFRESH_BEFORE_S,
    s3: { stsEndpoint: stsUrl, region: 'us-east-1', durationSeconds: TTL_S, tokenSource: 'idp' },
  };
}

/** Stores a session for `profile` whose S3 credentials expire `expiresInS` from `now`. */
async function store(h: Headless, profile: Profile, now: number, expiresInS: number): Promise<S3Credentials> {
  const s3: S3Credentials = {
    accessKeyId: 'ASIASTOREDSTORED0001',
    secretAccessKey: 'stored-secret-access-key-000000000000000',
    sessionToken: 'stored-session-token-000000000000000000',
    expiresAt: now + expiresInS * 1000,
    minted: s3Mint(profile),
  };
  await h.ctx.vault.write(NAME, {
    v: 1,
    idp: { subject: 'alice', idToken: 'not.a.jwt', idTokenExpiresAt: now + 24 * 3600_000, minted: idpMint(profile) },
    s3,
    updatedAt: now,
  });
  return s3;
}

/** Waits in real time (the renewal's own work is real) until `done`, at most 10 s. */
async function until(what: string, done: () => boolean | Promise<boolean>): Promise<void> {
  const end = Date.now() + 10_000;
  while (!(await done())) {
    if (Date.now() > end) assert.fail(`still waiting: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A real pause, for whatever a fired timer started to finish (or to show it started nothing). */
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('renewal ahead, on a fake clock', () => {
  let clock: FakeClock;
  let h: Headless;
  let source: CredentialSource;
  /** The steps the use cases logged: which renewals ran, and how they ended. */
  let steps: string[];
  const RETRY_MS = 60_000;

  beforeEach(() => {
    clock = new FakeClock(Date.now());
    stsNow = clock.now;
    steps = [];
    const log: Logger = { debug() {}, info: (step) => void steps.push(step), warn: (step) => void steps.push(step) };
    h = composeHeadless({ clock, log });
    const profile = s3Profile();
    source = endpointSource({
      vault: h.ctx.vault,
      clock,
      context: () => h.ctx,
      profile: () => profile,
      log,
      changes: () => 'unchanged',
      retryMs: RETRY_MS,
      timers: clock,
    });
  });

  test('credentials are renewed when they enter the renewal window, with no request asking', async () => {
    const profile = s3Profile();
    const stored = await store(h, profile, clock.now(), 3600);
    const calls = stsCalls;
    assert.deepEqual(await source.credentials(NAME), stored, 'fresh: served as stored');
    assert.equal(stsCalls, calls, 'no STS call for fresh credentials');

    // Up to a moment before the window: nothing happens.
    await clock.advance((3600 - REFRESH_BEFORE_S) * 1000 - 1000);
    await pause(100);
    assert.equal(stsCalls, calls, 'not renewed before they are due');

    // Just inside the window: renewed in the background, once.
    await clock.advance(3000);
    await until('the background renewal', async () => (await h.ctx.vault.read(NAME)).s3?.accessKeyId !== stored.accessKeyId);
    assert.equal(stsCalls, calls + 1, 'one STS call');
    const renewed = (await h.ctx.vault.read(NAME)).s3!;
    assert.ok(renewed.expiresAt > clock.now() + (TTL_S - 5) * 1000, 'the new credentials, as STS made them');
    assert.deepEqual(await source.credentials(NAME), renewed, 'a request gets the renewed ones');
    assert.equal(stsCalls, calls + 1, 'from memory');
    // And the next renewal is set for when those enter their window.
    const next = clock.nextAt();
    assert.ok(next !== undefined && Math.abs(next - (renewed.expiresAt - REFRESH_BEFORE_S * 1000 + 1000)) <= 1000, `next renewal at ${next}`);
    source.close();
  });

  test('STS down in the renewal window: the still-valid credentials are served, and tried again after the retry interval, not every second', async () => {
    const profile = s3Profile();
    clearRenewalFailure(h.ctx.dir, NAME);
    const stored = await store(h, profile, clock.now(), 600); // inside the 1200 s window, valid for 10 min
    stsDown = true;
    const calls = stsCalls;
    assert.deepEqual(await source.credentials(NAME), stored, 'the current ones, served');
    assert.ok(stsCalls > calls, 'the renewal tried STS');
    const tried = stsCalls;
    assert.equal(readRenewalFailure(h.ctx.dir, NAME)?.code, 'STS_REFUSED', 'the cool-down began');
    const servedBefore = steps.filter((s) => s === 's3.serve-cached').length;

    // A second at a time, for most of the retry interval: no renewal runs, the keychain is left alone.
    for (let s = 0; s < RETRY_MS / 1000 - 2; s++) {
      await clock.advance(1000);
      await pause(5);
    }
    await pause(100);
    const runs = steps.filter((s) => s === 's3.serve-cached').length - servedBefore;
    assert.equal(runs, 0, `${runs} background renewals ran within ${RETRY_MS / 1000 - 2} s of the failure`);
    assert.equal(stsCalls, tried, 'STS not asked again within the interval');

    // After the interval (and the cool-down, as long): one more attempt, which STS answers.
    stsDown = false;
    await clock.advance(4000);
    await until('the retry', async () => (await h.ctx.vault.read(NAME)).s3?.accessKeyId !== stored.accessKeyId);
    assert.equal(stsCalls, tried + 1, 'one retry, at the network');
    source.close();
  });
});

describe('another holder of the profile lock', () => {
  let h: Headless;
  let served: ServedEndpoint;
  let said: string[];
  let release: () => void;
  let holding: Promise<void>;
  const profile = () => s3Profile();

  before(async () => {
    said = [];
    h = composeHeadless();
    stsNow = Date.now;
    served = await serveProfiles(h.ctx, [NAME], { profile, dir: h.ctx.dir, say: (t) => void said.push(t) });
  });
  after(async () => {
    await served.close();
  });

  /** Holds the profile's lock as a login does (the real lock files, another Locks, purpose "login"), or a renewal (no purpose), until released. */
  async function holdLock(purpose?: 'login'): Promise<void> {
    let held!: () => void;
    const taken = new Promise<void>((r) => (held = r));
    holding = fileLocks(h.ctx.dir).withLock(NAME, { waitMs: 5000, ...(purpose ? { purpose } : {}) }, () => {
      held();
      return new Promise<void>((r) => (release = r));
    });
    await taken;
  }

  /** Asks the endpoint as an SDK does; gives up (a hang) after 10 s, far below a login's 300 s. */
  async function ask(): Promise<{ status: number; body: Record<string, string>; ms: number }> {
    const t0 = Date.now();
    const res = await fetch(served.endpoint.uri(NAME), { headers: { Authorization: served.endpoint.token }, signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as Record<string, string>, ms: Date.now() - t0 };
  }

  test('with nothing valid stored, the endpoint answers at once that a login is in progress (503), not after the login', async () => {
    await store(h, profile(), Date.now(), -60); // expired a minute ago
    await holdLock('login');
    try {
      const calls = stsCalls;
      const r = await ask();
      assert.equal(r.status, 503, JSON.stringify(r.body));
      assert.equal(r.body.Code, 'LOGIN_REQUIRED');
      assert.match(r.body.Message, new RegExp(`a login for profile "${NAME}" is in progress \\(process ${process.pid}\\)`));
      assert.ok(r.ms < 10_000, `answered in ${r.ms} ms`);
      assert.equal(stsCalls, calls, 'nothing was renewed');
    } finally {
      release();
      await holding;
    }
    // Once the login is over, the endpoint renews as usual.
    const r = await ask();
    assert.equal(r.status, 200, JSON.stringify(r.body));
  });

  test('with still-valid credentials in the renewal window, the endpoint serves them at once', async () => {
    const stored = await store(h, profile(), Date.now(), 600);
    await holdLock('login');
    try {
      const r = await ask();
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body.AccessKeyId, stored.accessKeyId);
    } finally {
      release();
      await holding;
    }
  });

  test('a renewal holding the lock (not a login) is waited for, and its credentials served', async () => {
    await store(h, profile(), Date.now(), -60);
    await holdLock();
    const asked = ask();
    await pause(1500); // well past the rounds in which a login would have been said
    const calls = stsCalls;
    release();
    await holding;
    const r = await asked;
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(stsCalls > calls, 'renewed once the lock was free');
  });
});
