// The one fetch every outbound call of ours goes through. It bounds each request with a timer
// that keeps the process alive: Node 20's fetch never settles when a server resets the
// connection right after accepting it, and AbortSignal.timeout's timer does not hold the event
// loop open, so without this a CLI process would simply stop mid-request with nothing printed.
// Hosts build it once (composeCore) and hand it out as the Context's `fetch`.
//
// It also sends a request once more when its connection dropped before any answer came. That is
// the race of a kept-alive connection: after a login's wait in the browser (or a device-code
// poll interval) the pooled socket to the IdP has sat idle past the server's keep-alive timeout
// (Node servers: 5 s), the server closes it just as the token request goes out, and the request
// dies with ECONNRESET although the server never read it. The retry is safe for every request we
// send: GETs are idempotent; an authorization code or device code the server did read and spend
// is refused on the retry with a clear error; STS and lakeFS logins mint a new credential each
// time; and a refresh the server did read and rotate has lost its answer either way, so sending
// the old refresh token again cannot make things worse than the lost answer already did.
import { DEFAULT_HTTP_TIMEOUT_SECONDS } from '../config/env-limits.js';
import { codesOf } from './network-words.js';
import { fetchFor } from './proxy.js';
import type { ProxyResolver } from '../ports.js';

export { DEFAULT_HTTP_TIMEOUT_SECONDS };

export function boundedFetch(timeoutMs: number, resolveProxy: ProxyResolver): typeof fetch {
  return async (input, init = {}) => {
    const url = input instanceof Request ? input.url : input;
    const send = await fetchFor(url, resolveProxy);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException(`no answer within ${Math.round(timeoutMs / 1000)} s`, 'TimeoutError')), timeoutMs);
    const signals = [controller.signal, ...(init.signal ? [init.signal] : [])];
    const signal = AbortSignal.any(signals);
    try {
      try {
        return await send(input, { ...init, signal });
      } catch (err) {
        if (signal.aborted || !droppedBeforeAnswer(err) || !replayable(input, init)) throw err;
        return await send(input, { ...init, signal });
      }
    } finally {
      clearTimeout(timer);
    }
  };
}

/** The connection closed under the request before any answer: Node says UND_ERR_SOCKET or ECONNRESET, Bun ECONNRESET. */
function droppedBeforeAnswer(err: unknown): boolean {
  return codesOf(err).some((c) => /^(ECONNRESET|UND_ERR_SOCKET|EPIPE)$/.test(c));
}

/** A body that can be sent twice (a stream is read once). */
function replayable(input: Parameters<typeof fetch>[0], init: RequestInit): boolean {
  if (input instanceof Request) return input.body === null && init.body == null;
  const body = init.body;
  return body == null || typeof body === 'string' || body instanceof URLSearchParams || body instanceof ArrayBuffer || ArrayBuffer.isView(body);
}
