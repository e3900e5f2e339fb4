// "Is it fresh enough", "how long is left" and "how to say it", once (STYLE: each rule lives
// once). Type-guard predicates, so that a caller that checked has the narrowed value in hand and
// needs no non-null assertion. Node-free (lint-enforced): the CLI, the tray and the renderer share it.

/** Anything that expires at an epoch-ms moment (S3 credentials, a lakeFS token). */
export interface Expiring {
  expiresAt: number;
}

declare const checked: unique symbol;
/**
 * What a predicate below has checked. The brand keeps TypeScript's narrowing honest: a value that
 * fails a check is still a value (just a stale one), so the false branch must not narrow it away.
 */
export type Checked<T> = T & { readonly [checked]: true };

/** A token with less than this left is neither sent to STS nor handed out. */
export const MIN_TOKEN_SECONDS = 60;
/**
 * When renewal fails for a reason outside our control (IdP or STS down), credentials with at
 * least this much left are still handed out rather than nothing.
 */
export const SERVE_CACHED_MIN_SECONDS = 30;

/** Seconds left before `expiresAt`, negative once expired. */
export function secondsLeft(expiresAt: number | undefined, now: number): number {
  return expiresAt === undefined ? -Infinity : Math.floor((expiresAt - now) / 1000);
}

/** Has more than `seconds` left. */
export function hasMoreThan<T extends Expiring>(item: T | undefined, now: number, seconds: number): item is Checked<T> {
  return item !== undefined && secondsLeft(item.expiresAt, now) > seconds;
}

/** Fresh: no renewal due yet (more than the profile's refreshBeforeSeconds left). */
export function isFresh<T extends Expiring>(item: T | undefined, now: number, refreshBeforeSeconds: number): item is Checked<T> {
  return hasMoreThan(item, now, refreshBeforeSeconds);
}

/** Usable: may still be handed out or sent to STS (more than MIN_TOKEN_SECONDS left). */
export function isUsable<T extends Expiring>(item: T | undefined, now: number): item is Checked<T> {
  return hasMoreThan(item, now, MIN_TOKEN_SECONDS);
}

/** Still valid enough to serve when renewal failed for reasons outside our control. */
export function isServable<T extends Expiring>(item: T | undefined, now: number): item is Checked<T> {
  return hasMoreThan(item, now, SERVE_CACHED_MIN_SECONDS);
}

/** An ID token that may still be sent to STS. */
export function hasUsableIdToken<T extends { idToken?: string; idTokenExpiresAt?: number }>(
  idp: T | undefined,
  now: number,
): idp is T & { idToken: string; idTokenExpiresAt: number } {
  return idp?.idToken !== undefined && idp.idTokenExpiresAt !== undefined && secondsLeft(idp.idTokenExpiresAt, now) > MIN_TOKEN_SECONDS;
}

/** When a renewal is due: `refreshBeforeSeconds` before the expiry (epoch ms). */
export function renewalDueAt(expiresAt: number, refreshBeforeSeconds: number): number {
  return expiresAt - refreshBeforeSeconds * 1000;
}

/**
 * The renewal lead time that fits credentials lasting `lifetimeSeconds`: `refreshBeforeSeconds`
 * when it is shorter, else a third of the lifetime (the default's 1200 s of 3600 s). A lead time
 * as long as the lifetime would make every call mint new credentials (900 s credentials with the
 * default 1200 s: 120 ms per `aws` command instead of 17).
 */
export function fittingRefreshBefore(refreshBeforeSeconds: number, lifetimeSeconds: number): number {
  return refreshBeforeSeconds < lifetimeSeconds ? refreshBeforeSeconds : Math.floor(lifetimeSeconds / 3);
}

/** Empty when `refreshBeforeSeconds` fits `lifetimeSeconds`, else what the settings form says about it. */
export function refreshBeforeProblem(refreshBeforeSeconds: number, lifetimeSeconds: number): string {
  if (fittingRefreshBefore(refreshBeforeSeconds, lifetimeSeconds) === refreshBeforeSeconds) return '';
  return `Must be shorter than the S3 duration (${lifetimeSeconds} s), or every use would renew the credentials; ${fittingRefreshBefore(refreshBeforeSeconds, lifetimeSeconds)} (a third of it) works well.`;
}
