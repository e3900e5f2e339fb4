// The loopback redirect receiver (RFC 8252 §7.3). It listens on 127.0.0.1 only, serves a
// one-time launcher path that redirects to the authorization URL (so neither the browser's
// command line nor the terminal ever shows `state`), and accepts exactly one callback whose
// `state` matches. Everything else — wrong path or method, a foreign Host header, a wrong or
// missing state, a second callback — gets a clear page and leaves the login waiting.
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LakekeyError } from './errors.js';

export const CALLBACK_PATH = '/callback';
const MAX_URL_LENGTH = 8192;

export interface CallbackResult {
  /** The full callback URL as the browser sent it (contains the code: never log it). */
  url: URL;
  /** Answer the browser. Call exactly once. */
  respond(page: Page): void;
}

export interface Page {
  status: number;
  title: string;
  message: string;
  /** Send the tab on to this URL (the second authorization of a combined login). */
  redirectTo?: string;
}

export interface LoopbackReceiver {
  redirectUri: string;
  /** Local URL that forwards the browser to the authorization request. */
  launchUrl: string;
  setAuthorizationUrl(url: string): void;
  /** Resolves with the first callback whose state matches; rejects on timeout or IdP error. */
  waitForCallback(expectedState: string, timeoutMs: number, signal?: AbortSignal): Promise<CallbackResult>;
  close(): Promise<void>;
}

export async function startLoopback(port = 0): Promise<LoopbackReceiver> {
  const launchPath = `/login/${randomBytes(16).toString('hex')}`;
  let authorizationUrl: string | undefined;
  let pending:
    | { state: string; resolve: (r: CallbackResult) => void; reject: (e: Error) => void }
    | undefined;
  let accepted = false;

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => sendPage(res, { status: 500, title: 'Error', message: 'lakekey hit an internal error.' }));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new LakekeyError('CONFIG', `cannot listen on 127.0.0.1:${port} for the login callback (${err.code})`, {
          hint: port ? `Free port ${port}, or change the profile's redirect port.` : 'Check local firewall settings.',
          cause: err,
        }),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const actualPort = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${actualPort}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const remote = req.socket.remoteAddress ?? '';
    if (!(remote === '127.0.0.1' || remote === '::ffff:127.0.0.1' || remote === '::1')) {
      return sendPage(res, { status: 403, title: 'Refused', message: 'lakekey accepts the login callback only from this computer.' });
    }
    // A foreign Host header means another origin is driving this request (DNS rebinding).
    if (req.headers.host !== `127.0.0.1:${actualPort}`) {
      return sendPage(res, { status: 400, title: 'Refused', message: 'This address is only valid as 127.0.0.1.' });
    }
    if ((req.url ?? '').length > MAX_URL_LENGTH) {
      return sendPage(res, { status: 414, title: 'Refused', message: 'The request is too long.' });
    }
    if (req.method !== 'GET') {
      res.setHeader('Allow', 'GET');
      return sendPage(res, { status: 405, title: 'Refused', message: 'Only GET is accepted here.' });
    }
    // Origin-form only: an absolute or "//host" target must not choose the URL we redeem.
    if (!/^\/(?!\/)/.test(req.url ?? '')) {
      return sendPage(res, { status: 400, title: 'Refused', message: 'Malformed request target.' });
    }
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname === launchPath && authorizationUrl) {
      res.writeHead(302, { Location: authorizationUrl, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' });
      return void res.end();
    }
    if (url.pathname !== CALLBACK_PATH) {
      return sendPage(res, { status: 404, title: 'Not found', message: 'Nothing here. Finish the login in the tab lakekey opened.' });
    }
    if (accepted || !pending) {
      return sendPage(res, {
        status: 409,
        title: 'Already used',
        message: 'This login was already completed or is no longer waiting. Close this tab and start a new login if you need one.',
      });
    }
    const state = url.searchParams.get('state');
    if (state === null || !safeEqual(state, pending.state)) {
      return sendPage(res, {
        status: 400,
        title: 'Login not accepted',
        message: 'This response does not belong to the login lakekey started (state mismatch). Use the tab lakekey opened.',
      });
    }
    accepted = true;
    const waiter = pending;
    pending = undefined;
    const error = url.searchParams.get('error');
    if (error !== null) {
      const description = url.searchParams.get('error_description') ?? '';
      sendPage(res, { status: 400, title: 'Login failed', message: `Your identity provider answered: ${error}. ${description}`.trim() });
      waiter.reject(
        new LakekeyError('IDP_REFUSED', `the identity provider refused the login: ${sanitize(error)} ${sanitize(description)}`.trim(), {
          hint: 'Check that your account may use this application, then run the login again.',
        }),
      );
      return;
    }
    let answered = false;
    waiter.resolve({
      url,
      respond(page) {
        if (answered) return;
        answered = true;
        sendPage(res, page);
      },
    });
  }

  return {
    redirectUri: `${origin}${CALLBACK_PATH}`,
    launchUrl: `${origin}${launchPath}`,
    setAuthorizationUrl(url) {
      authorizationUrl = url;
      accepted = false;
    },
    waitForCallback(expectedState, timeoutMs, signal) {
      return new Promise<CallbackResult>((resolve, reject) => {
        const timer = setTimeout(() => {
          pending = undefined;
          reject(
            new LakekeyError('LOGIN_TIMEOUT', `no login completed within ${Math.round(timeoutMs / 1000)} s`, {
              hint: 'Run the login again and finish it in the browser tab that opens.',
            }),
          );
        }, timeoutMs);
        const done = () => clearTimeout(timer);
        signal?.addEventListener('abort', () => {
          done();
          pending = undefined;
          reject(new LakekeyError('LOGIN_TIMEOUT', 'the login was cancelled'));
        });
        pending = {
          state: expectedState,
          resolve: (r) => {
            done();
            resolve(r);
          },
          reject: (e) => {
            done();
            reject(e);
          },
        };
      });
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Keep IdP-provided text printable and short. */
function sanitize(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '').slice(0, 200);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function renderPage(page: Page): string {
  const refresh = page.redirectTo ? `<meta http-equiv="refresh" content="0;url=${escapeHtml(page.redirectTo)}">` : '';
  const ok = page.status < 400;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">${refresh}
<title>lakekey — ${escapeHtml(page.title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:15vh auto;padding:0 1em;color:#1b1f24}
h1{font-size:1.4em;color:${ok ? '#1a7f37' : '#cf222e'}}p{color:#57606a}</style></head>
<body><h1>${escapeHtml(page.title)}</h1><p>${escapeHtml(page.message)}</p></body></html>`;
}

function sendPage(res: ServerResponse, page: Page): void {
  const body = renderPage(page);
  const headers: Record<string, string | number> = {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'",
    Connection: 'close',
  };
  if (page.redirectTo) headers.Location = page.redirectTo;
  res.writeHead(page.redirectTo ? 302 : page.status, headers);
  res.end(body);
}
