// The credentials endpoint with real clients against the real IdP, MinIO STS and MinIO: each
// client configured with nothing but what lakekey hands it (the container-credentials variables
// and the S3 endpoint), no keys, no AWS profile, no AWS config. `exec --server` for one job, and
// `serve` + `env --server` for a shell, a notebook or a Spark job.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, symlinkSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO, run } from '../helpers/cli.js';
import { startServe } from '../helpers/serve-process.js';
import { ageS3, type Peers, putObject, readRecord, sandbox, type Sandbox, startPeers } from '../helpers/world.js';

const AWS_V2 = '/usr/bin/aws';
const VENV = join(process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test'), 'venv');
const KEY = 'endpoint/hello.txt';

let peers: Peers;
before(async () => {
  peers = await startPeers();
  await putObject(peers, KEY, 'hello from the endpoint');
});
after(async () => {
  await peers?.stop();
});

async function loggedIn(): Promise<Sandbox> {
  const box = await sandbox(peers, { browser: true });
  const login = await box.cli(['login', box.name]);
  assert.equal(login.code, 0, login.stderr);
  delete box.env.LAKEKEY_BROWSER; // unattended from here on
  return box;
}

/** A shell command run under `exec --server` that first proves no key or profile reached it. */
function underServer(box: Sandbox, script: string) {
  const guard =
    'for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE; do eval "test -z \\"\\${$v:-}\\"" || { echo "$v reached the job" >&2; exit 99; }; done; test -s "$AWS_CONFIG_FILE" && { echo "a non-empty AWS config reached the job" >&2; exit 98; };';
  return box.cli(['exec', box.name, '--server', '--', 'sh', '-c', guard + script]);
}

/** Keys in the user's own AWS files must not win over the endpoint: plant some that would fail. */
function withDecoyKeys(box: Sandbox): Sandbox {
  box.env.AWS_ACCESS_KEY_ID = 'AKIADECOYDECOYDECOY0';
  box.env.AWS_SECRET_ACCESS_KEY = 'decoy';
  box.env.AWS_PROFILE = 'decoy';
  return box;
}

describe('exec --server: the job asks the endpoint, and real clients read the bucket', () => {
  let box: Sandbox;
  before(async () => {
    box = withDecoyKeys(await loggedIn());
  });

  test('AWS CLI v2 (Debian), through the container-credentials variables alone', async () => {
    const r = await underServer(box, `${AWS_V2} s3 cp s3://${peers.bucket}/${KEY} - --endpoint-url "$AWS_ENDPOINT_URL_S3"`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from the endpoint');
  });

  test('boto3 (PyPI) and AWS CLI v1, with the S3 endpoint from AWS_ENDPOINT_URL_S3', async () => {
    const py = `import boto3; s = boto3.Session(); c = s.get_credentials(); print(c.method); print(boto3.client("s3").get_object(Bucket="${peers.bucket}", Key="${KEY}")["Body"].read().decode())`;
    const r = await underServer(box, `${join(VENV, 'bin', 'python')} -c '${py}' && ${join(VENV, 'bin', 'aws')} s3 ls s3://${peers.bucket}/endpoint/`);
    assert.equal(r.code, 0, r.stderr);
    const [method, body, listing] = r.stdout.split('\n');
    assert.equal(method, 'container-role', 'botocore took them from the container provider');
    assert.equal(body, 'hello from the endpoint');
    assert.match(listing, /hello\.txt/);
  });

  test('the AWS JS SDK v3 default chain', async () => {
    const js = [
      "import { S3Client, GetObjectCommand } from '@aws-sdk/client-s3';",
      'const s3 = new S3Client({ forcePathStyle: true });',
      `const o = await s3.send(new GetObjectCommand({ Bucket: '${peers.bucket}', Key: '${KEY}' }));`,
      'process.stdout.write(await o.Body.transformToString());',
    ].join(' ');
    const r = await underServer(box, `cd '${REPO}' && '${process.execPath}' --input-type=module -e "${js.replace(/"/g, '\\"')}"`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'hello from the endpoint');
  });

  test("the job's exit status passes through, and the endpoint is gone when the job is", async () => {
    let uri = '';
    const r = await underServer(box, 'echo "$AWS_CONTAINER_CREDENTIALS_FULL_URI"; exit 7');
    assert.equal(r.code, 7, r.stderr);
    uri = r.stdout.trim();
    assert.match(uri, /^http:\/\/127\.0\.0\.1:\d+\/v1\/credentials\//);
    await assert.rejects(fetch(uri), 'nothing listens once the job ended');
  });

  test('a profile with no S3 settings, or --server with --static: a clear error, and the job does not run', async () => {
    const both = await box.cli(['exec', box.name, '--server', '--static', '--', 'sh', '-c', 'echo ran']);
    assert.equal(both.code, 2);
    assert.doesNotMatch(both.stdout, /ran/);
    assert.match(both.stderr, /--server and --static are two ways/);
    const add = await box.cli(['profile', 'add', `${box.name}-idp`, '--issuer', peers.idp.issuer, '--client-id', peers.idp.clientId]);
    assert.equal(add.code, 0, add.stderr);
    for (const args of [
      ['serve', `${box.name}-idp`],
      ['env', `${box.name}-idp`, '--server'],
    ]) {
      const r = await box.cli(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /has no S3 settings[\s\S]*lakekey profile set .*--s3-sts-endpoint URL/);
    }
  });
});

describe('serve + env --server', () => {
  let box: Sandbox;
  let server: ChildProcessWithoutNullStreams;
  let printed: () => string;
  before(async () => {
    box = await loggedIn();
    const serving = await startServe(box);
    server = serving.child;
    printed = serving.stdout;
  });
  after(() => {
    if (server.exitCode === null) server.kill('SIGKILL');
  });

  /** The variables as `env --server` prints them, as JSON. */
  async function vars(): Promise<Record<string, string>> {
    const r = await box.cli(['env', box.name, '--server', '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as Record<string, string>;
  }

  test('serve prints the variables; env --server prints the same, with the token in a 0600 file, never the token itself', async () => {
    const v = await vars();
    assert.match(v.AWS_CONTAINER_CREDENTIALS_FULL_URI, /^http:\/\/127\.0\.0\.1:\d+\/v1\/credentials\//);
    assert.ok(v.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE);
    assert.equal(v.AWS_CONTAINER_AUTHORIZATION_TOKEN, undefined);
    assert.ok(printed().includes(v.AWS_CONTAINER_CREDENTIALS_FULL_URI));
    const { statSync, readFileSync } = await import('node:fs');
    assert.equal(statSync(v.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE).mode & 0o777, 0o600);
    assert.ok(!printed().includes(readFileSync(v.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8')), 'the token is not printed');
  });

  test('doctor names the running endpoint, its port, pid and profile, and the installed AWS CLI it asked', async () => {
    const port = Number(new URL((await vars()).AWS_CONTAINER_CREDENTIALS_FULL_URI).port);
    // Exactly the machine's AWS CLI on PATH (Debian's, whatever its version) and its python3.
    const bin = mkdtempSync(join(tmpdir(), 'lakekey-doctor-path-'));
    symlinkSync(AWS_V2, join(bin, 'aws'));
    symlinkSync('/usr/bin/python3', join(bin, 'python3'));
    const path = { PATH: bin };
    const human = await box.cli(['doctor', box.name], path);
    assert.equal(human.code, 0, human.stdout + human.stderr);
    const lines = human.stdout.split('\n');
    const owner = `serve-${server.pid}`;
    assert.ok(
      lines.includes(`ok    credentials endpoint (${owner}): \`lakekey serve\`, pid ${server.pid}, on 127.0.0.1:${port}: serves "${box.name}"`),
      human.stdout,
    );
    assert.ok(
      lines.includes(
        `ok    ${box.name}: credentials endpoint: served on 127.0.0.1:${port} (\`lakekey serve\`, pid ${server.pid}); point a shell at it with \`eval "$(lakekey env ${box.name} --server)"\``,
      ),
      human.stdout,
    );
    const cli = /aws-cli\/(\d+\.\d+\.\d+)/.exec((await run(AWS_V2, ['--version'])).stdout)![1];
    assert.match(
      human.stdout,
      new RegExp(`^(ok|warn)  endpoint clients: .*(AWS CLI |aws-cli/)${cli.replace(/\./g, '\\.')}\\b`, 'm'),
      'the AWS CLI on PATH was asked for its version',
    );
    const json = await box.cli(['doctor', box.name, '--json'], path);
    assert.equal(json.code, 0, json.stderr);
    const results = JSON.parse(json.stdout) as Array<{
      name: string;
      status: string;
      endpoint?: { owner: string; port: number; pid: number; profiles: string[] };
    }>;
    assert.deepEqual(results.find((r) => r.endpoint)?.endpoint, { owner, port, pid: server.pid, profiles: [box.name] });
    assert.equal(results.find((r) => r.name === `${box.name}: credentials endpoint`)?.status, 'ok');
  });

  test('boto3 reads through the token file; sixteen at once on stale credentials make one STS call', async () => {
    await ageS3(box.name, 60); // inside the renewal window: the next ask renews
    const v = await vars();
    const sts = peers.sts.count();
    const py = `import boto3, concurrent.futures as f
def read(_):
    return boto3.session.Session().client("s3").get_object(Bucket="${peers.bucket}", Key="${KEY}")["Body"].read().decode()
with f.ThreadPoolExecutor(16) as ex:
    print(set(ex.map(read, range(16))))`;
    const r = await run(join(VENV, 'bin', 'python'), ['-c', py], {
      env: {
        PATH: process.env.PATH,
        HOME: box.env.HOME,
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        ...v,
      },
    });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), "{'hello from the endpoint'}");
    assert.equal(peers.sts.count() - sts, 1, 'one STS mint for sixteen readers');
    assert.ok((await readRecord(box.name)).s3!.expiresAt > Date.now() + 1800_000);
  });

  test('logout in another shell stops the serving at once', async () => {
    const v = await vars();
    const { readFileSync } = await import('node:fs');
    const ask = () =>
      fetch(v.AWS_CONTAINER_CREDENTIALS_FULL_URI, { headers: { Authorization: readFileSync(v.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8') } });
    assert.equal((await ask()).status, 200);
    const out = await box.cli(['logout', box.name]);
    assert.equal(out.code, 0, out.stderr);
    const after = await ask();
    assert.notEqual(after.status, 200);
    const body = await after.text();
    assert.match(body, /lakekey login/);
  });

  test('SIGTERM stops it and removes what it wrote', async () => {
    const v = await vars();
    const exited = new Promise<number | null>((resolve) => server.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    assert.equal(await exited, 0);
    assert.equal(existsSync(v.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE), false);
    assert.deepEqual(
      readdirSync(box.dir).filter((n) => n.startsWith('endpoint-')),
      [],
    );
    const r = await box.cli(['env', box.name, '--server']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no credentials endpoint is serving profile/);
  });
});
