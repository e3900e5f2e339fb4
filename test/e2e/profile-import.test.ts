// `lakekey profile import FILE` through the real executable: the plan first (new, the same,
// differs field by field), --dry-run writes nothing, yours that differ are kept unless --force,
// nothing is written when any profile in the file is invalid, and a secret is never imported.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { CLI, run } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'lakekey-import-'));
const env = { ...process.env, LAKEKEY_CONFIG_DIR: join(dir, 'settings') };
const lakekey = (...args: string[]) => run(CLI, args, { env });
const settingsText = () => readFileSync(join(dir, 'settings', 'config.json'), 'utf8');
const team = (name: string, profiles: unknown, ext = 'json') => {
  const file = join(dir, `${name}.${ext}`);
  writeFileSync(file, typeof profiles === 'string' ? profiles : JSON.stringify({ profiles }));
  return file;
};

const WORK = { issuer: 'https://idp.example.com', clientId: 'lakekey', s3: { stsEndpoint: 'https://minio.example.com', durationSeconds: 7200 } };
const LAKE = { issuer: 'https://idp.example.com', clientId: 'lakekey', lakefs: { endpoint: 'https://lakefs.example.com' } };

before(async () => {
  const r = await lakekey(
    'profile',
    'add',
    'work',
    '--issuer',
    'https://idp.example.com',
    '--client-id',
    'lakekey',
    '--s3-sts-endpoint',
    'https://minio.example.com',
  );
  assert.equal(r.code, 0, r.stderr);
});

test('the plan first; --dry-run writes nothing', async () => {
  const before = settingsText();
  const r = await lakekey('profile', 'import', team('dry', { work: WORK, lake: LAKE }), '--dry-run');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /~ work +differs: s3\.durationSeconds 3600 → 7200/);
  assert.match(r.stderr, /\+ lake +new/);
  assert.match(r.stderr, /Nothing written \(--dry-run\)/);
  assert.equal(settingsText(), before);
});

test('new profiles are added, yours that differ kept; --force replaces them', async () => {
  const file = team('team', { work: WORK, lake: LAKE });
  const r = await lakekey('profile', 'import', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Added "lake"\. Next: `lakekey login lake`/);
  assert.match(r.stderr, /Kept your "work", which differs from the file: pass --force/);
  const lake = JSON.parse((await lakekey('profile', 'show', 'lake', '--json')).stdout);
  assert.equal(lake.lakefs.endpoint, 'https://lakefs.example.com');
  assert.equal(JSON.parse((await lakekey('profile', 'show', 'work', '--json')).stdout).s3.durationSeconds, 3600);

  const forced = await lakekey('profile', 'import', file, '--force');
  assert.equal(forced.code, 0, forced.stderr);
  assert.match(forced.stderr, /= lake +the same as yours/);
  assert.match(forced.stderr, /Replaced "work"/);
  assert.equal(JSON.parse((await lakekey('profile', 'show', 'work', '--json')).stdout).s3.durationSeconds, 7200);
  const again = await lakekey('profile', 'import', file);
  assert.match(again.stderr, /Nothing to change/);
});

test('YAML files too', async () => {
  const file = team(
    'yaml',
    'profiles:\n  yam:\n    issuer: https://idp.example.com\n    clientId: lakekey\n    s3:\n      stsEndpoint: https://minio.example.com\n',
    'yaml',
  );
  const r = await lakekey('profile', 'import', file);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /Added "yam"/);
});

test('one invalid profile: each problem said, and nothing is written', async () => {
  const before = settingsText();
  const r = await lakekey(
    'profile',
    'import',
    team('bad', { fresh: LAKE, plain: { issuer: 'http://idp.example.com', clientId: 'c' }, nameless: { clientId: 'c' }, 'bad name': LAKE }),
  );
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /has 3 profiles lakekey cannot use, so nothing was imported/);
  assert.match(r.stderr, /profile "plain": issuer: .* must use https/);
  assert.match(r.stderr, /profile "nameless": issuer/);
  assert.match(r.stderr, /"bad name" is not a valid profile name/);
  assert.equal(settingsText(), before, 'the valid "fresh" was not added either');
});

test('a secret in the file is refused, its value never echoed', async () => {
  const before = settingsText();
  const r = await lakekey('profile', 'import', team('secret', { s: { ...LAKE, clientSecret: 'super-secret-value-123' } }));
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /holds what looks like a secret \(s\.clientSecret\); lakekey never imports secrets/);
  assert.doesNotMatch(r.stderr + r.stdout, /super-secret-value-123/);
  assert.equal(settingsText(), before);
  // A setting whose name merely mentions tokens is not a secret.
  const ok = await lakekey('profile', 'import', team('source', { src: { ...WORK, s3: { ...WORK.s3, tokenSource: 'idp' } } }));
  assert.equal(ok.code, 0, ok.stderr);
});

test('a file that is not a settings file: a clear error', async () => {
  for (const [file, words] of [
    [team('nojson', '{ not json', 'json5'), /is not valid JSON/],
    [team('noprof', 'just: text\n', 'yml'), /has no "profiles" object/],
  ] as const) {
    const r = await lakekey('profile', 'import', file);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, words);
  }
  const missing = await lakekey('profile', 'import', join(dir, 'nope.json'));
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(missing.stderr, /there is no file .*nope\.json/);
});
