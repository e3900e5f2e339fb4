// Raw HTTP against a credentials endpoint, as an attacker writes it: any method, Host, header or
// size, a head announcing a body that never comes, or a head trickled a byte at a time. Shared by
// the endpoint's security tests in this process (test/security/endpoint.test.ts) and against the
// real `lakekey serve` executable (test/security/endpoint-executable.test.ts).
import assert from 'node:assert/strict';
import { connect } from 'node:net';

export interface Raw {
  status: number;
  headers: string;
  body: string;
  /** The server closed the connection before `boundMs`. */
  closedByServer: boolean;
}

/** Where an endpoint listens and the token it wants. */
export interface EndpointTarget {
  port: number;
  token: string;
}

/**
 * One raw HTTP/1.1 request, written exactly as given, then the connection left open as a client
 * that may still send (a body it announced, say) would: the server must close it, and is given
 * `boundMs` to. (Our side is not half-closed: bun's server drops a half-closed connection before
 * an answer that takes a moment, and no SDK half-closes.)
 */
export function raw(port: number, request: string, opts: { boundMs?: number } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let closedByServer = true;
    const bound = setTimeout(() => {
      closedByServer = false;
      socket.destroy();
    }, opts.boundMs ?? 30_000);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? undefined : reject(err)));
    socket.on('close', () => {
      clearTimeout(bound);
      const [head = '', ...rest] = data.split('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d+)/.exec(head)?.[1] ?? 0), headers: head, body: rest.join('\r\n\r\n'), closedByServer });
    });
    socket.write(request);
  });
}

/** A request with the right Host and token unless `headers` says otherwise (an empty value: no such header). */
export function ask(ep: EndpointTarget, path: string, headers: Record<string, string> = {}, method = 'GET', opts: { boundMs?: number } = {}): Promise<Raw> {
  const all = { Host: `127.0.0.1:${ep.port}`, Authorization: ep.token, Connection: 'close', ...headers };
  const lines = Object.entries(all)
    .filter(([, v]) => v !== '')
    .map(([k, v]) => `${k}: ${v}`);
  return raw(ep.port, `${method} ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`, opts);
}

/** No credential in a refusal's head or body, and no CORS header. */
export function assertNothingSecret(r: Raw, secrets: readonly string[]): void {
  for (const s of secrets) assert.ok(!r.body.includes(s) && !r.headers.includes(s), `no credential in a refusal (${r.status})`);
  assert.doesNotMatch(r.headers, /access-control-/i, 'no CORS header');
}

export interface Trickled {
  /** When the server closed the connection, in ms from the connect; undefined when it never did. */
  closedAfterMs?: number;
  /** Bytes of the head written before that. */
  sent: number;
  /** Whatever the server answered. */
  data: string;
}

/**
 * Slowloris: writes `head` one byte every `everyMs`, never going silent long enough for an idle
 * timer, for up to `forMs` or until the server closes the connection.
 */
export function trickle(port: number, head: string, everyMs: number, forMs: number): Promise<Trickled> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const socket = connect(port, '127.0.0.1');
    let sent = 0;
    let data = '';
    let closedAfterMs: number | undefined;
    let gaveUp = false;
    const drip = setInterval(() => {
      if (sent < head.length && socket.writable) socket.write(head[sent++]);
    }, everyMs);
    const give = setTimeout(() => {
      gaveUp = true;
      socket.destroy();
    }, forMs);
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('end', () => (closedAfterMs ??= Date.now() - t0));
    socket.on('close', () => {
      clearInterval(drip);
      clearTimeout(give);
      // A close we made ourselves (forMs ran out) is not the server's.
      if (!gaveUp) closedAfterMs ??= Date.now() - t0;
      resolve({ ...(closedAfterMs === undefined ? {} : { closedAfterMs }), sent, data });
    });
  });
}
