// A shorter bound on a fetch the Context already gives: a pure decorator over the fetch port, so
// a use case can tighten it without reaching for the adapter (net/http.ts) that built it.

/**
 * `inner` with each request also bounded at `timeoutMs` (a timer that holds the process open, as
 * boundedFetch's does): a renewal that can fall back on still-valid credentials waits less than
 * the full timeout (renewal.ts). Whichever bound comes first aborts the request.
 */
export function withShorterTimeout(inner: typeof fetch, timeoutMs: number): typeof fetch {
  return async (input, init = {}) => {
    const controller = new AbortController();
    const timer = setTimeout(
      () =>
        controller.abort(new DOMException(`no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${Math.round(timeoutMs / 1000)} s`}`, 'TimeoutError')),
      timeoutMs,
    );
    const signal = init.signal ? AbortSignal.any([controller.signal, init.signal]) : controller.signal;
    try {
      return await inner(input, { ...init, signal });
    } finally {
      clearTimeout(timer);
    }
  };
}
