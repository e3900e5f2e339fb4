import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import {
  applyProfileSettings,
  awsConfigLockPath,
  configureAwsProfile,
  credentialProcessCommand,
  lakekeyAwsProfiles,
  markerLine,
  readProfileSetting,
  removeLakekeyAwsProfiles,
  removeLakekeyKeys,
} from '../../../main/core/config/aws-config.js';
import { acquireLockFile } from '../../../main/core/lock.js';
import { exposedPath } from '../../../main/core/config/writable-by-others.js';

const CP = '"/usr/bin/node" "/opt/lakekey.js" credential-process work';
const ours = [
  { key: 'credential_process', value: CP },
  { key: 'region', value: 'us-east-1', onlyIfMissing: true },
];
const withEndpoint = [...ours, { key: 'endpoint_url', value: 'http://127.0.0.1:9000' }];

test('adds a new profile section and keeps everything else byte for byte', () => {
  const before = '# my settings\n[default]\nregion = eu-west-1\n\n[profile other] ; note\noutput=json\n';
  const after = applyProfileSettings(before, 'work', ours);
  assert.ok(after.startsWith(before));
  assert.ok(after.endsWith(`\n[profile work]\n${markerLine(['credential_process', 'region'])}\ncredential_process = ${CP}\nregion = us-east-1\n`), after);
  assert.equal(applyProfileSettings(after, 'work', ours), after, 'idempotent');
});

test('updates only our keys inside an existing section, keeps the user region and comments', () => {
  const before =
    '[profile work]\n# keep me\nregion = ap-south-1\ncredential_process = old\ns3 =\n  addressing_style = path\ncredential_process = dup\n\n[profile next]\nregion = x\n';
  const after = applyProfileSettings(before, 'work', ours);
  assert.equal(
    after,
    `[profile work]\n${markerLine(['credential_process'])}\n# keep me\nregion = ap-south-1\ncredential_process = ${CP}\ns3 =\n  addressing_style = path\n\n[profile next]\nregion = x\n`,
  );
  assert.equal(applyProfileSettings(after, 'work', ours), after, 'idempotent');
  assert.equal(readProfileSetting(after, 'next', 'region'), 'x');
});

test('keeps CRLF line endings and the default profile name', () => {
  const after = applyProfileSettings('[default]\r\noutput = json\r\n', 'default', ours);
  assert.equal(after, `[default]\r\n${markerLine(['credential_process', 'region'])}\r\noutput = json\r\ncredential_process = ${CP}\r\nregion = us-east-1\r\n`);
});

test('credential_process command quotes paths and refuses characters no splitter agrees on', () => {
  assert.equal(
    credentialProcessCommand(['/usr/bin/node', '/home/a b/lakekey.js', 'credential-process', 'work']),
    '"/usr/bin/node" "/home/a b/lakekey.js" credential-process work',
  );
  assert.equal(
    credentialProcessCommand(['C:\\Program Files\\lakekey\\lakekey.exe', 'credential-process', 'w']),
    '"C:\\Program Files\\lakekey\\lakekey.exe" credential-process w',
  );
  assert.throws(() => credentialProcessCommand(['/home/$USER/x']), { code: 'CONFIG' });
});

test('configureAwsProfile backs up once, writes atomically, and a second run changes nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-aws-'));
  const file = join(dir, 'config');
  writeFileSync(file, '[default]\nregion = eu-west-1\n');
  const first = await configureAwsProfile(file, 'work', ours);
  assert.equal(first.changed, true);
  assert.equal(readFileSync(`${file}.lakekey-backup`, 'utf8'), '[default]\nregion = eu-west-1\n');
  const second = await configureAwsProfile(file, 'work', ours);
  assert.equal(second.changed, false);
  const dry = await configureAwsProfile(join(dir, 'new'), 'work', ours, { dryRun: true });
  assert.equal(dry.changed, true);
  assert.equal(existsSync(join(dir, 'new')), false, 'dry run writes nothing');
});

function sharedFolder(): { dir: string; file: string; victim: string } {
  const root = mkdtempSync(join(tmpdir(), 'lakekey-aws-shared-'));
  const dir = join(root, 'shared');
  mkdirSync(dir);
  chmodSync(dir, 0o777); // a folder others can write, as if fs.protected_symlinks were 0
  const victim = join(root, 'victim');
  writeFileSync(victim, 'precious\n');
  const file = join(dir, 'config');
  writeFileSync(file, '[default]\nregion = eu-west-1\n', { mode: 0o644 });
  return { dir, file, victim };
}

test('a symlink planted at the backup name is neither followed nor replaced: the backup goes to a fresh private name', async () => {
  const { dir, file, victim } = sharedFolder();
  symlinkSync(victim, `${file}.lakekey-backup`);
  const r = await configureAwsProfile(file, 'work', ours);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the symlink was not followed');
  assert.ok(lstatSync(`${file}.lakekey-backup`).isSymbolicLink(), 'what was planted stays as it was');
  assert.match(r.backup ?? '', /config\.lakekey-backup-[0-9a-f]{12}$/);
  assert.equal(readFileSync(r.backup!, 'utf8'), '[default]\nregion = eu-west-1\n');
  assert.equal(statSync(r.backup!).mode & 0o777, 0o600, 'the backup is private even though the config is 0644');
  assert.equal(statSync(file).mode & 0o777, 0o644, 'the config keeps its mode');
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith('.tmp')),
    [],
    'no temp file left',
  );
});

test('the backup is private (0600) and made once', async () => {
  const { file } = sharedFolder();
  assert.equal((await configureAwsProfile(file, 'work', ours)).backup, `${file}.lakekey-backup`);
  assert.equal(statSync(`${file}.lakekey-backup`).mode & 0o777, 0o600);
  assert.equal((await configureAwsProfile(file, 'other', ours)).backup, undefined, 'an earlier backup of ours is kept, not replaced');
  assert.equal(readFileSync(`${file}.lakekey-backup`, 'utf8'), '[default]\nregion = eu-west-1\n');
});

test("a symlink planted at the temp file's old, guessable name (config.lakekey-PID.tmp) is not written through", async () => {
  const { file, victim } = sharedFolder();
  const guessed = `${file}.lakekey-${process.pid}.tmp`;
  symlinkSync(victim, guessed);
  await configureAwsProfile(file, 'work', ours);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
  assert.ok(lstatSync(guessed).isSymbolicLink());
  assert.ok(lstatSync(file).isFile(), 'the config is a file, not the planted link');
  assert.equal(readProfileSetting(readFileSync(file, 'utf8'), 'work', 'credential_process'), CP);
});

test('a writer waits for the AWS config lock, then starts from what the holder wrote', async () => {
  const { file } = sharedFolder();
  const held = await acquireLockFile(awsConfigLockPath(file), { what: 'test', doing: 'test' }, { waitMs: 1000 });
  const waiting = configureAwsProfile(file, 'work', ours);
  await new Promise((r) => setTimeout(r, 300));
  assert.doesNotMatch(readFileSync(file, 'utf8'), /profile work/, 'nothing written while another holds the lock');
  writeFileSync(file, readFileSync(file, 'utf8') + '\n[profile theirs]\nregion = x\n');
  held.release();
  await waiting;
  const text = readFileSync(file, 'utf8');
  assert.match(text, /\[profile theirs\]/, "the holder's write was not lost");
  assert.match(text, /\[profile work\]/);
  assert.equal(existsSync(awsConfigLockPath(file)), false, 'the lock is released');
});

test('profile remove takes out only the keys lakekey wrote: role_arn, source_profile and comments added later stay', async () => {
  const { file } = sharedFolder();
  await configureAwsProfile(file, 'work', withEndpoint);
  writeFileSync(file, readFileSync(file, 'utf8') + '# my role\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n');
  const r = await removeLakekeyAwsProfiles(file, 'work');
  assert.deepEqual([r.removed, r.trimmed], [[], ['work']]);
  assert.equal(
    readFileSync(file, 'utf8'),
    '[default]\nregion = eu-west-1\n\n[profile work]\n# my role\nrole_arn = arn:aws:iam::1:role/r\nsource_profile = default\n',
  );
  assert.deepEqual(lakekeyAwsProfiles(readFileSync(file, 'utf8'), 'work'), []);
});

test("profile remove keeps the user's own region in a section configure-aws only added to, and drops a section that was all lakekey's", () => {
  const user = '[profile work]\nregion = ap-south-1\noutput = json\n';
  const wired = applyProfileSettings(applyProfileSettings(user, 'work', withEndpoint), 'solo', withEndpoint);
  const r = removeLakekeyKeys(wired, 'work');
  assert.equal(r.text, user, 'back to what the user had');
  assert.deepEqual([r.removed, r.trimmed], [['solo'], ['work']]);
  // Every line of theirs kept: the same with CRLF.
  assert.equal(removeLakekeyKeys(wired.replace(/\n/g, '\r\n'), 'work').text, user.replace(/\n/g, '\r\n'));
});

test('a section written before the marker: credential_process goes, region and endpoint_url stay unless nothing else is there', () => {
  const legacy = `[profile work]\ncredential_process = ${CP}\nregion = us-east-1\nendpoint_url = http://x\nrole_arn = arn:aws:iam::1:role/r\n`;
  assert.equal(removeLakekeyKeys(legacy, 'work').text, '[profile work]\nregion = us-east-1\nendpoint_url = http://x\nrole_arn = arn:aws:iam::1:role/r\n');
  const whole = `[default]\nregion = x\n\n[profile work]\ncredential_process = ${CP}\nregion = us-east-1\nendpoint_url = http://x\n`;
  assert.equal(removeLakekeyKeys(whole, 'work').text, '[default]\nregion = x\n');
});

test('credential_process in a folder others can write is exposed; one only the user and root can write is not', () => {
  const ids = { uid: process.getuid!(), gid: process.getgid!() };
  const root = mkdtempSync(join(tmpdir(), 'lakekey-exposed-'));
  chmodSync(root, 0o755);
  // Whatever is above the temp folder (a sticky /tmp counts) is what a clean folder below it reports.
  const above = exposedPath(dirname(root), ids)?.path;
  const make = (name: string, mode: number) => {
    const d = join(root, name);
    mkdirSync(d);
    chmodSync(d, mode);
    writeFileSync(join(d, 'lakekey'), '', { mode: 0o755 });
    return join(d, 'lakekey');
  };
  assert.equal(exposedPath(make('private', 0o755), ids)?.path, above, 'nothing below the temp folder counts');
  assert.deepEqual(exposedPath(make('world', 0o777), ids), { path: join(root, 'world'), why: 'is writable by every user' });
  assert.deepEqual(exposedPath(make('sticky', 0o1777), ids), { path: join(root, 'sticky'), why: 'is a folder every user can add files to' });
  const group = make('group', 0o775);
  assert.equal(exposedPath(group, ids)?.path, above, "a folder of the user's own group");
  assert.deepEqual(exposedPath(group, { ...ids, gid: ids.gid + 1 }), { path: join(root, 'group'), why: `is writable by group ${ids.gid}` });
  // Root's files are trusted, so as root the file is given away; as anyone else, the check looks as another uid.
  const owned = make('owned', 0o755);
  if (ids.uid === 0) chownSync(owned, 65534, ids.gid);
  const owner = ids.uid === 0 ? 65534 : ids.uid;
  assert.deepEqual(exposedPath(owned, ids.uid === 0 ? ids : { ...ids, uid: ids.uid + 1 }), { path: owned, why: `belongs to another user (uid ${owner})` });
  const link = join(root, 'private', 'link');
  symlinkSync(join(root, 'world', 'lakekey'), link);
  assert.equal(exposedPath(link, ids)?.path, join(root, 'world'), 'the folder of what a symlink resolves to counts too');
});

test("a dangling symlink planted at the lock's name is cleared like a dead lock, not waited on until timeout", async () => {
  const { file } = sharedFolder();
  symlinkSync(join(dirname(file), 'nowhere'), awsConfigLockPath(file));
  const t0 = Date.now();
  await configureAwsProfile(file, 'work', ours);
  assert.ok(Date.now() - t0 < 5_000, `took ${Date.now() - t0} ms`);
  assert.equal(existsSync(join(dirname(file), 'nowhere')), false, 'nothing was created through the link');
  assert.match(readFileSync(file, 'utf8'), /\[profile work\]/);
});
