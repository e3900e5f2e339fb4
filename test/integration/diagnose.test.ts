// core/usecases/diagnose.ts, the checks behind `lakekey doctor` and the tray window's Check: structured
// results (name, ok/warn/fail, words, fix) against a real IdP and the real keychain, every
// request through the fetch the caller passes, and outside text redacted to one line.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { InstalledClients } from '../../main/core/config/client-versions.js';
import { diagnose, exitCodeOf, type CheckResult, type DiagnoseDeps } from '../../main/core/usecases/diagnose.js';
import { registerEndpoint } from '../../main/core/endpoint/registry.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { freePort } from '../helpers/peer-process.js';
import { startIdp, type Idp } from '../peers/idp.js';
import { fetchWithin } from '../helpers/net.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp?.stop();
});

const vault = new Vault(osKeychainStore({ timeoutMs: 10_000 }));

/** diagnose over this file's keychain, the wall clock and a 5 s fetch, for a settings folder and environment. */
function diagnoseIn(dir: string, env: NodeJS.ProcessEnv, more: Partial<DiagnoseDeps> = {}): Promise<CheckResult[]> {
  return diagnose({ platform: process.platform, dir, vault, clock: { now: () => Date.now() }, fetch: fetchWithin(5000), env, ...more });
}

function world(profiles: Record<string, unknown>) {
  const root = mkdtempSync(join(tmpdir(), 'lakekey-diagnose-'));
  const dir = join(root, 'lakekey');
  mkdirSync(dir, { mode: 0o700 });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ version: 1, profiles }));
  const env = { AWS_CONFIG_FILE: join(root, 'aws-config'), AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-credentials') };
  return { root, dir, env };
}

test('each check is a result with words and, when it fails, a fix and an exit code; the fetch passed is the one used', async () => {
  const { dir, env } = world({ w: { issuer: idp.issuer, clientId: idp.clientId, s3: { stsEndpoint: 'http://127.0.0.1:9', region: 'us-east-1' } } });
  const asked: string[] = [];
  const fetch: typeof globalThis.fetch = (input, init) => {
    asked.push(String(input instanceof Request ? input.url : input));
    return fetchWithin(5000)(input, init);
  };
  const streamed: CheckResult[] = [];
  const results = await diagnose(
    { platform: process.platform, dir, vault, clock: { now: () => Date.now() }, fetch, env, clients: async () => ({}) },
    { onResult: (r) => streamed.push(r) },
  );
  assert.deepEqual(streamed, results, 'onResult sees every result, in order');
  const by = Object.fromEntries(results.map((r) => [r.name, r]));
  assert.equal(by.settings.status, 'ok');
  assert.equal(by.keychain.status, 'ok');
  assert.match(by['w: identity provider'].words, /^Discovery works: issuer \S+, \d+ signing keys?/);
  assert.equal(by['w: clock'].status, 'ok');
  assert.deepEqual([by['w: STS'].status, by['w: STS'].code, by['w: STS'].exitCode], ['fail', 'STS_UNREACHABLE', 5]);
  assert.match(by['w: AWS config'].fix ?? '', /lakekey configure-aws w/);
  assert.deepEqual([by['w: session'].status, by['w: session'].exitCode], ['fail', 3]);
  assert.equal(exitCodeOf(results), 5, 'the first failure decides');
  assert.ok(
    asked.some((u) => u.startsWith('http://127.0.0.1:9')) && asked.some((u) => u.startsWith(idp.issuer)),
    `requests went through the fetch passed: ${asked.join(' ')}`,
  );
  // eslint-disable-next-line no-control-regex -- the escape sequence is what is checked
  for (const r of results) assert.doesNotMatch(r.words, /[\n\r\x1b]/, `${r.name}: one plain line`);
  assert.ok(results.every((r) => r.profile === undefined || r.profile === 'w'));
});

test('unreadable settings: one failed result with the fix, and nothing else is checked', async () => {
  const { dir, env } = world({});
  writeFileSync(join(dir, 'config.json'), '{ not json');
  const results = await diagnoseIn(dir, env);
  assert.equal(results.length, 1);
  assert.deepEqual([results[0].name, results[0].status, results[0].exitCode], ['settings', 'fail', 2]);
  assert.match(results[0].fix ?? '', /move it aside/);
});

test("outside text in a failure is redacted: a token in a server's error never reaches the words", async () => {
  const { dir, env } = world({ w: { issuer: idp.issuer, clientId: idp.clientId, lakefs: { endpoint: 'http://127.0.0.1:9' } } });
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
  const fetch: typeof globalThis.fetch = async (input, init) => {
    if (String(input).startsWith('http://127.0.0.1:9')) throw new TypeError(`refused, token=${jwt}\n\x1b[31mred`);
    return fetchWithin(5000)(input, init);
  };
  const results = await diagnoseIn(dir, env, { fetch });
  const lakefs = results.find((r) => r.name === 'w: lakeFS')!;
  assert.equal(lakefs.status, 'fail');
  assert.ok(!lakefs.words.includes(jwt), lakefs.words);
  // eslint-disable-next-line no-control-regex -- the escape sequence is what is checked
  assert.doesNotMatch(lakefs.words, /[\n\x1b]/);
});

test("the clock is read from the IdP's discovery answer: off by minutes fails, and when discovery failed it is not checked (skip, with why)", async () => {
  // A real IdP, and this computer's clock five minutes ahead of it.
  const { dir, env } = world({ w: { issuer: idp.issuer, clientId: idp.clientId } });
  const ahead = await diagnoseIn(dir, env, { clock: { now: () => Date.now() + 300_000 } });
  const skewed = ahead.find((r) => r.name === 'w: clock')!;
  assert.deepEqual([skewed.status, skewed.exitCode], ['fail', 2]);
  assert.match(skewed.words, /^this computer's clock is 30\d s ahead of the IdP's$/);
  assert.match(skewed.fix ?? '', /time sync/);
  // Something that answers (with a Date header, as every HTTP server sends) but is no IdP, and nothing at all.
  const notIdp = createServer((_req, res) => res.writeHead(404).end());
  await new Promise<void>((r) => notIdp.listen(0, '127.0.0.1', () => r()));
  try {
    const issuers = [`http://127.0.0.1:${(notIdp.address() as AddressInfo).port}/realms/x`, `http://127.0.0.1:${await freePort()}`];
    for (const issuer of issuers) {
      const { dir: d, env: e } = world({ v: { issuer, clientId: 'lakekey' } });
      const results = await diagnoseIn(d, e);
      const by = Object.fromEntries(results.map((r) => [r.name, r]));
      assert.equal(by['v: identity provider'].status, 'fail', issuer);
      assert.deepEqual(
        { status: by['v: clock'].status, words: by['v: clock'].words },
        {
          status: 'skip',
          words: 'not checked: it is compared with the identity provider\'s clock, and discovery failed (see "v: identity provider")',
        },
        issuer,
      );
      assert.equal(by['v: clock'].exitCode, undefined, 'a skipped check decides no exit code');
      assert.equal(exitCodeOf(results), by['v: identity provider'].exitCode, "the IdP's failure decides");
    }
  } finally {
    notIdp.close();
  }
});

test("no AWS profile for an S3 profile is information (env and exec need none) with the command to add one; another program's [profile] is a failure", async () => {
  const sts = `http://127.0.0.1:${await freePort()}`; // nothing listens there
  const { dir, env } = world({ w: { issuer: idp.issuer, clientId: idp.clientId, s3: { stsEndpoint: sts, region: 'us-east-1' } } });
  const check = async () => {
    const results = await diagnoseIn(dir, env, { clients: async () => ({}) });
    return { results, by: Object.fromEntries(results.map((r) => [r.name, r])) };
  };
  // No AWS config file at all, then one with only the user's other profiles.
  for (const text of [undefined, '[default]\nregion = eu-west-1\n\n[profile other]\nregion = eu-west-1\n']) {
    if (text !== undefined) writeFileSync(env.AWS_CONFIG_FILE, text);
    const { results, by } = await check();
    const aws = by['w: AWS config'];
    assert.equal(aws.status, 'info');
    assert.equal(
      aws.words,
      `no AWS profile in ${env.AWS_CONFIG_FILE} uses lakekey for "w": fine for \`lakekey env\` and \`lakekey exec\`; AWS tools and SDKs given --profile w need one`,
    );
    assert.equal(aws.fix, 'To add [profile w]: `lakekey configure-aws w`.');
    assert.equal(aws.exitCode, undefined);
    assert.equal(by['w: S3 endpoint'].status, 'skip', 'the endpoint of no AWS profile is not checked');
    // Only the session (nobody logged in) and the STS (nothing listens) fail.
    assert.deepEqual(
      results
        .filter((r) => r.status === 'fail')
        .map((r) => r.name)
        .sort(),
      ['w: STS', 'w: session'],
    );
  }
  // Wired under another AWS profile name (configure-aws --aws-profile data): found by its credential_process.
  writeFileSync(env.AWS_CONFIG_FILE, `[profile data]\ncredential_process = "/opt/lakekey/lakekey" credential-process w\nendpoint_url = ${sts}\n`);
  const wired = (await check()).by;
  assert.deepEqual(
    [wired['w: AWS config'].status, wired['w: AWS config'].words],
    ['ok', `${env.AWS_CONFIG_FILE} [profile data] uses lakekey; no static keys shadow it`],
  );
  assert.equal(wired['w: S3 endpoint'].status, 'ok');
  // [profile w] that runs something else: AWS tools given --profile w get other credentials.
  writeFileSync(env.AWS_CONFIG_FILE, '[profile w]\ncredential_process = /usr/local/bin/other-helper w\n');
  const other = (await check()).by['w: AWS config'];
  assert.deepEqual([other.status, other.exitCode], ['fail', 2]);
  assert.match(other.words, /\[profile w\] has a credential_process that does not run lakekey for "w"/);
});

test('stale parts of a stored session: a lakeFS token from another endpoint needs a browser login, and so do S3 credentials made from it', async () => {
  const lakefs = `http://127.0.0.1:${await freePort()}`;
  const sts = `http://127.0.0.1:${await freePort()}`;
  const name = `stale${process.pid}`;
  const { dir, env } = world({
    [name]: { issuer: idp.issuer, clientId: idp.clientId, lakefs: { endpoint: lakefs }, s3: { stsEndpoint: sts, region: 'us-east-1', tokenSource: 'lakefs' } },
  });
  const now = Date.now();
  const old = 'http://127.0.0.1:1/old-lakefs';
  await vault.write(name, {
    v: 1,
    updatedAt: now,
    idp: { subject: 'alice', minted: { issuer: idp.issuer, clientId: idp.clientId, scopes: ['openid', 'email', 'profile', 'offline_access'] } },
    lakefs: { token: 'x.y.z', expiresAt: now + 3_600_000, minted: { endpoint: old } },
    s3: {
      accessKeyId: 'AKIA',
      secretAccessKey: 's',
      sessionToken: 't',
      expiresAt: now + 3_600_000,
      minted: { stsEndpoint: sts, roleArn: null, region: 'us-east-1', durationSeconds: 3600, tokenSource: 'lakefs', source: old },
    },
  });
  try {
    const results = await diagnoseIn(dir, env, { clients: async () => ({}) });
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    assert.equal(by[`${name}: session`].status, 'ok', by[`${name}: session`].words);
    assert.deepEqual(
      [by[`${name}: lakeFS token`].status, by[`${name}: lakeFS token`].words],
      ['warn', 'issued before --lakefs-endpoint changed, so it is no longer used; a new one needs a browser login (lakeFS tokens are renewed only that way)'],
    );
    assert.match(by[`${name}: lakeFS token`].fix ?? '', new RegExp(`^Run \`lakekey login ${name}\``));
    assert.deepEqual(
      [by[`${name}: S3 credentials`].status, by[`${name}: S3 credentials`].words],
      ['warn', 'minted before --lakefs-endpoint changed, so they are no longer handed out; new ones need a browser login, for a new lakeFS token'],
    );
  } finally {
    await vault.remove(name).catch(() => undefined);
  }
});

describe('the credentials endpoint', () => {
  const NEW = { aws: 'aws-cli/2.15.0 Python/3.11.6 Linux/6.1.0 exe/x86_64.debian.12', botocore: '1.34.50' };
  const DEBIAN = { aws: 'aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0-18-amd64 source/x86_64.debian.12 prompt/off', botocore: '1.29.27' };
  /** Clients as injected versions, counting how often doctor asked. */
  function clients(versions: InstalledClients) {
    const asked = { count: 0 };
    return { asked, clients: async () => (asked.count++, versions) };
  }
  function s3(extra: Record<string, unknown> = {}) {
    return { issuer: idp.issuer, clientId: idp.clientId, s3: { stsEndpoint: 'http://127.0.0.1:9', region: 'us-east-1' }, ...extra };
  }
  /** A pid no process has any more. */
  function deadPid(): number {
    const r = spawnSync(process.execPath, ['-e', '0']);
    assert.equal(r.status, 0);
    return r.pid;
  }
  const about = (results: CheckResult[]) => results.filter((r) => /credentials endpoint|endpoint clients/.test(r.name));

  test('each running endpoint is listed with its owner, port, pid and profiles; one whose process is gone is never shown, and is swept', async () => {
    const { dir, env } = world({ w: s3({ endpoint: true }), v: s3(), x: { issuer: idp.issuer, clientId: idp.clientId } });
    const tray = registerEndpoint(dir, 'tray', { port: 43210, profiles: ['w'], token: 'tray-token' });
    const dead = deadPid();
    registerEndpoint(dir, `serve-${dead}`, { port: 43211, profiles: ['v'], token: 'dead-token', pid: dead });
    try {
      const { clients: c } = clients(NEW);
      const results = await diagnoseIn(dir, env, { clients: c });
      const by = Object.fromEntries(results.map((r) => [r.name, r]));
      assert.deepEqual(
        about(results).map((r) => r.name),
        ['credentials endpoint (tray)', 'endpoint clients', 'w: credentials endpoint', 'v: credentials endpoint'],
        'no line for the dead one, none for a profile without S3',
      );
      assert.deepEqual(by['credentials endpoint (tray)'], {
        name: 'credentials endpoint (tray)',
        status: 'ok',
        words: `the tray, pid ${process.pid}, on 127.0.0.1:43210: serves "w"`,
        endpoint: { owner: 'tray', port: 43210, pid: process.pid, profiles: ['w'] },
      });
      assert.ok(!results.some((r) => /43211|serve-/.test(`${r.name} ${r.words} ${r.fix ?? ''}`)), "the dead process's endpoint appears nowhere");
      assert.deepEqual(
        readdirSync(dir)
          .filter((n) => n.startsWith('endpoint-'))
          .sort(),
        ['endpoint-tray.json', 'endpoint-tray.token'],
        'its files are swept',
      );
      assert.deepEqual(
        [by['w: credentials endpoint'].status, by['w: credentials endpoint'].words],
        ['ok', 'served on 127.0.0.1:43210 (the tray); point a shell at it with `eval "$(lakekey env w --server)"`'],
      );
      // Another S3 profile while an endpoint runs: not served, which is information with how to serve it.
      const v = by['v: credentials endpoint'];
      assert.deepEqual([v.status, v.words, v.exitCode], ['info', 'no running credentials endpoint serves it', undefined]);
      assert.match(v.fix ?? '', /lakekey profile set v --endpoint.*`lakekey serve v`.*`lakekey exec v --server -- COMMAND`/);
      assert.equal(by['x: credentials endpoint'], undefined);
      assert.deepEqual(
        [by['endpoint clients'].status, by['endpoint clients'].words],
        ['ok', "AWS CLI 2.15.0 and python3's botocore 1.34.50 read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"],
      );
    } finally {
      tray.remove();
    }
  });

  test('clients too old for the token file are a warning with what to do; asked once per run, though the S3 endpoint check asks too', async () => {
    const { dir, env } = world({ w: s3({ endpoint: true }) });
    // A wired AWS profile, so the endpoint_url check wants the versions as well.
    writeFileSync(env.AWS_CONFIG_FILE, '[profile w]\ncredential_process = lakekey credential-process w\nendpoint_url = http://127.0.0.1:9\n');
    const { asked, clients: c } = clients(DEBIAN);
    const results = await diagnoseIn(dir, env, { clients: c });
    assert.equal(asked.count, 1);
    const by = Object.fromEntries(results.map((r) => [r.name, r]));
    const old = by['endpoint clients'];
    assert.equal(old.status, 'warn');
    assert.equal(old.exitCode, undefined, 'a warning decides no exit code');
    assert.equal(
      old.words,
      "the AWS CLI on PATH (aws-cli/2.9.19) and python3's botocore 1.29.27 (boto3, s3fs) read only AWS_CONTAINER_AUTHORIZATION_TOKEN, not the AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE that the tray and `lakekey env NAME --server` hand out (needs AWS CLI v2 ≥ 2.15.0 / botocore ≥ 1.32.0)",
    );
    assert.equal(
      old.fix,
      'Upgrade them, or run the job under `lakekey exec w --server -- COMMAND` (which passes the token itself), or after `eval "$(lakekey env w --server)"` also `export AWS_CONTAINER_AUTHORIZATION_TOKEN="$(cat "$AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")"`.',
    );
    assert.equal(by['w: S3 endpoint'].status, 'warn', 'the same versions decide endpoint_url');
    // The tray is to serve it, and nothing runs: information naming the tray first, then serve.
    const w = by['w: credentials endpoint'];
    assert.equal(w.status, 'info');
    assert.match(w.words, /the tray serves it from its credentials endpoint while it runs/);
    assert.match(w.fix ?? '', /^The tray serves it while it runs: start the tray, or start one with `lakekey serve w`/);
  });

  test('no endpoint runs and no profile asks for one: nothing about endpoints, and no client is asked', async () => {
    const { dir, env } = world({ w: s3(), x: { issuer: idp.issuer, clientId: idp.clientId } });
    const dead = deadPid();
    registerEndpoint(dir, `serve-${dead}`, { port: 43212, profiles: ['w'], token: 'dead-token', pid: dead });
    const { asked, clients: c } = clients(DEBIAN);
    const results = await diagnoseIn(dir, env, { clients: c });
    assert.deepEqual(about(results), []);
    assert.equal(asked.count, 0);
    // Checking one profile that asks for the tray's endpoint brings the endpoint lines back.
    const { dir: d2, env: e2 } = world({ w: s3(), t: s3({ endpoint: true }) });
    const one = await diagnose(
      { platform: process.platform, dir: d2, vault, clock: { now: () => Date.now() }, fetch: fetchWithin(5000), env: e2, clients: clients(NEW).clients },
      { profile: 't' },
    );
    assert.deepEqual(
      about(one).map((r) => `${r.name} ${r.status}`),
      ['endpoint clients ok', 't: credentials endpoint info'],
    );
  });
});
