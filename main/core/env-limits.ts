// The limits the environment may set (timeouts the tests and slow machines lower or raise),
// read once per host by composeCore, never by the modules that apply them.

export const DEFAULT_HTTP_TIMEOUT_SECONDS = 10;

export interface Limits {
  /** Bound on every outbound HTTP request (LAKEKEY_HTTP_TIMEOUT_SECONDS). */
  httpTimeoutMs: number;
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
  const limits: Limits = { httpTimeoutMs: (positive('LAKEKEY_HTTP_TIMEOUT_SECONDS') ?? DEFAULT_HTTP_TIMEOUT_SECONDS) * 1000 };
  const timeout = positive('LAKEKEY_KEYCHAIN_TIMEOUT_MS');
  const busy = positive('LAKEKEY_KEYCHAIN_BUSY_TIMEOUT_MS');
  const maxItem = positive('LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES');
  if (timeout !== undefined) limits.keychainTimeoutMs = timeout;
  if (busy !== undefined) limits.keychainBusyTimeoutMs = busy;
  if (maxItem !== undefined) limits.keychainMaxItemBytes = maxItem;
  return limits;
}
