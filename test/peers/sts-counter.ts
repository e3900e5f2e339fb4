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
}

export interface CountingProxy {
  /** http://127.0.0.1:PORT — use as the endpoint instead of the target. */
  url: string;
  /** Number of recorded requests, or of those matching `pred`. */
  count(pred?: (r: ProxiedRequest) => boolean): number;
  requests: ProxiedRequest[];
  /** While down, incoming connections are destroyed at once (the endpoint looks unreachable). */
  setDown(down: boolean): void;
  stop(): Promise<void>;
}

/** Proxies everything to `target` (e.g. a MinIO endpoint), keeping the Host header so SigV4 signatures still verify. */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  const requests: ProxiedRequest[] = [];
  let down = false;

  const server = http.createServer((req, res) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url ?? '/';
      const record: ProxiedRequest = { method: req.method ?? 'GET', path, signed: req.headers.authorization !== undefined };
      const queryAction = new URL(path, 'http://x').searchParams.get('Action');
      if (queryAction) record.action = queryAction;
      if (req.method === 'POST' && (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
        const form = new URLSearchParams(body.toString('utf8'));
        record.form = Object.fromEntries(form);
        const action = form.get('Action');
        if (action) record.action = action;
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
    stop: () => listening.close(),
  };
}
