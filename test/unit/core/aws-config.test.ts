import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyProfileSettings, configureAwsProfile, credentialProcessCommand, readProfileSetting } from '../../../main/core/aws-config.js';

const ours = [{ key: 'credential_process', value: '"/usr/bin/node" "/opt/lakekey.js" credential-process work' }, { key: 'region', value: 'us-east-1', onlyIfMissing: true }];

test('adds a new profile section and keeps everything else byte for byte', () => {
  const before = '# my settings\n[default]\nregion = eu-west-1\n\n[profile other] ; note\noutput=json\n';
  const after = applyProfileSettings(before, 'work', ours);
  assert.ok(after.startsWith(before));
  assert.match(after, /\n\[profile work\]\ncredential_process = "\/usr\/bin\/node" "\/opt\/lakekey.js" credential-process work\nregion = us-east-1\n$/);
  assert.equal(applyProfileSettings(after, 'work', ours), after, 'idempotent');
});

test('updates only our keys inside an existing section, keeps the user region and comments', () => {
  const before = '[profile work]\n# keep me\nregion = ap-south-1\ncredential_process = old\ns3 =\n  addressing_style = path\ncredential_process = dup\n\n[profile next]\nregion = x\n';
  const after = applyProfileSettings(before, 'work', ours);
  assert.equal(
    after,
    '[profile work]\n# keep me\nregion = ap-south-1\ncredential_process = "/usr/bin/node" "/opt/lakekey.js" credential-process work\ns3 =\n  addressing_style = path\n\n[profile next]\nregion = x\n',
  );
  assert.equal(readProfileSetting(after, 'next', 'region'), 'x');
});

test('keeps CRLF line endings and the default profile name', () => {
  const after = applyProfileSettings('[default]\r\noutput = json\r\n', 'default', ours);
  assert.equal(after, '[default]\r\noutput = json\r\ncredential_process = "/usr/bin/node" "/opt/lakekey.js" credential-process work\r\nregion = us-east-1\r\n');
});

test('credential_process command quotes paths and refuses characters no splitter agrees on', () => {
  assert.equal(credentialProcessCommand(['/usr/bin/node', '/home/a b/lakekey.js', 'credential-process', 'work']), '"/usr/bin/node" "/home/a b/lakekey.js" credential-process work');
  assert.equal(credentialProcessCommand(['C:\\Program Files\\lakekey\\lakekey.exe', 'credential-process', 'w']), '"C:\\Program Files\\lakekey\\lakekey.exe" credential-process w');
  assert.throws(() => credentialProcessCommand(['/home/$USER/x']), { code: 'CONFIG' });
});

test('configureAwsProfile backs up once, writes atomically, and a second run changes nothing', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-aws-'));
  const file = join(dir, 'config');
  writeFileSync(file, '[default]\nregion = eu-west-1\n');
  const first = configureAwsProfile(file, 'work', ours);
  assert.equal(first.changed, true);
  assert.equal(readFileSync(`${file}.lakekey-backup`, 'utf8'), '[default]\nregion = eu-west-1\n');
  const second = configureAwsProfile(file, 'work', ours);
  assert.equal(second.changed, false);
  const dry = configureAwsProfile(join(dir, 'new'), 'work', ours, { dryRun: true });
  assert.equal(dry.changed, true);
  assert.equal(existsSync(join(dir, 'new')), false, 'dry run writes nothing');
});
