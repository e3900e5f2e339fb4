// What the credentials endpoint serves for a profile: the "current credentials or renew" use case
// (current-credentials.ts) — the same keychain item, freshness rule, settings binding, profile
// lock and renewal as `credential-process`, so one STS mint serves every client and every CLI
// process beside it — plus what only a long-lived server needs:
// - one renewal per profile however many clients ask at once (single flight);
// - never a browser: a login needed is an answer (an error), at once, not a wait — and so is a
//   login in progress in another process (or the tray): its lock is not waited for (renewal.ts's
//   `waitForLogin: false`), the still-valid credentials are served or "a login is in progress" said;
// - renewal ahead of need, in the background, so a client's request never waits for STS: the
//   credentials are renewed when they enter the profile's renewal window (`refreshBeforeSeconds`,
//   20 minutes by default, a third of the lifetime for short ones), which also is the serving
//   rule: what is served has at least that long left (SDKs that refresh early — the Java SDK
//   prefetches 15 minutes ahead — never get credentials they take as stale at once);
// - answers from memory while nothing changed: each request costs a stat of the settings file and
//   of the lock folder, not a keychain round trip (about 5 ms over D-Bus). Every change to a
//   session — a login, a renewal, a logout, in this process or any other — happens under the
//   profile's lock, whose file comes and goes in the lock folder and so moves its mtime; `profile
//   set` rewrites the settings file. Either change sends the next request to the keychain and the
//   settings again, so `profile set` and `lakekey logout` take effect at once. Time is checked on
//   every request (the freshness rule above);
// - when a renewal cannot be made (the IdP or STS is down, a login is in progress elsewhere) and
//   the use case serves the still-valid credentials instead, the next background attempt is
//   `retryMs` later (the renewal cool-down's length, when serve.ts composes it), never at once:
//   credentials inside their renewal window are due already, and retrying "when due" would
//   retry every second until they expire.
import { LakekeyError, noS3Settings } from '../errors.js';
import { currentS3Credentials, type CurrentDeps } from '../usecases/current-credentials.js';
import { currentS3 } from '../keychain/minted-with.js';
import type { S3Credentials } from '../keychain/record.js';
import type { Profile } from '../config/settings.js';
import { singleFlight } from '../single-flight.js';
import type { Logger } from '../ports.js';
import { renewalDueAt } from '../../shared/freshness.js';

export interface SourceDeps extends CurrentDeps {
  /** The profile's current settings (throws when it is gone or broken). */
  profile(name: string): Profile;
  /** A stamp that changes whenever a session or the settings may have (see above); none: no memory. */
  changes?(): string;
  log: Logger;
  /** Renew ahead in the background (default true); the tray's scheduler does it there. */
  renewAhead?: boolean;
  /** Retry a background renewal that failed, or that could only serve the current credentials, after this long (default 60 s). */
  retryMs?: number;
  /** The timers background renewals run on (default: the process's, unref'd); a test's fake clock. */
  timers?: Timers;
}

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface CredentialSource {
  credentials(profile: string): Promise<S3Credentials>;
  /** Stops the background renewals. */
  close(): void;
}

export function endpointSource(deps: SourceDeps): CredentialSource {
  const timers = new Map<string, unknown>();
  const timer = deps.timers ?? systemTimers;
  const retryMs = deps.retryMs ?? 60_000;
  let closed = false;
  /** What was last answered per profile, and the stamp it was read under. */
  const memory = new Map<string, { stamp: string; profile: Profile; creds: S3Credentials }>();
  const flight = singleFlight(async (name: string) => {
    const stamp = deps.changes?.();
    const profile = deps.profile(name);
    if (!profile.s3) {
      throw noS3Settings(name);
    }
    const creds = await currentS3Credentials(deps, name, profile, { interactive: false, waitForLogin: false });
    // The stamp from before the read: a change during it leaves a stamp that no longer matches.
    if (stamp !== undefined) memory.set(name, { stamp, profile, creds });
    if (deps.renewAhead !== false) {
      // Fresh: renewed when they enter the renewal window. Not fresh (the renewal served the
      // current credentials instead: an outage, a cool-down, a login in progress): tried again later.
      const now = deps.clock.now();
      const due = renewalDueAt(creds.expiresAt, profile.refreshBeforeSeconds);
      schedule(name, currentS3(profile, creds, now) ? due : now + retryMs);
    }
    return creds;
  });

  function remembered(name: string): S3Credentials | undefined {
    const m = memory.get(name);
    if (!m || deps.changes?.() !== m.stamp || !currentS3(m.profile, m.creds, deps.clock.now())) return undefined;
    return m.creds;
  }

  /** Renews `name` at `at` (epoch ms; a second later, just inside the renewal window); a failure retries later. */
  function schedule(name: string, at: number): void {
    if (closed) return;
    if (timers.has(name)) timer.clearTimeout(timers.get(name));
    const delay = Math.max(1000, at - deps.clock.now() + 1000);
    const handle = timer.setTimeout(() => {
      timers.delete(name);
      memory.delete(name); // due: renew, whatever is in memory
      flight.run(name).catch((err: unknown) => {
        deps.log.warn('endpoint.renew-ahead-failed', { profile: name, code: err instanceof LakekeyError ? err.code : 'UNEXPECTED' });
        // A login needed waits for a request (or the tray) to find it; anything else is retried.
        if (!(err instanceof LakekeyError && err.code === 'LOGIN_REQUIRED')) schedule(name, deps.clock.now() + retryMs);
      });
    }, delay);
    timers.set(name, handle);
  }

  return {
    credentials: async (name) => remembered(name) ?? flight.run(name),
    close() {
      closed = true;
      for (const t of timers.values()) timer.clearTimeout(t);
      timers.clear();
    },
  };
}
