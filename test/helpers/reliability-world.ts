// Shared pieces of the reliability suites (faults, crash safety, load, leaks): round counts,
// logged-in sandboxes, a fault injector for the in-process peers, lock-file helpers, a file
// walker and an observer of the OAuth parameters the test IdP receives.
//
// Why an in-process fault injector rather than a TCP proxy in front of the IdP: the IdP's
// issuer is its own URL, and both discovery (the `issuer` field must equal the URL asked) and
// the ID token (`iss`) are bound to it, so a proxy on another port cannot stand in for it
// without rewriting signed tokens. The IdP (oidc-provider) and the STS counting proxy run in
// this process, so the injector hooks their servers' `request` event instead: the client sees
// exactly what a slow, failing or garbling server (or a gateway in front of it) would send.
import { subscribe } from 'node:diagnostics_channel';
import http from 'node:http';
import type { Socket } from 'node:net';
import { lockPath } from '../../main/core/lock.js';
import type { Peers, Sandbox } from './world.js';
import { sandbox } from './world.js';

export const LONG = process.env.LAKEKEY_LONG === '1';

/** `base` rounds by default, `long` under `npm run test:long`. */
export function rounds(base: number, long: number): number {
  return LONG ? long : base;
}

/** The one summary line per suite case that the report cites. */
export function summary(what: string, n: number, unit = 'rounds', extra = ''): void {
  process.stdout.write(`reliability: ${what} ${n} ${unit} ok${extra ? ` (${extra})` : ''}\n`);
}

/** A sandbox logged in through the real browser; the browser is then taken away. */
export async function loggedIn(peers: Peers, extraArgs: string[] = []): Promise<Sandbox> {
  const box = await sandbox(peers, { browser: true, extraArgs });
  const login = await box.cli(['login', box.name]);
  if (login.code !== 0) throw new Error(`login failed (${login.code}): ${login.stderr}`);
  delete box.env.LAKEKEY_BROWSER;
  return box;
}

/** The line after the error message: what the user should do next. */
export function hintLine(stderr: string): string {
  const lines = stderr.split('\n');
  const at = lines.findIndex((l) => l.startsWith('lakekey: '));
  return (lines[at + 1] ?? '').trim();
}

export function lockFileOf(box: Sandbox): string {
  return lockPath(box.dir, box.name);
}

// ---- fault injection ----------------------------------------------------------------------

export type Fault =
  /** The connection is destroyed as soon as the request arrives. */
  | 'drop'
  /** The request is accepted and never answered (until `slowMs`, then the socket is closed). */
  | 'slow'
  /** HTTP 500 with a small JSON (or XML for STS) error body. */
  | '500'
  /** HTTP 200 whose body is truncated garbage of the right content type. */
  | 'malformed'
  /** HTTP 200 streaming `hugeBytes` of syntactically valid but useless JSON or XML. */
  | 'huge'
  /** HTTP 200 with `body`, a document the test wrote (e.g. discovery naming another token endpoint). */
  | 'answer';

export interface FaultSpec {
  /** Which requests to hit (the others pass through untouched). */
  match(req: http.IncomingMessage): boolean;
  fault: Fault;
  kind: 'json' | 'xml';
  slowMs?: number;
  hugeBytes?: number;
  /** What the 'answer' fault sends. */
  body?: string;
}

interface Installed extends FaultSpec {
  port: number;
  hits: number;
  sockets: Set<Socket>;
}

const installed = new Map<number, Installed>();
let patched = false;

function patchServers(): void {
  if (patched) return;
  patched = true;
  const original = http.Server.prototype.emit;
  http.Server.prototype.emit = function patchedEmit(this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'request' && installed.size) {
      const address = this.address();
      const spec = address && typeof address === 'object' ? installed.get(address.port) : undefined;
      const [req, res] = args as [http.IncomingMessage, http.ServerResponse];
      if (spec && spec.match(req)) {
        spec.hits += 1;
        inject(spec, req, res);
        return true;
      }
    }
    return original.apply(this, [event, ...args] as Parameters<typeof original>);
  } as typeof original;
}

function inject(spec: Installed, req: http.IncomingMessage, res: http.ServerResponse): void {
  req.resume();
  const type = spec.kind === 'json' ? 'application/json' : 'text/xml';
  switch (spec.fault) {
    case 'drop':
      req.socket.destroy();
      return;
    case 'slow': {
      spec.sockets.add(req.socket);
      const timer = setTimeout(() => req.socket.destroy(), spec.slowMs ?? 60_000);
      timer.unref();
      req.socket.once('close', () => {
        clearTimeout(timer);
        spec.sockets.delete(req.socket);
      });
      return;
    }
    case '500':
      res.writeHead(500, { 'content-type': type });
      res.end(
        spec.kind === 'json'
          ? '{"error":"server_error","error_description":"injected outage"}'
          : '<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code><Message>injected outage</Message></Error><RequestId>1</RequestId></ErrorResponse>',
      );
      return;
    case 'malformed':
      res.writeHead(200, { 'content-type': type });
      res.end(
        spec.kind === 'json'
          ? '{"access_token":"x","token_type":"Bearer","id_token":'
          : '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>',
      );
      return;
    case 'huge': {
      res.writeHead(200, { 'content-type': type });
      const total = spec.hugeBytes ?? 32 * 1024 * 1024;
      const chunk = Buffer.alloc(1024 * 1024, 'A');
      const [open, close] =
        spec.kind === 'json'
          ? ['{"token_type":"Bearer","padding":"', '"}']
          : [
              '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult><Padding>',
              '</Padding></AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentityResponse>',
            ];
      res.write(open);
      let sent = 0;
      const pump = () => {
        while (sent < total) {
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', pump);
            return;
          }
        }
        res.end(close);
      };
      res.on('close', () => (sent = total + 1));
      pump();
      return;
    }
    case 'answer':
      res.writeHead(200, { 'content-type': type });
      res.end(spec.body ?? '');
      return;
  }
}

export interface FaultHandle {
  /** Requests the fault answered so far. */
  readonly hits: number;
  clear(): void;
}

/** Makes the in-process server listening at `origin` answer matching requests with `spec.fault`. */
export function injectFault(origin: string, spec: FaultSpec): FaultHandle {
  patchServers();
  const port = Number(new URL(origin).port);
  const entry: Installed = { ...spec, port, hits: 0, sockets: new Set() };
  installed.set(port, entry);
  return {
    get hits() {
      return entry.hits;
    },
    clear() {
      if (installed.get(port) === entry) installed.delete(port);
      for (const s of entry.sockets) s.destroy();
    },
  };
}

export const isTokenRequest = (req: http.IncomingMessage) => req.method === 'POST' && (req.url ?? '').startsWith('/token');
export const isDiscoveryRequest = (req: http.IncomingMessage) => req.method === 'GET' && (req.url ?? '').startsWith('/.well-known/openid-configuration');

/**
 * Makes the in-process IdP at `issuer` announce `tokenEndpoint` as its token endpoint (the rest
 * of its discovery document as it serves it), so a refresh goes there; clear() restores it.
 */
export async function moveTokenEndpoint(issuer: string, tokenEndpoint: string): Promise<FaultHandle> {
  const res = await fetch(`${issuer}/.well-known/openid-configuration`);
  const doc = (await res.json()) as Record<string, unknown>;
  return injectFault(issuer, { match: isDiscoveryRequest, fault: 'answer', kind: 'json', body: JSON.stringify({ ...doc, token_endpoint: tokenEndpoint }) });
}
export const isStsRequest = (req: http.IncomingMessage) => req.method === 'POST';

// ---- OAuth parameters seen by the in-process IdP ---------------------------------------------

export interface AuthorizeSeen {
  state?: string;
  nonce?: string;
  codeChallenge?: string;
}

const authorizeSeen: AuthorizeSeen[] = [];
let observing = false;

/**
 * Records the state and nonce of every authorization request any in-process server receives
 * at `/auth` (the test IdP's authorization endpoint), whoever sent it: a browser started by
 * lakekey, or one driven by the test.
 */
export function observeAuthorizeRequests(): AuthorizeSeen[] {
  if (!observing) {
    observing = true;
    subscribe('http.server.request.start', (message) => {
      const { request } = message as { request: http.IncomingMessage };
      const url = new URL(request.url ?? '/', 'http://x');
      if (url.pathname !== '/auth') return;
      const seen: AuthorizeSeen = {};
      const state = url.searchParams.get('state');
      const nonce = url.searchParams.get('nonce');
      if (state) seen.state = state;
      if (nonce) seen.nonce = nonce;
      authorizeSeen.push(seen);
    });
  }
  return authorizeSeen;
}

// ---- files ----------------------------------------------------------------------------------

export { walkFiles } from './cli.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
