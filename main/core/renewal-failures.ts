// The renewal failures port's adapter (ports.ts RenewalFailures): the record behind the cool-down
// after a failed renewal (renewal.ts), shared by the tray and every CLI process. When a renewal
// fails for a reason outside our control (the IdP, STS or lakeFS refused or unreachable: exit 5),
// the time and the error code are written to a small file beside the profile's lock; for the
// cool-down that follows, a caller holding still-valid credentials serves them at once instead of
// trying the network again (renewal.ts decides when that is allowed). Without it a hanging IdP
// added a full HTTP timeout to every `aws` command in the renewal window.
//
// The file holds no secret: `{"at": <epoch ms>, "code": "<error code>"}`, mode 0600 in the 0700
// lock folder, replaced atomically (a private temporary file renamed over it). A missing, corrupt
// or foreign file, or one stamped in the future (the clock was set back), means no cool-down:
// a damaged file can make lakekey try the network, never stop it from trying.
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, mkdirSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isErrorCode } from './errors.js';
import type { RenewalFailure, RenewalFailures } from './ports.js';

/** Bigger than any file this module writes; a larger one is not ours. */
const MAX_BYTES = 256;

export function cooldownPath(dir: string, profile: string): string {
  return join(dir, 'locks', `${profile}.cooldown`);
}

/** The last recorded failure, or undefined when there is none (or the file is unreadable or not ours). Never throws. */
export function readRenewalFailure(dir: string, profile: string): RenewalFailure | undefined {
  let fd: number;
  try {
    // Never follow a planted symlink, never block on a FIFO.
    fd = openSync(cooldownPath(dir, profile), constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch {
    return undefined;
  }
  try {
    if (!fstatSync(fd).isFile()) return undefined;
    const buf = Buffer.alloc(MAX_BYTES + 1);
    const n = readSync(fd, buf, 0, buf.length, 0);
    if (n > MAX_BYTES) return undefined;
    const parsed: unknown = JSON.parse(buf.subarray(0, n).toString('utf8'));
    if (!parsed || typeof parsed !== 'object') return undefined;
    const { at, code } = parsed as { at?: unknown; code?: unknown };
    return typeof at === 'number' && Number.isFinite(at) && isErrorCode(code) ? { at, code } : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** Records a failed renewal, replacing the file atomically. Throws the file system's error (callers treat it as best effort). */
export function recordRenewalFailure(dir: string, profile: string, failure: RenewalFailure): void {
  const file = cooldownPath(dir, profile);
  mkdirSync(join(dir, 'locks'), { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(temp, 'wx', 0o600);
  try {
    try {
      writeSync(fd, JSON.stringify({ at: failure.at, code: failure.code }));
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  } catch (err) {
    try {
      unlinkSync(temp);
    } catch {
      /* never created, or already renamed */
    }
    throw err;
  }
}

/** Forgets the recorded failure (a renewal succeeded). Never throws. */
export function clearRenewalFailure(dir: string, profile: string): void {
  try {
    unlinkSync(cooldownPath(dir, profile));
  } catch {
    /* none recorded; or the folder is unwritable, and a record left over matters to no one: the credentials just renewed are fresh for longer than any cool-down */
  }
}

/** The Context's `failures` port over the files of one settings folder. */
export function fileRenewalFailures(dir: string): RenewalFailures {
  return {
    read: (profile) => readRenewalFailure(dir, profile),
    record: (profile, failure) => recordRenewalFailure(dir, profile, failure),
    clear: (profile) => clearRenewalFailure(dir, profile),
  };
}
