// lakeFS end to end with the real IdP and browser: against the real lakeFS OSS server (built from source) with the
// remote authenticator and the external auth service stand-in, for everything OSS serves; against the lakeFS stand-in
// (test/peers/lakefs.ts) only for what OSS lacks (S3 credentials from lakeFS STS) and for faults OSS cannot be made to
// answer (429, 500, a body that is not JSON). Every peer is checked against lakeFS's own OpenAPI specs.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, run } from '../helpers/cli.js';
import { ageLakefs, ageS3, readRecord, sandbox, startPeers, vault, type Peers, type Sandbox } from '../helpers/world.js';
import { startAuthenticator, type Authenticator } from '../peers/authenticator.js';
import { lakefsPython, startLakefs, type Lakefs } from '../peers/lakefs.js';
import { startLakefsAuthService, type AuthService } from '../peers/lakefs-auth-service.js';
import { basicAuth, createRepository, lakefsBinaries, startLakefsServer, type LakefsServer } from '../peers/lakefs-server.js';

/** The lakeFS user linked to the IdP's alice (external id = her `sub`, "alice"): not the same name, as in real setups. */
const LAKEFS_USER = 'alice-lakefs';
const REPO = 'example-repo';

let peers: Peers;
let auth: Authenticator;
/** The stand-in for lakeFS Enterprise: only S3 via lakeFS STS and injected faults. */
let lakefs: Lakefs;
let authService: AuthService;
/** The real lakeFS OSS server with the external auth service stand-in. */
let real: LakefsServer;
/** The real lakeFS OSS server as shipped: no external auth service. */
let stock: LakefsServer;
before(async () => {
  lakefsBinaries(); // fail at once, naming the fix, when setup did not build lakeFS
  peers = await startPeers();
  auth = await startAuthenticator({ issuer: peers.idp.issuer, clientId: peers.idp.clientId });
  lakefs = await startLakefs({ authenticatorUrl: auth.url });
  authService = await startLakefsAuthService({ users: [{ username: LAKEFS_USER, externalId: 'alice', email: 'alice@example.com' }] });
  [real, stock] = await Promise.all([
    startLakefsServer({ authenticatorUrl: auth.url, authServiceUrl: authService.url }),
    startLakefsServer({ authenticatorUrl: auth.url }),
  ]);
  await createRepository(real, basicAuth(authService.admin.accessKeyId, authService.admin.secretAccessKey), REPO);
});
after(async () => {
  assert.deepEqual(lakefs?.violations ?? [], [], 'every lakeFS stand-in request and response matched swagger.yml');
  assert.deepEqual(auth?.violations ?? [], [], 'every authenticator call matched authentication.yml');
  assert.deepEqual(authService?.violations ?? [], [], 'every auth service call matched authorization.yml');
  await real?.stop();
  await stock?.stop();
  await authService?.stop();
  await lakefs?.stop();
  await auth?.stop();
  await peers?.stop();
});

/**
 * A sandbox whose profile uses lakeFS (and, unless s3 is false, S3 too), logged in through the browser. The server is
 * the real lakeFS unless `server` names another endpoint.
 */
async function lakefsBox(extraArgs: string[], opts: { s3?: boolean; server?: string } = {}): Promise<Sandbox> {
  const endpoint = opts.server ?? real.endpoint;
  const box = await sandbox(peers, { browser: true, extraArgs: ['--lakefs-endpoint', endpoint, ...extraArgs] });
  if (opts.s3 === false) {
    // Re-add without S3: a lakeFS-only profile.
    const redo = await box.cli([
      'profile',
      'add',
      box.name,
      '--issuer',
      peers.idp.issuer,
      '--client-id',
      peers.idp.clientId,
      '--lakefs-endpoint',
      endpoint,
      ...extraArgs,
      '--force',
    ]);
    assert.equal(redo.code, 0, redo.stderr);
  }
  return box;
}

async function currentUser(token: string, server = real.endpoint): Promise<{ status: number; id?: string }> {
  const res = await fetch(`${server}/api/v1/user`, { headers: { Authorization: `Bearer ${token}` } });
  return { status: res.status, id: res.ok ? ((await res.json()) as { user: { id: string } }).user.id : undefined };
}

/** The claims of a lakeFS token (not verified: the real server verified it when it answered GET /user). */
function claims(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('lakeFS token', () => {
  let box: Sandbox;

  test('login sends the code to lakeFS /sts/login; `token --lakefs` prints a bearer the real lakeFS accepts', async () => {
    box = await lakefsBox(['--lakefs-ttl', '900'], { s3: false });
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, /lakeFS token: valid \d+ (s|min), until \d\d:\d\d local/);
    const token = await box.cli(['token', box.name, '--lakefs']);
    assert.equal(token.code, 0, token.stderr);
    assert.deepEqual(await currentUser(token.stdout.trim()), { status: 200, id: LAKEFS_USER });
    // lakeFS looked the user up by the IdP subject and named the token after its own user.
    assert.equal(authService.externalIdsLookedUp.at(-1), 'alice');
    const jwt = claims(token.stdout.trim());
    assert.equal(jwt.sub, LAKEFS_USER);
    assert.equal(jwt.aud, 'login');
    const record = await readRecord(box.name);
    assert.ok(Math.abs(record.lakefs!.expiresAt - (Date.now() + 900_000)) < 30_000, 'ttl_seconds honoured');
    assert.equal(record.idp?.refreshToken, undefined, 'a lakeFS-only login redeems no code of its own');
    const status = JSON.parse((await box.cli(['status', box.name, '--json'])).stdout)[0];
    assert.ok(status.lakefs.secondsLeft > 800 && status.lakefs.secondsLeft <= 900);
  });

  test('the lakeFS Python SDK calls lakeFS with the token, under exec and through env', async () => {
    const python = lakefsPython();
    const script = 'import lakefs; c = lakefs.Client(); print(c.sdk_client.auth_api.get_current_user().user.id)';
    const calls = authService.counts.userLookups;
    const viaExec = await box.cli(['exec', box.name, '--', python, '-c', script]);
    assert.equal(viaExec.code, 0, viaExec.stderr);
    assert.equal(viaExec.stdout.trim(), LAKEFS_USER);
    const viaEnv = await run('sh', ['-c', `eval "$("$0" env "$1")" && "$2" -c "$3"`, CLI, box.name, python, script], { env: box.env });
    assert.equal(viaEnv.code, 0, viaEnv.stderr);
    assert.equal(viaEnv.stdout.trim(), LAKEFS_USER);
    assert.ok(authService.counts.userLookups - calls >= 2, "the real lakeFS resolved the bearer token's user each time");
    const env = JSON.parse((await box.cli(['env', box.name, '--format', 'json'])).stdout);
    assert.equal(env.LAKECTL_SERVER_ENDPOINT_URL, real.endpoint);
    assert.equal(env.AWS_ACCESS_KEY_ID, undefined, 'a lakeFS-only profile exports no AWS keys');
  });

  test('an expired lakeFS token is never printed or exported; without a browser: exit 3 naming the login', async () => {
    const record = await readRecord(box.name);
    await vault.write(box.name, { ...record, lakefs: { ...record.lakefs!, expiresAt: Date.now() - 1000 } });
    delete box.env.LAKEKEY_BROWSER;
    for (const args of [
      ['token', box.name, '--lakefs'],
      ['env', box.name],
      ['exec', box.name, '--', 'true'],
    ]) {
      const out = await box.cli(args);
      assert.equal(out.code, 3, `${args[0]}: ${out.stderr}`);
      assert.equal(out.stdout, '');
      assert.match(out.stderr, new RegExp(`lakekey login ${box.name}`));
      assert.ok(!out.stderr.includes(record.lakefs!.token));
    }
  });

  test('with a browser, `token` renews an expired lakeFS token through a new login', async () => {
    box.env.LAKEKEY_BROWSER = (await sandbox(peers, { browser: true })).env.LAKEKEY_BROWSER;
    const logins = auth.counts.logins;
    const out = await box.cli(['token', box.name, '--lakefs']);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(auth.counts.logins - logins, 1, 'one new STS login at lakeFS');
    assert.equal((await currentUser(out.stdout.trim())).status, 200);
  });
});

describe('one visit, two grants', () => {
  test('a profile with IdP-sourced S3 and lakeFS gets both from one login page', async () => {
    const box = await lakefsBox([]);
    const before = { ...peers.idp.counts };
    const redeemed = auth.counts.logins;
    const out = await box.cli(['login', box.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(peers.idp.counts.authorizations - before.authorizations, 1, 'the login form was shown once');
    assert.equal(peers.idp.counts.codeGrants - before.codeGrants, 2, "two codes: ours and lakeFS's");
    assert.equal(auth.counts.logins - redeemed, 1, "the remote authenticator redeemed lakeFS's code");
    const record = await readRecord(box.name);
    assert.ok(record.idp?.refreshToken, 'our grant kept a refresh token');
    assert.ok(record.s3, 'S3 credentials from MinIO');
    assert.equal((await currentUser(record.lakefs!.token)).id, LAKEFS_USER);
    const ls = await box.cli(['exec', box.name, '--', '/usr/bin/aws', 's3', 'ls', `s3://${peers.bucket}`, '--endpoint-url', peers.minio.endpoint]);
    assert.equal(ls.code, 0, ls.stderr);
  });
});

describe('unattended S3 jobs on a profile with S3 and lakeFS are not stopped by an expired lakeFS token', () => {
  let box: Sandbox;
  /** The expired lakeFS token: never printed, never exported. */
  let expired: string;
  /** The job: says whether it got a lakeFS token, then lists the bucket with the real AWS CLI. */
  const job = () => [
    'sh',
    '-c',
    'echo "lakefs=${LAKECTL_CREDENTIALS_SESSION_TOKEN:+yes}" && exec "$@"',
    'job',
    '/usr/bin/aws',
    's3',
    'ls',
    `s3://${peers.bucket}`,
    '--endpoint-url',
    peers.minio.endpoint,
  ];
  const lines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('lakekey:'));

  before(async () => {
    box = await lakefsBox([]);
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 0, login.stderr);
    // Unattended from here on: no browser, and runCli gives no terminal (stdin and stderr are pipes).
    delete box.env.LAKEKEY_BROWSER;
  });

  /** An hour on: the lakeFS token has run out, the S3 credentials are due (renewal window). */
  async function anHourLater(): Promise<void> {
    expired = (await ageLakefs(box.name, -60)).lakefs!.token;
    await ageS3(box.name, 120);
  }

  test('`exec --s3`: the job runs with S3 credentials renewed silently, and nothing is said about lakeFS', async () => {
    await anHourLater();
    const sts = peers.sts.count();
    const out = await box.cli(['exec', box.name, '--s3', '--', ...job()]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^lakefs=$/m, 'no lakeFS token handed over');
    assert.deepEqual(lines(out.stderr), []);
    assert.ok(peers.sts.count() > sts, 'S3 renewed at MinIO STS with the refresh token');
    assert.ok((await readRecord(box.name)).s3!.expiresAt > Date.now() + 1800_000);
    assert.ok(!out.stderr.includes(expired));
  });

  test('`status --check --s3` says 0 (S3 renews silently); `--lakefs` and no choice say 3, naming the login and the flag', async () => {
    await anHourLater();
    const s3 = await box.cli(['status', '--check', box.name, '--s3']);
    assert.equal(s3.code, 0, s3.stderr);
    const lakefs = await box.cli(['status', '--check', box.name, '--lakefs']);
    assert.equal(lakefs.code, 3, lakefs.stderr);
    assert.match(lakefs.stderr, /needs a login for lakeFS/);
    const both = await box.cli(['status', '--check', box.name]);
    assert.equal(both.code, 3, both.stderr);
    assert.match(both.stderr, /needs a login for lakeFS[\s\S]*lakekey login [\s\S]*`--s3` checks the other half alone/);
  });

  test('`exec` without a choice, unattended: the job runs with S3; one line names the lakeFS token and the login', async () => {
    await anHourLater();
    const out = await box.cli(['exec', box.name, '--', ...job()]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /^lakefs=$/m);
    const said = lines(out.stderr);
    assert.equal(said.length, 1, out.stderr);
    assert.match(said[0], /^lakekey: handing over S3 only: the lakeFS token expired at \d\d:\d\d local/);
    assert.ok(said[0].includes(`\`lakekey login ${box.name}\``) && said[0].includes('--s3'), said[0]);
    assert.ok(!out.stderr.includes(expired));
  });

  test('`env` without a choice, unattended: prints the S3 part (which works) and one line about lakeFS', async () => {
    await anHourLater();
    const json = await box.cli(['env', box.name, '--format', 'json']);
    assert.equal(json.code, 0, json.stderr);
    const vars = JSON.parse(json.stdout) as Record<string, string>;
    assert.ok(vars.AWS_ACCESS_KEY_ID && vars.AWS_SESSION_TOKEN, 'S3 handed over');
    assert.equal(vars.LAKECTL_CREDENTIALS_SESSION_TOKEN, undefined, 'the expired token is not exported');
    assert.equal(vars.LAKECTL_SERVER_ENDPOINT_URL, undefined);
    assert.equal(lines(json.stderr).length, 1, json.stderr);
    assert.match(json.stderr, new RegExp(`lakeFS token expired .*lakekey login ${box.name}`));
    // What a shell script does with it: the exported keys list the bucket at MinIO.
    const viaSh = await run(
      'sh',
      ['-c', 'eval "$("$0" env "$1")" && /usr/bin/aws s3 ls "s3://$2" --endpoint-url "$3"', CLI, box.name, peers.bucket, peers.minio.endpoint],
      { env: box.env },
    );
    assert.equal(viaSh.code, 0, viaSh.stderr);
    assert.equal(lines(viaSh.stderr).length, 1, viaSh.stderr);
    assert.ok(!json.stdout.includes(expired) && !json.stderr.includes(expired));
  });

  test('asking for lakeFS (`--lakefs`, or both) on the expired token: exit 3 with the login, and the job does not run', async () => {
    await anHourLater();
    for (const args of [
      ['exec', box.name, '--lakefs', '--', 'echo', 'ran'],
      ['exec', box.name, '--s3', '--lakefs', '--', 'echo', 'ran'],
      ['env', box.name, '--lakefs'],
    ]) {
      const out = await box.cli(args);
      assert.equal(out.code, 3, `${args.join(' ')}: ${out.stderr}`);
      assert.equal(out.stdout, '');
      assert.match(out.stderr, new RegExp(`lakekey login ${box.name}`));
      assert.ok(!out.stderr.includes(expired));
    }
  });

  test('`exec` without a choice at a terminal: a person is there, so the login runs and the command gets both', async () => {
    await anHourLater();
    const logins = auth.counts.logins;
    // script(1) gives the run a terminal, as a person typing the command has.
    const command = '"$LK_CLI" exec "$LK_NAME" -- sh -c \'echo "lakefs=${LAKECTL_CREDENTIALS_SESSION_TOKEN:+yes}"\'';
    const env = {
      ...box.env,
      SHELL: '/bin/sh',
      LK_CLI: CLI,
      LK_NAME: box.name,
      LAKEKEY_BROWSER: (await sandbox(peers, { browser: true })).env.LAKEKEY_BROWSER,
    };
    const out = await run('script', ['-qec', command, '/dev/null'], { env });
    assert.equal(out.code, 0, out.stdout + out.stderr);
    assert.match(out.stdout, /lakefs=yes/);
    assert.equal(auth.counts.logins - logins, 1, 'one browser login renewed the lakeFS token');
    assert.ok(!out.stdout.includes('handing over'), out.stdout);
  });

  test('nothing to hand over (the IdP session ended too): exit 3 naming the login, and the job does not run', async () => {
    await anHourLater();
    const record = await ageS3(box.name, -60);
    const { refreshToken: _gone, ...idp } = record.idp!;
    await vault.write(box.name, { ...record, idp: { ...idp, idTokenExpiresAt: Date.now() - 1000 } });
    for (const args of [
      ['exec', box.name, '--', 'echo', 'ran'],
      ['env', box.name],
      ['exec', box.name, '--s3', '--', 'echo', 'ran'],
    ]) {
      const out = await box.cli(args);
      assert.equal(out.code, 3, `${args.join(' ')}: ${out.stderr}`);
      assert.equal(out.stdout, '');
      assert.match(out.stderr, new RegExp(`lakekey login ${box.name}`));
    }
  });
});

describe('S3 through lakeFS', () => {
  test('--s3-token-source lakefs mints S3 credentials at lakeFS STS and re-mints them while the token lives', async () => {
    const box = await sandbox(peers, { browser: true });
    const add = await box.cli([
      'profile',
      'add',
      box.name,
      '--issuer',
      peers.idp.issuer,
      '--client-id',
      peers.idp.clientId,
      '--lakefs-endpoint',
      lakefs.endpoint,
      '--s3-token-source',
      'lakefs',
      '--force',
    ]);
    assert.equal(add.code, 0, add.stderr);
    const sts = lakefs.counts.s3Sts;
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 0, login.stderr);
    assert.equal(lakefs.counts.s3Sts - sts, 1);
    const first = await readRecord(box.name);
    assert.equal(lakefs.issued.at(-1)?.accessKeyId, first.s3?.accessKeyId);
    assert.ok(
      lakefs.stsCalls.every((c) => !c.signed),
      'STS at lakeFS is called unsigned',
    );
    delete box.env.LAKEKEY_BROWSER;
    await vault.write(box.name, { ...first, s3: { ...first.s3!, expiresAt: Date.now() + 60_000 } });
    const idpBefore = { ...peers.idp.counts };
    const out = await box.cli(['credential-process', box.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.notEqual(JSON.parse(out.stdout).AccessKeyId, first.s3!.accessKeyId);
    assert.equal(lakefs.counts.s3Sts - sts, 2);
    assert.deepEqual(peers.idp.counts, idpBefore, 'no IdP round trip: the lakeFS token was enough');
  });
});

describe('lakeFS failures', () => {
  for (const fault of ['429', '500', 'malformed', 'hostile-token'] as const) {
    test(`lakeFS answering ${fault}: exit 5 with a clear message, and the stored session is kept`, async () => {
      // The stand-in: the real server cannot be made to answer these on demand.
      const box = await lakefsBox([], { s3: false, server: lakefs.endpoint });
      assert.equal((await box.cli(['login', box.name])).code, 0);
      const kept = await readRecord(box.name);
      lakefs.setFault(fault);
      try {
        const out = await box.cli(['login', box.name]);
        assert.equal(out.code, 5, out.stderr);
        const expected = {
          '429': /rate limiting/,
          '500': /failed the login \(HTTP 500\)/,
          malformed: /not JSON/,
          'hostile-token': /sent a malformed .*token.*refused it and stored nothing/,
        }[fault];
        assert.match(out.stderr, expected);
        assert.ok(!out.stderr.includes('PWNED'), 'the hostile value is never echoed');
        assert.ok(out.stderr.split('\n')[1]?.trim(), 'a hint on what to do');
      } finally {
        lakefs.setFault('none');
      }
      assert.deepEqual(await readRecord(box.name), kept, 'nothing stored was lost');
    });
  }
});

test("opting in keeps lakectl's token cache in sync (owner-only, and only when asked); real lakectl uses it", async () => {
  const box = await lakefsBox(['--lakectl-cache'], { s3: false });
  const add = await box.cli([
    'profile',
    'add',
    box.name,
    '--issuer',
    peers.idp.issuer,
    '--client-id',
    peers.idp.clientId,
    '--lakefs-endpoint',
    real.endpoint,
    '--lakectl-cache',
    '--force',
  ]);
  assert.match(add.stderr, /PLAINTEXT/);
  assert.equal((await box.cli(['login', box.name])).code, 0);
  const file = join(homedir(), '.lakectl', 'cache', 'lakectl_token_cache.json');
  const cache = JSON.parse(readFileSync(file, 'utf8'));
  const record = await readRecord(box.name);
  assert.equal(cache.token, record.lakefs!.token);
  assert.equal(cache.expiration_time, Math.floor(record.lakefs!.expiresAt / 1000));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  // Real lakectl, with no access key configured, sends the cached token as its bearer.
  const { lakectl } = lakefsBinaries();
  const repos = await box.cli(['exec', box.name, '--', lakectl, 'repo', 'list']);
  assert.equal(repos.code, 0, repos.stderr);
  assert.match(repos.stdout, new RegExp(REPO));
  const identity = await box.cli(['exec', box.name, '--', lakectl, 'identity']);
  assert.equal(identity.code, 0, identity.stderr);
  assert.match(identity.stdout, new RegExp(LAKEFS_USER));
  // Outside lakekey, lakectl with no credentials of its own reads the cache file...
  const bare = {
    ...box.env,
    LAKECTL_CREDENTIALS_SESSION_TOKEN: undefined,
    LAKECTL_CREDENTIALS_ACCESS_KEY_ID: undefined,
    LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY: undefined,
  };
  const config = join(box.dir, 'lakectl.yaml'); // the server only: no credentials of its own
  writeFileSync(config, `server:\n  endpoint_url: ${real.endpoint}/api/v1\n`);
  const lakectlAlone = () => run(lakectl, ['--config', config, 'identity'], { env: bare });
  const cached = await lakectlAlone();
  assert.equal(cached.code, 0, cached.stderr);
  assert.match(cached.stdout, new RegExp(LAKEFS_USER));
  // ...so logout removes it with the session (issue 20), says so, and lakectl is logged out too.
  const out = await box.cli(['logout', box.name]);
  assert.equal(out.code, 0, out.stderr);
  assert.ok(out.stderr.includes(`lakectl's token cache (${file})`), out.stderr);
  assert.equal(existsSync(file), false);
  const gone = await lakectlAlone();
  assert.notEqual(gone.code, 0, gone.stdout);
});

test("logout leaves a lakectl token cache alone when it holds another login's token", async () => {
  const box = await lakefsBox(['--lakectl-cache'], { s3: false });
  assert.equal((await box.cli(['login', box.name])).code, 0);
  const file = join(homedir(), '.lakectl', 'cache', 'lakectl_token_cache.json');
  const foreign = JSON.stringify({ token: 'someone-else', expiration_time: Math.floor(Date.now() / 1000) + 3600 });
  writeFileSync(file, foreign, { mode: 0o600 });
  const out = await box.cli(['logout', box.name]);
  assert.equal(out.code, 0, out.stderr);
  assert.doesNotMatch(out.stderr, /lakectl/);
  assert.equal(readFileSync(file, 'utf8'), foreign);
  rmSync(file);
});

test("`lakectl login` through the plugin link runs the login of the profile for lakectl's server; then real lakectl calls the real lakeFS", async () => {
  const box = await lakefsBox([], { s3: false });
  const { lakectl } = lakefsBinaries();
  // lakectl finds its plugin on PATH by name: a link named lakectl-login to the lakekey executable.
  const root = mkdtempSync(join(tmpdir(), 'lakectl-plugin-'));
  const [bin, home] = [join(root, 'bin'), join(root, 'home')];
  mkdirSync(bin);
  mkdirSync(home);
  symlinkSync(CLI, join(bin, 'lakectl-login'));
  // lakectl's own configuration, as `lakectl config` writes it: the server, no access key.
  writeFileSync(join(home, '.lakectl.yaml'), `credentials:\n  access_key_id: ""\n  secret_access_key: ""\nserver:\n  endpoint_url: ${real.endpoint}/api/v1\n`);
  const env: NodeJS.ProcessEnv = { ...box.env, HOME: home, PATH: `${bin}${delimiter}${process.env.PATH}` };
  for (const k of Object.keys(env)) if (k.startsWith('LAKECTL_')) delete env[k];
  const lakectlRun = (args: string[], extra: NodeJS.ProcessEnv = {}) => run(lakectl, args, { env: { ...env, ...extra } });
  const cache = join(home, '.lakectl', 'cache', 'lakectl_token_cache.json');

  // The profile keeps no lakectl cache: nothing happens, and lakekey says exactly what to do (with the warning).
  const logins = auth.counts.logins;
  const refused = await lakectlRun(['login']);
  assert.equal(refused.code, 2, refused.stderr);
  assert.ok(refused.stderr.includes(`lakekey profile set ${box.name} --lakectl-cache`), refused.stderr);
  assert.match(refused.stderr, /PLAINTEXT/);
  assert.equal(auth.counts.logins, logins, 'no browser login was started');
  assert.equal(existsSync(cache), false);
  assert.equal((await box.cli(['profile', 'set', box.name, '--lakectl-cache'])).code, 0);
  const before = await lakectlRun(['repo', 'list']);
  assert.notEqual(before.code, 0, `lakectl is not logged in yet: ${before.stdout}`);

  const login = await lakectlRun(['login']);
  assert.equal(login.code, 0, login.stderr);
  assert.match(login.stderr, new RegExp(`logging in with profile "${box.name}"`));
  assert.match(login.stderr, new RegExp(`lakectl can call lakeFS as ${LAKEFS_USER} until \\d\\d:\\d\\d`));
  assert.equal(JSON.parse(readFileSync(cache, 'utf8')).token, (await readRecord(box.name)).lakefs!.token);
  const repos = await lakectlRun(['repo', 'list']);
  assert.equal(repos.code, 0, repos.stderr);
  assert.match(repos.stdout, new RegExp(REPO));
  const identity = await lakectlRun(['identity']);
  assert.equal(identity.code, 0, identity.stderr);
  assert.match(identity.stdout, new RegExp(LAKEFS_USER));

  // Two profiles for lakectl's server: exit 2 naming both; `--profile` (passed through by lakectl) chooses.
  const twin = await box.cli([
    'profile',
    'add',
    'twin',
    '--issuer',
    peers.idp.issuer,
    '--client-id',
    peers.idp.clientId,
    '--lakefs-endpoint',
    `${real.endpoint}/`,
  ]);
  assert.equal(twin.code, 0, twin.stderr);
  const several = await lakectlRun(['login']);
  assert.equal(several.code, 2, several.stderr);
  assert.match(several.stderr, new RegExp(`2 lakekey profiles log in to lakectl's server .*: ${box.name}, twin`));
  assert.match(several.stderr, new RegExp(`lakectl login --profile ${box.name}`));
  const chosen = await lakectlRun(['login', '--profile', box.name]);
  assert.equal(chosen.code, 0, chosen.stderr);
  // Another server for lakectl (its variable wins over its file): no profile matches, exit 2 naming it.
  const elsewhere = await lakectlRun(['login'], { LAKECTL_SERVER_ENDPOINT_URL: stock.endpoint });
  assert.equal(elsewhere.code, 2, elsewhere.stderr);
  assert.ok(elsewhere.stderr.includes(`no lakekey profile logs in to lakectl's server ${stock.endpoint} (LAKECTL_SERVER_ENDPOINT_URL)`), elsewhere.stderr);
  // An access key in lakectl's configuration would win over any login: refused before the browser.
  const keyed = await lakectlRun(['login', '--profile', box.name], { LAKECTL_CREDENTIALS_ACCESS_KEY_ID: 'AKIAEXAMPLE' });
  assert.equal(keyed.code, 2, keyed.stderr);
  assert.match(keyed.stderr, /lakectl is configured with an access key \(LAKECTL_CREDENTIALS_ACCESS_KEY_ID\)/);
  rmSync(root, { recursive: true, force: true });
});

describe('the real lakeFS refuses', () => {
  test('an IdP user with no lakeFS user: exit 5 saying lakeFS has no user for the identity (404)', async () => {
    const linked = authService.users.get(LAKEFS_USER)!;
    authService.users.delete(LAKEFS_USER);
    try {
      const box = await lakefsBox([], { s3: false });
      const out = await box.cli(['login', box.name]);
      assert.equal(out.code, 5, out.stderr);
      assert.match(out.stderr, /has no user for your IdP identity \(HTTP 404\)/);
      assert.match(out.stderr, /admin to create a lakeFS user linked to that external id/);
      assert.equal(authService.externalIdsLookedUp.at(-1), 'alice');
    } finally {
      authService.users.set(LAKEFS_USER, linked);
    }
  });

  test('stock lakeFS OSS (no external auth service): exit 5 saying it does not offer STS login (501)', async () => {
    const box = await lakefsBox([], { s3: false, server: stock.endpoint });
    const redeemed = auth.counts.logins;
    const out = await box.cli(['login', box.name]);
    assert.equal(out.code, 5, out.stderr);
    assert.match(out.stderr, /does not offer STS login \(HTTP 501\)/);
    assert.match(out.stderr, /auth\.api\.endpoint/);
    assert.equal(auth.counts.logins - redeemed, 1, 'the authenticator accepted the code before lakeFS gave up');
  });

  test('a code the remote authenticator refuses: exit 5 saying lakeFS refused the login (401)', async () => {
    const box = await lakefsBox([], { s3: false });
    auth.setMode('401');
    try {
      const out = await box.cli(['login', box.name]);
      assert.equal(out.code, 5, out.stderr);
      assert.match(out.stderr, /refused the login \(HTTP 401\)/);
    } finally {
      auth.setMode('ok');
    }
  });
});
