// Test peer: a transparent HTTP reverse proxy that records each request (and its STS Action) and can play dead.
import http from 'node:http';
import { listenOnLoopback } from '../helpers/loopback-server.js';

export interface ProxiedRequest {
  method: string;
  /** Path and query as received. */
  path: string;
  /** `Action` from a form-encoded POST body or the query string, e.g. AssumeRoleWithWebIdentity. */
  action?: string;
  /** Whether the request carried an Authorization header (an unsigned STS call must not). */
  signed: boolean;
  /** The parsed form body of a form-encoded POST. */
  form?: Record<string, string>;
  /** When it arrived (epoch ms). */
  at: number;
  /** The `Expiration` of the credentials the answer carried (epoch ms), once it has been answered. */
  expiration?: number;
}

export interface CountingProxy {
  /** http://127.0.0.1:PORT — use as the endpoint instead of the target. */
  url: string;
  /** Number of recorded requests, or of those matching `pred`. */
  count(pred?: (r: ProxiedRequest) => boolean): number;
  requests: ProxiedRequest[];
  /** While down, incoming connections are destroyed at once (the endpoint looks unreachable). */
  setDown(down: boolean): void;
  /**
   * While on, `DurationSeconds` is taken out of AssumeRoleWithWebIdentity calls, so MinIO makes the
   * credentials expire with the web identity token (the IdP peer's `idTokenTtlSeconds`) instead of
   * at the 900 s it requires at least: real credentials that really expire within a test's time.
   */
  setTokenLifetime(on: boolean): void;
  stop(): Promise<void>;
}

/** Proxies everything to `target` (e.g. a MinIO endpoint), keeping the Host header so SigV4 signatures still verify. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let down = false;
  let tokenLifetime = false;

  const server = http.createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const record: ProxiedRequest = { method: req.method ?? 'GET', path, signed: req.headers.authorization !== undefined, at: Date.now() };
      const queryAction = new URL(path, 'http://x').searchParams.get('Action');
      if (queryAction) record.action = queryAction;
      if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(body.toString('utf8'));
        record.form = Object.fromEntries(form);
        const action = form.get('Action');
        if (action) record.action = action;
        if (tokenLifetime && action === 'AssumeRoleWithWebIdentity' && form.has('DurationSeconds')) {
          // An unsigned call: the body may change (its length goes with it).
          form.delete('DurationSeconds');
          body = Buffer.from(form.toString());
          req.headers['content-length'] = String(body.length);
        }
      }
      requests.push(record);

      const forward = http.request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path,
          headers: req.headers, // Host included unchanged: SigV4 signs it
        },
        (upstreamRes) => {
          res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
          let answer = '';
          upstreamRes.on('data', (d: Buffer) => (answer += d.toString('utf8')));
          upstreamRes.on('end', () => {
            const exp = /<Expiration>([^<]+)<\/Expiration>/.exec(answer)?.[1];
            if (exp) record.expiration = Date.parse(exp);
          });
          upstreamRes.pipe(res);
        },
      );
      forward.on('error', (err) => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy error: ${err.message}`);
      });
      forward.end(body);
    });
  });
  const listening = await listenOnLoopback(server);
  const { port } = listening;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    count: (pred) => (pred ? requests.filter(pred).length : requests.length),
    setDown(value: boolean) {
      down = value;
      listening.setDown(value);
    },
    setTokenLifetime(on: boolean) {
      tokenLifetime = on;
    },
    stop: () => listening.close(),
  };
}
