// The credentials endpoint: S3 credentials served over HTTP on 127.0.0.1 in the shape of the AWS
// container credentials provider, which every AWS SDK's default chain asks when
// AWS_CONTAINER_CREDENTIALS_FULL_URI (with AWS_CONTAINER_AUTHORIZATION_TOKEN or ..._TOKEN_FILE)
// is set. No process per call: a JVM, a boto3 loop or a Spark job asks it whenever its SDK
// refreshes, for as long as the server runs.
//
// Whoever asks must prove it may (SECURITY.md "The credentials endpoint"): the server listens on
// 127.0.0.1 only; a connection from another local user, or one whose user cannot be told, is
// refused (loopback-guard.ts); a request must be a GET whose Host is exactly 127.0.0.1:<port>
// (DNS rebinding), that carries no Origin (a web page) and no body, and whose Authorization equals
// the server's random 256-bit token (compared in constant time) — in that order, so nothing about
// the profiles is learned before the token. The path names the profile, and a server answers only
// for the profiles it was started for. No answer carries a CORS header, and a refused connection
// is closed after its answer. Oversized requests are refused (a head past MAX_HEADER_BYTES by the
// HTTP parser, a target past MAX_TARGET_LENGTH here). Slow clients are cut off by timers of our
// own, whatever the runtime's http server enforces (bun and Node differ): one for silence, and one
// absolute deadline for the request's head, so a client trickling a byte at a time is cut too. At
// most MAX_CONNECTIONS are kept.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { asLakekeyError, LakekeyError } from '../errors.js';
import { fromLoopback, guardConnections, safeEqual } from '../net/loopback-guard.js';
import { isoSeconds, type S3Credentials } from '../keychain/record.js';
import { registerSecret } from '../redact.js';
import type { PeerCheck } from '../ports.js';

/** Where a profile's credentials are served: `/v1/credentials/<profile>`. */
export const ENDPOINT_PATH = '/v1/credentials/';
export const MAX_CONNECTIONS = 64;

/** The AWS_CONTAINER_CREDENTIALS_FULL_URI of a profile on the endpoint at `port`. */
export function endpointUri(port: number, profile: string): string {
  return `http://127.0.0.1:${port}${ENDPOINT_PATH}${encodeURIComponent(profile)}`;
}
/** A connection that sends nothing for this long is closed (slowloris; SDKs ask and go). */
const IDLE_MS = 5000;
/**
 * A request's head must be complete this long after its connection opened, or after the last
 * answer on it (keep-alive), however steadily it trickles in: an SDK writes it at once.
 */
const HEAD_MS = 5000;
const REFUSED_IDLE_MS = 2000;
const MAX_TARGET_LENGTH = 1024;
/** A request's head larger than this is refused (431) by the HTTP parser: an SDK's is well under 1 KiB. */
const MAX_HEADER_BYTES = 8192;

export interface EndpointOptions {
  /** The profiles this server answers for; any other path is "not found". */
  profiles: readonly string[];
  /** Current credentials for a profile, renewed if needed; throws a LakekeyError when none can be had. */
  credentials(profile: string): Promise<S3Credentials>;
  /** 0 (default): any free port. */
  port?: number;
  /** The shared secret clients send as Authorization; default: 256 random bits. */
  token?: string;
  /** Who owns a loopback client socket: the Context's `peer`. */
  peer: PeerCheck;
  /** Told about refused requests (never the token or a credential). */
  onRefused?(text: string): void;
  /** Told about each failed answer, for one notice per cause. */
  onFailure?(profile: string, error: LakekeyError): void;
}

export interface CredentialsEndpoint {
  port: number;
  /** The Authorization value clients must send: a secret, never on a command line or in a log. */
  token: string;
  /** The AWS_CONTAINER_CREDENTIALS_FULL_URI for a profile. */
  uri(profile: string): string;
  /** The profiles still served. */
  profiles(): string[];
  /** Starts serving a profile too (the tray, when the user enables it). */
  serve(profile: string): void;
  /** Stops serving a profile at once (logout). */
  stop(profile: string): void;
  close(): Promise<void>;
}

export async function startEndpoint(opts: EndpointOptions): Promise<CredentialsEndpoint> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  // Never printed or logged; and masked by the output gate should any text ever carry it.
  registerSecret(token);
  const served = new Set(opts.profiles);
  let port = 0;
  const headDeadlines = new Map<Socket, NodeJS.Timeout>();
  const server = createServer({ maxHeaderSize: MAX_HEADER_BYTES }, (req, res) => {
    headIn(req.socket);
    res.once('close', () => awaitHead(req.socket));
    handle(req, res).catch((err: unknown) => answer(res, 500, 'InternalError', `lakekey hit an internal error: ${asLakekeyError(err).message}`));
  });
  server.headersTimeout = IDLE_MS;
  server.requestTimeout = IDLE_MS;
  server.keepAliveTimeout = IDLE_MS;
  const guard = guardConnections(server, { peer: opts.peer, max: MAX_CONNECTIONS, refusedIdleMs: REFUSED_IDLE_MS, port: () => port });
  // Our own idle cut-off, whatever the runtime's http server enforces: a client that stops
  // talking (mid-headers or between requests) is closed.
  server.on('connection', (socket: Socket) => {
    socket.setTimeout(IDLE_MS, () => socket.destroy());
    awaitHead(socket);
    socket.once('close', () => headIn(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new LakekeyError('CONFIG', `cannot serve credentials on 127.0.0.1:${opts.port ?? 0} (${err.code})`, {
          hint:
            err.code === 'EADDRINUSE'
              ? `Port ${opts.port} is in use: pick another with --port, or leave it out for any free port.`
              : 'Check local firewall settings.',
          cause: err,
        }),
      ),
    );
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  const host = `127.0.0.1:${port}`;

  /** Starts the connection's deadline for a complete request head (the idle timer alone never fires on a trickle). */
  function awaitHead(socket: Socket): void {
    if (socket.destroyed || headDeadlines.has(socket)) return;
    const timer = setTimeout(() => socket.destroy(), HEAD_MS);
    timer.unref();
    headDeadlines.set(socket, timer);
  }
  /** The head is in (or the connection is gone): no deadline until the answer is sent. */
  function headIn(socket: Socket): void {
    clearTimeout(headDeadlines.get(socket));
    headDeadlines.delete(socket);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const refuse = (status: number, code: string, message: string, why: string) => {
      opts.onRefused?.(why);
      // Nothing more is read on a refused connection (not a body it announced, not another request).
      res.setHeader('Connection', 'close');
      answer(res, status, code, message);
    };
    if (!fromLoopback(req)) return refuse(403, 'Forbidden', 'Only this computer may ask.', 'a request from outside this computer');
    const conn = guard.of(req);
    if (!conn || conn.refused)
      return refuse(
        403,
        'Forbidden',
        'These credentials belong to another user of this computer.',
        `a request from ${conn?.refused ?? 'a connection already closed'}`,
      );
    guard.busy(req, res);
    if (req.headers.host !== host) return refuse(403, 'Forbidden', `Ask 127.0.0.1:${port} by that name.`, 'a request for another host name (DNS rebinding?)');
    if (req.headers.origin !== undefined)
      return refuse(403, 'Forbidden', 'Web pages may not ask for credentials.', 'a request from a web page (it carried an Origin)');
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return refuse(405, 'MethodNotAllowed', 'Only GET is served.', `a ${String(req.method).slice(0, 16)} request`);
    }
    if (hasBody(req)) return refuse(413, 'PayloadTooLarge', 'A request for credentials carries no body.', 'a request with a body');
    const target = req.url ?? '';
    if (target.length > MAX_TARGET_LENGTH || !target.startsWith('/') || target.startsWith('//')) {
      return refuse(400, 'BadRequest', 'Malformed request target.', 'a malformed request');
    }
    const auth = req.headers.authorization;
    if (typeof auth !== 'string' || !safeEqual(auth, token)) {
      return refuse(
        401,
        'Unauthorized',
        'Send the token lakekey gave you in the Authorization header (AWS_CONTAINER_AUTHORIZATION_TOKEN or ..._TOKEN_FILE).',
        'a request without the right token',
      );
    }
    const path = target.split('?')[0];
    const profile = path.startsWith(ENDPOINT_PATH) ? decodeURIComponent(path.slice(ENDPOINT_PATH.length)) : undefined;
    if (profile === undefined || !served.has(profile)) {
      return answer(res, 404, 'NotFound', `This endpoint serves ${[...served].map((p) => `${ENDPOINT_PATH}${p}`).join(', ') || 'no profile any more'}.`);
    }
    let creds: S3Credentials;
    try {
      creds = await opts.credentials(profile);
    } catch (err) {
      const e = asLakekeyError(err);
      opts.onFailure?.(profile, e);
      return answer(res, statusOf(e), e.code, `lakekey: ${e.message}${e.hint ? `. ${e.hint}` : ''}`);
    }
    // Logged out while we were renewing: nothing goes out.
    if (!served.has(profile)) return answer(res, 404, 'NotFound', `lakekey stopped serving profile "${profile}".`);
    send(res, 200, {
      AccessKeyId: creds.accessKeyId,
      SecretAccessKey: creds.secretAccessKey,
      Token: creds.sessionToken,
      Expiration: isoSeconds(creds.expiresAt),
    });
  }

  return {
    port,
    token,
    uri: (profile) => endpointUri(port, profile),
    profiles: () => [...served],
    serve: (profile) => void served.add(profile),
    stop: (profile) => void served.delete(profile),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** The request announces a body (any length but 0, or chunks): a GET for credentials has none. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The status of a failed answer. Never 404 (the Java SDK takes it for "no credentials here" and
 * gives up on the provider); a login needed is 503 (the SDKs retry a few times, then surface the
 * message), an outage at the IdP or STS 502, anything else 500.
 */
function statusOf(e: LakekeyError): number {
  if (e.code === 'LOGIN_REQUIRED') return 503;
  if (e.exitCode === 5) return 502;
  return 500;
}

/** An error as every SDK reads one: Go, Java and botocore read `code`/`message`, the JS SDK `Code`/`Message`. */
function answer(res: ServerResponse, status: number, code: string, message: string): void {
  send(res, status, { code, message, Code: code, Message: message });
}

/** One JSON body with its length (no chunked encoding: the simplest answer for every SDK's client). */
function send(res: ServerResponse, status: number, body: object): void {
  if (res.headersSent) return void res.destroy();
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': bytes.length, 'Cache-Control': 'no-store' });
  res.end(bytes);
}
