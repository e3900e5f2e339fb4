// Per-profile locks shared by the tray and every CLI process (DESIGN §4): a lock file created
// with O_EXCL in `<settings>/locks/`, holding the owner's pid, host and a start time. The
// holder refreshes the file's mtime while it works; a lock whose owner process is gone, or
// whose heartbeat stopped, is stale and taken over. Takeover itself is serialised by a short
// second lock so that two waiters never both remove the same stale file, and it removes only
// the very file it judged stale (same inode), so a fresh lock created meanwhile survives.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  readSync,
  renameSync,
  unlinkSync,
  utimesSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LakekeyError } from './errors.js';
import type { LockOptions, Locks } from './ports.js';

export interface Lock {
  release(): void;
  /** Says in the lock file what its holder is doing now (e.g. a renewal that turned into a login). */
  mark(purpose: string): void;
}

const HEARTBEAT_MS = 2_000;
const DEFAULT_STALE_MS = 15_000;

interface Owner {
  pid: number;
  host: string;
  since: number;
  purpose?: string;
}

export function lockPath(dir: string, profile: string): string {
  return join(dir, 'locks', `${profile}.lock`);
}

export async function acquireLock(dir: string, profile: string, opts: LockOptions): Promise<Lock> {
  try {
    mkdirSync(join(dir, 'locks'), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw lockFolderError(join(dir, 'locks'), err);
  }
  return acquireLockFile(lockPath(dir, profile), { what: `for profile "${profile}"`, doing: 'login or refresh' }, opts);
}

/**
 * The same lock on any file path whose folder exists (the AWS config's lock sits beside it).
 * `about` words the timeout: whose lock it is, and what holds it.
 */
export async function acquireLockFile(file: string, about: { what: string; doing: string }, opts: LockOptions): Promise<Lock> {
  const staleMs = opts.staleMs ?? DEFAULT_STALE_MS;
  const now = opts.now ?? Date.now;
  const deadline = now() + opts.waitMs;
  let told = false;
  for (let attempt = 0; ; attempt++) {
    const lock = tryCreate(file, now, opts.purpose);
    if (lock) return lock;
    if (staleFile(file, staleMs)) {
      takeOver(file, staleMs);
      continue;
    }
    if (!told && opts.onWait) {
      // The holder creates the file, then writes who it is: an empty file is read again next
      // round (a few times) rather than told as "someone", so a login is said as a login.
      const owner = readOwner(file);
      if (owner || attempt >= 5) {
        told = true;
        opts.onWait(owner ? { pid: owner.pid, purpose: owner.purpose, since: owner.since } : {});
      }
    }
    if (now() >= deadline) {
      throw new LakekeyError('LOCK_TIMEOUT', `another lakekey process has held the lock ${about.what} for too long`, {
        hint: `If no lakekey ${about.doing} is running, remove ${file} and retry.`,
      });
    }
    // Back off a little further each round, with jitter, up to 100 ms.
    const pause = Math.min(opts.pollMs ?? 100, 10 + attempt * 5) * (0.5 + Math.random());
    await new Promise((r) => setTimeout(r, pause));
  }
}

function tryCreate(file: string, now: () => number, purpose?: string): Lock | undefined {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw lockFolderError(file, err);
  }
  try {
    const owner: Owner = { pid: process.pid, host: hostname(), since: now(), ...(purpose ? { purpose } : {}) };
    writeSync(fd, JSON.stringify(owner));
  } catch (err) {
    // A disk that fills up between create and write: leave no empty lock behind.
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      /* stale-lock recovery clears it */
    }
    throw lockFolderError(file, err);
  }
  closeSync(fd);
  const heartbeat = setInterval(() => {
    try {
      const now = new Date();
      utimesSync(file, now, now);
    } catch {
      /* released or taken over */
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();
  let released = false;
  return {
    mark(purpose) {
      if (released) return;
      // Rewritten in place (same file, so takeover's identity checks hold); a waiter reading it
      // mid-write finds no owner and a fresh mtime, which is never judged stale.
      const owner = readOwner(file);
      if (owner?.pid !== process.pid || owner.host !== hostname() || owner.purpose === purpose) return;
      try {
        const out = openSync(file, constants.O_WRONLY | (constants.O_NOFOLLOW ?? 0));
        try {
          const text = JSON.stringify({ ...owner, purpose });
          ftruncateSync(out, 0);
          writeSync(out, text, 0);
        } finally {
          closeSync(out);
        }
      } catch {
        /* the lock file is gone or taken over: nothing to say in it */
      }
    },
    release() {
      if (released) return;
      released = true;
      clearInterval(heartbeat);
      try {
        const owner = readOwner(file);
        if (owner?.pid === process.pid && owner.host === hostname()) unlinkSync(file);
      } catch {
        /* already gone */
      }
    },
  };
}

function lockFolderError(path: string, err: unknown): LakekeyError {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return new LakekeyError('CONFIG', `cannot create the lock ${path} (${code})`, {
    hint: 'Check that the settings folder (LAKEKEY_CONFIG_DIR) is a writable folder on a disk that is not full.',
    cause: err,
  });
}

/**
 * The owner a lock file names. A lock may sit in a folder others can write (beside a shared AWS
 * config): what is planted at its name is never followed (a symlink to /dev/zero or a FIFO would
 * hang us) and never read past a lock's size; it is then simply not a lock we can read.
 */
function readOwner(file: string): Owner | undefined {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(1024);
    const n = readSync(fd, buf, 0, buf.length, 0);
    return JSON.parse(buf.subarray(0, n).toString('utf8')) as Owner;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The lock file as judged stale, or undefined when it is live or gone. */
function staleFile(file: string, staleMs: number): Stats | undefined {
  let st: Stats;
  try {
    // The name itself, not what a planted symlink points at: a dangling one is judged (and
    // cleared) like any other unreadable lock instead of blocking every writer until timeout.
    st = lstatSync(file);
  } catch {
    return undefined; // gone: the next create attempt will tell
  }
  return isStale(file, st.mtimeMs, staleMs) ? st : undefined;
}

function isStale(file: string, mtime: number, staleMs: number): boolean {
  const owner = readOwner(file);
  if (!owner) {
    // Being written right now, or garbage left by a crash between create and write.
    return Date.now() - mtime > 1_000;
  }
  if (owner.host === hostname() && !processAlive(owner.pid)) return true;
  return Date.now() - mtime > staleMs;
}

/** Whether a process with this pid runs on this machine (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function takeOver(file: string, staleMs: number): void {
  const guard = file + '.takeover';
  let fd: number;
  try {
    fd = openSync(guard, 'wx', 0o600);
  } catch {
    // Someone else is taking over; clear a guard left by a crash mid-takeover.
    try {
      const st = lstatSync(guard);
      if (Date.now() - st.mtimeMs > 5_000) removeIfSame(guard, st);
    } catch {
      /* gone */
    }
    return;
  }
  closeSync(fd);
  try {
    const judged = staleFile(file, staleMs);
    if (judged) removeIfSame(file, judged);
  } catch {
    /* already removed */
  } finally {
    try {
      unlinkSync(guard);
    } catch {
      /* ignore */
    }
  }
}

/**
 * Removes `path` only if it is still the file `judged` describes. Checking and then unlinking
 * by name is a race (the file may have been replaced in between); instead the file is renamed
 * to a private claim name, which is atomic, and the claim is compared with what was judged. If
 * it is another file (a fresh lock created meanwhile), it is linked back, again atomically.
 */
export function removeIfSame(path: string, judged: Stats): boolean {
  const claim = `${path}.claim-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(path, claim);
  } catch {
    return false; // gone already
  }
  const st = lstatSync(claim);
  if (st.ino === judged.ino && st.dev === judged.dev && st.mtimeMs === judged.mtimeMs) {
    unlinkSync(claim);
    return true;
  }
  try {
    linkSync(claim, path); // fails if yet another lock was created: that one stands
  } finally {
    unlinkSync(claim);
  }
  return false;
}

export function fileLocks(dir: string, now: () => number = Date.now): Locks {
  const held = new Map<string, Lock>();
  return {
    async withLock(profile, opts, fn) {
      const lock = await acquireLock(dir, profile, { now, ...opts });
      held.set(profile, lock);
      try {
        return await fn();
      } finally {
        held.delete(profile);
        lock.release();
      }
    },
    mark: (profile, purpose) => held.get(profile)?.mark(purpose),
  };
}

/** Runs `fn` while holding the profile lock. */
export async function withLock<T>(dir: string, profile: string, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(dir, profile, opts);
  try {
    return await fn();
  } finally {
    lock.release();
  }
}
