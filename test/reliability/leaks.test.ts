// Leaks: after a full life cycle — login (by hand and through a browser command), refresh,
// credential-process, env, exec, token, status, doctor, logout — with a profile that gets both
// S3 (MinIO STS, from our ID token) and a lakeFS token, plus a profile whose S3 keys come from
// lakeFS STS, every secret value that exists or existed is collected and searched for in every
// file lakekey could have written, in every CLI output not meant to carry a secret, and in the
// command lines of the suite's own processes during logins. Zero hits. It reads only its own
// process tree and its own folders, never another process on the machine.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import type { SecretRecord } from '../../main/core/keychain/record.js';
import { driveLogin } from '../helpers/browser.js';
import { sampleCommandLines } from '../helpers/command-lines.js';
import { CLI, type CliResult } from '../helpers/cli.js';
import { observeAuthorizeRequests, summary, walkFiles } from '../helpers/reliability-world.js';
import { ageS3, BROWSER_COMMAND, readRecord, sandbox, startPeers, type Peers, type Sandbox } from '../helpers/world.js';
import { startAuthenticator, type Authenticator } from '../peers/authenticator.js';
import { startLakefs, type Lakefs } from '../peers/lakefs.js';
import { LAUNCH, LAUNCH_PAGE } from '../helpers/launch-url.js';

let peers: Peers;
let auth: Authenticator;
let lakefs: Lakefs;
const authorizeSeen = observeAuthorizeRequests();

before(async () => {
  peers = await startPeers();
  auth = await startAuthenticator({ issuer: peers.idp.issuer, clientId: peers.idp.clientId });
  lakefs = await startLakefs({ authenticatorUrl: auth.url });
});
/** This test's own temp folder: every lakekey run here gets it as TMPDIR (exec's files land in it), and all of it is scanned. */
const ownTmp = mkdtempSync(join(tmpdir(), 'lakekey-leaks-tmp-'));
after(async () => {
  rmSync(ownTmp, { recursive: true, force: true });
  await lakefs?.stop();
  await auth?.stop();
  await peers?.stop();
});

/** Commands whose job is to print a secret: their stdout is exempt (their stderr is not). */
const PRINTS_SECRETS = new Set(['credential-process', 'env', 'token']);

interface Output {
  what: string;
  stdout: string;
  stderr: string;
  scanStdout: boolean;
}
const outputs: Output[] = [];

async function cli(box: Sandbox, args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult> {
  const out = await box.cli(args, { TMPDIR: ownTmp, ...extraEnv });
  outputs.push({ what: `lakekey ${args.join(' ')}`, stdout: out.stdout, stderr: out.stderr, scanStdout: !PRINTS_SECRETS.has(args[0]) });
  assert.equal(out.code, 0, `lakekey ${args.join(' ')}: ${out.stderr}`);
  return out;
}

/** `lakekey login --no-browser`: read the printed launch URL, look at where it points without following, finish in the browser. */
async function loginByHand(box: Sandbox): Promise<{ state: string; commandLines: string[] }> {
  const sampler = sampleCommandLines();
  const child = spawn(CLI, ['login', box.name, '--no-browser', '--timeout', '120'], { env: { ...box.env, TMPDIR: ownTmp } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    const deadline = Date.now() + 30_000;
    while (!LAUNCH.test(stderr)) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `login printed no launch URL: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    const launch = LAUNCH.exec(stderr)![0];
    const redirect = await fetch(launch, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    const authorize = redirect.headers.get('location')!;
    const state = new URL(authorize).searchParams.get('state');
    assert.ok(state, 'the authorization request carries a state');
    // The launch path is single-use: the browser continues from where it points, with the cookie it set.
    const [name, value] = (redirect.headers.get('set-cookie') ?? '').split(';')[0].split('=');
    const page = await driveLogin(authorize, { cookies: [{ name, value, url: new URL(launch).origin }] });
    assert.match(page.finalText, /You are logged in/);
    assert.equal(await exited, 0, stderr);
    outputs.push({ what: 'lakekey login --no-browser', stdout, stderr, scanStdout: true });
    return { state, commandLines: sampler.stop() };
  } finally {
    sampler.stop();
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

function recordSecrets(r: SecretRecord): string[] {
  return [r.idp?.refreshToken, r.idp?.idToken, r.lakefs?.token, r.s3?.accessKeyId, r.s3?.secretAccessKey, r.s3?.sessionToken].filter((s): s is string =>
    Boolean(s),
  );
}

test('no secret that ever existed is in any file, log, AWS config, CLI output or process command line', async () => {
  const records: SecretRecord[] = [];
  const printed: string[] = [];
  const keep = async (box: Sandbox) => records.push(await readRecord(box.name));

  // 1. A combined profile (S3 from MinIO STS with our ID token, plus a lakeFS token), logged in by hand.
  const box = await sandbox(peers, { extraArgs: ['--lakefs-endpoint', lakefs.endpoint] });
  const byHand = await loginByHand(box);
  await keep(box);

  // 2. The same profile logged in again through a browser command (LAKEKEY_BROWSER).
  // The sampler's timer is stopped however the login ends, so a failure cannot keep this file running.
  const sampler = sampleCommandLines();
  let browserLines: string[];
  try {
    await cli(box, ['login', box.name], { LAKEKEY_BROWSER: BROWSER_COMMAND });
  } finally {
    browserLines = sampler.stop();
  }
  await keep(box);
  const browserCommand = browserLines.filter((l) => l.includes('/helpers/browser.js '));
  assert.ok(browserCommand.length > 0, 'the sampler saw the browser command line (so the check below is not vacuous)');
  assert.ok(
    browserCommand.every((l) => LAUNCH_PAGE.test(l) && !LAUNCH.test(l)),
    'the browser got the private launch page, never the launch URL itself',
  );

  // 3. Everything a user does with it.
  await cli(box, ['configure-aws', box.name]);
  printed.push((await cli(box, ['credential-process', box.name])).stdout);
  await ageS3(box.name, 60);
  printed.push((await cli(box, ['credential-process', box.name])).stdout); // refresh: rotated refresh token, new keys
  await keep(box);
  printed.push((await cli(box, ['env', box.name])).stdout);
  printed.push((await cli(box, ['env', box.name, '--format', 'json'])).stdout);
  printed.push((await cli(box, ['token', box.name, '--lakefs'])).stdout);
  await cli(box, ['exec', box.name, '--', 'sh', '-c', 'test -n "$LAKECTL_CREDENTIALS_SESSION_TOKEN" && echo exec-ok']);
  await cli(box, ['exec', box.name, '--static', '--', 'sh', '-c', 'test -n "$AWS_SESSION_TOKEN" && echo exec-static-ok']);
  await cli(box, ['exec', box.name, '--', '/usr/bin/aws', 's3', 'ls', `s3://${peers.bucket}`, '--endpoint-url', peers.minio.endpoint]);
  await cli(box, ['status', box.name, '--json']);
  await cli(box, ['status']);
  await cli(box, ['profile', 'show', box.name]);
  await cli(box, ['doctor', box.name]);
  await keep(box);

  // 4. A profile whose S3 keys come from lakeFS STS (the lakeFS peer records what it issued).
  const viaLakefs = await sandbox(peers, { browser: true });
  await cli(viaLakefs, [
    'profile',
    'add',
    viaLakefs.name,
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
  await cli(viaLakefs, ['login', viaLakefs.name]);
  await keep(viaLakefs);
  await ageS3(viaLakefs.name, 60);
  printed.push((await cli(viaLakefs, ['credential-process', viaLakefs.name])).stdout);
  await keep(viaLakefs);

  // 5. Log out of both.
  await cli(box, ['logout', box.name]);
  await cli(viaLakefs, ['logout', viaLakefs.name]);
  assert.equal((await readRecord(box.name)).idp, undefined, 'logged out');

  // Every secret value that exists or existed.
  const secrets = new Set<string>();
  const add = (s: string | undefined | null) => {
    if (s && s.length >= 8) secrets.add(s);
  };
  for (const r of records) recordSecrets(r).forEach(add);
  peers.idp.seenSecrets.forEach(add); // codes, PKCE verifiers, every refresh token presented (rotated ones too)
  for (const c of lakefs.issued) [c.accessKeyId, c.secretAccessKey, c.sessionToken].forEach(add);
  add(byHand.state);
  for (const a of authorizeSeen) [a.state, a.nonce].forEach(add); // every OAuth state and nonce sent to the IdP
  for (const out of printed) {
    for (const m of out.matchAll(
      /(?:"(?:AccessKeyId|SecretAccessKey|SessionToken|AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|LAKECTL_CREDENTIALS_SESSION_TOKEN)":\s*"([^"]+)")|(?:export (?:AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|AWS_SESSION_TOKEN|LAKECTL_CREDENTIALS_SESSION_TOKEN)='([^']+)')/g,
    ))
      add(m[1] ?? m[2]);
  }
  add(printed.find((p) => /^eyJ/.test(p))?.trim());
  const refreshTokens = new Set(records.map((r) => r.idp?.refreshToken).filter(Boolean));
  assert.ok(refreshTokens.size >= 3, `current and rotated refresh tokens are in the scan (${refreshTokens.size})`);
  assert.ok(lakefs.issued.length >= 2, 'lakeFS-issued S3 keys are in the scan');
  assert.ok(authorizeSeen.filter((a) => a.state).length >= 4, 'states of both legs of both combined logins are in the scan');
  assert.ok(
    records.some((r) => r.lakefs?.token),
    'lakeFS tokens are in the scan',
  );

  // The browser command is the user's browser (here Chromium in a profile under TMPDIR, which it
  // inherits from lakekey): its history holds the one-time code, as any browser's would. A
  // login returns as soon as the callback arrives, while the detached browser is still closing
  // (the standalone executable exits sooner than Node did), so wait for it to remove its
  // profile before the scan, which is about what lakekey leaves.
  const browserGone = Date.now() + 60_000;
  while (readdirSync(ownTmp).some((f) => f.startsWith('lakekey-chromium-'))) {
    assert.ok(Date.now() < browserGone, `the test browser did not exit: ${readdirSync(ownTmp).join(', ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }

  // Where to look. The encrypted keyring files (~/.local/share/keyrings/*.keyring) are where the
  // secrets belong: gnome-keyring encrypts them with the keyring password, so a scan of them for
  // plaintext would find nothing either way, and they are the one place secrets may be.
  const keyrings = join(homedir(), '.local', 'share', 'keyrings');
  const files = [
    ...walkFiles(dirname(box.dir)), // settings folder (config.json, lakekey.log, locks), AWS config and its backup
    ...walkFiles(dirname(viaLakefs.dir)),
    ...walkFiles(homedir(), (p) => p === keyrings),
    ...walkFiles(ownTmp), // exec's temporary AWS config and anything else lakekey put in TMPDIR
  ];
  assert.ok(
    files.some((f) => f === join(box.dir, 'lakekey.log')),
    'the log file exists and is scanned',
  );
  assert.ok(
    files.some((f) => f === box.awsConfig),
    'the AWS config file is scanned',
  );

  // Control: the set holds the real values (the exempt stdout of credential-process carries some).
  assert.ok(
    printed.every((p) => [...secrets].some((s) => p.includes(s))),
    'every printed secret is in the scan set',
  );

  const hits: string[] = [];
  const where = (s: string) => `${s.slice(0, 6)}… (${s.length} chars)`;
  for (const file of new Set(files)) {
    const content = readFileSync(file, 'latin1');
    for (const s of secrets) if (content.includes(s)) hits.push(`file ${file}: ${where(s)}`);
  }
  for (const o of outputs) {
    for (const s of secrets) {
      if (o.stderr.includes(s)) hits.push(`stderr of ${o.what}: ${where(s)}`);
      if (o.scanStdout && o.stdout.includes(s)) hits.push(`stdout of ${o.what}: ${where(s)}`);
    }
  }
  const commandLines = [...byHand.commandLines, ...browserLines];
  for (const line of commandLines) for (const s of secrets) if (line.includes(s)) hits.push(`command line "${line.slice(0, 80)}": ${where(s)}`);
  for (const line of commandLines) {
    if (/[?&](state|code)=/.test(line) && /127\.0\.0\.1/.test(line)) hits.push(`command line carries an OAuth parameter: ${line.slice(0, 120)}`);
  }
  assert.deepEqual(hits, [], 'no secret outside the keychain');
  summary('leak scan', secrets.size, 'secrets', `${new Set(files).size} files, ${outputs.length} CLI runs, ${commandLines.length} command lines: 0 hits`);
});
