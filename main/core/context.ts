// What the use cases run against: the Context, one per host, built by composeCore (compose.ts).
// Everything that touches the world is a port on it — clock, fetch, locks, the loopback
// receiver, the proxy resolver, the env-derived limits, the secret registry, the keychain vault,
// the browser, the logger — so the use cases can run headless against in-process peers.
import type { Browser } from './login/browser.js';
import type { Limits } from './config/env-limits.js';
import type { Locks } from './lock.js';
import type { Logger } from './log.js';
import type { LoopbackOptions, LoopbackReceiver } from './login/loopback.js';
import type { ProxyResolver } from './net/proxy.js';
import type { Vault } from './keychain/vault.js';

export interface Clock {
  now(): number;
}

/** The wall clock: the one place the core reads it. */
export const systemClock: Clock = { now: () => Date.now() };

export interface SecretRegistry {
  /** Masks `value` wherever it would be printed, from now on. */
  register(value: string | undefined | null): void;
}

export type StartLoopback = (port: number, opts: LoopbackOptions) => Promise<LoopbackReceiver>;

/** The ports composeCore always fills in. */
export interface Ports {
  clock: Clock;
  /** The bounded, proxy-aware fetch every HTTP call of ours goes through. */
  fetch: typeof fetch;
  locks: Locks;
  loopback: StartLoopback;
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
  /** The clock's now(), kept for callers that read it directly. */
  now(): number;
  /** A line for the person at the keyboard (stderr in the CLI, a notification in the tray). */
  notice(text: string): void;
  /**
   * Where a person can read instructions even when stderr is captured (the AWS CLI captures a
   * credential_process helper's stderr): the controlling terminal. Absent when there is none.
   */
  terminal?: (text: string) => void;
  /** Ask a running tray app to run an interactive login (the CLI's path to the tray). */
  askTray?: (profile: string, timeoutMs: number) => Promise<'done' | 'no-tray'>;
}

/** The name the use cases' signatures used while ports were optional; the same type now. */
export type CoreContext = Context;

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

export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;

/** How long a use case waits for the profile lock: a login may hold it for its whole timeout. */
export function lockWait(timeoutSeconds: number | undefined): { waitMs: number } {
  return { waitMs: ((timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) + 30) * 1000 };
}
