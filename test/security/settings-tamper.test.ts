// Issue 9 §4: a tampered settings file (config.json) is refused wherever it is read, with exit 2
// naming the profile, the field and the fix — it never reaches the AWS config file, the private
// config `exec` writes, or a URL lakekey connects to. Since issue 20 only the tampered profile is
// refused (an untouched one beside it keeps working): still never used, by any command. Each case runs the real CLI on a file
// written the way an attacker with write access to the settings folder would write it.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

const root = mkdtempSync(join(tmpdir(), 'lakekey-tamper-'));
after(() => rmSync(root, { recursive: true, force: true }));

// The attacker's host: any connection to it at all means the tampered value was used.
let trap: Server;
let trapPort = 0;
let trapConnections = 0;
before(async () => {
  trap = createServer((s) => {
    trapConnections++;
    s.destroy();
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapPort = (trap.address() as AddressInfo).port;
});
after(() => trap.close());

const INJECTED_REGION = 'us-east-1\n[profile evil]\ncredential_process = /bin/sh -c "touch /tmp/lakekey-pwned"';

let n = 0;
function world(s3: Record<string, unknown>): { env: NodeJS.ProcessEnv; awsConfig: string; dir: string } {
  const dir = join(root, `case-${++n}`);
  const conf = join(dir, 'settings');
  const awsConfig = join(dir, 'aws-config');
  mkdirSync(conf, { recursive: true, mode: 0o700 });
  const settings = {
    version: 1,
    profiles: {
      victim: {
        issuer: 'http://127.0.0.1:9/idp',
        clientId: 'lakekey',
        scopes: ['openid'],
        redirectPort: 0,
        refreshBeforeSeconds: 1200,
        s3: { durationSeconds: 3600, tokenSource: 'idp', ...s3 },
      },
      // Untouched: it stays usable beside the tampered one.
      bystander: { issuer: 'http://127.0.0.1:9/idp', clientId: 'lakekey', s3: { stsEndpoint: 'http://127.0.0.1:9' } },
    },
  };
  writeFileSync(join(conf, 'config.json'), JSON.stringify(settings), { mode: 0o600 });
  return { env: caseEnv(conf, awsConfig), awsConfig, dir };
}

function caseEnv(conf: string, awsConfig: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    LAKEKEY_CONFIG_DIR: conf,
    AWS_CONFIG_FILE: awsConfig,
    // Should the settings get through, a login must fail at once rather than wait for a person.
    LAKEKEY_BROWSER: '/bin/false',
  };
}

function assertRefused(r: { code: number | null; stdout: string; stderr: string }, field: string): void {
  // doctor reports on stdout, every other command on stderr.
  const said = r.stderr + r.stdout;
  assert.equal(r.code, 2, `exit 2 (configuration), got ${r.code}: ${said}`);
  assert.match(said, /profile "victim"/, 'names the profile');
  assert.ok(said.includes(field), `names the field ${field}: ${said}`);
  assert.match(said, /lakekey profile set victim --[a-z0-9-]+ VALUE/, 'says how to fix it');
  // eslint-disable-next-line no-control-regex -- looking for raw ESC and BEL
  assert.ok(!/[\x1b\x07]/.test(said), 'no raw control characters echoed');
}

test('a newline in s3.region does not let configure-aws write an attacker profile', async () => {
  const w = world({ region: INJECTED_REGION, stsEndpoint: 'http://127.0.0.1:9' });
  writeFileSync(w.awsConfig, '[profile mine]\nregion = eu-west-1\n');
  const r = await runCli(['configure-aws', 'victim'], { env: w.env, timeoutMs: 60_000 });
  assertRefused(r, 's3.region');
  const text = readFileSync(w.awsConfig, 'utf8');
  assert.equal(text, '[profile mine]\nregion = eu-west-1\n', 'the AWS config file is untouched');
  assert.ok(!text.includes('[profile evil]'));
});

test('a newline in s3.region does not reach the private AWS config of exec, and nothing runs', async () => {
  const w = world({ region: INJECTED_REGION, stsEndpoint: 'http://127.0.0.1:9' });
  const marker = join(w.dir, 'ran');
  const r = await runCli(['exec', 'victim', '--', '/bin/sh', '-c', `cat "$AWS_CONFIG_FILE" > "${marker}"`], { env: w.env, timeoutMs: 60_000 });
  assertRefused(r, 's3.region');
  assert.ok(!existsSync(marker), 'the command never ran');
  assert.ok(!existsSync(w.awsConfig), 'no AWS config written');
});

test('a host-changing s3.region (x@127.0.0.1:PORT/#) never becomes an STS URL (doctor, credential-process)', async () => {
  const w = world({ region: `x@127.0.0.1:${trapPort}/#`, roleArn: 'arn:aws:iam::123456789012:role/data' });
  for (const args of [
    ['doctor', 'victim'],
    ['credential-process', 'victim'],
  ]) {
    const r = await runCli(args, { env: w.env, timeoutMs: 60_000 });
    assertRefused(r, 's3.region');
    assert.equal(r.stdout.includes('AccessKeyId'), false);
  }
  assert.equal(trapConnections, 0, 'nothing connected to the host hidden in the region');
});

test('an endpoint with userinfo and a fragment (http://x@127.0.0.1:PORT/#) is refused', async () => {
  for (const stsEndpoint of [
    `http://x@127.0.0.1:${trapPort}/#`,
    `http://127.0.0.1:${trapPort}#@evil.example`,
    `http://127.0.0.1:${trapPort}\\@evil.example`,
    `http://127.0.0.1:${trapPort}/\n`,
  ]) {
    const w = world({ region: 'us-east-1', stsEndpoint });
    const r = await runCli(['credential-process', 'victim'], { env: w.env, timeoutMs: 60_000 });
    assertRefused(r, 's3.stsEndpoint');
  }
  assert.equal(trapConnections, 0);
});

test('a role ARN that is not one is refused on read', async () => {
  const w = world({ region: 'us-east-1', roleArn: 'arn:aws:iam::1:role/r\n[profile evil]' });
  const r = await runCli(['configure-aws', 'victim'], { env: w.env, timeoutMs: 60_000 });
  assertRefused(r, 's3.roleArn');
  assert.ok(!existsSync(w.awsConfig));
});

test('the profile beside a tampered one still works, and repairing the tampered one writes only the repair', async () => {
  const w = world({ region: INJECTED_REGION, stsEndpoint: 'http://127.0.0.1:9' });
  const shown = await runCli(['profile', 'show', 'bystander', '--json'], { env: w.env, timeoutMs: 60_000 });
  assert.equal(shown.code, 0, shown.stderr);
  assert.equal(JSON.parse(shown.stdout).s3.stsEndpoint, 'http://127.0.0.1:9');
  const wired = await runCli(['configure-aws', 'bystander'], { env: w.env, timeoutMs: 60_000 });
  assert.equal(wired.code, 0, wired.stderr);
  assert.ok(!readFileSync(w.awsConfig, 'utf8').includes('[profile evil]'));
  // A change to the bystander keeps the tampered value in the file, still refused, never normalised into use.
  assert.equal((await runCli(['profile', 'set', 'bystander', '--s3-duration', '7200'], { env: w.env, timeoutMs: 60_000 })).code, 0);
  assertRefused(await runCli(['configure-aws', 'victim'], { env: w.env, timeoutMs: 60_000 }), 's3.region');
  // The fix the message names runs on the tampered profile.
  const fixed = await runCli(['profile', 'set', 'victim', '--s3-region', 'eu-west-1'], { env: w.env, timeoutMs: 60_000 });
  assert.equal(fixed.code, 0, fixed.stderr);
  const again = await runCli(['configure-aws', 'victim'], { env: w.env, timeoutMs: 60_000 });
  assert.equal(again.code, 0, again.stderr);
  const text = readFileSync(w.awsConfig, 'utf8');
  assert.match(text, /^region = eu-west-1$/m);
  assert.ok(!text.includes('[profile evil]'));
});
