// The tray's refresh scheduler (DESIGN §6). Pure: the clock, timers, randomness, the user's
// presence and every effect are injected, so a test drives it with a fake clock.
//
// For each signed-in profile it keeps ONE timer, set for the next thing to do:
// - `refresh`: a silent renewal (the core's currentS3Credentials, forced, interactive:false) shortly before
//   fewer than refreshBeforeSeconds remain, with a little jitter so that profiles (and machines)
//   do not all hit the IdP in the same second. Failures back off exponentially.
// - `notify`: when only a browser round trip can renew (no refresh token, the IdP session ended,
//   or a lakeFS token, which has no refresh grant), a notification ahead of expiry. The browser
//   opens only when the user clicks it — never unasked, and never while the screen is locked
//   or the user is idle.
// There is no polling loop: plans are recomputed when a timer fires, when settings or sessions
// change, on resume from sleep, on unlock and on network changes.

import { sayValidity } from '../shared/duration.js';
import { renewalDueAt } from '../shared/freshness.js';

export interface ScheduleInput {
  name: string;
  refreshBeforeSeconds: number;
  signedIn: boolean;
  /** A refresh token is available. */
  canRefresh: boolean;
  wantsS3: boolean;
  /** Epoch ms. */
  s3ExpiresAt?: number;
  wantsLakefs: boolean;
  lakefsExpiresAt?: number;
}

export type Presence = 'active' | 'idle' | 'locked' | 'unknown';

export interface TimerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export type NoticeKind = 'login-needed' | 'refresh-failed';

export interface Notice {
  kind: NoticeKind;
  profile: string;
  title: string;
  body: string;
  /** Clicking it should call `renew(profile)`. */
  actionable: boolean;
}

/** What a failed refresh tells the scheduler. */
export interface RefreshFailure {
  code: string;
  message: string;
}

export interface SchedulerDeps {
  clock: TimerClock;
  /** [0, 1). */
  random(): number;
  /** The current profiles and what their secret records say (never the secrets themselves). */
  load(): Promise<ScheduleInput[]>;
  /** Silent renewal; throws a LakekeyError-like { code, message } on failure. */
  refresh(name: string): Promise<void>;
  /** Interactive (browser) login. Only ever called from renew(), i.e. on a user's click. */
  login(name: string): Promise<void>;
  /** The idle/lock probe (Electron: powerMonitor.getSystemIdleState). */
  presence(): Presence;
  notify(notice: Notice): void;
  /** Something the menu shows changed. */
  changed?(): void;
}

export interface ProfileSchedule {
  next?: { kind: 'refresh' | 'notify'; at: number };
  /** The last silent renewal said only a browser login can help. */
  loginRequired: boolean;
  failures: number;
  lastError?: RefreshFailure;
  /** A login-needed notice is waiting for the user to come back. */
  noticePending: boolean;
  /** A silent renewal runs right now. */
  renewing: boolean;
}

export const BACKOFF_BASE_MS = 30_000;
export const BACKOFF_MAX_MS = 30 * 60_000;
/** Upper bound of the random delay added before a refresh. */
export const MAX_JITTER_MS = 60_000;
/** Delay after resume or a network change before overdue work runs (the network needs a moment). */
export const WAKE_DELAY_MS = 5_000;
/** While the user is away, a pending notice is looked at again after this long (and on unlock). */
export const AWAY_RECHECK_MS = 5 * 60_000;
/** After this many failed refreshes in a row the user hears about it (once). */
export const NOTIFY_AFTER_FAILURES = 3;
/** setTimeout's limit. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry extends ProfileSchedule {
  input: ScheduleInput;
  timer?: unknown;
  /** Jitter chosen for the expiry it was drawn for, so re-planning does not move the refresh. */
  jitter?: { forExpiry: number; ms: number };
  retryAt?: number;
  /** The expiry a login-needed notice was already shown for. */
  notifiedFor?: number;
}

/** Whether an interactive login may open a browser now. */
export function mayOpenBrowser(presence: Presence): boolean {
  return presence === 'active' || presence === 'unknown';
}

/** Exponential backoff with ±20 % jitter: 30 s, 1 min, 2 min, … capped at 30 min. */
export function backoffMs(failures: number, random: number): number {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}

/** The jitter for a profile: up to 10 % of its refresh window, at most a minute. */
export function jitterMs(refreshBeforeSeconds: number, random: number): number {
  return Math.floor(random * Math.min(MAX_JITTER_MS, refreshBeforeSeconds * 100));
}

/** The earliest expiry that only a browser login can push back, if any. */
export function browserOnlyExpiry(input: ScheduleInput, loginRequired: boolean): number | undefined {
  const times: number[] = [];
  if (input.wantsS3 && (!input.canRefresh || loginRequired) && input.s3ExpiresAt !== undefined) times.push(input.s3ExpiresAt);
  if (input.wantsLakefs && input.lakefsExpiresAt !== undefined) times.push(input.lakefsExpiresAt);
  return times.length ? Math.min(...times) : undefined;
}

/** The profile's S3 half renews without a person (a refresh token, no login asked for). */
export function s3RenewsSilently(input: ScheduleInput, loginRequired: boolean): boolean {
  return input.wantsS3 && input.canRefresh && !loginRequired;
}

export class Scheduler {
  private readonly entries = new Map<string, Entry>();
  private stopped = false;
  private reloading: Promise<void> | undefined;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Reads the profiles again and re-plans every one (settings or sessions changed). */
  async update(): Promise<void> {
    // Coalesce bursts (a settings write and a login finishing together).
    this.reloading ??= this.reload().finally(() => (this.reloading = undefined));
    return this.reloading;
  }

  /** The machine woke up: timers may have slept through their time. Re-plan with a short delay. */
  async resume(): Promise<void> {
    await this.update();
    this.pullOverdueForward();
  }

  /** The network changed: give failing profiles a prompt retry instead of waiting out the backoff. */
  async networkChanged(): Promise<void> {
    for (const e of this.entries.values()) {
      if (e.failures > 0) e.retryAt = this.deps.clock.now() + WAKE_DELAY_MS;
    }
    await this.update();
  }

  /** The user is back (screen unlocked, activity): show notices that waited for them. */
  presenceChanged(): void {
    for (const e of this.entries.values()) if (e.noticePending && !this.stopped) this.runNotify(e);
  }

  /**
   * The user asked to renew (a notification click, the menu's Login). Opens the browser only
   * when the user is at the machine; answers whether the login ran.
   */
  async renew(name: string): Promise<'done' | 'deferred'> {
    if (!mayOpenBrowser(this.deps.presence())) return 'deferred';
    await this.deps.login(name);
    const e = this.entries.get(name);
    if (e) {
      e.loginRequired = false;
      e.failures = 0;
      e.noticePending = false;
      delete e.lastError;
      delete e.retryAt;
    }
    await this.update();
    return 'done';
  }

  /** Runs a silent refresh now (the menu's "Refresh now"). */
  async refreshNow(name: string): Promise<void> {
    const e = this.entries.get(name);
    if (e) delete e.retryAt;
    await this.runRefresh(name, true);
  }

  schedule(name: string): ProfileSchedule | undefined {
    const e = this.entries.get(name);
    if (!e) return undefined;
    const s: ProfileSchedule = { loginRequired: e.loginRequired, failures: e.failures, noticePending: e.noticePending, renewing: e.renewing };
    if (e.next) s.next = { ...e.next };
    if (e.lastError) s.lastError = { ...e.lastError };
    return s;
  }

  stop(): void {
    this.stopped = true;
    for (const e of this.entries.values()) this.clear(e);
  }

  // ---- planning -------------------------------------------------------------------------------

  private async reload(): Promise<void> {
    const inputs = await this.deps.load();
    if (this.stopped) return;
    const seen = new Set<string>();
    for (const input of inputs) {
      seen.add(input.name);
      let e = this.entries.get(input.name);
      if (!e) {
        e = { input, loginRequired: false, failures: 0, noticePending: false, renewing: false };
        this.entries.set(input.name, e);
      }
      // A new session (the CLI or the tray logged in) clears what the old one had learned.
      const wasRefreshable = e.input.canRefresh;
      e.input = input;
      if (!input.signedIn || (input.canRefresh && !wasRefreshable)) {
        e.loginRequired = false;
        e.failures = 0;
        delete e.lastError;
        delete e.retryAt;
      }
      this.plan(e);
    }
    for (const [name, e] of this.entries) {
      if (!seen.has(name)) {
        this.clear(e);
        this.entries.delete(name);
      }
    }
    this.deps.changed?.();
  }

  private plan(e: Entry): void {
    this.clear(e);
    delete e.next;
    if (this.stopped || !e.input.signedIn) {
      e.noticePending = false;
      return;
    }
    const now = this.deps.clock.now();
    const candidates: Array<{ kind: 'refresh' | 'notify'; at: number }> = [];
    const refreshAt = this.refreshTime(e, now);
    if (refreshAt !== undefined) candidates.push({ kind: 'refresh', at: refreshAt });
    const expiry = browserOnlyExpiry(e.input, e.loginRequired);
    if (e.noticePending) {
      candidates.push({ kind: 'notify', at: now + AWAY_RECHECK_MS });
    } else if (expiry !== undefined && e.notifiedFor !== expiry) {
      candidates.push({ kind: 'notify', at: renewalDueAt(expiry, e.input.refreshBeforeSeconds) });
    } else if (e.loginRequired && expiry === undefined && e.notifiedFor !== -1) {
      // Nothing valid left and the session is gone: say so once.
      candidates.push({ kind: 'notify', at: now });
    }
    if (!candidates.length) return;
    const next = candidates.reduce((a, b) => (b.at < a.at ? b : a));
    e.next = next;
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, next.at - now));
    e.timer = this.deps.clock.setTimeout(() => this.fire(e.input.name), delay);
  }

  private refreshTime(e: Entry, now: number): number | undefined {
    const { input } = e;
    if (!input.wantsS3 || !input.canRefresh || e.loginRequired) return undefined;
    if (e.retryAt !== undefined) return e.retryAt;
    if (input.s3ExpiresAt === undefined) return now; // signed in but no S3 credentials yet: mint them
    if (!e.jitter || e.jitter.forExpiry !== input.s3ExpiresAt) {
      e.jitter = { forExpiry: input.s3ExpiresAt, ms: jitterMs(input.refreshBeforeSeconds, this.deps.random()) };
    }
    return renewalDueAt(input.s3ExpiresAt, input.refreshBeforeSeconds) - e.jitter.ms;
  }

  private pullOverdueForward(): void {
    const now = this.deps.clock.now();
    for (const e of this.entries.values()) {
      if (!e.next || e.next.at > now + WAKE_DELAY_MS) continue;
      this.clear(e);
      e.next = { ...e.next, at: now + WAKE_DELAY_MS };
      e.timer = this.deps.clock.setTimeout(() => this.fire(e.input.name), WAKE_DELAY_MS);
    }
  }

  private clear(e: Entry): void {
    if (e.timer !== undefined) this.deps.clock.clearTimeout(e.timer);
    e.timer = undefined;
  }

  // ---- acting ---------------------------------------------------------------------------------

  private fire(name: string): void {
    const e = this.entries.get(name);
    if (!e || this.stopped) return;
    this.clear(e);
    const kind = e.next?.kind;
    if (kind === 'refresh') void this.runRefresh(name, false);
    else if (kind === 'notify') this.runNotify(e);
  }

  private async runRefresh(name: string, userAsked: boolean): Promise<void> {
    const e = this.entries.get(name);
    if (!e || e.renewing) return;
    e.renewing = true;
    this.deps.changed?.();
    const before = e.input.s3ExpiresAt;
    try {
      await this.deps.refresh(name);
      await this.reload();
      if (e.input.s3ExpiresAt === before && before !== undefined && this.refreshTime(e, this.deps.clock.now())! <= this.deps.clock.now()) {
        // "Success" without new credentials: the core served the cached ones (IdP or STS down).
        // Back off like a failure, or the plan would fire again at once.
        throw new RenewalError('NOT_RENEWED', 'the credentials could not be renewed yet (identity provider or STS unreachable)');
      }
      e.failures = 0;
      delete e.lastError;
      delete e.retryAt;
    } catch (err) {
      const failure = toFailure(err);
      e.lastError = failure;
      if (failure.code === 'LOGIN_REQUIRED') {
        e.loginRequired = true;
        delete e.retryAt;
      } else {
        e.failures += 1;
        e.retryAt = this.deps.clock.now() + backoffMs(e.failures, this.deps.random());
        if (e.failures === NOTIFY_AFTER_FAILURES && !userAsked) {
          this.deps.notify({
            kind: 'refresh-failed',
            profile: name,
            title: `lakekey: cannot renew "${name}"`,
            body: `${failure.message}. lakekey keeps trying; the current credentials stay in use while they are valid.`,
            actionable: false,
          });
        }
      }
      if (userAsked && !(err instanceof RenewalError)) throw err;
    } finally {
      e.renewing = false;
      await this.update();
    }
  }

  private runNotify(e: Entry): void {
    const presence = this.deps.presence();
    if (presence === 'idle' || presence === 'locked') {
      // Nobody is looking: wait for unlock/activity (presenceChanged) or look again later.
      e.noticePending = true;
      this.plan(e);
      return;
    }
    e.noticePending = false;
    const expiry = browserOnlyExpiry(e.input, e.loginRequired);
    e.notifiedFor = expiry ?? -1;
    const now = this.deps.clock.now();
    const lakefs = e.input.wantsLakefs && e.input.lakefsExpiresAt === expiry;
    const [noun, verb] = lakefs ? ['lakeFS token', 'is'] : ['credentials', 'are'];
    // The halves stand alone (README "Profiles with S3 and lakeFS"): an expiring lakeFS token
    // does not stop S3, and the user should not log in in a hurry for a job that needs only S3.
    const s3Goes = lakefs && s3RenewsSilently(e.input, e.loginRequired) ? ' S3 credentials keep renewing on their own.' : '';
    this.deps.notify({
      kind: 'login-needed',
      profile: e.input.name,
      title: `lakekey: log in again for "${e.input.name}"`,
      // Said as everywhere else: "valid 12 min, until 21:10 local" / "expired at 21:10 local".
      body:
        expiry === undefined
          ? 'Your session has ended. Click to log in in your browser.'
          : expiry > now
            ? `Your ${noun} ${verb} ${sayValidity(expiry, now)}. Click to renew in your browser.${s3Goes}`
            : `Your ${noun} ${sayValidity(expiry, now)}. Click to log in in your browser.${s3Goes}`,
      actionable: true,
    });
    this.plan(e);
    this.deps.changed?.();
  }
}

class RenewalError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function toFailure(err: unknown): RefreshFailure {
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : 'INTERNAL', message: typeof e?.message === 'string' ? e.message : String(err) };
}
