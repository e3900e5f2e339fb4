// Property-based fuzzing of the settings file (main/core/config/settings.ts): arbitrary JSON values,
// mutated near-valid settings, and arbitrary bytes on disk. Property: parseSettings/readSettings
// return settings whose usable profiles satisfy every documented rule and whose other profiles are
// set aside as broken with a CONFIG problem (exit 2), or throw a LakekeyError CONFIG for the file
// as a whole — never another error, never a half-valid profile in use. Results are stable under a
// round trip through what a write stores.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { LakekeyError } from '../../main/core/errors.js';
import { parseSettings, PROFILE_NAME, readSettings, settingsPath, storedSettings, type Settings } from '../../main/core/config/settings.js';
import { reportCount, runs } from '../helpers/security-world.js';

const dir = mkdtempSync(join(tmpdir(), 'lakekey-fuzz-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function isLoopbackHost(h: string): boolean {
  return h === '127.0.0.1' || h === '[::1]' || h === 'localhost' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function checkEndpoint(value: string, what: string): void {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  assert.ok(!/[\s@#?\\\x00-\x1f\x7f-\x9f]/.test(value), `${what}: no spaces, controls, @ # ? or backslash: ${JSON.stringify(value)}`);
  const u = new URL(value);
  assert.ok(u.protocol === 'https:' || (u.protocol === 'http:' && isLoopbackHost(u.hostname)), `${what}: https or loopback http, got ${value}`);
  assert.equal(u.username + u.password, '', `${what}: no credentials`);
  assert.equal(u.search + u.hash, '', `${what}: no query or fragment`);
  assert.ok(!value.endsWith('/'), `${what}: no trailing slash`);
}

const int = (v: unknown, min: number, max: number, what: string) =>
  assert.ok(typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max, `${what}: ${String(v)} in ${min}..${max}`);

/** Every rule DESIGN §3/§4 and settings.ts promise about a parsed Settings value. */
function checkValid(s: Settings): void {
  assert.equal(s.version, 1);
  assert.equal(Object.getPrototypeOf(s.profiles), Object.prototype, 'profiles is a plain object');
  for (const [name, p] of Object.entries(s.profiles)) {
    assert.match(name, PROFILE_NAME);
    checkEndpoint(p.issuer, 'issuer');
    assert.match(p.clientId, /^[\x21-\x7e]+$/, 'clientId');
    assert.ok(Array.isArray(p.scopes) && p.scopes.includes('openid') && new Set(p.scopes).size === p.scopes.length);
    for (const sc of p.scopes) assert.match(sc, /^[\x21\x23-\x5b\x5d-\x7e]+$/);
    int(p.redirectPort, 0, 65535, 'redirectPort');
    int(p.refreshBeforeSeconds, 60, 43200, 'refreshBeforeSeconds');
    if (p.s3) {
      assert.ok(p.refreshBeforeSeconds < p.s3.durationSeconds, 'renewal starts after credentials are minted, not at once');
      // The values that once let a tampered file inject AWS config lines or move the STS host.
      assert.match(p.s3.region, /^[a-z0-9-]+$/, 's3.region');
      int(p.s3.durationSeconds, 900, 43200, 's3.durationSeconds');
      assert.ok(p.s3.tokenSource === 'idp' || p.s3.tokenSource === 'lakefs');
      if (p.s3.stsEndpoint !== undefined) checkEndpoint(p.s3.stsEndpoint, 's3.stsEndpoint');
      if (p.s3.roleArn !== undefined) assert.match(p.s3.roleArn, /^arn:[a-z-]+:iam:[a-z0-9-]*:[\w-]*:role\/[\w+=,.@/-]+$/, 's3.roleArn');
      if (p.s3.s3Endpoint !== undefined) checkEndpoint(p.s3.s3Endpoint, 's3.s3Endpoint');
      if (p.s3.tokenSource === 'lakefs') assert.ok(p.lakefs, 'lakefs token source needs a lakeFS endpoint');
    }
    if (p.lakefs) {
      checkEndpoint(p.lakefs.endpoint, 'lakefs.endpoint');
      int(p.lakefs.ttlSeconds, 60, 43200, 'lakefs.ttlSeconds');
      assert.equal(typeof p.lakefs.lakectlCache, 'boolean');
    }
    // The tray's credentials endpoint serves S3 credentials: on only with S3, and only as `true`.
    if (p.endpoint !== undefined) assert.ok(p.endpoint === true && p.s3, 'endpoint: true, with S3 settings');
  }
}

/** parse → CONFIG for the whole file, or usable profiles that are valid beside broken ones set aside; stable under a write's round trip. */
function outcome(run: () => Settings): 'valid' | 'broken' | 'config' {
  let s: Settings;
  try {
    s = run();
  } catch (err) {
    assert.ok(err instanceof LakekeyError, `a LakekeyError, got ${String(err)}`);
    assert.equal(err.code, 'CONFIG');
    assert.equal(err.exitCode, 2);
    return 'config';
  }
  checkValid(s);
  for (const [name, b] of s.broken) {
    assert.ok(!Object.hasOwn(s.profiles, name), 'a broken profile is never also a usable one');
    assert.equal(b.problem.code, 'CONFIG');
    assert.equal(b.problem.exitCode, 2);
  }
  const again = parseSettings(JSON.parse(JSON.stringify(storedSettings(s))));
  assert.deepEqual(again.profiles, s.profiles, 'stable under a round trip');
  assert.deepEqual([...again.broken.keys()], [...s.broken.keys()], 'broken profiles stay broken');
  return s.broken.size ? 'broken' : 'valid';
}

const anyValue = fc.oneof(
  fc.constantFrom(
    null,
    true,
    false,
    0,
    -1,
    1.5,
    65536,
    900,
    43200,
    43201,
    59,
    '',
    ' ',
    '60',
    '0x10',
    '1e3',
    'NaN',
    [],
    {},
    ['openid'],
    ['a b'],
    ['openid', 'openid'],
  ),
  fc.constantFrom(
    'https://idp.example.com',
    'http://127.0.0.1:8080/',
    'http://localhost',
    'http://[::1]:1',
    'http://127.1.2.3',
    'http://evil.example',
    'https://user:pw@idp.example',
    'https://idp.example/?q=1',
    'https://idp.example/#f',
    'http://x@127.0.0.1:9/#',
    'http://127.0.0.1:9\\@evil',
    'https://idp.example\n',
    'eu-west-1\n[profile e]',
    'x@127.0.0.1:9/#',
    'arn:aws:iam::123456789012:role/r',
    'arn:minio:iam:::role/abc-_1',
    'arn:aws:iam::1:role/r',
    'ftp://x',
    'javascript:alert(1)',
    'http://127.0.0.1.evil.example',
    'http://localhost.evil.example',
    'not a url',
  ),
  fc.jsonValue({ maxDepth: 2 }),
);

const profileArb = fc.record(
  {
    issuer: anyValue,
    clientId: anyValue,
    scopes: anyValue,
    redirectPort: anyValue,
    refreshBeforeSeconds: anyValue,
    s3: fc.oneof(
      anyValue,
      fc.record(
        {
          stsEndpoint: anyValue,
          s3Endpoint: anyValue,
          region: anyValue,
          roleArn: anyValue,
          durationSeconds: anyValue,
          tokenSource: fc.oneof(fc.constantFrom('idp', 'lakefs', 'IDP'), anyValue),
        },
        { requiredKeys: [] },
      ),
    ),
    lakefs: fc.oneof(anyValue, fc.record({ endpoint: anyValue, ttlSeconds: anyValue, lakectlCache: anyValue }, { requiredKeys: [] })),
    endpoint: fc.oneof(fc.constantFrom(true, false), anyValue),
  },
  { requiredKeys: [] },
);

const nameArb = fc.oneof(
  fc.constantFrom('work', 'a', 'A-1_b.c', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '-x', '.x', 'x'.repeat(64), 'x'.repeat(65), 'ä', 'a b', ''),
  fc.string({ maxLength: 10 }),
);

const settingsArb = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record(
      { version: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, anyValue), profiles: fc.dictionary(nameArb, profileArb, { maxKeys: 3 }) },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue() },
  { weight: 1, arbitrary: fc.anything() },
);

test('fuzz: parseSettings returns valid settings or a CONFIG error', () => {
  let cases = 0;
  const tally = { valid: 0, broken: 0, config: 0 };
  fc.assert(
    fc.property(settingsArb, (raw) => {
      cases++;
      tally[outcome(() => parseSettings(raw))]++;
    }),
    { numRuns: runs(500) },
  );
  // A JSON text with a "__proto__" profile key (JSON.parse makes it an own property).
  for (const text of [
    '{"profiles":{"__proto__":{"issuer":"https://x","clientId":"c"}}}',
    '{"__proto__":{"version":2},"profiles":{}}',
    '{"profiles":{"constructor":{"issuer":"https://x","clientId":"c"}}}',
  ]) {
    cases++;
    tally[outcome(() => parseSettings(JSON.parse(text)))]++;
  }
  reportCount('settings-json', cases);
  process.stdout.write(`fuzz: settings-json valid=${tally.valid} broken=${tally.broken} config=${tally.config}\n`);
  assert.ok(tally.valid > 0 && tally.broken > 0 && tally.config > 0, 'every outcome is reached');
});

test('fuzz: readSettings on arbitrary bytes returns valid settings or a CONFIG error', () => {
  let cases = 0;
  const tally = { valid: 0, broken: 0, config: 0 };
  const file = settingsPath(dir);
  const bytes = fc.oneof(
    fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
    fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
    settingsArb.map((v) => Buffer.from(JSON.stringify(v) ?? 'undefined', 'utf8')),
    settingsArb.map((v) => Buffer.from(`\uFEFF${JSON.stringify(v)}`, 'utf8')),
    settingsArb.map((v) => Buffer.from(JSON.stringify(v) ?? '', 'utf16le')),
    fc.tuple(settingsArb, fc.nat({ max: 100 })).map(([v, n]) => Buffer.from((JSON.stringify(v) ?? '').slice(0, n), 'utf8')),
  );
  fc.assert(
    fc.property(bytes, (buf) => {
      cases++;
      writeFileSync(file, buf);
      tally[outcome(() => readSettings(dir))]++;
    }),
    { numRuns: runs(500) },
  );
  reportCount('settings-bytes', cases);
  process.stdout.write(`fuzz: settings-bytes valid=${tally.valid} broken=${tally.broken} config=${tally.config}\n`);
});
