import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { endpointUrl, getProfile, parseProfile, parseSettings, readSettings } from '../../../main/core/config/settings.js';
import { fittingRefreshBefore } from '../../../main/shared/freshness.js';
import { updateSettings } from '../../../main/core/config/settings-write.js';

test('endpoints must be https except on loopback hosts', () => {
  assert.equal(endpointUrl('https://idp.example.com/', 'x'), 'https://idp.example.com');
  assert.equal(endpointUrl('http://127.0.0.1:8080/realms/a/', 'x'), 'http://127.0.0.1:8080/realms/a');
  assert.equal(endpointUrl('http://localhost:1', 'x'), 'http://localhost:1');
  assert.equal(endpointUrl('http://[::1]:1', 'x'), 'http://[::1]:1');
  for (const bad of [
    'http://idp.example.com',
    'http://127.0.0.1.evil.com',
    'ftp://127.0.0.1',
    'https://u:p@idp.example.com',
    'not a url',
    'https://idp.example.com/?q=1',
  ]) {
    assert.throws(() => endpointUrl(bad, 'issuer'), { code: 'CONFIG' }, bad);
  }
});

test('profile defaults and ranges', () => {
  const p = parseProfile('work', { issuer: 'https://idp.example.com', clientId: 'abc', s3: { roleArn: 'arn:aws:iam::123456789012:role/r' } });
  assert.deepEqual(p.scopes, ['openid', 'email', 'profile', 'offline_access']);
  assert.equal(p.refreshBeforeSeconds, 1200);
  assert.equal(p.s3?.durationSeconds, 3600);
  assert.equal(p.s3?.tokenSource, 'idp');
  assert.throws(() => parseProfile('work', { issuer: 'https://i', clientId: 'a', s3: { durationSeconds: 899 } }), /900 to 43200/);
  assert.throws(() => parseProfile('work', { issuer: 'https://i', clientId: 'a', lakefs: { endpoint: 'https://l', ttlSeconds: 43201 } }), /43200/);
  assert.throws(() => parseProfile('work', { issuer: 'https://i', clientId: 'a', s3: { tokenSource: 'lakefs' } }), /needs a lakeFS endpoint/);
  assert.throws(() => parseProfile('../x', { issuer: 'https://i', clientId: 'a' }), /names use letters/);
  assert.deepEqual(parseProfile('w', { issuer: 'https://i', clientId: 'a', scopes: ['email'] }).scopes, ['openid', 'email']);
});

test('settings round-trip through conf, and a corrupt file is a clear configuration error', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-settings-'));
  assert.deepEqual(readSettings(dir).profiles, {});
  await updateSettings(dir, (s) => {
    s.profiles.work = parseProfile('work', { issuer: 'https://idp.example.com', clientId: 'abc' });
  });
  const onDisk = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(onDisk.profiles.work.clientId, 'abc');
  assert.equal(readSettings(dir).profiles.work.issuer, 'https://idp.example.com');
  await assert.rejects(
    updateSettings(dir, (s) => ((s.profiles.work as { clientId: string }).clientId = '')),
    { code: 'CONFIG' },
  );
  assert.equal(readSettings(dir).profiles.work.clientId, 'abc', 'an invalid change writes nothing');
  writeFileSync(join(dir, 'config.json'), '{"profiles": ');
  assert.throws(
    () => readSettings(dir),
    (e: Error & { code?: string; hint?: string }) => e.code === 'CONFIG' && /not valid JSON/.test(e.message) && Boolean(e.hint),
  );
});

const good = { issuer: 'https://idp.example.com', clientId: 'abc', s3: { stsEndpoint: 'https://sts.example.com', durationSeconds: 3600 } };

test('one bad profile breaks only itself: the others are read, the bad one is refused naming profile, field and fix', () => {
  const s = parseSettings({ version: 1, profiles: { good, bad: { ...good, s3: { ...good.s3, durationSeconds: 60 } }, odd: 5 } }, '/x/config.json');
  assert.deepEqual(Object.keys(s.profiles), ['good']);
  assert.equal(getProfile(s, 'good').s3?.durationSeconds, 3600);
  assert.deepEqual([...s.broken.keys()], ['bad', 'odd']);
  assert.throws(
    () => getProfile(s, 'bad'),
    (e: Error & { code?: string; hint?: string; exitCode?: number }) =>
      e.code === 'CONFIG' &&
      e.exitCode === 2 &&
      /profile "bad" cannot be used: s3\.durationSeconds: expected a whole number from 900 to 43200, got 60/.test(e.message) &&
      /`lakekey profile set bad --s3-duration VALUE`/.test(e.hint ?? '') &&
      /\/x\/config\.json/.test(e.hint ?? ''),
  );
  assert.match(s.broken.get('odd')!.problem.message, /profile "odd" cannot be used: expected an object/);
  assert.throws(
    () => getProfile(s, 'nope'),
    (e: Error & { hint?: string }) => e.hint === 'Known profiles: good, bad, odd.',
  );
});

test('profile names that differ only by case are both set aside; a file-wide problem still fails the read', () => {
  const s = parseSettings({ profiles: { Work: good, work: good, other: good } });
  assert.deepEqual(Object.keys(s.profiles), ['other']);
  assert.match(s.broken.get('work')!.problem.message, /"Work" and "work" differ only in upper\/lower case/);
  assert.throws(() => parseSettings({ profiles: [] }), { code: 'CONFIG' });
  assert.throws(() => parseSettings({ version: 2, profiles: {} }), /unsupported settings version/);
});

test('a write keeps a broken profile exactly as it was, and refuses to leave a profile it touched broken', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-settings-'));
  const bad = { ...good, s3: { ...good.s3, region: 'eu-west-1\n[profile evil]' } };
  // A hostile "__proto__" name too, as a file would hold it (an object literal cannot).
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ version: 1, profiles: { good, bad } }).replace('"bad"', '"__proto__":{"x":1},"bad"'));
  await updateSettings(dir, (s) => {
    s.profiles.added = parseProfile('added', good);
  });
  const onDisk = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.deepEqual(onDisk.profiles.bad, bad, 'the broken profile is written back untouched');
  assert.ok(Object.hasOwn(onDisk.profiles, '__proto__'), 'a hostile name stays a plain key');
  assert.deepEqual(Object.keys(readSettings(dir).profiles).sort(), ['added', 'good']);
  await assert.rejects(
    updateSettings(dir, (s) => ((s.profiles.good as { clientId: string }).clientId = '')),
    /profile "good": clientId/,
  );
  // A repair: the broken profile replaced by a valid one is used again.
  await updateSettings(dir, (s) => {
    s.broken.delete('bad');
    s.profiles.bad = parseProfile('bad', { ...bad, s3: { ...bad.s3, region: 'eu-west-1' } });
  });
  assert.equal(getProfile(readSettings(dir), 'bad').s3?.region, 'eu-west-1');
});

test('a refresh-before not shorter than the S3 duration is lowered to a third of it on read, with a one-line warning', () => {
  assert.equal(fittingRefreshBefore(1200, 3600), 1200);
  assert.equal(fittingRefreshBefore(1200, 900), 300);
  assert.equal(fittingRefreshBefore(900, 900), 300);
  const s = parseSettings({ profiles: { short: { ...good, refreshBeforeSeconds: 1200, s3: { ...good.s3, durationSeconds: 900 } }, good } });
  const warnings: string[] = [];
  assert.equal(getProfile(s, 'short', (w) => warnings.push(w)).refreshBeforeSeconds, 300);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /refresh-before \(1200 s\) is not shorter than its S3 duration \(900 s\).*`lakekey profile set short --refresh-before 300`/);
  assert.equal(warnings[0].includes('\n'), false, 'one line');
  getProfile(s, 'good', (w) => warnings.push(w));
  assert.equal(warnings.length, 1, 'nothing to say about a profile that fits');
});
