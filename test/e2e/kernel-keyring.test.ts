// A Linux machine reached over SSH: no desktop, no D-Bus session bus, so no Secret Service. The
// real CLI executable with the kernel keyring chosen: a device login against the test IdP, then
// credential-process (and the AWS CLI through it) served from the kernel keyring, renewals
// written back there. Without the choice: exit 4 offering it, and never a silent fallback.
//
// The kernel keyring used is this uid's persistent keyring, shared by every process of the uid
// (as it is on a real host, where that is the point): the CLI children find there what the test
// process reads, with no keyring set up for them. Profiles are named per test process
// (`t<pid>-<n>`), and the file removes every item under its names at the end.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, run, runCli } from '../helpers/cli.js';
import { finishDeviceLogin } from '../helpers/device-login.js';
import { canActAsOtherUser, OTHER_UID, reachableCli, runAsOtherUser } from '../helpers/other-user.js';
import { parseCredentials, readRecord, sandbox, startPeers, type Peers, type Sandbox } from '../helpers/world.js';
import { ProfileVault } from '../helpers/profile-vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';

const AWS = '/usr/bin/aws';
const kernel = osKeychainStore({ keychain: 'kernel', timeoutMs: 10_000 });
const kernelVault = new ProfileVault(kernel);

let peers: Peers;
before(async () => {
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
  for (const account of (await kernel.list!(`t${process.pid}-`)) ?? []) await kernel.delete(account);
  assert.deepEqual(await kernel.list!(`t${process.pid}-`), [], 'nothing of this file is left in the kernel keyring');
});

/** The sandbox's environment as an SSH session on a server has it: no session bus to be found at all. */
function headless(box: Sandbox, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const runtime = join(box.dir, '..', 'run'); // an XDG_RUNTIME_DIR with no `bus` in it
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const env: NodeJS.ProcessEnv = { ...box.env, XDG_RUNTIME_DIR: runtime, ...extra };
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'WAYLAND_DISPLAY', 'LAKEKEY_KEYCHAIN']) if (!(name in extra)) delete env[name];
  return env;
}

test('SSH, no D-Bus: `lakekey keychain kernel`, a device login, then credential-process and the AWS CLI served from the kernel keyring', async () => {
  const box = await sandbox(peers);
  const env = headless(box);

  const chose = await runCli(['keychain', 'kernel'], { env });
  assert.equal(chose.code, 0, chose.stderr);
  assert.match(chose.stderr, /secrets are now kept in the Linux kernel keyring/);
  assert.match(chose.stderr, /kernel memory only .* gone at reboot, and \d+ (days|h|min) after lakekey last used them/);
  const shown = await runCli(['keychain'], { env });
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^kernel: the Linux kernel keyring .*, chosen in .*config\.json\./);

  const login = await finishDeviceLogin(CLI, ['login', box.name, '--device'], env);
  assert.equal(login.code, 0, login.output);
  const stored = await kernelVault.read(box.name);
  assert.equal(stored.idp?.email, 'alice@example.com');
  assert.ok(stored.idp?.refreshToken, 'a refresh token, so renewals stay silent');
  assert.ok(stored.s3 && stored.s3.expiresAt > Date.now() + 3000_000);
  assert.equal((await readRecord(box.name)).idp, undefined, 'nothing went to the Secret Service');

  const doctor = await runCli(['doctor', box.name], { env });
  assert.match(doctor.stdout, /ok +keychain: the Linux kernel keyring, reachable; secrets live in kernel memory only/);

  // A cache hit: straight from the kernel keyring, no STS call.
  const stsCalls = peers.sts.count();
  const served = await runCli(['credential-process', box.name], { env });
  assert.equal(served.code, 0, served.stderr);
  assert.equal(parseCredentials(served.stdout).AccessKeyId, stored.s3.accessKeyId);
  assert.equal(peers.sts.count(), stsCalls, 'served from the kernel keyring');

  // The AWS CLI, through credential_process, in the same SSH session.
  const wired = await runCli(['configure-aws', box.name], { env });
  assert.equal(wired.code, 0, wired.stderr);
  const ls = await run(AWS, ['s3', 'ls', `s3://${peers.bucket}`, '--endpoint-url', peers.minio.endpoint, '--profile', box.name], { env });
  assert.equal(ls.code, 0, ls.stderr);

  // Due for renewal: new credentials from the refresh token, written back to the kernel keyring.
  await kernelVault.write(box.name, { ...stored, s3: { ...stored.s3, expiresAt: Date.now() + 60_000 } });
  const renewed = await runCli(['credential-process', box.name], { env });
  assert.equal(renewed.code, 0, renewed.stderr);
  const fresh = parseCredentials(renewed.stdout).AccessKeyId;
  assert.notEqual(fresh, stored.s3.accessKeyId);
  assert.equal((await kernelVault.read(box.name)).s3?.accessKeyId, fresh);

  // LAKEKEY_KEYCHAIN=os in this shell: the Secret Service, which is not here: exit 4, never the kernel keyring's session.
  const os = await runCli(['credential-process', box.name], { env: { ...env, LAKEKEY_KEYCHAIN: 'os' } });
  assert.equal(os.code, 4, os.stderr);
  assert.equal(os.stdout, '');

  const logout = await runCli(['logout', box.name], { env });
  assert.equal(logout.code, 0, logout.stderr);
  assert.deepEqual(await kernel.list!(box.name), [], 'logout removed the items from the kernel keyring');
});

test('LAKEKEY_KEYCHAIN=kernel alone (no setting) serves from the kernel keyring', async () => {
  const box = await sandbox(peers);
  const env = headless(box, { LAKEKEY_KEYCHAIN: 'kernel' });
  const login = await finishDeviceLogin(CLI, ['login', box.name, '--device'], env);
  assert.equal(login.code, 0, login.output);
  const served = await runCli(['credential-process', box.name], { env });
  assert.equal(served.code, 0, served.stderr);
  assert.equal(parseCredentials(served.stdout).AccessKeyId, (await kernelVault.read(box.name)).s3?.accessKeyId);
  const shown = await runCli(['keychain'], { env });
  assert.match(shown.stdout, /^kernel: .*chosen by LAKEKEY_KEYCHAIN=kernel\./);
  await runCli(['logout', box.name], { env });
});

/** What the exit-4 message must say when there is no Secret Service: the kernel keyring, and what it means. */
function assertOffersKernel(stderr: string): void {
  assert.match(stderr, /the OS keychain is unavailable/);
  assert.match(stderr, /this session has none/);
  assert.match(stderr, /lakekey keychain kernel/);
  assert.match(stderr, /LAKEKEY_KEYCHAIN=kernel/);
  assert.match(stderr, /kernel memory only/);
  assert.match(stderr, /gone at reboot, and \d+ (days|h|min) after lakekey last used them \(the kernel's persistent keyring\)/);
  assert.match(stderr, /never falls back to storing secrets in plain files/);
}

test('no D-Bus session at all, nothing chosen: exit 4 offering the kernel keyring, and not using it', async () => {
  const box = await sandbox(peers);
  // A session for this profile in the kernel keyring must not be picked up silently.
  await kernelVault.write(box.name, {
    v: 1,
    updatedAt: Date.now(),
    s3: { accessKeyId: 'AKNOTCHOSEN', secretAccessKey: 's'.repeat(40), sessionToken: 't', expiresAt: Date.now() + 3600_000 },
  });
  const out = await runCli(['credential-process', box.name], { env: headless(box) });
  assert.equal(out.code, 4, out.stderr);
  assert.equal(out.stdout, '');
  assertOffersKernel(out.stderr);
  const login = await runCli(['login', box.name, '--device'], { env: headless(box) });
  assert.equal(login.code, 4, login.stderr);
  assertOffersKernel(login.stderr);
  await kernelVault.remove(box.name);
});

test('a D-Bus session whose bus has no Secret Service (nobody owns the name): exit 4 offering the kernel keyring', async () => {
  const box = await sandbox(peers);
  const busConfig = join(box.dir, '..', 'no-secrets-bus.conf');
  // A session bus with no service folders: nothing can be started for org.freedesktop.secrets.
  writeFileSync(
    busConfig,
    [
      '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
      '<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>',
      '<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>',
      '</busconfig>',
    ].join('\n'),
  );
  const env = headless(box);
  const out = await run('dbus-run-session', [`--config-file=${busConfig}`, '--', CLI, 'credential-process', box.name], { env });
  assert.equal(out.code, 4, out.stderr);
  assert.match(out.stderr, /ServiceUnknown/);
  assertOffersKernel(out.stderr);
});

/** Starts `lakekey login NAME --no-browser`, waits for its SSH advice, and stops it (Ctrl-C). */
async function sshAdvice(args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  const child = spawn(CLI, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise((r) => child.on('close', r));
  const deadline = Date.now() + 20_000;
  while (!/on a remote machine.*\n/.test(stderr) && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  child.kill('SIGINT');
  await exited;
  return stderr;
}

test('a lakeFS profile over SSH: --device is refused (lakeFS takes only a code), and the browser login says which port to forward', async () => {
  const box = await sandbox(peers, { extraArgs: ['--lakefs-endpoint', 'http://127.0.0.1:9/api/v1'] });
  const env = headless(box, { LAKEKEY_KEYCHAIN: 'kernel' });
  const device = await runCli(['login', box.name, '--device'], { env });
  assert.equal(device.code, 2, device.stderr);
  assert.match(device.stderr, /lakeFS tokens need a browser login: lakeFS redeems an authorization code/);

  const any = await sshAdvice(['login', box.name, '--no-browser'], env);
  const link = /open (http:\/\/127\.0\.0\.1:(\d+)\/\S+) in a browser/.exec(any);
  assert.ok(link, any);
  const port = link[2];
  assert.match(any, new RegExp(`on a remote machine \\(SSH\\), forward this port from your desktop with \`ssh -L ${port}:127\\.0\\.0\\.1:${port} HOST\``));
  assert.match(any, new RegExp(`lakekey profile set ${box.name} --redirect-port ${port}\` keeps this port`));
  assert.doesNotMatch(any, /--device/, 'no advice that lakeFS refuses');

  const set = await runCli(['profile', 'set', box.name, '--redirect-port', port], { env });
  assert.equal(set.code, 0, set.stderr);
  const fixed = await sshAdvice(['login', box.name, '--no-browser'], env);
  assert.match(fixed, new RegExp(`open http://127\\.0\\.0\\.1:${port}/`), 'the fixed port is the one the link uses');
  assert.match(fixed, new RegExp(`ssh -L ${port}:127\\.0\\.0\\.1:${port} HOST`));
  assert.doesNotMatch(fixed, /keeps this port/);
});

test('a full key quota (a user other than root: 20000 bytes by default) is exit 4 saying so, not a crash', async (t) => {
  if (!canActAsOtherUser(t)) return;
  const cli = reachableCli();
  const home = mkdtempSync(join('/tmp', 'lakekey-quota-'));
  t.after(() => rmSync(home, { recursive: true, force: true }));
  chownSync(home, OTHER_UID, OTHER_UID);
  const env = { PATH: process.env.PATH, HOME: home, LAKEKEY_CONFIG_DIR: join(home, 'cfg'), LAKEKEY_KEYCHAIN: 'kernel', LC_ALL: 'C' };
  // The other user's quota, filled up to ~100 bytes by one key of its own (what other programs' keys do).
  const usage = () => {
    const line = readFileSync('/proc/key-users', 'utf8')
      .split('\n')
      .find((l) => l.trim().startsWith(`${OTHER_UID}:`));
    const m = / (\d+)\/(\d+)\s*$/.exec(line ?? '');
    const [used, max] = m ? [Number(m[1]), Number(m[2])] : [0, 20000];
    return { used, max };
  };
  const before = usage();
  const filler = `lakekey-test-filler-${process.pid}`;
  const fill = await runAsOtherUser('keyctl', ['padd', 'user', filler, '@u'], { env, input: 'f'.repeat(before.max - before.used - filler.length - 100) });
  assert.equal(fill.code, 0, fill.stderr);
  t.after(() => runAsOtherUser('sh', ['-c', 'keyctl invalidate "$(keyctl search @u user "$1")"', 'sh', filler], { env }));
  const add = await runAsOtherUser(cli, ['profile', 'add', 'quota', '--issuer', peers.idp.issuer, '--client-id', peers.idp.clientId, '--client-secret', '-'], {
    env,
    input: 's'.repeat(400),
  });
  assert.equal(add.code, 4, add.stderr);
  assert.match(add.stderr, /the kernel keyring is full: your user's key quota is used up \(.*Disk quota exceeded\)/);
  assert.match(add.stderr, /kernel\.keys\.maxbytes/);
  assert.doesNotMatch(add.stderr, /s{400}/, 'the secret is not in the message');
});
