// The Linux kernel keyring (keyutils) as a keychain: for a machine reached over SSH that has no
// desktop, and so no Secret Service. Chosen explicitly (keychain-choice.ts), never fallen back to.
//
// Where: the user's *persistent* keyring (`keyctl get_persistent`), which the kernel keeps for
// the uid across logins and expires a set time after it was last asked for
// (/proc/sys/kernel/keys/persistent_keyring_expiry, 3 days by default; every lakekey call asks
// for it, so the clock restarts at each use). The user keyring would do on kernels from 5.3, but
// before that it dies with the user's last process: an SSH host between sessions. Either way
// nothing survives a reboot, and nothing is ever written to disk.
//
// Items: one "user" key per keytar item, described "service:account" ("lakekey:work",
// "lakekey:work#1a2b3c4d.0" for a chunk), so the vault above works unchanged.
//
// How: the `keyctl` command (keyutils), because it works the same under both runtimes the core
// runs in — Node (the tray, the tests) has no FFI, and a native addon is what the Linux build
// avoids. Each call is one child process: `keyctl session -` gives it a private, anonymous
// session keyring, into which `keyctl get_persistent @s` links the persistent keyring, so the
// keyctl commands of that call possess it and its keys; the shell between them passes key ids
// only. Secrets travel on stdin (`keyctl padd`) and stdout (`keyctl pipe`), never in argv; the
// argv holds descriptions, which are profile names. A call takes a few ms (four short execs).
import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { LakekeyError } from '../errors.js';
import { KERNEL_USER_KEY_MAX_BYTES, kernelMaxItemBytes } from './keychain-choice.js';
import { outside } from '../text-gate.js';
import type { KeychainBackend } from '../ports.js';

// The shell scripts, run as `sh -c SCRIPT KEYCTL DESCRIPTION`: "$0" is keyctl's absolute path,
// "$1" the key's description. Any failing step ends the script with keyctl's own message.
const PERSISTENT = 'p=$("$0" get_persistent @s) || exit 1';
const FIND = 'k=$("$0" search "$p" user "$1") || exit 1';
const SCRIPTS = {
  get: `${PERSISTENT}; ${FIND}; exec "$0" pipe "$k"`,
  // padd adds the key, or updates the one of that description in place (one atomic kernel call).
  set: `${PERSISTENT}; exec "$0" padd user "$1" "$p" >/dev/null`,
  // Invalidated, not just unlinked: the kernel destroys it wherever else it may be linked.
  delete: `${PERSISTENT}; ${FIND}; exec "$0" invalidate "$k"`,
  // One "type;uid;gid;perm;description" line per key; a key removed meanwhile is skipped.
  list: `${PERSISTENT}; ks=$("$0" rlist "$p") || exit 1; for k in $ks; do "$0" rdescribe "$k" 2>/dev/null; done; exit 0`,
} as const;
type Op = keyof typeof SCRIPTS;

const OP_WORDS: Record<Op, string> = { get: 'read', set: 'write', delete: 'delete', list: 'list' };

/** Output lakekey reads from one call at most: a key's payload, or a listing. */
const MAX_OUTPUT_BYTES = 1024 * 1024;

/** Where keyctl is looked for beyond PATH's absolute entries (never the working folder). */
const SYSTEM_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin', '/usr/local/bin'];

export interface KernelKeyringOptions {
  /** PATH to look for keyctl in (its absolute entries only). */
  path: string;
  /** Extra folders to look in after PATH; default: the system's bin folders. Tests pass []. */
  systemDirs?: readonly string[];
  /** A call still running after this is killed (the store above bounds it too). */
  deadlineMs?: number;
}

export function kernelKeyringBackend(opts: KernelKeyringOptions): KeychainBackend & { readonly maxItemBytes: number } {
  const deadlineMs = opts.deadlineMs ?? 60_000;
  let keyctl: string | undefined;
  const run = async (op: Op, description: string, input?: string): Promise<{ ok: true; out: Buffer } | { ok: false; err: string }> => {
    keyctl ??= findKeyctl(opts.path, opts.systemDirs ?? SYSTEM_DIRS);
    return spawnKeyctl(keyctl, SCRIPTS[op], description, input, deadlineMs);
  };
  const fail = (op: Op, account: string, err: string): never => {
    throw kernelError(OP_WORDS[op], account, err);
  };
  const describe = (service: string, account: string) => `${service}:${account}`;

  return {
    maxItemBytes: kernelMaxItemBytes(),

    getPassword: async (service, account) => {
      const r = await run('get', describe(service, account));
      if (r.ok) return r.out.toString('utf8');
      return notFound(r.err) ? null : fail('get', account, r.err);
    },

    setPassword: async (service, account, password) => {
      const bytes = Buffer.byteLength(password, 'utf8');
      if (bytes === 0 || bytes > KERNEL_USER_KEY_MAX_BYTES) {
        throw new LakekeyError(
          'KEYCHAIN_UNAVAILABLE',
          `the kernel keyring cannot hold an item of ${bytes} bytes (a key holds 1 to ${KERNEL_USER_KEY_MAX_BYTES})`,
          {
            hint: 'This is a bug in lakekey: please report it.',
          },
        );
      }
      const r = await run('set', describe(service, account), password);
      if (!r.ok) fail('set', account, r.err);
    },

    deletePassword: async (service, account) => {
      const r = await run('delete', describe(service, account));
      if (r.ok) return true;
      return notFound(r.err) ? false : fail('delete', account, r.err);
    },

    findCredentials: async (service) => {
      const r = await run('list', '');
      if (!r.ok) return fail('list', '', r.err);
      const found: Array<{ account: string }> = [];
      for (const line of r.out.toString('utf8').split('\n')) {
        // type;uid;gid;perm;description — the description may itself hold ";".
        const parts = line.split(';');
        if (parts.length < 5 || parts[0] !== 'user') continue;
        const description = parts.slice(4).join(';');
        if (description.startsWith(`${service}:`)) found.push({ account: description.slice(service.length + 1) });
      }
      return found;
    },
  };
}

/** keyctl's absolute path: PATH's absolute entries first, then the system's folders. */
export function findKeyctl(path: string, systemDirs: readonly string[] = SYSTEM_DIRS): string {
  const dirs = [...path.split(':').filter((d) => isAbsolute(d)), ...systemDirs];
  for (const dir of dirs) {
    const candidate = join(dir, 'keyctl');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      /* not here */
    }
  }
  throw new LakekeyError('KEYCHAIN_UNAVAILABLE', 'the kernel keyring is the chosen keychain, but its keyctl command is not installed', {
    hint: 'Install keyutils (Debian/Ubuntu: `sudo apt install keyutils`; Fedora/RHEL: `sudo dnf install keyutils`), then retry. Or choose the OS keychain: `lakekey keychain os`.',
  });
}

/** One call: `keyctl session - sh -c SCRIPT keyctl DESCRIPTION`, killed past the deadline. */
function spawnKeyctl(
  keyctl: string,
  script: string,
  description: string,
  input: string | undefined,
  deadlineMs: number,
): Promise<{ ok: true; out: Buffer } | { ok: false; err: string }> {
  return new Promise((resolve, reject) => {
    // A fixed environment: C messages (told apart below), and nothing from the caller's.
    const child = spawn(keyctl, ['session', '-', '/bin/sh', '-c', script, keyctl, description], {
      stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      env: { LC_ALL: 'C', PATH: '/usr/bin:/bin' },
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    let settled = false;
    const finish = (f: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      f();
    };
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      finish(() => resolve({ ok: false, err: `keyctl did not finish within ${Math.round(deadlineMs / 1000)} s` }));
    }, deadlineMs);
    child.stdout!.on('data', (d: Buffer) => {
      outBytes += d.length;
      if (outBytes > MAX_OUTPUT_BYTES) {
        child.kill('SIGKILL');
        finish(() => resolve({ ok: false, err: `keyctl printed more than ${MAX_OUTPUT_BYTES} bytes` }));
      } else out.push(d);
    });
    child.stderr!.on('data', (d: Buffer) => {
      if (err.length < 4096) err += d.toString('utf8');
    });
    child.on('error', (e) => finish(() => reject(e)));
    child.on('close', (code, signal) => {
      // `keyctl session` says which keyring it joined: not an error.
      const words = err
        .split('\n')
        .filter((l) => l.trim() && !/^Joined session keyring: \d+$/.test(l.trim()))
        .join('; ');
      finish(() => resolve(code === 0 ? { ok: true, out: Buffer.concat(out) } : { ok: false, err: words || `keyctl ended with ${code ?? signal}` }));
    });
    if (input !== undefined) {
      child.stdin!.on('error', () => undefined); // it died before reading: its exit says why
      child.stdin!.end(input, 'utf8');
    }
  });
}

/** keyctl's words for "no such key" (search or pipe), including one invalidated or expired meanwhile. */
function notFound(err: string): boolean {
  return /Required key not available|Key has been revoked|Key has expired/.test(err);
}

/** A failed call, as exit 4 with the fix for what the kernel said. */
export function kernelError(op: string, account: string, keyctlSaid: string): LakekeyError {
  const said = outside(keyctlSaid);
  const what = `the kernel keyring refused to ${op}${account ? ` "${account}"` : ''} (${said})`;
  if (/Disk quota exceeded/.test(keyctlSaid)) {
    return new LakekeyError('KEYCHAIN_UNAVAILABLE', `the kernel keyring is full: your user's key quota is used up (${said})`, {
      hint:
        'The kernel allows each user a few keys and bytes (/proc/sys/kernel/keys/maxkeys and maxbytes; 200 keys and 20000 bytes by default). ' +
        'Log out of profiles you do not use (`lakekey logout NAME`), remove other keys you no longer need (`keyctl show @u`), or have an administrator raise kernel.keys.maxbytes with sysctl.',
    });
  }
  if (/Operation not permitted|Permission denied/.test(keyctlSaid)) {
    return new LakekeyError('KEYCHAIN_UNAVAILABLE', `the kernel keyring is not usable here: ${what}`, {
      hint:
        "Containers often block the key system calls (Docker's default seccomp profile does): run lakekey on the host, or in a container allowed keyctl and add_key. " +
        'Or choose the OS keychain: `lakekey keychain os`.',
    });
  }
  if (/Operation not supported/.test(keyctlSaid)) {
    return new LakekeyError('KEYCHAIN_UNAVAILABLE', `this Linux kernel offers no persistent keyring: ${what}`, {
      hint: 'lakekey needs a kernel built with CONFIG_PERSISTENT_KEYRINGS (Debian, Ubuntu, Fedora and RHEL kernels are). Choose the OS keychain instead: `lakekey keychain os`.',
    });
  }
  if (/Function not implemented/.test(keyctlSaid)) {
    return new LakekeyError('KEYCHAIN_UNAVAILABLE', `the kernel keyring is not available here: ${what}`, {
      hint: 'The key system calls are missing: a kernel built without CONFIG_KEYS, or a container or sandbox that hides them. Run lakekey on the host, or choose the OS keychain: `lakekey keychain os`.',
    });
  }
  if (/did not finish within/.test(keyctlSaid)) {
    return new LakekeyError('KEYCHAIN_BUSY', `the kernel keyring did not answer: ${what}`, { hint: 'Retry in a moment: the machine may be overloaded.' });
  }
  return new LakekeyError('KEYCHAIN_UNAVAILABLE', what, {
    hint: 'Check that `keyctl get_persistent @s` works for your user; or choose the OS keychain: `lakekey keychain os`.',
  });
}
