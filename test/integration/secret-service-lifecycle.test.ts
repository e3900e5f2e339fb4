// The Secret Service client (main/core/keychain/secret-service/secret-service.ts) over a tray's lifetime, against the
// real gnome-keyring of this file's session: the service restarting under a live connection,
// its unlock prompt (the real gcr-prompter, on an Xvfb display) left open when the service goes
// away, and failed attempts that must not leave sockets behind. This file stops and replaces its
// keyring daemon on purpose; the runner gives it a session of its own.
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Bus } from '../../main/core/keychain/secret-service/dbus.js';
import { secretServiceBackend } from '../../main/core/keychain/secret-service/secret-service.js';

const SECRETS = 'org.freedesktop.secrets';
const DBUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };
/** The password the runner unlocked this file's login keyring with. */
const KEYRING_PASSWORD = 'lakekey-test';
const account = `lifecycle-${process.pid}`;

const watcher = await Bus.session(process.env);
const children: ChildProcess[] = [];
after(() => {
  watcher.close();
  for (const c of children) c.kill();
});

async function owner(): Promise<string | undefined> {
  return watcher.call({ ...DBUS, member: 'GetNameOwner', signature: 's', body: [SECRETS] }).then(
    ([name]) => name as string,
    () => undefined,
  );
}

/** Polls `check` every 50 ms until it holds; a deadline of 60 s turns a hang into a failure. */
async function until(what: string, check: () => Promise<boolean>): Promise<void> {
  for (const end = Date.now() + 60_000; !(await check()); await sleep(50)) {
    if (Date.now() > end) throw new Error(`gave up after 60 s waiting for ${what}`);
  }
}

/** Starts a new keyring daemon in place of the current one (unlocked with `password`, else locked). */
async function replaceDaemon(password?: string): Promise<string> {
  const before = await owner();
  const unlock = password === undefined ? '' : `printf %s '${password}' | `;
  execFileSync('sh', ['-c', `${unlock}gnome-keyring-daemon --replace ${password === undefined ? '' : '--unlock '}--components=secrets >/dev/null 2>&1`]);
  let now: string | undefined;
  await until('the new keyring daemon to own org.freedesktop.secrets', async () => ((now = await owner()), now !== undefined && now !== before));
  return now!;
}

/** Fails if `p` has not settled within 60 s (the defect this guards against is a hang). */
function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within 60 s`)), 60_000)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

test('the Secret Service restarting under a live connection (a KeePassXC reopened): the next call opens a new session', async () => {
  const ours = secretServiceBackend(process.env);
  await ours.setPassword('lakekey', account, 'before the restart');
  assert.equal(await ours.getPassword('lakekey', account), 'before the restart');
  await replaceDaemon(KEYRING_PASSWORD);
  // The bus connection survived; the session it opened belonged to the daemon that is gone.
  assert.equal(await ours.getPassword('lakekey', account), 'before the restart');
  await ours.setPassword('lakekey', account, 'after the restart');
  assert.equal(await secretServiceBackend(process.env).getPassword('lakekey', account), 'after the restart', 'a fresh client reads what was written');
});

test('an unlock prompt left open when the Secret Service goes away ends as a locked keychain, not a wait forever', async () => {
  const ours = secretServiceBackend(process.env);
  await ours.setPassword('lakekey', account, 'kept');
  // A display for the desktop's prompter, which D-Bus starts with the session's activation environment.
  const xvfb = spawn('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp'], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
  children.push(xvfb);
  const display = await new Promise<string>((resolve, reject) => {
    let out = '';
    xvfb.stdio[3]!.on('data', (d: Buffer) => ((out += d), out.includes('\n') && resolve(`:${out.trim()}`)));
    xvfb.on('error', (e) => reject(new Error(`Xvfb (from the xvfb package) could not start: ${e.message}`)));
    xvfb.on('exit', (code) => reject(new Error(`Xvfb exited ${code} before naming its display`)));
  });
  execFileSync('dbus-update-activation-environment', [`DISPLAY=${display}`]);

  const locked = await replaceDaemon(); // the login keyring, not unlocked by anyone
  const reader = secretServiceBackend(process.env);
  const read = reader.getPassword('lakekey', account);
  read.catch(() => undefined);
  await until('the unlock prompt to be shown (gcr-prompter, from the gcr package)', () => reader.locked!());
  // The prompt is on screen and nobody answers it; the service stops.
  const [pid] = (await watcher.call({ ...DBUS, member: 'GetConnectionUnixProcessID', signature: 's', body: [locked] })) as [number];
  process.kill(pid, 'SIGTERM');
  await assert.rejects(within(read, 'the read whose prompt lost its service'), (e: Error & { code?: string }) => {
    assert.equal(e.code, 'KEYCHAIN_LOCKED');
    assert.match(e.message, /stopped while asking for the password/);
    return true;
  });
  assert.equal(await reader.locked!(), false, 'no prompt is counted as showing any more');

  // An unlocked daemon again: the same client carries on, on a new session.
  await replaceDaemon(KEYRING_PASSWORD);
  assert.equal(await within(reader.getPassword('lakekey', account), 'the read after the service came back'), 'kept');
});

test('failed attempts leave no socket open (a tray retries for days when no Secret Service can start)', async () => {
  // A bus of our own with no services to activate: every OpenSession is ServiceUnknown.
  const config = join(process.env.HOME!, 'no-services.conf');
  writeFileSync(
    config,
    [
      '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
      '<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>',
      '<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>',
      '</busconfig>',
    ].join('\n'),
  );
  const daemon = spawn('dbus-daemon', [`--config-file=${config}`, '--nofork', '--print-address=1'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(daemon);
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    daemon.stdout.on('data', (d: Buffer) => ((out += d), out.includes('\n') && resolve(out.trim())));
    daemon.on('exit', (code) => reject(new Error(`dbus-daemon exited ${code}`)));
  });
  const backend = secretServiceBackend({ DBUS_SESSION_BUS_ADDRESS: address });
  const openFds = () => readdirSync('/proc/self/fd').length;
  await assert.rejects(backend.getPassword('lakekey', account), /ServiceUnknown/);
  const before = openFds();
  for (let i = 0; i < 20; i++) await assert.rejects(backend.getPassword('lakekey', account), /ServiceUnknown/);
  await sleep(100); // a closed socket's descriptor is released on the next turn of the loop
  assert.ok(openFds() <= before, `20 failed attempts left ${openFds() - before} descriptors open`);
});
