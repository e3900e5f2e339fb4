import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { endpointUrl, parseProfile, readSettings } from '../../../main/core/settings.js';
import { updateSettings } from '../../../main/core/settings-write.js';

test('endpoints must be https except on loopback hosts', () => {
  assert.equal(endpointUrl('https://idp.example.com/', 'x'), 'https://idp.example.com');
  assert.equal(endpointUrl('http://127.0.0.1:8080/realms/a/', 'x'), 'http://127.0.0.1:8080/realms/a');
  assert.equal(endpointUrl('http://localhost:1', 'x'), 'http://localhost:1');
  assert.equal(endpointUrl('http://[::1]:1', 'x'), 'http://[::1]:1');
  for (const bad of ['http://idp.example.com', 'http://127.0.0.1.evil.com', 'ftp://127.0.0.1', 'https://u:p@idp.example.com', 'not a url', 'https://idp.example.com/?q=1']) {
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
  await assert.rejects(updateSettings(dir, (s) => ((s.profiles.work as { clientId: string }).clientId = '')), { code: 'CONFIG' });
  assert.equal(readSettings(dir).profiles.work.clientId, 'abc', 'an invalid change writes nothing');
  writeFileSync(join(dir, 'config.json'), '{"profiles": ');
  assert.throws(() => readSettings(dir), (e: Error & { code?: string; hint?: string }) => e.code === 'CONFIG' && /not valid JSON/.test(e.message) && Boolean(e.hint));
});
