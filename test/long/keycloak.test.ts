// `npm run test:long` only (scripts/run-tests.mjs collects test/long/ under LAKEKEY_LONG=1): the
// whole CLI flow against a real Keycloak 26.4.7 — set up as README's Keycloak section says — and a
// real MinIO trusting it: browser login, silent refresh with a rotated refresh token, device login
// (PKCE S256, which Keycloak requires of a "PKCE required" client), logout with revocation, and
// `aws s3` through credential_process with STS credentials minted from Keycloak's ID token.
// A missing Keycloak that cannot be fetched fails the suite (startKeycloak throws); it never skips.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { discover, refresh } from '../../main/core/login/oidc.js';
import { allOutput, CLI, REPO, run, runCli, walkFiles, type CliResult } from '../helpers/cli.js';
import { driveKeycloakLogin } from '../helpers/keycloak-browser.js';
import { ageS3, parseCredentials, readRecord } from '../helpers/world.js';
import { startKeycloak, type Keycloak } from '../peers/keycloak.js';
import { createBucket, startMinio, type Minio } from '../peers/minio.js';
import { idpHttp } from '../helpers/net.js';

const AWS = '/usr/bin/aws';
const KC_BROWSER = `"${process.execPath}" "${join(REPO, 'dist', 'test', 'helpers', 'keycloak-browser.js')}"`;

let kc: Keycloak;
let minio: Minio;
const bucket = `lakekey-kc-${Date.now()}`;

before(async () => {
  kc = await startKeycloak();
  process.stdout.write(`keycloak: ready ${kc.startSeconds} s after spawn (dev mode, in-memory database)\n`);
  minio = await startMinio({ issuer: kc.issuer, clientId: kc.clientId });
  await createBucket(minio, bucket);
});
after(async () => {
  await minio?.stop();
  await kc?.stop();
});

interface Box {
  name: string;
  root: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[]): Promise<CliResult>;
}

let counter = 0;
async function box(): Promise<Box> {
  const name = `kc${process.pid}-${++counter}`;
  const root = mkdtempSync(join(tmpdir(), 'lakekey-kc-'));
  writeFileSync(join(root, 'aws-credentials'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LAKEKEY_CONFIG_DIR: join(root, 'lakekey'),
    AWS_CONFIG_FILE: join(root, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    // A JVM on a loaded 2-core machine: give Keycloak time to answer.
    LAKEKEY_HTTP_TIMEOUT_SECONDS: '60',
    LAKEKEY_BROWSER: KC_BROWSER,
    LAKEKEY_TEST_KC_USER: kc.username,
    LAKEKEY_TEST_KC_PASSWORD: kc.password,
  };
  const b: Box = { name, root, env, cli: (args) => runCli(args, { env, timeoutMs: 600_000 }) };
  const add = await b.cli([
    'profile',
    'add',
    name,
    '--issuer',
    kc.issuer,
    '--client-id',
    kc.clientId,
    '--s3-sts-endpoint',
    minio.endpoint,
    '--s3-region',
    'us-east-1',
  ]);
  assert.equal(add.code, 0, add.stderr);
  return b;
}

function jwtParts(token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } {
  const [h, p] = token.split('.');
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()) };
}

describe('Keycloak: browser login, refresh, MinIO STS, logout', () => {
  let b: Box;

  test('login in the browser (Keycloak login form) stores a session and MinIO credentials', async () => {
    b = await box();
    const login = await b.cli(['login', b.name, '--timeout', '600']);
    assert.equal(login.code, 0, `${login.stderr}\n${kc.output().slice(-2000)}`);
    assert.match(login.stderr, new RegExp(`Logged in to profile .* as ${kc.email}`));
    const record = await readRecord(b.name);
    assert.ok(record.idp?.refreshToken, 'refresh token kept (offline_access)');
    const id = jwtParts(record.idp!.idToken!);
    assert.equal(id.header.alg, 'RS256');
    assert.equal(id.payload.iss, kc.issuer);
    assert.equal(id.payload.azp, kc.clientId);
    assert.ok(
      id.payload.aud === kc.clientId || (Array.isArray(id.payload.aud) && id.payload.aud.includes(kc.clientId)),
      `aud ${JSON.stringify(id.payload.aud)}`,
    );
    assert.equal(id.payload.policy, 'readwrite', 'the claim MinIO reads');
    const refreshClaims = jwtParts(record.idp!.refreshToken!).payload;
    assert.equal(refreshClaims.typ, 'Offline', "an offline token: the session outlives Keycloak's SSO idle timeout");
    assert.ok(record.s3 && record.s3.expiresAt - Date.now() > 3000_000, 'S3 credentials for about an hour');
  });

  test('configure-aws: aws s3 cp and ls through credential_process reach MinIO with Keycloak-minted credentials', async () => {
    const conf = await b.cli(['configure-aws', b.name]);
    assert.equal(conf.code, 0, conf.stderr);
    const file = join(b.root, 'hello.txt');
    writeFileSync(file, 'hello from keycloak\n');
    const env = { ...b.env, LAKEKEY_BROWSER: undefined };
    const cp = await run(AWS, ['s3', 'cp', file, `s3://${bucket}/hello.txt`, '--endpoint-url', minio.endpoint, '--profile', b.name], { env });
    assert.equal(cp.code, 0, cp.stderr);
    const ls = await run(AWS, ['s3', 'ls', `s3://${bucket}`, '--endpoint-url', minio.endpoint, '--profile', b.name], { env });
    assert.equal(ls.code, 0, ls.stderr);
    assert.match(ls.stdout, /hello\.txt/);
  });

  test('silent refresh: aged credentials are re-minted through the rotated refresh token, no browser', async () => {
    const old = await ageS3(b.name, 60);
    const out = await runCli(['credential-process', b.name], { env: { ...b.env, LAKEKEY_BROWSER: undefined }, timeoutMs: 300_000 });
    assert.equal(out.code, 0, out.stderr);
    const creds = parseCredentials(out.stdout);
    assert.notEqual(creds.AccessKeyId, old.s3!.accessKeyId, 'new STS credentials');
    const after = await readRecord(b.name);
    assert.notEqual(after.idp!.refreshToken, old.idp!.refreshToken, 'Keycloak rotated the refresh token and lakekey stored the new one');
    // …and the stored one works for the next renewal (rotated again).
    const second = await ageS3(b.name, 60);
    const again = await runCli(['credential-process', b.name], { env: { ...b.env, LAKEKEY_BROWSER: undefined }, timeoutMs: 300_000 });
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual((await readRecord(b.name)).idp!.refreshToken, second.idp!.refreshToken);
  });

  test('logout revokes the session at Keycloak: the refresh token is dead there', async () => {
    const token = (await readRecord(b.name)).idp!.refreshToken!;
    const out = await b.cli(['logout', b.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /the session was revoked at the identity provider/);
    assert.equal((await readRecord(b.name)).idp, undefined);
    const config = await discover({ issuer: kc.issuer, clientId: kc.clientId }, undefined, idpHttp());
    await assert.rejects(refresh(config, token), /invalid_grant/);
  });

  test('no token or password appears in any file or CLI output', () => {
    const files = walkFiles(b.root);
    assert.ok(
      files.some((f) => f.endsWith('lakekey.log')),
      'the log file exists and is scanned',
    );
    for (const file of files) assert.ok(!readFileSync(file, 'latin1').includes(kc.password), `the password leaked into ${file}`);
    for (const out of allOutput) assert.ok(!out.includes(kc.password) && !/eyJ[\w-]{20,}\.eyJ/.test(out), 'a secret leaked into CLI output');
  });
});

describe('Keycloak: device login', () => {
  test('Keycloak refuses a device authorization request without PKCE for this client (why lakekey sends S256)', async () => {
    const meta = (await (await fetch(`${kc.issuer}/.well-known/openid-configuration`)).json()) as { device_authorization_endpoint: string };
    const res = await fetch(meta.device_authorization_endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: kc.clientId, scope: 'openid' }).toString(),
    });
    assert.equal(res.status, 400);
    assert.match(await res.text(), /Missing parameter: code_challenge_method/);
  });

  test('login --device (PKCE S256 on the device request) finishes in a browser and gets MinIO credentials', async () => {
    const b = await box();
    const child = spawn(CLI, ['login', b.name, '--device', '--timeout', '600'], {
      env: { ...b.env, LAKEKEY_BROWSER: undefined },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((r) => child.on('close', r));
    const deadline = Date.now() + 120_000;
    let match: RegExpExecArray | null = null;
    while (!(match = /or open (http\S+user_code=\S+)/.exec(output)) && child.exitCode === null && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 100));
    if (!match) {
      child.kill('SIGKILL');
      await exited;
      assert.fail(`no device URL (Keycloak refused the device authorization request?): ${output}`);
    }
    const page = await driveKeycloakLogin(match[1].replace(/\r$/, ''), { device: true, user: kc.username, password: kc.password });
    assert.ok(page.submitted.includes('login'), "signed in on Keycloak's form");
    assert.equal(await exited, 0, output);
    const record = await readRecord(b.name);
    assert.equal(record.idp?.email, kc.email);
    assert.ok(record.idp?.refreshToken, 'a refresh token, so later renewals stay silent');
    assert.ok(record.s3 && record.s3.expiresAt > Date.now() + 3000_000, 'MinIO STS credentials');
    // The realm revokes refresh tokens on use: after a renewal the old one is refused (and Keycloak's
    // reuse detection then ends the session), so storing each rotated token is what keeps users in.
    const old = await ageS3(b.name, 60);
    const renewed = await runCli(['credential-process', b.name], { env: { ...b.env, LAKEKEY_BROWSER: undefined }, timeoutMs: 300_000 });
    assert.equal(renewed.code, 0, renewed.stderr);
    assert.notEqual((await readRecord(b.name)).idp!.refreshToken, old.idp!.refreshToken, 'rotated');
    const config = await discover({ issuer: kc.issuer, clientId: kc.clientId }, undefined, idpHttp());
    await assert.rejects(refresh(config, old.idp!.refreshToken!), /invalid_grant/);
  });
});
