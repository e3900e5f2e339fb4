// The bounded, proxy-aware fetch, the IdP/STS ports and the loopback uid check as the hosts build
// them (this process's proxy variables and platform), for tests that call the core directly.
import { limitsFromEnv } from '../../main/core/config/env-limits.js';
import { boundedFetch } from '../../main/core/net/http.js';
import { kernelPeer } from '../../main/core/net/peer-uid.js';
import { proxyResolver } from '../../main/core/net/proxy.js';

/** The bound the hosts would set now (LAKEKEY_HTTP_TIMEOUT_SECONDS, read at the call: tests change it). */
function envTimeoutMs(): number {
  return limitsFromEnv(process.env).httpTimeoutMs;
}

/** The core's bounded fetch with this process's proxy settings. */
export function fetchWithin(timeoutMs = envTimeoutMs()): typeof fetch {
  return boundedFetch(timeoutMs, proxyResolver(process.env));
}

/** What discover() and the other IdP calls are given. */
export function idpHttp(timeoutMs = envTimeoutMs()): { fetch: typeof fetch; timeoutMs: number } {
  return { fetch: fetchWithin(timeoutMs), timeoutMs };
}

/** What assumeRoleWithWebIdentity() is given. */
export function stsHttp(timeoutMs = envTimeoutMs()): { timeoutMs: number; proxy: ReturnType<typeof proxyResolver> } {
  return { timeoutMs, proxy: proxyResolver(process.env) };
}

/** The loopback servers' uid check as the tray makes it (Node: the kernel's socket tables). */
export const hostPeer = kernelPeer(process.platform);
