// The one fetch every outbound call of ours goes through. It bounds each request with a timer
// that keeps the process alive: Node 20's fetch never settles when a server resets the
// connection right after accepting it, and AbortSignal.timeout's timer does not hold the event
// loop open, so without this a CLI process would simply stop mid-request with nothing printed.

import { fetchFor } from './proxy.js';

export const DEFAULT_HTTP_TIMEOUT_SECONDS = 10;

export function httpTimeoutSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.LAKEKEY_HTTP_TIMEOUT_SECONDS);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_HTTP_TIMEOUT_SECONDS;
}

export function boundedFetch(timeoutMs = httpTimeoutSeconds() * 1000): typeof fetch {
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : input;
    const send = await fetchFor(url);
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
