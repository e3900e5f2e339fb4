// The ports: every interface through which the core touches the world, and the Context that
// carries them to the use cases. Interfaces only — this module imports no adapter, so a use case
// that imports it (and pure functions) can run headless; compose.ts picks the adapters that
// implement them (the keychain backend, the system browser, the loopback receiver, file locks,
// the logger, the bounded fetch, the proxy resolver) once per host.
import type { Limits } from './config/env-limits.js';
import type { Vault } from './keychain/vault.js';
import type { Profile } from './config/settings.js';
import type { ErrorCode } from './errors.js';

export interface Clock {
  now(): number;
}

export interface SecretRegistry {
  /** Masks `value` wherever it would be printed, from now on. */
  register(value: string | undefined | null): void;
}

export interface Logger {
  debug(step: string, fields?: Record<string, unknown>): void;
  info(step: string, fields?: Record<string, unknown>): void;
  warn(step: string, fields?: Record<string, unknown>): void;
}

export interface Browser {
  /**
   * Whether a browser can be shown to the user at all (a desktop session, LAKEKEY_BROWSER, WSL's
   * Windows browser, or `command` when it is a command of the user's own).
   */
  available(command?: string): boolean;
  /**
   * Opens `url` (lakekey's private launch page, never the authorization URL) with `command` — the
   * profile's `--browser` (shared/browser-command.ts) — else LAKEKEY_BROWSER, else the system default.
   */
  open(url: string, command?: string): Promise<void>;
}

/** Who holds a lock, as its file says (any field may be missing from a file being written). */
export interface LockHolder {
  pid?: number;
  /** What the holder said it is doing (`login`), when it said. */
  purpose?: string;
  /** Epoch ms it took the lock. */
  since?: number;
}

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  waitMs: number;
  /** What this holder does, written in the lock file so that waiters can say what they wait for. */
  purpose?: string;
  /** Called once, at once, when the lock is held by another live holder and the wait begins. */
  onWait?: (holder: LockHolder) => void;
  /** A lock whose heartbeat is older than this is stale even if its pid looks alive. */
  staleMs?: number;
  pollMs?: number;
  /**
   * The clock the wait is measured on (the Context's). File ages are measured on the wall clock
   * whatever this says: they are compared with file mtimes, which the OS stamps.
   */
  now?: () => number;
}

/** The per-profile locks of one settings folder: the Context's `locks` port. */
export interface Locks {
  withLock<T>(profile: string, opts: LockOptions, fn: () => Promise<T>): Promise<T>;
  /** Says what the holder of `profile`'s lock, in this process, is doing now (see LockOptions.purpose). */
  mark(profile: string, purpose: string): void;
}

export type PeerOwner =
  /** The kernel named the user at the other end. */
  | { kind: 'uid'; uid: number }
  /** This platform cannot tell (macOS, Windows): the other defences stand alone. */
  | { kind: 'unsupported' }
  /** The platform can tell but did not: refuse. `why` is for the log, never for a page. */
  | { kind: 'unknown'; why: string };

/** Who owns the client socket `clientPort` → `serverPort` on 127.0.0.1 (the loopback servers' uid check). */
export type PeerCheck = (clientPort: number, serverPort: number) => PeerOwner;

export interface CallbackResult {
  /** The full callback URL as the browser sent it (contains the code: never log it). */
  url: URL;
  /** Answer the browser. Call exactly once. */
  respond(page: Page): void;
}

export interface Page {
  status: number;
  title: string;
  message: string;
  /** Send the tab on to this URL (the second authorization of a combined login). */
  redirectTo?: string;
}

export interface LoopbackOptions {
  /** Told about refused attempts that leave the login waiting (someone else is trying). */
  onRefused?: (text: string) => void;
  /** Who owns a loopback client socket: the Context's `peer`. */
  peer: PeerCheck;
}

export interface LoopbackReceiver {
  redirectUri: string;
  /**
   * A fresh single-use local URL that forwards the browser to `authorizationUrl`. The first one
   * binds the browser that opens it (the cookie); later ones, for the next leg of a combined
   * login, work only in that browser.
   */
  launch(authorizationUrl: string): string;
  /** Resolves with the first callback whose state and cookie match; rejects on timeout, abort or IdP error. */
  waitForCallback(expectedState: string, timeoutMs: number, signal?: AbortSignal): Promise<CallbackResult>;
  close(): Promise<void>;
}

export type StartLoopback = (port: number, opts: LoopbackOptions) => Promise<LoopbackReceiver>;

/**
 * The tray asks the OS (Electron's session.resolveProxy: system settings, PAC) which proxy a URL
 * needs; it applies only when no proxy variable is set, so a shell's explicit choice wins.
 */
export type SystemProxyResolver = (url: string) => Promise<string | undefined>;

/** Which proxy, if any, a request to a URL goes through: a port on the Context, built by composeCore. */
export type ProxyResolver = (url: string | URL) => Promise<string | undefined>;

/** What the keychain adapter in vault.ts needs: keytar's four calls, plus a lock query. */
export interface KeychainBackend {
  /** The accounts stored under `service`; absent where the platform's store cannot list them. */
  findCredentials?(service: string): Promise<Array<{ account: string }>>;
  getPassword(service: string, account: string): Promise<string | null>;
  setPassword(service: string, account: string, password: string): Promise<void>;
  deletePassword(service: string, account: string): Promise<boolean>;
  /** Whether a call is waiting on the keyring being unlocked (a prompt is shown). */
  locked?(): Promise<boolean>;
}

export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  delete(account: string): Promise<boolean>;
  /** Largest secret (in UTF-8 bytes) one item can hold; Infinity where there is no limit. */
  readonly maxItemBytes: number;
  /** Accounts that start with `prefix` (to sweep chunks a crash left behind); optional, and undefined where the store cannot list. */
  list?(prefix: string): Promise<string[] | undefined>;
}

/** A renewal that failed for a reason outside our control (exit 5), recorded for the shared cool-down. */
export interface RenewalFailure {
  /** When it failed, epoch ms on the clock of whoever wrote it. */
  at: number;
  code: ErrorCode;
}

/** The last renewal failure per profile, shared by every lakekey process of one settings folder. */
export interface RenewalFailures {
  /** The last recorded failure; undefined when none (or unreadable, or not ours). Never throws. */
  read(profile: string): RenewalFailure | undefined;
  /** Records a failure; throws the file system's error (callers treat it as best effort). */
  record(profile: string, failure: RenewalFailure): void;
  /** Forgets it (a renewal succeeded). Never throws. */
  clear(profile: string): void;
}

/** The ports composeCore always fills in. */
export interface Ports {
  clock: Clock;
  /** The bounded, proxy-aware fetch every HTTP call of ours goes through. */
  fetch: typeof fetch;
  locks: Locks;
  /** The shared record behind the cool-down after a failed renewal. */
  failures: RenewalFailures;
  loopback: StartLoopback;
  /** Who owns the other end of a loopback connection (the loopback servers' uid check). */
  peer: PeerCheck;
  proxy: ProxyResolver;
  limits: Limits;
  secrets: SecretRegistry;
}

export interface Context extends Ports {
  /** Settings folder: locks live here. */
  dir: string;
  vault: Vault;
  log: Logger;
  browser: Browser;
  /** A line for the person at the keyboard (stderr in the CLI, a notification in the tray). */
  notice(text: string): void;
  /**
   * Where a person can read instructions even when stderr is captured (the AWS CLI captures a
   * credential_process helper's stderr): the controlling terminal. Absent when there is none.
   */
  terminal?: (text: string) => void;
  /**
   * The profiles of the settings as they are now, to find those sharing an IdP session (a
   * logout or a new login of one concerns them all). Absent: no other profile is known.
   */
  profiles?: () => Record<string, Profile>;
  /** Ask a running tray app to run an interactive login (the CLI's path to the tray). */
  askTray?: (profile: string, timeoutMs: number) => Promise<'done' | 'no-tray'>;
}

export interface LoginOptions {
  noBrowser?: boolean;
  timeoutSeconds?: number;
  /**
   * Let the user pick (or sign in as) another account at the IdP rather than reuse the browser's
   * IdP session: OIDC `prompt=select_account`, or `login` where the IdP lacks it (oidc.ts).
   */
  selectAccount?: boolean;
  /** OIDC `login_hint`: the account the IdP should offer first (an email, a user name). */
  loginHint?: string;
  /** Where "logged in as X; the previous session of Y was logged out" goes; ctx.notice by default (the tray notifies). */
  onReplaced?: (text: string) => void;
}
