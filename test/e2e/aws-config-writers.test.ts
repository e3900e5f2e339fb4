// `configure-aws` and `profile remove` as several lakekey processes and other local users meet
// them (security issue 19, item 5): writers running at once lose no profile (the lock beside
// the AWS config), a symlink planted beside a shared AWS config is never followed, the user's
// own keys outlive `profile remove`, and a credential_process in a folder others can write is
// warned about. Real CLI processes and the real AWS CLI; these commands contact no server.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, linkSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { lakekeyAwsProfiles } from '../../main/core/config/aws-config.js';
import { exposedPath } from '../../main/core/config/writable-by-others.js';
import { CLI, run, runCli } from '../helpers/cli.js';

/** Loopback, so allowed; never contacted by profile add, configure-aws or profile remove. */
const ISSUER = 'http://127.0.0.1:9/issuer';
const S3 = ['--s3-sts-endpoint', 'http://127.0.0.1:9', '--s3-region', 'us-east-1'];
const USER = '# mine\n[default]\nregion = eu-west-1\n';

function world() {
  const root = mkdtempSync(join(tmpdir(), 'lakekey-aws-writers-'));
  mkdirSync(join(root, 'aws'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LAKEKEY_CONFIG_DIR: join(root, 'lakekey'),
    AWS_CONFIG_FILE: join(root, 'aws', 'config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws', 'credentials'),
  };
  delete env.LAKEKEY_BROWSER;
  const cli = (args: string[], extra: NodeJS.ProcessEnv = {}) => runCli(args, { env: { ...env, ...extra } });
  const add = async (name: string) => {
    const r = await cli(['profile', 'add', name, '--issuer', ISSUER, '--client-id', 'c', ...S3]);
    assert.equal(r.code, 0, r.stderr);
  };
  return { root, env, file: env.AWS_CONFIG_FILE!, cli, add };
}

test('writers at once lose nothing: 12 rounds of 5 configure-aws and a profile remove in parallel, every profile right after each round', async () => {
  const w = world();
  await w.add('p');
  const failures: string[] = [];
  for (let round = 0; round < 12; round++) {
    await w.add('gone');
    writeFileSync(w.file, USER);
    assert.equal((await w.cli(['configure-aws', 'gone'])).code, 0);
    const names = Array.from({ length: 5 }, (_, k) => `r${round}-${k}`);
    const results = await Promise.all([...names.map((n) => w.cli(['configure-aws', 'p', '--aws-profile', n])), w.cli(['profile', 'remove', 'gone'])]);
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const text = readFileSync(w.file, 'utf8');
    const wired = lakekeyAwsProfiles(text, 'p');
    const wrong = names.filter((n) => !wired.includes(n));
    if (lakekeyAwsProfiles(text, 'gone').length) wrong.push('[profile gone] still there');
    if (!text.startsWith(USER)) wrong.push("the user's lines changed");
    if (wrong.length) failures.push(`round ${round}: ${wrong.join(', ')}`);
  }
  assert.deepEqual(failures, [], `${failures.length} of 12 rounds lost an update`);
  // The AWS CLI reads what the last round left.
  const profiles = await run('/usr/bin/aws', ['configure', 'list-profiles'], { env: w.env });
  assert.equal(profiles.code, 0, profiles.stderr);
  assert.deepEqual(profiles.stdout.split('\n').filter(Boolean).sort(), ['default', 'r11-0', 'r11-1', 'r11-2', 'r11-3', 'r11-4']);
});

test('a symlink planted at the backup name beside a shared AWS config is not followed; the backup goes to a fresh private name', async () => {
  const w = world();
  await w.add('p');
  const shared = join(w.root, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777); // another user's symlink in it is followed when fs.protected_symlinks is 0
  const file = join(shared, 'config');
  writeFileSync(file, USER, { mode: 0o644 });
  const victim = join(w.root, 'victim');
  writeFileSync(victim, 'precious\n');
  symlinkSync(victim, `${file}.lakekey-backup`);
  const r = await w.cli(['configure-aws', 'p', '--json'], { AWS_CONFIG_FILE: file });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', 'the file the symlink points at is untouched');
  assert.ok(lstatSync(`${file}.lakekey-backup`).isSymbolicLink(), 'what was planted stays as it was');
  const { backup } = JSON.parse(r.stdout) as { backup: string };
  assert.match(backup, /config\.lakekey-backup-[0-9a-f]{12}$/);
  assert.equal(readFileSync(backup, 'utf8'), USER);
  assert.equal(statSync(backup).mode & 0o777, 0o600);
  assert.ok(lstatSync(file).isFile());
  assert.deepEqual(lakekeyAwsProfiles(readFileSync(file, 'utf8'), 'p'), ['p']);
});

test("profile remove takes out only lakekey's keys: the role_arn and source_profile the user added later stay, and the AWS CLI reads them", async () => {
  const w = world();
  await w.add('p');
  writeFileSync(w.file, USER);
  assert.equal((await w.cli(['configure-aws', 'p'])).code, 0);
  const mine = '# assume my role\nrole_arn = arn:aws:iam::123456789012:role/mine\nsource_profile = default\n';
  writeFileSync(w.file, readFileSync(w.file, 'utf8') + mine);
  const r = await w.cli(['profile', 'remove', 'p']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /^Removed lakekey's keys from \[profile p\] in .*config( \(backup: .*\))?; your own settings there stay\.$/m);
  assert.equal(readFileSync(w.file, 'utf8'), `${USER}\n[profile p]\n${mine}`);
  const role = await run('/usr/bin/aws', ['configure', 'get', 'role_arn', '--profile', 'p'], { env: w.env });
  assert.equal(role.stdout.trim(), 'arn:aws:iam::123456789012:role/mine', role.stderr);
});

test('credential_process in a folder every user can write: one warning line on stderr that says what to do, and a field in --json', async () => {
  const w = world();
  await w.add('p');
  const open = join(w.root, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  const exe = join(open, 'lakekey');
  try {
    linkSync(CLI, exe); // a hard link is its own real path
  } catch {
    copyFileSync(CLI, exe);
    chmodSync(exe, 0o755);
  }
  const r = await run(exe, ['configure-aws', 'p'], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  const warnings = r.stderr.split('\n').filter((l) => l.startsWith('Warning:'));
  assert.deepEqual(warnings, [
    `Warning: credential_process will run ${exe}, but ${open} is writable by every user, so another user could change what the AWS CLI runs as you. Install lakekey in a folder only you (or root) can write, e.g. ~/.local/bin, and run \`lakekey configure-aws p\` from there.`,
  ]);
  const json = await run(exe, ['configure-aws', 'p', '--json'], { env: w.env });
  assert.equal(json.code, 0, json.stderr);
  assert.equal(JSON.parse(json.stdout).warning, warnings[0].replace(/^Warning: /, ''));
  // The CLI where it was built warns only if a folder above it is open to others too.
  const here = await w.cli(['configure-aws', 'p', '--json']);
  assert.equal('warning' in JSON.parse(here.stdout), exposedPath(CLI) !== undefined);
});
