// The rules that live once in main/shared: freshness predicates, the time-left wording, the
// profile limits (which the core's settings parser must enforce exactly), https-except-loopback
// (which the settings parser and the window's checks as you type must both follow), and the core's single-flight.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseSettings } from '../../../main/core/config/settings.js';
import { singleFlight } from '../../../main/core/single-flight.js';
import { sayDuration, sayValidity } from '../../../main/shared/duration.js';
import { hasUsableIdToken, isFresh, isServable, isUsable, MIN_TOKEN_SECONDS, renewalDueAt, secondsLeft } from '../../../main/shared/freshness.js';
import { LIMITS, PROFILE_NAME, withinLimit, type LimitName } from '../../../main/shared/limits.js';
import { kinds } from '../../../main/shared/profile-kinds.js';
import { isLoopbackUrl, isSecureUrl } from '../../../main/shared/secure-url.js';
import { endpointProblem } from '../../../renderer/src/validate.js';
import { endpointUrl } from '../../../main/core/config/settings.js';

const NOW = Date.UTC(2030, 0, 1, 9, 0, 0);
const at = (secondsFromNow: number) => ({ expiresAt: NOW + secondsFromNow * 1000 });

test('freshness: fresh above the refresh window, usable above a minute, servable above 30 s; the boundary is not enough', () => {
  assert.equal(isFresh(at(1201), NOW, 1200), true);
  assert.equal(isFresh(at(1200), NOW, 1200), false);
  assert.equal(isFresh(undefined, NOW, 1200), false);
  assert.equal(isUsable(at(MIN_TOKEN_SECONDS + 1), NOW), true);
  assert.equal(isUsable(at(MIN_TOKEN_SECONDS), NOW), false);
  assert.equal(isServable(at(31), NOW), true);
  assert.equal(isServable(at(30), NOW), false);
  assert.equal(secondsLeft(undefined, NOW), -Infinity);
  assert.equal(secondsLeft(NOW - 1500, NOW), -2);
  assert.equal(renewalDueAt(NOW + 3600_000, 1200), NOW + 2400_000);
});

test('hasUsableIdToken narrows to a session with an ID token and its expiry', () => {
  const idp: { idToken?: string; idTokenExpiresAt?: number } = { idToken: 'x.y.z', idTokenExpiresAt: NOW + 120_000 };
  assert.equal(hasUsableIdToken(idp, NOW), true);
  if (hasUsableIdToken(idp, NOW)) assert.equal(idp.idToken.length, 5); // narrowed: no `!` needed
  assert.equal(hasUsableIdToken({ idToken: 'x.y.z' }, NOW), false);
  assert.equal(hasUsableIdToken({ idTokenExpiresAt: NOW + 120_000 }, NOW), false);
  assert.equal(hasUsableIdToken({ idToken: 'x.y.z', idTokenExpiresAt: NOW + 60_000 }, NOW), false);
  assert.equal(hasUsableIdToken(undefined, NOW), false);
});

test('time has one wording (main/shared/duration.ts): seconds, minutes, hours and minutes; validity with the clock', () => {
  assert.equal(sayDuration(0), '0 s');
  assert.equal(sayDuration(10), '10 s');
  assert.equal(sayDuration(59), '59 s');
  assert.equal(sayDuration(60), '1 min');
  assert.equal(sayDuration(3599), '60 min');
  assert.equal(sayDuration(3600 * 2 + 5 * 60 + 7), '2 h 5 min');
  assert.match(sayValidity(NOW + 59 * 60_000, NOW), /^valid 59 min, until \d\d:\d\d local$/);
  assert.match(sayValidity(NOW - 1000, NOW), /^expired at \d\d:\d\d local$/);
});

test('kinds names what a profile hands out, one wording', () => {
  assert.equal(kinds({}), 'login only');
  assert.equal(kinds({ s3: { tokenSource: 'idp' } }), 'S3 via AWS STS');
  assert.equal(kinds({ s3: { tokenSource: 'idp', stsEndpoint: 'http://127.0.0.1:9000' } }), 'S3 via STS');
  assert.equal(kinds({ s3: { tokenSource: 'lakefs' }, lakefs: {} }), 'S3 via lakeFS, lakeFS');
  assert.equal(kinds({ lakefs: {} }), 'lakeFS');
});

/** A settings document whose one profile has `field` set to `n`. */
function settingsWith(field: LimitName, n: number): unknown {
  const profile: Record<string, unknown> = {
    issuer: 'https://idp.example.com',
    clientId: 'lakekey',
    lakefs: { endpoint: 'https://lakefs.example.com' },
    s3: { region: 'us-east-1', roleArn: 'arn:aws:iam::123456789012:role/x' },
  };
  if (field === 'redirectPort' || field === 'refreshBeforeSeconds') profile[field] = n;
  if (field === 's3DurationSeconds') (profile.s3 as Record<string, unknown>).durationSeconds = n;
  if (field === 'lakefsTtlSeconds') (profile.lakefs as Record<string, unknown>).ttlSeconds = n;
  return { version: 1, profiles: { p: profile } };
}

test('the core settings parser enforces exactly the shared limits (what the form checks as you type)', () => {
  for (const field of Object.keys(LIMITS) as LimitName[]) {
    const [min, max] = LIMITS[field];
    for (const ok of [min, max]) {
      assert.equal(withinLimit(field, ok), true);
      assert.ok(parseSettings(settingsWith(field, ok)).profiles.p, `${field}=${ok} must be accepted`);
    }
    for (const bad of [min - 1, max + 1]) {
      assert.equal(withinLimit(field, bad), false);
      assert.ok(parseSettings(settingsWith(field, bad)).broken.has('p'), `${field}=${bad} must be refused`);
    }
  }
  assert.ok(PROFILE_NAME.test('work.dev_1') && !PROFILE_NAME.test('-x') && !PROFILE_NAME.test('a'.repeat(65)));
});

test('single-flight: callers asking while a run is in flight share it; the next call runs again', async () => {
  let runs = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const flight = singleFlight(async (key: string) => {
    runs++;
    await gate;
    return `${key}:${runs}`;
  });
  const a = flight.run('p');
  const b = flight.run('p');
  const other = flight.run('q');
  release();
  assert.deepEqual(await Promise.all([a, b, other]), ['p:2', 'p:2', 'q:2']);
  assert.equal(runs, 2);
  assert.equal(await flight.run('p'), 'p:3');
});

test('a value that fails a freshness check is not narrowed away (the false branch still has it)', () => {
  const stale: { expiresAt: number } | undefined = { expiresAt: NOW + 90_000 };
  if (isFresh(stale, NOW, 600)) assert.fail('90 s left is not fresh with a 600 s refresh window');
  // Checked at compile time: were the predicate `item is T`, TypeScript would narrow `stale` to
  // `undefined` here and this assignment would not type-check.
  const kept: typeof stale extends undefined ? 'narrowed away' : 'kept' = 'kept';
  assert.equal(kept, 'kept');
  assert.ok(isServable(stale, NOW), 'and the same value is still servable');
});

test("https except loopback: one rule, and the settings parser and the window's check as you type both follow it", () => {
  const cases: Array<[string, boolean]> = [
    ['https://idp.example.com', true],
    ['https://10.0.0.1:8443/realms/x', true],
    ['http://127.0.0.1:8080', true],
    ['http://127.9.8.7', true],
    ['http://localhost:5556/dex', true],
    ['http://[::1]:9000', true],
    ['http://idp.example.com', false],
    ['http://10.0.0.1', false],
    ['http://localhost.example.com', false],
    ['http://127.0.0.1.example.com', false],
    ['http://[::2]', false],
    ['ftp://127.0.0.1', false],
  ];
  for (const [text, secure] of cases) {
    assert.equal(isSecureUrl(new URL(text)), secure, text);
    assert.equal(endpointProblem(text, true) === '', secure, `renderer: ${text}`);
    assert.equal(
      (() => {
        try {
          endpointUrl(text, 'issuer');
          return true;
        } catch {
          return false;
        }
      })(),
      secure,
      `settings: ${text}`,
    );
  }
  assert.equal(isLoopbackUrl(new URL('https://127.0.0.1')), true, 'loopback is about the host, whatever the scheme');
  assert.equal(isLoopbackUrl(new URL('https://example.com')), false);
});
