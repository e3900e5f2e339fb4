// The one fetch every outbound call of ours goes through. It bounds each request with a timer
// that keeps the process alive: Node 20's fetch never settles when a server resets the
// connection right after accepting it, and AbortSignal.timeout's timer does not hold the event
// loop open, so without this a CLI process would simply stop mid-request with nothing printed.
// Hosts build it once (composeCore) and hand it out as the Context's `fetch`.
import { DEFAULT_HTTP_TIMEOUT_SECONDS, limitsFromEnv } from './env-limits.js';
import { fetchFor, proxyResolver, type ProxyResolver } from './proxy.js';

export { DEFAULT_HTTP_TIMEOUT_SECONDS };

export function httpTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return limitsFromEnv(env).httpTimeoutMs / 1000;
}

export function boundedFetch(timeoutMs = httpTimeoutSeconds() * 1000, resolveProxy: ProxyResolver = proxyResolver(process.env)): typeof fetch {
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : input;
    const send = await fetchFor(url, resolveProxy);
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new DOMException(`no answer within ${Math.round(timeoutMs / 1000)} s`, 'TimeoutError')),
      timeoutMs,
    );
    const signals = [controller.signal, ...(init.signal ? [init.signal] : [])];
    try {
      return await send(input, { ...init, signal: AbortSignal.any(signals) });
    } finally {
      clearTimeout(timer);
    }
  };
}
