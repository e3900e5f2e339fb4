// The rest of the CLI contract against the real peers: env, exec, logout, doctor, profiles,
// and usage errors with their exit codes.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, run } from '../helpers/cli.js';
import { readRecord, sandbox, startPeers, vault, type Peers, type Sandbox } from '../helpers/world.js';

let peers: Peers;
let box: Sandbox;
before(async () => {
  peers = await startPeers();
  box = await sandbox(peers, { browser: true });
  const login = await box.cli(['login', box.name]);
  assert.equal(login.code, 0, login.stderr);
  delete box.env.LAKEKEY_BROWSER;
});
after(async () => {
  await peers?.stop();
});

describe('handing credentials to tools', () => {
  test('env --format sh is evaluated by a real shell and the AWS CLI uses it', async () => {
    const script = `eval "$("$0" env "$1")" && /usr/bin/aws s3 ls --endpoint-url "$2" && echo "exp=$AWS_CREDENTIAL_EXPIRATION"`;
    const out = await run('sh', ['-c', script, CLI, box.name, peers.minio.endpoint], { env: box.env });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(peers.bucket));
    assert.match(out.stdout, /exp=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/);
  });

  test('env speaks fish, powershell and json', async () => {
    const key = (await readRecord(box.name)).s3!.accessKeyId;
    const fish = await box.cli(['env', box.name, '--format', 'fish']);
    assert.match(fish.stdout, new RegExp(`^set -gx AWS_ACCESS_KEY_ID '${key}';$`, 'm'));
    const ps = await box.cli(['env', box.name, '--format', 'powershell']);
    assert.match(ps.stdout, new RegExp(`^\\$Env:AWS_ACCESS_KEY_ID = '${key}'$`, 'm'));
    const json = JSON.parse((await box.cli(['env', box.name, '--format', 'json'])).stdout);
    assert.equal(json.AWS_ACCESS_KEY_ID, key);
    assert.equal(json.AWS_REGION, 'us-east-1');
    const bad = await box.cli(['env', box.name, '--format', 'csh']);
    assert.equal(bad.code, 2);
  });

  test('exec runs a command with the credentials and passes its exit code through', async () => {
    const ok = await box.cli(['exec', box.name, '--', '/usr/bin/aws', 's3', 'ls', `s3://${peers.bucket}`, '--endpoint-url', peers.minio.endpoint]);
    assert.equal(ok.code, 0, ok.stderr);
    const code = await box.cli(['exec', box.name, '--static', '--', 'sh', '-c', 'test -n "$AWS_SESSION_TOKEN" && exit 7']);
    assert.equal(code.code, 7);
    // As a shell would: 127 for a command that is not found, 126 for one that cannot be run.
    const missing = await box.cli(['exec', box.name, '--', 'no-such-command-xyz']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /cannot run "no-such-command-xyz": command not found/);
    const plain = join(mkdtempSync(join(tmpdir(), 'lakekey-noexec-')), 'not-a-program');
    writeFileSync(plain, 'just text\n', { mode: 0o644 });
    const notExecutable = await box.cli(['exec', box.name, '--', plain]);
    assert.equal(notExecutable.code, 126, notExecutable.stderr);
    assert.match(notExecutable.stderr, /permission denied/);
  });
});

test('exec hands a long job a credential_process profile, so it gets fresh credentials after a renewal', async () => {
  // The job reads its credentials, waits (while they are renewed), and reads them again.
  const job = 'aws configure export-credentials; read _; aws configure export-credentials; test -z "$AWS_ACCESS_KEY_ID"';
  const { spawn } = await import('node:child_process');
  const child = spawn(CLI, ['exec', box.name, '--', 'sh', '-c', job], {
    env: { ...box.env, PATH: `/usr/bin:${box.env.PATH}` },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  while (!stdout.includes('}')) await new Promise((r) => setTimeout(r, 50));
  const first = JSON.parse(stdout).AccessKeyId;
  const record = await readRecord(box.name);
  await vault.write(box.name, { ...record, s3: { ...record.s3!, expiresAt: Date.now() + 60_000 } });
  child.stdin.end('go\n');
  assert.equal(await exited, 0, stderr);
  const second = JSON.parse(stdout.slice(stdout.indexOf('}') + 1)).AccessKeyId;
  assert.notEqual(second, first, 'the job saw renewed credentials without restarting');
  assert.equal(second, (await readRecord(box.name)).s3?.accessKeyId);
});

test("configure-aws: --dry-run shows a diff and writes nothing; the real edit keeps the user's profiles for the AWS CLI and boto3", async () => {
  const userConfig = '# company defaults\n[default]\nregion = eu-west-1\noutput = json\n\n[profile other]\nregion = ap-south-1\n';
  writeFileSync(box.awsConfig, userConfig);
  const dry = await box.cli(['configure-aws', box.name, '--aws-profile', 'wired', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^\+\[profile wired\]$/m);
  // Run as the standalone executable, the command is that one path (no interpreter before it).
  assert.ok(dry.stdout.includes(`+credential_process = "${realpathSync(CLI)}" credential-process `), dry.stdout);
  assert.equal(readFileSync(box.awsConfig, 'utf8'), userConfig, 'dry run wrote nothing');
  assert.equal((await box.cli(['configure-aws', box.name, '--aws-profile', 'wired'])).code, 0);
  const again = await box.cli(['configure-aws', box.name, '--aws-profile', 'wired']);
  assert.match(again.stderr, /nothing changed/);
  assert.equal(readFileSync(`${box.awsConfig}.lakekey-backup`, 'utf8'), userConfig);
  const region = await run('/usr/bin/aws', ['configure', 'get', 'region', '--profile', 'other'], { env: box.env });
  assert.equal(region.stdout.trim(), 'ap-south-1');
  const key = (await readRecord(box.name)).s3!.accessKeyId;
  const py = await run(
    '/usr/bin/python3',
    ['-c', 'import boto3; print(boto3.Session(profile_name="wired").get_credentials().access_key); print(boto3.Session(profile_name="default").region_name)'],
    { env: box.env },
  );
  assert.equal(py.code, 0, py.stderr);
  assert.deepEqual(py.stdout.trim().split('\n'), [key, 'eu-west-1']);
});

describe('inspection and housekeeping', () => {
  test('status prints a readable table', async () => {
    const out = await box.cli(['status']);
    assert.equal(out.code, 0);
    assert.match(out.stdout, /^PROFILE\s+USER\s+S3\s+LAKEFS\s+RENEWS$/m);
    assert.match(out.stdout, new RegExp(`^${box.name}\\s+alice@example.com\\s+valid \\d+ min, until \\d\\d:\\d\\d local\\s+—\\s+silently$`, 'm'));
  });

  test('doctor passes every check once the AWS config is wired; unwired (env and exec need none) is information with the command', async () => {
    writeFileSync(box.awsConfig, '[default]\nregion = eu-west-1\n');
    const before = await box.cli(['doctor', box.name]);
    assert.equal(before.code, 0, `${before.stdout}\n${before.stderr}`);
    assert.match(
      before.stdout,
      new RegExp(
        `^info  ${box.name}: AWS config: no AWS profile in .* uses lakekey for "${box.name}": fine for \`lakekey env\` and \`lakekey exec\`.* — To add \\[profile ${box.name}\\]: \`lakekey configure-aws ${box.name}\`\\.$`,
        'm',
      ),
    );
    assert.match(before.stdout, new RegExp(`^skip  ${box.name}: S3 endpoint: not checked`, 'm'));
    // Wired under another AWS profile name: found by its credential_process.
    assert.equal((await box.cli(['configure-aws', box.name, '--aws-profile', 'wired'])).code, 0);
    const other = await box.cli(['doctor', box.name]);
    assert.equal(other.code, 0, `${other.stdout}\n${other.stderr}`);
    assert.match(other.stdout, new RegExp(`^ok {4}${box.name}: AWS config: \\S+ \\[profile wired\\] uses lakekey; no static keys shadow it$`, 'm'));
    await box.cli(['configure-aws', box.name]);
    const out = await box.cli(['doctor', box.name]);
    assert.equal(out.code, 0, `${out.stdout}\n${out.stderr}`);
    for (const check of ['settings', 'keychain', 'identity provider', 'clock', 'STS', 'AWS config', 'session'])
      assert.match(out.stdout, new RegExp(`^ok .*${check}`, 'm'));
    assert.match(out.stdout, /Discovery works: issuer \S+, 2 signing keys; .*device login is available/);
    // Static keys for the same profile in the credentials file shadow credential_process.
    writeFileSync(box.env.AWS_SHARED_CREDENTIALS_FILE!, `[${box.name}]\naws_access_key_id = AKIAOLDSTATICKEY0000\naws_secret_access_key = x\n`);
    try {
      const shadowed = await box.cli(['doctor', box.name]);
      assert.equal(shadowed.code, 2);
      assert.match(shadowed.stdout, /FAIL {2}.*static keys for \[.*\], which win over lakekey's credential_process\n\s+fix: Remove/);
    } finally {
      writeFileSync(box.env.AWS_SHARED_CREDENTIALS_FILE!, '');
    }
  });

  test('doctor says which part of a session is stale after `profile set`, and what happens: S3 re-minted silently, a login for a new issuer', async () => {
    const stale = await sandbox(peers, { browser: true });
    const login = await stale.cli(['login', stale.name]);
    assert.equal(login.code, 0, login.stderr);
    delete stale.env.LAKEKEY_BROWSER; // from here on, nothing may need a browser
    const doctor = async (code: number) => {
      const out = await stale.cli(['doctor', stale.name]);
      assert.equal(out.code, code, `${out.stdout}\n${out.stderr}`);
      return out.stdout;
    };
    const name = stale.name;
    assert.doesNotMatch(await doctor(0), /S3 credentials:/, 'a session that matches its settings has no stale part');
    // The S3 role: the S3 part is stale, and is re-minted silently (the IdP part still matches).
    assert.equal((await stale.cli(['profile', 'set', name, '--s3-role-arn', 'arn:aws:iam::123456789012:role/other'])).code, 0);
    assert.match(
      await doctor(0),
      new RegExp(
        `^info  ${name}: S3 credentials: minted before --s3-role-arn changed, so they are no longer handed out; new ones are minted silently on next use \\(no login\\)$`,
        'm',
      ),
    );
    assert.equal((await stale.cli(['profile', 'set', name, '--unset', 's3-role-arn'])).code, 0);
    assert.doesNotMatch(await doctor(0), /S3 credentials:/, 'back to the settings they were minted under');
    // What doctor said happens: the next use mints new ones, without a browser.
    assert.equal((await stale.cli(['profile', 'set', name, '--s3-duration', '1800'])).code, 0);
    assert.match(await doctor(0), /S3 credentials: minted before --s3-duration changed, .* minted silently on next use/);
    const key = (await readRecord(name)).s3!.accessKeyId;
    const used = await stale.cli(['credential-process', name]);
    assert.equal(used.code, 0, used.stderr);
    assert.notEqual(JSON.parse(used.stdout).AccessKeyId, key, 'new credentials were minted');
    assert.doesNotMatch(await doctor(0), /S3 credentials:/);
    // Another issuer: the IdP part is stale and needs a login (exit 3); the S3 part waits for it.
    const { startIdp } = await import('../peers/idp.js');
    const other = await startIdp();
    try {
      assert.equal((await stale.cli(['profile', 'set', name, '--issuer', other.issuer])).code, 0);
      const out = await doctor(3);
      assert.match(
        out,
        new RegExp(
          `^FAIL  ${name}: session: logged in as alice@example.com, but before --issuer changed: that session is not used any more, and renewing needs a login\n\\s+fix: Run \`lakekey login ${name}\` \\(it also ends the old session at ${peers.idp.issuer.replace(/[.]/g, '\\.')}, where`,
          'm',
        ),
      );
      assert.match(
        out,
        new RegExp(
          `^info  ${name}: S3 credentials: minted before --issuer changed, so they are no longer handed out; new ones are minted after the login the session needs`,
          'm',
        ),
      );
    } finally {
      await other.stop();
    }
  });

  test('profile list, show --json, and usage errors exit 2', async () => {
    const list = await box.cli(['profile', 'list']);
    assert.match(list.stdout, new RegExp(`^${box.name}\\t${peers.idp.issuer}\\tS3 via STS$`, 'm'));
    const show = JSON.parse((await box.cli(['profile', 'show', box.name, '--json'])).stdout);
    assert.equal(show.s3.stsEndpoint, peers.sts.url);
    for (const args of [
      ['bogus'],
      ['login'],
      ['profile', 'add', 'x', '--issuer', 'https://i'],
      ['profile', 'show', 'nope'],
      ['login', box.name, '--timeout', 'soon'],
    ]) {
      const r = await box.cli(args);
      assert.equal(r.code, 2, `${args.join(' ')} → ${r.code}: ${r.stderr}`);
      assert.ok(r.stderr.split('\n').length >= 2, 'an error and a hint');
    }
    const dup = await box.cli(['profile', 'add', box.name, '--issuer', peers.idp.issuer, '--client-id', 'x']);
    assert.equal(dup.code, 2);
    assert.match(dup.stderr, /--force/);
  });

  test('one bad value breaks only its own profile: the others work, the bad one names profile, field and fix, and that fix runs', async () => {
    const file = join(box.dir, 'config.json');
    const original = readFileSync(file, 'utf8');
    const settings = JSON.parse(original) as { profiles: Record<string, { s3: Record<string, unknown> }> };
    const mine = settings.profiles[box.name];
    // Hand-edited (or an older version's): a duration STS refuses, and an S3 part that is not one.
    settings.profiles.bad = { ...mine, s3: { ...mine.s3, durationSeconds: 60 } };
    settings.profiles.mangled = { ...mine, s3: 'yes' as unknown as Record<string, unknown> };
    writeFileSync(file, JSON.stringify(settings));
    try {
      const cp = await box.cli(['credential-process', box.name]);
      assert.equal(cp.code, 0, cp.stderr);
      assert.match(cp.stdout, /^\{"Version":1,"AccessKeyId":/);
      const mineStatus = await box.cli(['status', box.name]);
      assert.equal(mineStatus.code, 0, mineStatus.stderr);
      assert.match(mineStatus.stdout, /alice@example.com/);
      for (const args of [
        ['credential-process', 'bad'],
        ['env', 'bad'],
        ['login', 'bad'],
        ['configure-aws', 'bad'],
      ]) {
        const r = await box.cli(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /profile "bad" cannot be used: s3\.durationSeconds: expected a whole number from 900 to 43200, got 60/);
        assert.match(r.stderr, /Fix it with `lakekey profile set bad --s3-duration VALUE`/);
      }
      const mangled = await box.cli(['credential-process', 'mangled']);
      assert.equal(mangled.code, 2);
      assert.match(mangled.stderr, /profile "mangled" cannot be used: s3 must be an object[\s\S]*`lakekey profile set mangled --unset s3`/);
      // status and profile list show every profile, the broken ones as such.
      const all = await box.cli(['status']);
      assert.equal(all.code, 2, 'a broken profile is a configuration problem to fix');
      assert.match(all.stdout, new RegExp(`^${box.name}\\s+alice@example.com`, 'm'));
      assert.match(all.stdout, /^bad\s+BROKEN/m);
      assert.match(all.stderr, /profile "bad" cannot be used/);
      const list = await box.cli(['profile', 'list']);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, new RegExp(`^${box.name}\\t`, 'm'));
      assert.match(list.stdout, /^bad\tBROKEN\ts3\.durationSeconds: expected a whole number/m);
      assert.match(list.stdout, /^mangled\tBROKEN\ts3 must be an object/m);
      const shown = await box.cli(['profile', 'show', 'bad', '--json']);
      assert.equal(shown.code, 0, shown.stderr);
      assert.equal(JSON.parse(shown.stdout).stored.s3.durationSeconds, 60, 'shown as stored');
      // The fixes the messages name run on the broken profiles, and repair them.
      const set = await box.cli(['profile', 'set', 'bad', '--s3-duration', '3600']);
      assert.equal(set.code, 0, set.stderr);
      assert.match(set.stderr, /Profile "bad" is valid again/);
      assert.equal(JSON.parse((await box.cli(['profile', 'show', 'bad', '--json'])).stdout).s3.durationSeconds, 3600);
      assert.equal(
        (JSON.parse(readFileSync(file, 'utf8')) as { profiles: Record<string, { s3: unknown }> }).profiles.mangled.s3,
        'yes',
        'the other broken profile is left as it was',
      );
      const unset = await box.cli(['profile', 'set', 'mangled', '--unset', 's3']);
      assert.equal(unset.code, 0, unset.stderr);
      assert.equal(JSON.parse((await box.cli(['profile', 'show', 'mangled', '--json'])).stdout).s3, undefined);
      // Broken again, then removed as it is.
      const now = JSON.parse(readFileSync(file, 'utf8')) as { profiles: Record<string, { s3?: unknown }> };
      now.profiles.mangled.s3 = 'yes';
      writeFileSync(file, JSON.stringify(now));
      const removed = await box.cli(['profile', 'remove', 'mangled']);
      assert.equal(removed.code, 0, removed.stderr);
      assert.equal((await box.cli(['profile', 'remove', 'bad'])).code, 0);
      assert.deepEqual(Object.keys((JSON.parse(readFileSync(file, 'utf8')) as { profiles: object }).profiles), [box.name]);
    } finally {
      writeFileSync(file, original);
    }
  });

  test('logout revokes the refresh token and forgets the secrets; profile remove deletes the profile', async () => {
    const record = await readRecord(box.name);
    const out = await box.cli(['logout', box.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /revoked/);
    assert.equal((await readRecord(box.name)).idp, undefined);
    // The revoked refresh token no longer works at the IdP.
    await vault.write(box.name, { ...record, s3: { ...record.s3!, expiresAt: Date.now() - 1000 } });
    const after = await box.cli(['credential-process', box.name]);
    assert.equal(after.code, 3, after.stderr);
    assert.equal((await readRecord(box.name)).idp?.refreshToken, undefined, 'the dead refresh token is dropped');
    const removed = await box.cli(['profile', 'remove', box.name]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.ok(!readFileSync(join(box.dir, 'config.json'), 'utf8').includes(box.name));
    assert.equal((await readRecord(box.name)).s3, undefined);
    assert.ok(existsSync(box.dir));
  });
});
