// The profile limits, once. The core's settings parser enforces them, the tray's form and the
// settings window check them as you type. Node-free (lint-enforced): the renderer imports it too.

/** Profile names: they name keychain items, lock files and AWS config sections. */
export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** Inclusive [min, max] of each numeric profile field. */
export const LIMITS = {
  redirectPort: [0, 65535],
  refreshBeforeSeconds: [60, 43200],
  s3DurationSeconds: [900, 43200],
  lakefsTtlSeconds: [60, 43200],
} as const satisfies Record<string, readonly [number, number]>;

export type LimitName = keyof typeof LIMITS;

export function withinLimit(field: LimitName, n: number): boolean {
  const [min, max] = LIMITS[field];
  return Number.isInteger(n) && n >= min && n <= max;
}

/** How long an interactive login waits for the browser (or the device) by default. */
export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;

/** How long a use case waits for the profile lock: a login may hold it for its whole timeout. */
export function lockWait(timeoutSeconds: number | undefined): { waitMs: number } {
  return { waitMs: ((timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) + 30) * 1000 };
}
