// Fault suite: every way the IdP, STS, the keychain, the settings file and the lock folder can
// fail gets its exit code, a message whose second line says what to do, and a bounded time.
// For IdP and STS faults both halves of the promise are checked: credentials that are still
// valid are served with a warning, expired ones give exit 5, and the stored session survives
// (the refresh token is still there and works once the fault clears).
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CLI, run, runCli, type CliResult } from '../helpers/cli.js';
import { hintLine, injectFault, isStsRequest, isTokenRequest, loggedIn, summary, type Fault } from '../helpers/reliability-world.js';
import { ageS3, parseCredentials, readRecord, sandbox, startPeers, type Peers, type Sandbox } from '../helpers/world.js';

// The sandbox bounds every HTTP call at LAKEKEY_HTTP_TIMEOUT_SECONDS=3. A refresh makes at most
// two calls in series to the IdP (discovery, token) and one STS call (which the SDK may retry
// once), so a fault must be reported within a few timeouts plus Node's start-up. The bound
// below is that with a wide margin for a shared, noisy 2-core machine: it still catches a
// hang, a retry storm or a default 10 s+ timeout creeping back in.
const HTTP_TIMEOUT_S = 3;
const FAULT_BOUND_MS = 15_000;
// Local failures (keychain, settings, locks) involve no network at all.
const LOCAL_BOUND_MS = 5_000;

let peers: Peers;
before(async () => {
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
});

// One logged-in profile serves every case that needs a session (each case ends by renewing it,
// so the next one starts from a healthy session); a case whose session does not survive drops
// it, and the next case logs in afresh. This keeps the suite to a few browser logins.
let shared: Sandbox | undefined;
async function sessionBox(): Promise<Sandbox> {
  shared ??= await loggedIn(peers);
  return shared;
}
async function withSession(fn: (box: Sandbox) => Promise<void>): Promise<void> {
  await fn(await sessionBox());
}

interface RemoteCase {
  title: string;
  /** Starts the fault; returns what clears it. */
  start(): () => void;
  message: RegExp;
  hint: RegExp;
  /** Whether the IdP got to rotate the refresh token before the fault hit (STS faults). */
  rotated: boolean;
}

function idpFault(fault: Fault): () => () => void {
  return () => {
    const h = injectFault(peers.idp.issuer, { match: isTokenRequest, fault, kind: 'json', slowMs: 30_000 });
    return () => h.clear();
  };
}

function stsFault(fault: Fault): () => () => void {
  return () => {
    const h = injectFault(peers.sts.url, { match: isStsRequest, fault, kind: 'xml', hugeBytes: 16 * 1024 * 1024, slowMs: 30_000 });
    return () => h.clear();
  };
}

// The fix for the failure at hand (network-words.ts): a dropped connection and a timeout get their own.
const NETWORK_HINT = /proxy settings|VPN/;

const remoteCases: RemoteCase[] = [
  {
    title: 'IdP down (every connection dropped)',
    start: () => {
      peers.idp.setDown(true);
      return () => peers.idp.setDown(false);
    },
    message: /identity provider is unreachable during discovery/,
    hint: NETWORK_HINT,
    rotated: false,
  },
  {
    title: `IdP slow (token endpoint holds the request past the ${HTTP_TIMEOUT_S} s timeout)`,
    start: idpFault('slow'),
    message: /identity provider is unreachable during the refresh/,
    hint: NETWORK_HINT,
    rotated: false,
  },
  {
    title: 'IdP answering 500',
    start: idpFault('500'),
    message: /identity provider .*refresh/,
    // An HTTP 500 is the IdP's own trouble: the stored session is fine, so the fix is to retry
    // later, not to re-check the profile or log in again (which would hit the same broken IdP).
    hint: /retry|try again|later/i,
    rotated: false,
  },
  {
    title: 'IdP answering malformed JSON',
    start: idpFault('malformed'),
    message: /identity provider refused the refresh/,
    hint: /\S/,
    rotated: false,
  },
  {
    title: 'IdP answering a huge (32 MiB) JSON body',
    start: idpFault('huge'),
    message: /identity provider refused the refresh/,
    hint: /\S/,
    rotated: false,
  },
  {
    title: 'STS down (every connection dropped)',
    start: () => {
      peers.sts.setDown(true);
      return () => peers.sts.setDown(false);
    },
    message: /STS at http:\/\/127\.0\.0\.1:\d+ is unreachable/,
    hint: NETWORK_HINT,
    rotated: true,
  },
  {
    title: `STS slow (holds the request past the ${HTTP_TIMEOUT_S} s timeout)`,
    start: stsFault('slow'),
    message: /STS at http:\/\/127\.0\.0\.1:\d+ is unreachable/,
    hint: NETWORK_HINT,
    rotated: true,
  },
  {
    title: 'STS answering 500',
    start: stsFault('500'),
    message: /STS at http:\/\/127\.0\.0\.1:\d+ .*HTTP 500/,
    // As for the IdP: a 500 is the server's trouble; the fix is to retry, not to re-check the role.
    hint: /retry|try again|later/i,
    rotated: true,
  },
  {
    title: 'STS answering malformed XML',
    start: stsFault('malformed'),
    message: /STS at http:\/\/127\.0\.0\.1:\d+ (refused the request|answered without complete credentials)|STS answered without complete credentials/,
    hint: /\S/,
    rotated: true,
  },
  {
    title: 'STS answering a huge (16 MiB) XML body',
    start: stsFault('huge'),
    message: /STS at http:\/\/127\.0\.0\.1:\d+ (refused the request|answered without complete credentials)|STS answered without complete credentials/,
    hint: /\S/,
    rotated: true,
  },
];

/** The things every failing run must show: the code, nothing on stdout, a short message, a hint. */
function assertFailure(out: CliResult, code: number, message: RegExp, hint: RegExp, boundMs: number): void {
  assert.equal(out.code, code, `exit code (stderr: ${out.stderr.slice(0, 600)})`);
  assert.equal(out.stdout, '', 'nothing on stdout');
  assert.match(out.stderr, message);
  assert.match(hintLine(out.stderr), hint, `a hint line saying what to do:\n${out.stderr}`);
  assert.ok(out.stderr.length < 2000, `a short message, not a dumped response (${out.stderr.length} chars)`);
  assert.ok(out.ms < boundMs, `reported within ${boundMs} ms (took ${out.ms} ms)`);
}

describe('IdP and STS faults: valid credentials are served, expired ones give exit 5, the session survives', () => {
  for (const c of remoteCases) {
    test(c.title, () =>
      withSession(async (box) => {
        const aged = await ageS3(box.name, 600); // due for renewal (< 1200 s left) but still valid
        const clear = c.start();
        let served: CliResult;
        let expired: CliResult;
        try {
          // Killed well past the bound, so a hang fails this case quickly instead of stalling the suite.
          served = await runCli(['credential-process', box.name], { env: box.env, timeoutMs: FAULT_BOUND_MS + 10_000 });
          if (served.code === null) assert.fail(`credential-process hung: killed after ${served.ms} ms with the fault on (stderr: ${served.stderr.trim()})`);
          await ageS3(box.name, -10);
          expired = await runCli(['credential-process', box.name], { env: box.env, timeoutMs: FAULT_BOUND_MS + 10_000 });
        } finally {
          clear();
        }
        // Still valid: served as they are, with a warning on stderr (never on stdout).
        assert.equal(served.code, 0, `still-valid credentials are served (took ${served.ms} ms; null = killed at the bound): ${served.stderr}`);
        assert.equal(parseCredentials(served.stdout).AccessKeyId, aged.s3!.accessKeyId);
        assert.match(served.stderr, /could not renew credentials [\s\S]*; using the current ones, valid \d+ (s|min), until \d\d:\d\d local/);
        assert.ok(served.ms < FAULT_BOUND_MS, `served within ${FAULT_BOUND_MS} ms (took ${served.ms} ms)`);
        try {
          // The session survived: a refresh token is still stored (the rotated one if the IdP
          // answered before STS failed) and it works now that the fault is gone.
          const kept = await readRecord(box.name);
          assert.ok(kept.idp?.refreshToken, 'the refresh token is still stored');
          if (!c.rotated) assert.equal(kept.idp.refreshToken, aged.idp!.refreshToken, 'the IdP never saw the grant: same refresh token');
          else assert.notEqual(kept.idp.refreshToken, aged.idp!.refreshToken, 'the rotated refresh token was stored before STS failed');
          const grants = peers.idp.counts.refreshGrants;
          const authorizations = peers.idp.counts.authorizations;
          const recovered = await box.cli(['credential-process', box.name]);
          assert.equal(recovered.code, 0, `the stored session works after the fault: ${recovered.stderr}`);
          assert.notEqual(parseCredentials(recovered.stdout).AccessKeyId, aged.s3!.accessKeyId);
          assert.equal(peers.idp.counts.refreshGrants - grants, 1, 'renewed through the refresh token');
          assert.equal(peers.idp.counts.authorizations, authorizations, 'no browser login');
        } catch (err) {
          shared = undefined; // the session did not survive: the next case logs in afresh
          throw err;
        }
        // Expired: exit 5 with what to do (checked last: a wrong hint leaves the session usable).
        assertFailure(expired, 5, c.message, c.hint, FAULT_BOUND_MS);
        summary(`fault ${c.title}`, 1, 'run', `served ${served.ms} ms, exit 5 in ${expired.ms} ms`);
      }),
    );
  }
});

// ---- keychain ------------------------------------------------------------------------------

const KEYCHAIN_HINT = /Secret Service keychain .* never falls back to storing secrets in plain files/;

/**
 * Waits (up to 10 s) until the keyring daemon just started owns org.freedesktop.secrets on the
 * bus: it registers a moment after `gnome-keyring-daemon` returns, and a call in that moment
 * would meet D-Bus activation instead of the daemon under test.
 */
const SECRETS_OWNED =
  'i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done';

/** Runs the CLI inside a private D-Bus session of its own (a fresh HOME), timing only the CLI. */
async function inOwnSession(box: Sandbox, args: string[], opts: { prepare: string; busConfig?: string; home: string }): Promise<CliResult> {
  const env = { ...box.env, HOME: opts.home, DBUS_SESSION_BUS_ADDRESS: undefined };
  const script = `mkdir -p "$HOME/.cache" "$HOME/.local/share/keyrings"; ${opts.prepare}; t0=$(date +%s%N); "$0" "$@"; rc=$?; echo "lakekey-test-ms=$(( ($(date +%s%N)-t0)/1000000 ))" >&2; exit $rc`;
  const bus = opts.busConfig ? [`--config-file=${opts.busConfig}`] : [];
  const out = await run('dbus-run-session', [...bus, '--', 'sh', '-c', script, CLI, ...args], { env });
  const ms = Number(/lakekey-test-ms=(\d+)/.exec(out.stderr)?.[1]);
  const stderr = out.stderr
    .split('\n')
    .filter((l) => !/^dbus-daemon\[|lakekey-test-ms=/.test(l))
    .join('\n');
  return { ...out, stderr, ms };
}

describe('keychain faults: exit 4 with the fix, never a plaintext fallback', () => {
  test('keychain absent (DBUS_SESSION_BUS_ADDRESS points nowhere)', async () => {
    const box = await sandbox(peers);
    const out = await box.cli(['credential-process', box.name], { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' });
    assertFailure(out, 4, /the OS keychain is unavailable/, KEYCHAIN_HINT, LOCAL_BOUND_MS);
    assert.match(out.stderr, /no Secret Service|this session has none/);
    assert.match(out.stderr, /lakekey keychain kernel/, 'no Secret Service at all: the kernel keyring is offered');
    summary('fault keychain absent', 1, 'run', `${out.ms} ms`);
  });

  test('keychain locked (a keyring holding the session, opened by a daemon nobody unlocked)', async () => {
    const box = await sandbox(peers, { browser: true });
    const home = mkdtempSync(join(tmpdir(), 'lakekey-locked-home-'));
    try {
      const unlock = `eval "$(printf secret | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null; ${SECRETS_OWNED}`;
      const login = await inOwnSession(box, ['login', box.name], { prepare: unlock, home });
      assert.equal(login.code, 0, login.stderr);
      const start = `eval "$(gnome-keyring-daemon --start --components=secrets 2>/dev/null)" >/dev/null; ${SECRETS_OWNED}`;
      const out = await inOwnSession(box, ['credential-process', box.name], { prepare: start, home });
      assertFailure(out, 4, /keyring is locked/, KEYCHAIN_HINT, LOCAL_BOUND_MS);
      assert.doesNotMatch(out.stderr, /kernel keyring|LAKEKEY_KEYCHAIN/, 'a locked Secret Service is unlocked, not replaced');
      summary('fault keychain locked', 1, 'run', `${out.ms} ms`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  test('keychain denying (the session bus refuses every call to the Secret Service)', async () => {
    // A real denial: an unlocked gnome-keyring on a session bus whose policy rejects every
    // message to org.freedesktop.secrets, so libsecret gets org.freedesktop.DBus.Error.AccessDenied.
    const box = await sandbox(peers);
    const home = mkdtempSync(join(tmpdir(), 'lakekey-denied-home-'));
    const busConfig = join(home, 'deny-secrets.conf');
    writeFileSync(
      busConfig,
      [
        '<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN" "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">',
        '<busconfig><type>session</type><listen>unix:tmpdir=/tmp</listen><auth>EXTERNAL</auth>',
        '<policy context="default"><allow send_destination="*" eavesdrop="true"/><allow eavesdrop="true"/><allow own="*"/></policy>',
        '<policy context="mandatory"><deny send_destination="org.freedesktop.secrets"/></policy>',
        '</busconfig>',
      ].join('\n'),
    );
    try {
      const unlock = `eval "$(printf secret | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null; ${SECRETS_OWNED}`;
      const out = await inOwnSession(box, ['credential-process', box.name], { prepare: unlock, busConfig, home });
      assertFailure(out, 4, /the OS keychain is (unavailable|locked)/, KEYCHAIN_HINT, LOCAL_BOUND_MS);
      assert.match(out.stderr, /Rejected send message|AccessDenied/i, `the denial is what was reported: ${out.stderr}`);
      assert.doesNotMatch(out.stderr, /kernel keyring|LAKEKEY_KEYCHAIN/, 'a Secret Service that is there but refuses is not "none"');
      summary('fault keychain denying', 1, 'run', `${out.ms} ms`);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

// ---- settings ------------------------------------------------------------------------------

describe('settings faults: exit 2 naming the file and the fix', () => {
  test('settings file corrupt (not JSON)', async () => {
    const box = await sandbox(peers);
    writeFileSync(join(box.dir, 'config.json'), '{"version":1,"profiles":{');
    const out = await box.cli(['credential-process', box.name]);
    assertFailure(out, 2, /settings file .*config\.json is not valid JSON/, /move it aside and add your profiles again/, LOCAL_BOUND_MS);
    summary('fault settings corrupt', 1, 'run', `${out.ms} ms`);
  });

  test('settings file corrupt (valid JSON, invalid profile)', async () => {
    const box = await sandbox(peers);
    writeFileSync(join(box.dir, 'config.json'), JSON.stringify({ version: 1, profiles: { [box.name]: { issuer: 'http://example.com', clientId: 'x' } } }));
    const out = await box.cli(['credential-process', box.name]);
    assert.equal(out.code, 2, out.stderr);
    assert.match(out.stderr, /must use https/);
    assert.ok(out.ms < LOCAL_BOUND_MS);
  });

  test('settings file unreadable (mode 000, run without the root override capabilities)', async () => {
    // Tests run as root, and root reads a mode-000 file through CAP_DAC_OVERRIDE /
    // CAP_DAC_READ_SEARCH. setpriv drops both from the bounding set, so the CLI (still uid 0,
    // still on the same D-Bus session) meets the file as any user meets an unreadable one.
    const box = await sandbox(peers);
    const file = join(box.dir, 'config.json');
    chmodSync(file, 0o000);
    try {
      const out = await run('setpriv', ['--bounding-set', '-dac_override,-dac_read_search', '--', CLI, 'credential-process', box.name], { env: box.env });
      assertFailure(out, 2, /cannot read the settings file .*config\.json: EACCES/, /Check its permissions/, LOCAL_BOUND_MS);
      summary('fault settings unreadable (mode 000)', 1, 'run', `${out.ms} ms`);
    } finally {
      chmodSync(file, 0o600);
    }
  });

  test('settings file unreadable (a directory where the file should be)', async () => {
    const box = await sandbox(peers);
    rmSync(join(box.dir, 'config.json'));
    mkdirSync(join(box.dir, 'config.json'));
    const out = await box.cli(['credential-process', box.name]);
    assertFailure(out, 2, /cannot read the settings file .*config\.json: EISDIR/, /Check its permissions/, LOCAL_BOUND_MS);
  });
});

// ---- the lock folder -----------------------------------------------------------------------

/** Mounts a tmpfs of `size` at a fresh folder; returns it and its unmount. */
async function tmpfs(size: string, extra = ''): Promise<{ dir: string; unmount(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-tmpfs-'));
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', `size=${size}${extra ? `,${extra}` : ''}`, 'tmpfs', dir]);
  assert.equal(mounted.code, 0, `mount tmpfs (the suite runs as root): ${mounted.stderr}`);
  return {
    dir,
    async unmount() {
      await run('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const LOCK_HINT = /Check that the settings folder \(LAKEKEY_CONFIG_DIR\) is a writable folder on a disk that is not full\./;

describe('lock folder faults: a renewal that needs the lock says why it cannot have it', () => {
  test('lock folder on a full disk (tiny tmpfs filled to the last block)', () =>
    withSession(async (box) => {
      const fs = await tmpfs('64k');
      try {
        // The settings folder lives on the full disk: settings readable, nothing writable.
        const dir = join(fs.dir, 'lakekey');
        mkdirSync(join(dir, 'locks'), { recursive: true });
        writeFileSync(join(dir, 'config.json'), (await import('node:fs')).readFileSync(join(box.dir, 'config.json')));
        const fill = await run('sh', ['-c', `dd if=/dev/zero of="${fs.dir}/filler" bs=4k 2>/dev/null; true`]);
        assert.equal(fill.code, 0);
        const env = { LAKEKEY_CONFIG_DIR: dir };
        // A cache hit needs no lock and keeps working on a full disk.
        const hit = await box.cli(['credential-process', box.name], env);
        assert.equal(hit.code, 0, `a cache hit writes nothing: ${hit.stderr}`);
        await ageS3(box.name, -10);
        const out = await box.cli(['credential-process', box.name], env);
        assertFailure(out, 2, /cannot create the lock .*ENOSPC/, LOCK_HINT, LOCAL_BOUND_MS);
        summary('fault lock folder on a full disk', 1, 'run', `${out.ms} ms`);
        // Space comes back: the next renewal works (whatever the failed one left in locks/).
        rmSync(join(fs.dir, 'filler'));
        const again = await box.cli(['credential-process', box.name], env);
        assert.equal(again.code, 0, again.stderr);
      } finally {
        await fs.unmount();
      }
    }));

  test('lock folder unwritable (read-only file system)', () =>
    withSession(async (box) => {
      const fs = await tmpfs('1m');
      try {
        const dir = join(fs.dir, 'lakekey');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'config.json'), (await import('node:fs')).readFileSync(join(box.dir, 'config.json')));
        const ro = await run('mount', ['-o', 'remount,ro', fs.dir]);
        assert.equal(ro.code, 0, ro.stderr);
        await ageS3(box.name, -10);
        const out = await box.cli(['credential-process', box.name], { LAKEKEY_CONFIG_DIR: dir });
        assertFailure(out, 2, /lock .*(EROFS|ENOENT)/, LOCK_HINT, LOCAL_BOUND_MS);
        summary('fault lock folder read-only', 1, 'run', `${out.ms} ms`);
      } finally {
        await fs.unmount();
      }
    }));

  test('lock folder unwritable (`locks` is a file, not a folder)', () =>
    withSession(async (box) => {
      rmSync(join(box.dir, 'locks'), { recursive: true, force: true });
      writeFileSync(join(box.dir, 'locks'), 'not a folder');
      try {
        await ageS3(box.name, -10);
        const out = await box.cli(['credential-process', box.name]);
        assertFailure(out, 2, /lock .*(EEXIST|ENOTDIR)/, LOCK_HINT, LOCAL_BOUND_MS);
        summary('fault locks is a file', 1, 'run', `${out.ms} ms`);
      } finally {
        rmSync(join(box.dir, 'locks'), { force: true });
      }
    }));

  test('lock folder unwritable (mode 000 folder, run without the root override capabilities)', () =>
    withSession(async (box) => {
      mkdirSync(join(box.dir, 'locks'), { recursive: true });
      chmodSync(join(box.dir, 'locks'), 0o000);
      try {
        await ageS3(box.name, -10);
        const out = await run('setpriv', ['--bounding-set', '-dac_override,-dac_read_search', '--', CLI, 'credential-process', box.name], { env: box.env });
        assertFailure(out, 2, /cannot create the lock .*EACCES/, LOCK_HINT, LOCAL_BOUND_MS);
        summary('fault lock folder mode 000', 1, 'run', `${out.ms} ms`);
      } finally {
        chmodSync(join(box.dir, 'locks'), 0o700);
      }
    }));
});
