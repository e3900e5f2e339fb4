// A slow keychain is not a locked one. The real gnome-keyring daemon of this test run is made
// slow for real — stopped with SIGSTOP, as a daemon starved on a loaded machine stops answering
// — and then continued. A read that outlasts the first bound must not be reported as "locked"
// (exit 4, "unlock"): it waits, within the longer busy bound, and succeeds when the daemon
// answers; only past that bound does it fail, with its own message ("the keychain is busy").
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { LakekeyError } from '../../main/core/errors.js';
import { ProfileVault } from '../helpers/profile-vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { runCli } from '../helpers/cli.js';

/** The pid of the process that owns org.freedesktop.secrets on this run's session bus. */
function secretServicePid(): number {
  const out = execFileSync(
    'dbus-send',
    [
      '--session',
      '--print-reply',
      '--dest=org.freedesktop.DBus',
      '/org/freedesktop/DBus',
      'org.freedesktop.DBus.GetConnectionUnixProcessID',
      'string:org.freedesktop.secrets',
    ],
    { encoding: 'utf8' },
  );
  const m = /uint32 (\d+)/.exec(out);
  assert.ok(m, `no Secret Service on the session bus: ${out}`);
  return Number(m[1]);
}

/** Stops the daemon, runs `fn`, and continues the daemon after `resumeAfterMs` (always, even if fn fails). */
async function withStoppedDaemon<T>(resumeAfterMs: number, fn: () => Promise<T>): Promise<T> {
  const pid = secretServicePid();
  process.kill(pid, 'SIGSTOP');
  const resume = setTimeout(() => process.kill(pid, 'SIGCONT'), resumeAfterMs);
  try {
    return await fn();
  } finally {
    await new Promise((r) => setTimeout(r, Math.max(0, resumeAfterMs))); // the timer has fired by now
    clearTimeout(resume);
    process.kill(pid, 'SIGCONT');
  }
}

const profile = `slow-${process.pid}`;

test('a keychain slower than the first bound is waited for, not reported locked', async () => {
  const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
  await vault.write(profile, { v: 1, updatedAt: Date.now(), idp: { subject: 'alice' } });
  const slow = new ProfileVault(osKeychainStore({ timeoutMs: 500, busyTimeoutMs: 60_000 }));
  const record = await withStoppedDaemon(3_000, () => slow.read(profile));
  assert.equal(record.idp?.subject, 'alice', 'the read succeeded once the daemon answered');
});

test('a keychain that stays silent past the busy bound fails with "busy" (exit 4), not "unlock"', async () => {
  const slow = new ProfileVault(osKeychainStore({ timeoutMs: 500, busyTimeoutMs: 2_000 }));
  const err = await withStoppedDaemon(6_000, () =>
    slow.read(profile).then(
      () => undefined,
      (e: unknown) => e,
    ),
  );
  assert.ok(err instanceof LakekeyError, String(err));
  assert.equal(err.code, 'KEYCHAIN_BUSY');
  assert.match(err.message, /the keychain is busy/);
  assert.doesNotMatch(`${err.message} ${err.hint ?? ''}`, /\bunlock\b/i, 'not told to unlock a keyring that is unlocked');
  // The CLI says the same, with exit 4.
  const dir = join(mkdtempSync(join(tmpdir(), 'lakekey-slow-')), 'cfg');
  const env = { ...process.env, LAKEKEY_CONFIG_DIR: dir, LAKEKEY_KEYCHAIN_TIMEOUT_MS: '500', LAKEKEY_KEYCHAIN_BUSY_TIMEOUT_MS: '2000' };
  const add = await runCli(['profile', 'add', profile, '--issuer', 'http://127.0.0.1:9', '--client-id', 'c', '--lakefs-endpoint', 'http://127.0.0.1:9'], {
    env,
  });
  assert.equal(add.code, 0, add.stderr);
  const r = await withStoppedDaemon(6_000, () => runCli(['status', profile], { env }));
  assert.equal(r.code, 4, r.stderr);
  assert.match(r.stderr, /the keychain is busy/);
  assert.match(r.stderr, /Retry in a moment/);
});
