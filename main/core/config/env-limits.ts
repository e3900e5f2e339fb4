// The limits the environment may set (timeouts the tests and slow machines lower or raise),
// read once per host by composeCore, never by the modules that apply them.

export const DEFAULT_HTTP_TIMEOUT_SECONDS = 10;
/** The bound on a renewal's requests while the cached credentials could still be served instead. */
export const DEFAULT_EARLY_RENEWAL_TIMEOUT_SECONDS = 2;
/** How long after a renewal failed outside our control the cached credentials are served without retrying. */
export const DEFAULT_RENEWAL_COOLDOWN_SECONDS = 60;

export interface Limits {
  /** Bound on every outbound HTTP request (LAKEKEY_HTTP_TIMEOUT_SECONDS). */
  httpTimeoutMs: number;
  /**
   * Bound on each request of a renewal made while the cached credentials are still valid, so a
   * hanging IdP or STS delays a command by this instead of httpTimeoutMs
   * (LAKEKEY_EARLY_RENEWAL_TIMEOUT_SECONDS; never more than httpTimeoutMs).
   */
  earlyRenewalTimeoutMs: number;
  /**
   * After a renewal failed for a reason outside our control, calls within this serve the still-valid
   * cached credentials without trying the network again (LAKEKEY_RENEWAL_COOLDOWN_SECONDS).
   */
  renewalCooldownMs: number;
  /** Keychain call bounds; undefined: the vault's per-platform defaults. */
  keychainTimeoutMs?: number;
  keychainBusyTimeoutMs?: number;
  /** An imposed keychain item size (e.g. Windows' 2560 bytes, to test splitting anywhere). */
  keychainMaxItemBytes?: number;
}

export function limitsFromEnv(env: NodeJS.ProcessEnv): Limits {
  const positive = (name: string): number | undefined => {
    const n = Number(env[name]);
    return env[name] !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
  };
  const httpTimeoutMs = (positive('LAKEKEY_HTTP_TIMEOUT_SECONDS') ?? DEFAULT_HTTP_TIMEOUT_SECONDS) * 1000;
  const limits: Limits = {
    httpTimeoutMs,
    earlyRenewalTimeoutMs: Math.min(httpTimeoutMs, (positive('LAKEKEY_EARLY_RENEWAL_TIMEOUT_SECONDS') ?? DEFAULT_EARLY_RENEWAL_TIMEOUT_SECONDS) * 1000),
    renewalCooldownMs: (positive('LAKEKEY_RENEWAL_COOLDOWN_SECONDS') ?? DEFAULT_RENEWAL_COOLDOWN_SECONDS) * 1000,
  };
  const timeout = positive('LAKEKEY_KEYCHAIN_TIMEOUT_MS');
  const busy = positive('LAKEKEY_KEYCHAIN_BUSY_TIMEOUT_MS');
  const maxItem = positive('LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES');
  if (timeout !== undefined) limits.keychainTimeoutMs = timeout;
  if (busy !== undefined) limits.keychainBusyTimeoutMs = busy;
  if (maxItem !== undefined) limits.keychainMaxItemBytes = maxItem;
  return limits;
}
