// End to end against real peers: oidc-provider, Debian chromium, gnome-keyring, MinIO STS,
// AWS CLI v2 (Debian) and v1 (PyPI), boto3, DuckDB and the AWS JS SDK — all through `lakekey credential-process`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { fromIni } from '@aws-sdk/credential-providers';
import { CLI, REPO, allOutput, run, walkFiles } from '../helpers/cli.js';
import { ageS3, parseCredentials, type Peers, putObject, readRecord, sandbox, type Sandbox, startPeers } from '../helpers/world.js';
import { LAUNCH } from '../helpers/launch-url.js';
import { createBucket, startMinio } from '../peers/minio.js';

const AWS = '/usr/bin/aws';
// The test venv scripts/setup-test.sh builds: AWS CLI v1, boto3/botocore 1.42, DuckDB (isolated from Debian's packages).
const VENV = join(process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test'), 'venv');

const PYTHON = '/usr/bin/python3';

let peers: Peers;
before(async () => {
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
});

/** Logs a sandbox in through the real browser; returns the sandbox. */
async function loggedIn(opts: { browser?: boolean } = {}): Promise<Sandbox> {
  const box = await sandbox(peers, { browser: true });
  const login = await box.cli(['login', box.name]);
  assert.equal(login.code, 0, login.stderr);
  if (!opts.browser) delete box.env.LAKEKEY_BROWSER;
  return box;
}

describe('end to end: login, configure-aws, and real AWS clients through credential_process', () => {
  let box: Sandbox;

  test('login in the browser stores a session and S3 credentials in the keychain', async () => {
    const before = { ...peers.idp.counts };
    box = await sandbox(peers, { browser: true });
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /Logged in to profile .* as alice@example.com/);
    assert.equal(peers.idp.counts.authorizations - before.authorizations, 1, 'one interactive login');
    assert.equal(peers.idp.counts.codeGrants - before.codeGrants, 1);
    const record = await readRecord(box.name);
    assert.ok(record.idp?.refreshToken, 'refresh token kept');
    assert.ok(record.s3 && record.s3.expiresAt - Date.now() > 3000_000, 'S3 credentials for about an hour');
    const status = await box.cli(['status', box.name, '--json']);
    const [s] = JSON.parse(status.stdout);
    assert.equal(s.email, 'alice@example.com');
    assert.ok(s.s3.secondsLeft > 3000);
  });

  test('configure-aws wires the AWS CLI, which lists the bucket', async () => {
    const conf = await box.cli(['configure-aws', box.name]);
    assert.equal(conf.code, 0, conf.stderr);
    const text = readFileSync(box.awsConfig, 'utf8');
    assert.match(
      text,
      new RegExp(
        `\\[profile ${box.name}\\]\\n# keys written by lakekey [^\\n]*\\ncredential_process = ".+/dist/cli/lakekey" credential-process ${box.name}\\n`,
      ),
    );
    const exported = await run(AWS, ['configure', 'export-credentials', '--profile', box.name], { env: { ...box.env, LAKEKEY_BROWSER: undefined } });
    assert.equal(exported.code, 0, exported.stderr);
    const creds = JSON.parse(exported.stdout);
    assert.equal(creds.AccessKeyId, (await readRecord(box.name)).s3?.accessKeyId);
    const ls = await run(AWS, ['s3', 'ls', `s3://${peers.bucket}`, '--endpoint-url', peers.minio.endpoint, '--profile', box.name], { env: box.env });
    assert.equal(ls.code, 0, ls.stderr);
    const buckets = await run(AWS, ['s3', 'ls', '--endpoint-url', peers.minio.endpoint, '--profile', box.name], { env: box.env });
    assert.match(buckets.stdout, new RegExp(peers.bucket));
  });

  test('configure-aws writes endpoint_url; env exports AWS_ENDPOINT_URL; doctor shows it and warns about the old Debian AWS CLI', async () => {
    const text = readFileSync(box.awsConfig, 'utf8');
    assert.match(text, new RegExp(`\\[profile ${box.name}\\][^[]*\\nendpoint_url = ${peers.minio.endpoint.replace(/[.]/g, '\\.')}\\n`), text);
    const env = await box.cli(['env', box.name, '--format', 'json']);
    assert.equal(env.code, 0, env.stderr);
    const vars = JSON.parse(env.stdout);
    assert.equal(vars.AWS_ENDPOINT_URL, peers.minio.endpoint);
    assert.equal(vars.AWS_ENDPOINT_URL_S3, peers.minio.endpoint);
    // Debian's AWS CLI v2 (2.9.19) and python3-botocore (1.29) come first on this PATH: too old.
    const doctor = await box.cli(['doctor', box.name], { PATH: `/usr/bin:${box.env.PATH ?? process.env.PATH ?? ''}` });
    assert.match(
      doctor.stdout,
      new RegExp(
        `warn  ${box.name}: S3 endpoint: endpoint_url = ${peers.minio.endpoint.replace(/[.]/g, '\\.')}.*ignore.*--endpoint-url ${peers.minio.endpoint.replace(/[.]/g, '\\.')}`,
      ),
      doctor.stdout,
    );
    // The venv's AWS CLI v1 and botocore 1.42 honour it: no warning.
    const fresh = await box.cli(['doctor', box.name], { PATH: `${join(VENV, 'bin')}:${box.env.PATH ?? process.env.PATH ?? ''}` });
    assert.match(fresh.stdout, new RegExp(`ok    ${box.name}: S3 endpoint: endpoint_url = `), fresh.stdout);
  });

  test('AWS CLI v1 from PyPI lists the MinIO bucket with no --endpoint-url (endpoint_url from configure-aws)', async () => {
    await putObject(peers, 'data/hello.csv', 'id,word\n1,hello\n2,world\n');
    const venvAws = join(VENV, 'bin', 'aws');
    const version = await run(venvAws, ['--version'], { env: box.env });
    assert.match(version.stdout + version.stderr, /aws-cli\/1\.\d+.* botocore\/1\.(3[1-9]|[4-9]\d)\./, 'botocore new enough for endpoint_url');
    const buckets = await run(venvAws, ['s3', 'ls', '--profile', box.name], { env: box.env });
    assert.equal(buckets.code, 0, buckets.stderr);
    assert.match(buckets.stdout, new RegExp(peers.bucket));
    const objects = await run(venvAws, ['s3', 'ls', `s3://${peers.bucket}/data/`, '--profile', box.name], { env: box.env });
    assert.equal(objects.code, 0, objects.stderr);
    assert.match(objects.stdout, /hello\.csv/);
  });

  test('boto3 from PyPI lists the bucket with no endpoint in code (endpoint_url from the profile)', async () => {
    const script = `import boto3,botocore,sys\nassert botocore.__file__.startswith(sys.prefix), botocore.__file__\nc=boto3.Session(profile_name=sys.argv[1]).client('s3')\nprint(c.meta.endpoint_url)\nprint([b['Name'] for b in c.list_buckets()['Buckets']])`;
    const out = await run(join(VENV, 'bin', 'python'), ['-c', script, box.name], { env: box.env });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`^${peers.minio.endpoint.replace(/[.]/g, '\\.')}\n`));
    assert.match(out.stdout, new RegExp(`'${peers.bucket}'`));
  });

  test("DuckDB (aws extension from PyPI) reads s3:// from MinIO on http with README's recipe (credential_chain, CHAIN 'process', USE_SSL false) through lakekey's profile", async () => {
    // The CREATE SECRET of README's DuckDB recipe, with this profile and this MinIO put in.
    const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
    const recipe = /^```sql\n([\s\S]*?)\n```/m.exec(readme)?.[1] ?? assert.fail('README has no DuckDB recipe');
    const secret = /CREATE SECRET [\s\S]*?\);/.exec(recipe)?.[0].replace(/\s+/g, ' ') ?? assert.fail('the recipe has no CREATE SECRET');
    assert.match(secret, /USE_SSL false/, 'the recipe is for an http endpoint, as MinIO here');
    const host = new URL(peers.minio.endpoint).host;
    const ours = secret.replace("PROFILE 'minio'", `PROFILE '${box.name}'`).replace("ENDPOINT '127.0.0.1:9000'", `ENDPOINT '${host}'`);
    assert.ok(ours.includes(box.name) && ours.includes(host), `the recipe names PROFILE 'minio' and ENDPOINT '127.0.0.1:9000': ${secret}`);
    // DuckDB's extension download is unreachable here; the httpfs and aws extensions come from
    // PyPI packages (duckdb-extension-httpfs / -aws) and are LOADed from their files.
    const script = [
      'import duckdb, os, sys, duckdb_extension_httpfs, duckdb_extension_aws',
      'c = duckdb.connect()',
      'for m in (duckdb_extension_httpfs, duckdb_extension_aws):',
      "    d = os.path.join(os.path.dirname(m.__file__), 'extensions', 'v' + duckdb.__version__)",
      '    c.execute("LOAD \'" + os.path.join(d, os.listdir(d)[0]) + "\'")',
      'c.execute(sys.argv[1])',
      "print(c.execute(f\"SELECT string_agg(word, ' ' ORDER BY id) FROM read_csv('s3://{sys.argv[2]}/data/hello.csv')\").fetchone()[0])",
    ].join('\n');
    // Without USE_SSL false DuckDB speaks https to MinIO's http port, and reading fails.
    const https = await run(join(VENV, 'bin', 'python'), ['-c', script, ours.replace(/ USE_SSL false,/, ''), peers.bucket], { env: box.env });
    assert.notEqual(https.code, 0, `without USE_SSL false: ${https.stdout}`);
    const out = await run(join(VENV, 'bin', 'python'), ['-c', script, ours, peers.bucket], { env: box.env });
    assert.equal(out.code, 0, out.stderr);
    assert.equal(out.stdout.trim(), 'hello world');
  });

  test('boto3 lists the bucket through credential_process', async () => {
    const script = `import boto3,sys\ns=boto3.Session(profile_name=sys.argv[1])\nc=s.client('s3',endpoint_url=sys.argv[2])\nprint([b['Name'] for b in c.list_buckets()['Buckets']])\nprint(s.get_credentials().get_frozen_credentials().access_key == sys.argv[3])`;
    const key = (await readRecord(box.name)).s3!.accessKeyId;
    const out = await run(PYTHON, ['-c', script, box.name, peers.minio.endpoint, key], { env: box.env });
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, new RegExp(`'${peers.bucket}'`));
    assert.match(out.stdout, /True/);
  });

  test('the AWS JS SDK (fromIni) lists the bucket through credential_process', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_CONFIG_FILE: box.env.AWS_CONFIG_FILE,
      AWS_SHARED_CREDENTIALS_FILE: box.env.AWS_SHARED_CREDENTIALS_FILE,
      LAKEKEY_CONFIG_DIR: box.dir,
    });
    try {
      const s3 = new S3Client({ region: 'us-east-1', endpoint: peers.minio.endpoint, forcePathStyle: true, credentials: fromIni({ profile: box.name }) });
      const out = await s3.send(new ListObjectsV2Command({ Bucket: peers.bucket }));
      assert.equal(out.$metadata.httpStatusCode, 200);
      s3.destroy();
    } finally {
      process.env = saved;
    }
  });

  test('no token, key or code appears in any file, log or CLI output', async () => {
    const record = await readRecord(box.name);
    const secrets = [
      record.idp!.refreshToken!,
      record.idp!.idToken!,
      record.s3!.accessKeyId,
      record.s3!.secretAccessKey,
      record.s3!.sessionToken,
      ...peers.idp.seenSecrets,
    ];
    assert.ok(peers.idp.seenSecrets.length >= 2, 'authorization codes and verifiers are part of the scan');
    const files = [...walkFiles(box.dir), ...walkFiles(join(box.awsConfig, '..')), ...walkFiles(homedir())];
    assert.ok(
      files.some((f) => f.endsWith('lakekey.log')),
      'the log file exists and is scanned',
    );
    for (const file of files) {
      const content = readFileSync(file, 'latin1');
      for (const s of secrets) assert.ok(!content.includes(s), `a secret leaked into ${file}`);
    }
    for (const out of allOutput) for (const s of secrets) assert.ok(!out.includes(s), 'a secret leaked into stderr');
  });
});

describe('refresh', () => {
  test('aged S3 credentials are re-minted from MinIO via the refresh token, without a browser', async () => {
    const box = await loggedIn();
    const old = await ageS3(box.name, 60);
    const before = { ...peers.idp.counts };
    const stsBefore = peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity');
    const out = await box.cli(['credential-process', box.name]);
    assert.equal(out.code, 0, out.stderr);
    const creds = parseCredentials(out.stdout);
    assert.notEqual(creds.AccessKeyId, old.s3!.accessKeyId);
    assert.match(creds.Expiration, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(Object.keys(creds), ['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    assert.equal(peers.idp.counts.refreshGrants - before.refreshGrants, 1);
    assert.equal(peers.idp.counts.authorizations, before.authorizations, 'no browser login');
    assert.equal(peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity') - stsBefore, 1);
    assert.ok(!peers.sts.requests.some((r) => r.signed), 'STS calls are unsigned');
    const after = await readRecord(box.name);
    assert.notEqual(after.idp!.refreshToken, old.idp!.refreshToken, 'the rotated refresh token was stored');
    // A cache hit makes no network request at all.
    const hitBefore = peers.sts.count();
    const refreshBefore = peers.idp.counts.refreshGrants;
    const hit = await box.cli(['credential-process', box.name]);
    assert.equal(parseCredentials(hit.stdout).AccessKeyId, creds.AccessKeyId);
    assert.equal(peers.sts.count(), hitBefore);
    assert.equal(peers.idp.counts.refreshGrants, refreshBefore);
  });

  test('stampede: 32 processes at once while a refresh is due make one IdP grant and one STS call', async () => {
    const box = await loggedIn();
    await ageS3(box.name, 60);
    const before = { ...peers.idp.counts };
    const stsBefore = peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity');
    const results = await Promise.all(Array.from({ length: 32 }, () => box.cli(['credential-process', box.name])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    const outputs = new Set(results.map((r) => r.stdout));
    assert.equal(outputs.size, 1, 'all 32 print the same credentials');
    const creds = parseCredentials([...outputs][0]);
    assert.ok(Date.parse(creds.Expiration) - Date.now() > 3000_000);
    assert.equal(peers.idp.counts.refreshGrants - before.refreshGrants, 1);
    assert.equal(peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity') - stsBefore, 1);
  });
});

describe('on-demand login', () => {
  test('with no session and LAKEKEY_BROWSER set, credential-process logs in and prints credentials', async () => {
    const box = await sandbox(peers, { browser: true });
    const out = await box.cli(['credential-process', box.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(parseCredentials(out.stdout).AccessKeyId, (await readRecord(box.name)).s3?.accessKeyId);
  });

  test('8 started together open exactly one login and all succeed', async () => {
    const box = await sandbox(peers, { browser: true });
    const before = { ...peers.idp.counts };
    const results = await Promise.all(Array.from({ length: 8 }, () => box.cli(['credential-process', box.name])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(results.map((r) => r.stdout)).size, 1);
    assert.equal(peers.idp.counts.authorizations - before.authorizations, 1, 'one login page');
    assert.equal(peers.idp.counts.codeGrants - before.codeGrants, 1, 'one code exchange');
  });
});

describe('failure modes', () => {
  test('no session and no way to show a browser: exit 3 naming the login command', async () => {
    const box = await sandbox(peers);
    const out = await box.cli(['credential-process', box.name]);
    assert.equal(out.code, 3);
    assert.match(out.stderr, new RegExp(`lakekey login ${box.name}`));
    assert.equal(out.stdout, '');
  });

  // "Fast" below means: told at once, not after a keychain timeout. The timeouts are raised far
  // above the bound so that a busy machine's slowness cannot pass for (or hide) waiting on them.
  const SLOW_KEYCHAIN = { LAKEKEY_KEYCHAIN_TIMEOUT_MS: '60000', LAKEKEY_KEYCHAIN_BUSY_TIMEOUT_MS: '120000' };

  test('no D-Bus session: exit 4 at once (not after a keychain timeout) with a fix', async () => {
    const box = await sandbox(peers);
    const out = await box.cli(['credential-process', box.name], { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus', ...SLOW_KEYCHAIN });
    assert.equal(out.code, 4, out.stderr);
    assert.ok(out.ms < 30_000, `took ${out.ms} ms: it waited for the 60 s keychain timeout`);
    assert.doesNotMatch(out.stderr, /did not answer within/);
    assert.match(out.stderr, /keychain/i);
    assert.match(out.stderr, /never falls back/);
  });

  test('a locked keyring: exit 4 at once (the unlock prompt cannot show), not after a keychain timeout', async () => {
    // A keyring that holds this profile's session, created unlocked in one D-Bus session and
    // then opened by a fresh daemon that nobody unlocks: the state after a reboot without login.
    const box = await sandbox(peers, { browser: true });
    const home = join(box.dir, '..', 'lockedhome');
    const env = { ...box.env, HOME: home, DBUS_SESSION_BUS_ADDRESS: undefined };
    const prepare = `mkdir -p "$HOME/.cache" "$HOME/.local/share/keyrings"; eval "$(printf secret | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null; exec "$0" "$@"`;
    const login = await run('dbus-run-session', ['--', 'sh', '-c', prepare, CLI, 'login', box.name], { env });
    assert.equal(login.code, 0, login.stderr);
    // lakekey's stdout goes to a file of its own: a keyring daemon it spawned may write to the shell's.
    const locked = `eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)" >/dev/null; t0=$(date +%s%N); "$0" "$@" >"$HOME/stdout"; rc=$?; echo "ms=$(( ($(date +%s%N)-t0)/1000000 ))" >&2; exit $rc`;
    const out = await run('dbus-run-session', ['--', 'sh', '-c', locked, CLI, 'credential-process', box.name], { env: { ...env, ...SLOW_KEYCHAIN } });
    assert.equal(out.code, 4, out.stderr);
    const ms = Number(/ms=(\d+)/.exec(out.stderr)?.[1]);
    assert.ok(ms < 30_000, `took ${ms} ms: it waited for the 60 s keychain timeout`);
    assert.doesNotMatch(out.stderr, /did not answer within/);
    assert.match(out.stderr, /keyring is locked/);
    assert.equal(readFileSync(join(home, 'stdout'), 'utf8'), '', 'nothing on stdout for the AWS CLI to take as credentials');
  });

  test('IdP down: still-valid credentials are served; expired ones give exit 5', async () => {
    const box = await loggedIn();
    const aged = await ageS3(box.name, 600); // due for refresh, still valid
    peers.idp.setDown(true);
    try {
      const served = await box.cli(['credential-process', box.name]);
      assert.equal(served.code, 0, served.stderr);
      assert.ok(served.stdout, served.stderr);
      assert.equal(parseCredentials(served.stdout).AccessKeyId, aged.s3!.accessKeyId);
      assert.match(served.stderr, /could not renew/);
      await ageS3(box.name, -10);
      const expired = await box.cli(['credential-process', box.name]);
      assert.equal(expired.code, 5, `${expired.stderr} ${expired.stdout.slice(0, 120)}`);
      assert.equal(expired.stdout, '');
      assert.match(expired.stderr, /identity provider is unreachable/);
    } finally {
      peers.idp.setDown(false);
    }
    assert.ok((await readRecord(box.name)).idp?.refreshToken, 'the session survives the outage');
    const recovered = await box.cli(['credential-process', box.name]);
    assert.equal(recovered.code, 0, recovered.stderr);
  });

  test('STS down with expired credentials: exit 5, and the rotated refresh token is kept', async () => {
    const box = await loggedIn();
    const old = await ageS3(box.name, -10);
    peers.sts.setDown(true);
    try {
      const out = await box.cli(['credential-process', box.name]);
      assert.equal(out.code, 5, out.stderr);
      assert.match(out.stderr, /STS .* unreachable/);
    } finally {
      peers.sts.setDown(false);
    }
    const kept = await readRecord(box.name);
    assert.notEqual(kept.idp!.refreshToken, old.idp!.refreshToken, 'the new refresh token was persisted before STS failed');
    const out = await box.cli(['credential-process', box.name]);
    assert.equal(out.code, 0, 'the kept refresh token still works: ' + out.stderr);
  });

  test('a wrong state or a second callback is rejected with no token request', async () => {
    const box = await sandbox(peers);
    const before = { ...peers.idp.counts };
    const { spawn } = await import('node:child_process');
    const child = spawn(CLI, ['login', box.name, '--no-browser', '--timeout', '60'], { env: box.env });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    while (!LAUNCH.test(stderr)) await new Promise((r) => setTimeout(r, 50));
    const launch = new URL(LAUNCH.exec(stderr)![0]);
    assert.ok(!/state=/.test(stderr), 'the printed URL carries no state');
    const redirect = await fetch(launch, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    const authorize = new URL(redirect.headers.get('location')!);
    assert.equal(authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(authorize.searchParams.get('nonce'));
    // This fetch opened the one-time launch link: it is now the login's browser, with its cookie.
    const cookie = (redirect.headers.get('set-cookie') ?? '').split(';')[0];
    assert.match(cookie, /^lakekey-\w+=/);
    const callback = new URL('/callback', launch);
    callback.search = new URLSearchParams({ code: 'forged', state: 'wrong' }).toString();
    const wrong = await fetch(callback, { headers: { cookie } });
    assert.equal(wrong.status, 400);
    assert.match(await wrong.text(), /state mismatch/);
    callback.search = new URLSearchParams({ code: 'forged' }).toString();
    assert.equal((await fetch(callback, { headers: { cookie } })).status, 400, 'missing state');
    // The real login still completes, in a browser holding that cookie (the link is used up).
    const { driveLogin } = await import('../helpers/browser.js');
    const eq = cookie.indexOf('=');
    const page = await driveLogin(authorize.href, { cookies: [{ name: cookie.slice(0, eq), value: cookie.slice(eq + 1), url: launch.origin }] });
    assert.match(page.finalText, /You are logged in/);
    assert.equal(await exited, 0, stderr);
    assert.equal(peers.idp.counts.codeGrants - before.codeGrants, 1, 'only the real callback reached the token endpoint');
    // Replaying the callback finds nobody listening.
    callback.search = new URLSearchParams({ code: 'forged', state: authorize.searchParams.get('state')! }).toString();
    await assert.rejects(fetch(callback));
    assert.equal(peers.idp.counts.codeGrants - before.codeGrants, 1);
  });
});

// Issue 20: S3 credentials belong to the settings that minted them. After the profile points at
// another STS (a new MinIO: what restarting `npm run demo` does) or asks for another duration,
// the old keys are stale at once: status says so, and the next `aws` call gets keys minted for
// the new settings from the refresh token, with no browser and no hour-long wait.
describe('a changed profile never serves the keys minted for its old settings', () => {
  test('another STS endpoint: status says stale, the AWS CLI works against the new MinIO at once, silently', async () => {
    const box = await loggedIn();
    const conf = await box.cli(['configure-aws', box.name]);
    assert.equal(conf.code, 0, conf.stderr);
    const old = (await readRecord(box.name)).s3!;
    const other = await startMinio({ issuer: peers.idp.issuer, clientId: peers.idp.clientId });
    try {
      const bucket = `moved-${Date.now()}`;
      await createBucket(other, bucket);
      const set = await box.cli(['profile', 'set', box.name, '--s3-sts-endpoint', other.endpoint, '--s3-endpoint', other.endpoint]);
      assert.equal(set.code, 0, set.stderr);
      const status = await box.cli(['status', box.name]);
      assert.match(status.stdout, /minted before --s3-sts-endpoint changed: renewed on next use/);
      const json = JSON.parse((await box.cli(['status', box.name, '--json'])).stdout)[0];
      assert.deepEqual(json.stale, { s3: ['s3-sts-endpoint'] });
      assert.equal((await box.cli(['status', '--check', box.name])).code, 0, 'renewable without a person');
      const before = { ...peers.idp.counts };
      const ls = await run(AWS, ['s3', 'ls', `s3://${bucket}`, '--endpoint-url', other.endpoint, '--profile', box.name], { env: box.env });
      assert.equal(ls.code, 0, ls.stderr);
      const now = (await readRecord(box.name)).s3!;
      assert.notEqual(now.accessKeyId, old.accessKeyId, 're-minted');
      assert.equal(now.minted?.stsEndpoint, other.endpoint);
      assert.equal(peers.idp.counts.refreshGrants - before.refreshGrants, 1, 'from the refresh token');
      assert.equal(peers.idp.counts.authorizations - before.authorizations, 0, 'no browser');
      assert.equal((await box.cli(['status', box.name, '--json'])).stdout.includes('"stale"'), false);
    } finally {
      await other.stop();
    }
  });

  test('another duration: credential-process mints for it at once; unchanged settings keep serving the cached keys', async () => {
    const box = await loggedIn();
    const first = parseCredentials((await box.cli(['credential-process', box.name])).stdout);
    const again = parseCredentials((await box.cli(['credential-process', box.name])).stdout);
    assert.equal(again.AccessKeyId, first.AccessKeyId, 'a cache hit while nothing changed');
    const set = await box.cli(['profile', 'set', box.name, '--s3-duration', '1800']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /S3 credentials minted with the old settings are replaced on next use/);
    const after = parseCredentials((await box.cli(['credential-process', box.name])).stdout);
    assert.notEqual(after.AccessKeyId, first.AccessKeyId);
    const left = (Date.parse(after.Expiration) - Date.now()) / 1000;
    assert.ok(left > 1500 && left <= 1800, `minted for 1800 s, ${left} s left`);
  });
});

describe('role session name from the login (--s3-session-name)', () => {
  /** The RoleSessionName of the last AssumeRoleWithWebIdentity the STS proxy in front of MinIO saw. */
  const lastSessionName = () => peers.sts.requests.filter((r) => r.action === 'AssumeRoleWithWebIdentity').at(-1)?.form?.RoleSessionName;

  test('a template over ID-token claims reaches STS sanitised; MinIO mints; a changed template re-mints silently; unset goes back to the default', async () => {
    const box = await sandbox(peers, { browser: true, extraArgs: ['--s3-session-name', 'lk {name}'] });
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 0, login.stderr);
    // "Alice Example" from the ID token's name claim; spaces are not in STS's alphabet.
    assert.equal(lastSessionName(), 'lk-Alice-Example');
    delete box.env.LAKEKEY_BROWSER;
    // MinIO takes the name (it does not report it back): its credentials work.
    assert.equal((await box.cli(['configure-aws', box.name])).code, 0);
    const listed = await run(AWS, ['s3', 'ls', `s3://${peers.bucket}`, '--endpoint-url', peers.minio.endpoint, '--profile', box.name], { env: box.env });
    assert.equal(listed.code, 0, listed.stderr);
    const show = await box.cli(['profile', 'show', box.name]);
    assert.match(show.stdout, /S3 session name\s+lk \{name\}/);

    const set = await box.cli(['profile', 'set', box.name, '--s3-session-name', '{email}']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /S3 credentials minted with the old settings are replaced on next use/);
    const minted = await box.cli(['credential-process', box.name]);
    assert.equal(minted.code, 0, minted.stderr);
    assert.equal(lastSessionName(), 'alice@example.com');

    assert.equal((await box.cli(['profile', 'set', box.name, '--s3-session-name', 'u-{sub}'])).code, 0);
    assert.equal((await box.cli(['credential-process', box.name])).code, 0);
    assert.equal(lastSessionName(), 'u-alice');
    assert.equal((await box.cli(['profile', 'set', box.name, '--unset', 's3-session-name'])).code, 0);
    assert.equal((await box.cli(['credential-process', box.name])).code, 0);
    assert.equal(lastSessionName(), 'alice@example.com', 'the default: the email');
  });

  test('a claim the ID token lacks: exit 2 naming the claim and the fix, and no STS call', async () => {
    const box = await sandbox(peers, { browser: true, extraArgs: ['--s3-session-name', '{preferred_username}'] });
    const calls = peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity');
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 2, login.stderr);
    assert.match(
      login.stderr,
      /the ID token has no "preferred_username" claim, and profile "[^"]+" names it in its role session name \(--s3-session-name "\{preferred_username\}"\)/,
    );
    assert.match(login.stderr, /\{sub\}, \{policy\}, \{email\}, \{name\}/);
    assert.match(login.stderr, /--unset s3-session-name/);
    assert.equal(
      peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity'),
      calls,
      'STS is not asked',
    );
    // The login itself is kept: fixing the template mints without a browser.
    delete box.env.LAKEKEY_BROWSER;
    assert.equal((await box.cli(['profile', 'set', box.name, '--s3-session-name', '{sub}'])).code, 0);
    const cp = await box.cli(['credential-process', box.name]);
    assert.equal(cp.code, 0, cp.stderr);
    assert.equal(lastSessionName(), 'alice');
  });

  test('a malformed template is refused when the profile is saved, naming the flag', async () => {
    const box = await sandbox(peers);
    const set = await box.cli(['profile', 'set', box.name, '--s3-session-name', '{email']);
    assert.equal(set.code, 2);
    assert.match(set.stderr, /--s3-session-name: "\{email" has an unclosed "\{" \(at character 1\)/);
    const literal = await box.cli(['profile', 'set', box.name, '--s3-session-name', 'everyone']);
    assert.equal(literal.code, 2);
    assert.match(literal.stderr, /--s3-session-name: "everyone" names no claim/);
  });
});
