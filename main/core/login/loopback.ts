// The loopback redirect receiver (RFC 8252 §7.3). It listens on 127.0.0.1 only and accepts
// exactly one callback per authorization request, and only from the browser that started it:
// - The browser is given a single-use launch path (`/callback/<random>`), never the authorization
//   URL itself, so neither a command line nor the terminal shows `state`; the browser itself is
//   started on a private file that forwards to it (launch-page.ts), so no command line shows the
//   launch path either. A second visit of a launch path from the browser that made the first (it
//   carries the cookie below: a reload, or the printed link clicked after the browser opened
//   it) gets a calm page and the login goes on in the first tab. Any other second visit means
//   someone else has the link: it is refused and the whole login is stopped.
// - The first launch answer sets a random HttpOnly, SameSite=Lax cookie scoped to /callback;
//   every callback (and the launch path of a combined login's second leg) must carry it. A
//   callback without it is refused and the login keeps waiting, so nobody without the cookie can
//   end or steer it. The cookie is cleared when the login completes.
// - On Linux the kernel names the local user at the other end of each connection, once, when it
//   connects. Connections from another user's programs, or whose user cannot be told (a socket
//   table that cannot be read, a client already gone), are refused outright and never count as a
//   visit. At most MAX_CONNECTIONS are kept: past that, refused and then idle ones are closed
//   first, so a flood of idle connections can neither exhaust the descriptors the login needs
//   nor make the uid check fail open.
// Everything else — wrong path or method, a foreign Host header, a wrong or missing state, a
// second callback — gets a clear page and leaves the login waiting.
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sayDuration } from '../../shared/duration.js';
import { LakekeyError } from '../errors.js';
import { fromLoopback, guardConnections, safeEqual } from '../net/loopback-guard.js';
import type { CallbackResult, LoopbackOptions, LoopbackReceiver, Page } from '../ports.js';

export const CALLBACK_PATH = '/callback';
const MAX_URL_LENGTH = 8192;
/** Open connections kept at once; a browser needs a handful. */
export const MAX_CONNECTIONS = 32;
/** A refused connection that sends nothing is closed after this long. */
const REFUSED_IDLE_MS = 2000;

interface Launch {
  authorizationUrl: string;
  /** The first launch sets the cookie; later ones require it. */
  first: boolean;
  used: boolean;
}

export function loginAborted(): LakekeyError {
  return new LakekeyError(
    'LOGIN_ABORTED',
    'lakekey stopped the login because its one-time login link was opened a second time: another program or user on this computer may have read it',
    { hint: 'Run the login again. If this keeps happening, check which other users and programs on this computer can see your processes.' },
  );
}

export async function startLoopback(port: number, opts: LoopbackOptions): Promise<LoopbackReceiver> {
  const launches = new Map<string, Launch>();
  const cookieName = `lakekey-${randomBytes(6).toString('hex')}`;
  const cookieValue = randomBytes(32).toString('base64url');
  let pending: { state: string; resolve: (r: CallbackResult) => void; reject: (e: Error) => void } | undefined;
  let accepted = false;
  let aborted: LakekeyError | undefined;

  /** Ends the login: the waiting caller (or the next one) gets `err`. */
  function abort(err: LakekeyError): void {
    aborted ??= err;
    const waiter = pending;
    pending = undefined;
    waiter?.reject(aborted);
  }

  function hasCookie(req: IncomingMessage): boolean {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === cookieName && safeEqual(part.slice(eq + 1).trim(), cookieValue)) return true;
    }
    return false;
  }

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => sendPage(res, { status: 500, title: 'Error', message: 'lakekey hit an internal error.' }));
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  let actualPort = 0; // known once listening; no connection arrives before
  // The uid check and the connection cap (loopback-guard.ts), decided once per connection.
  const guard = guardConnections(server, { peer: opts.peer, max: MAX_CONNECTIONS, refusedIdleMs: REFUSED_IDLE_MS, port: () => actualPort });
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
  actualPort = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${actualPort}`;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!fromLoopback(req)) {
      return sendPage(res, { status: 403, title: 'Refused', message: 'lakekey accepts the login callback only from this computer.' });
    }
    // Another local user's program (or one nobody can name): refused before it can see or end anything.
    const conn = guard.of(req);
    if (!conn || conn.refused) {
      opts.onRefused?.(`refused a request to your login from ${conn?.refused ?? 'a connection already closed'}; your login is still waiting`);
      return sendPage(res, { status: 403, title: 'Refused', message: 'This login belongs to another user of this computer.' });
    }
    guard.busy(req, res);
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
    const launch = launches.get(url.pathname);
    if (launch) {
      // The user's own browser opening the link again: only the first visit's browser has the
      // cookie. Nothing is handed out (no authorization URL, no new cookie); the login goes on.
      if (launch.used && launch.first && !aborted && hasCookie(req)) {
        return sendPage(res, {
          status: 200,
          title: 'Login already started',
          message:
            accepted && !pending
              ? 'This login already went through in another tab of this browser. You can close this tab.'
              : 'This login already started in another tab of this browser: finish it there. You can close this tab.',
        });
      }
      // A second visit, or a later leg's link outside the bound browser: someone else has it.
      if (launch.used || aborted || (!launch.first && !hasCookie(req))) {
        abort(loginAborted());
        return sendPage(res, {
          status: 409,
          title: 'Login stopped',
          message: 'This one-time login link was already used, so someone else may have it. lakekey stopped this login for your safety; start a new one.',
        });
      }
      launch.used = true;
      const headers: Record<string, string> = { Location: launch.authorizationUrl, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer' };
      if (launch.first) headers['Set-Cookie'] = `${cookieName}=${cookieValue}; HttpOnly; SameSite=Lax; Path=${CALLBACK_PATH}`;
      res.writeHead(302, headers);
      return void res.end();
    }
    if (url.pathname !== CALLBACK_PATH) {
      return sendPage(res, { status: 404, title: 'Not found', message: 'Nothing here. Finish the login in the tab lakekey opened.' });
    }
    if (aborted) {
      return sendPage(res, {
        status: 409,
        title: 'Login stopped',
        message: 'lakekey stopped this login because its link was opened twice. Start a new login.',
      });
    }
    if (accepted || !pending) {
      return sendPage(res, {
        status: 409,
        title: 'Already used',
        message: 'This login was already completed or is no longer waiting. Close this tab and start a new login if you need one.',
      });
    }
    if (!hasCookie(req)) {
      opts.onRefused?.('refused a login callback from a browser that did not open your login link; your login is still waiting');
      return sendPage(res, {
        status: 403,
        title: 'Login not accepted',
        message: 'This browser did not open the login link lakekey started, so its answer is not accepted. Finish the login in the tab lakekey opened.',
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
        // The last page of the login: the browser forgets the binding cookie.
        if (!page.redirectTo) res.setHeader('Set-Cookie', `${cookieName}=; HttpOnly; SameSite=Lax; Path=${CALLBACK_PATH}; Max-Age=0`);
        sendPage(res, page);
      },
    });
  }

  return {
    redirectUri: `${origin}${CALLBACK_PATH}`,
    launch(authorizationUrl) {
      // Under /callback, so that the binding cookie (Path=/callback) reaches it.
      const path = `${CALLBACK_PATH}/${randomBytes(16).toString('hex')}`;
      launches.set(path, { authorizationUrl, first: launches.size === 0, used: false });
      accepted = false;
      return `${origin}${path}`;
    },
    waitForCallback(expectedState, timeoutMs, signal) {
      return new Promise<CallbackResult>((resolve, reject) => {
        if (aborted) return reject(aborted);
        const timer = setTimeout(() => {
          pending = undefined;
          reject(
            new LakekeyError('LOGIN_TIMEOUT', `no login completed within ${sayDuration(timeoutMs / 1000)}`, {
              hint: 'Run the login again and finish it in the browser (or pass --timeout SECONDS for more time).',
            }),
          );
        }, timeoutMs);
        const onAbort = () => {
          done();
          pending = undefined;
          reject(new LakekeyError('LOGIN_TIMEOUT', 'the login was cancelled'));
        };
        const done = () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
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
