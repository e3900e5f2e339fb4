// The login broker (DESIGN §4, §6): a local endpoint through which CLI processes ask the tray to
// run an interactive login, so that at most one browser login per profile runs at a time and a
// CLI started while the tray is up never opens a second tab.
//
// Transport: a Unix socket `tray.sock` in the settings folder (socket 0600, folder 0700), or a
// named pipe on Windows. Next to it, `tray.secret` holds a random secret for this run (0600):
// only a process that can read the owner's settings folder can talk to the tray. Named pipes
// live in one machine-wide namespace where anyone may create any name first, so the pipe's name
// is derived from that secret: nobody who cannot read the folder can know it, squat it, and so
// receive the secret from a CLI. Protocol: one newline-terminated JSON request per connection,
// `{"secret","op":"login","profile"}`, answered with one line `{"ok":true}` or
// `{"ok":false,"code","message","hint"?}`. Plain Node: no Electron here.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { asLakekeyError, isErrorCode, LakekeyError, type ErrorCode } from '../errors.js';
import { PROFILE_NAME } from '../config/settings.js';
import { singleFlight } from '../single-flight.js';
import { outside } from '../text-gate.js';

export const BROKER_SOCKET = 'tray.sock';
export const BROKER_SECRET = 'tray.secret';
/** Longest request line accepted; a request is a few dozen bytes. */
const MAX_REQUEST_BYTES = 4096;
/** How long a connected client may take to send its request. */
const REQUEST_TIMEOUT_MS = 5_000;
/** Unix socket paths are limited to about 104 (macOS) or 108 (Linux) bytes. */
const MAX_SOCKET_PATH = 100;

export interface BrokerRequest {
  secret: string;
  op: 'login';
  profile: string;
}

export type BrokerResponse = { ok: true } | { ok: false; code: ErrorCode; message: string; hint?: string };

/** Where the tray listens: the socket in `dir`, or on Windows a pipe named after this run's secret. */
export function brokerEndpoint(dir: string, platform: NodeJS.Platform, secret = ''): string {
  if (platform === 'win32') {
    const id = createHash('sha256').update(`lakekey broker pipe\0${secret}`).digest('hex').slice(0, 32);
    return `\\\\.\\pipe\\lakekey-${id}`;
  }
  return join(dir, BROKER_SOCKET);
}

export function brokerSecretPath(dir: string): string {
  return join(dir, BROKER_SECRET);
}

export interface LoginBroker {
  endpoint: string;
  close(): Promise<void>;
}

export interface BrokerOptions {
  dir: string;
  /** Runs one interactive login; the broker makes sure it runs at most once per profile at a time. */
  login(profile: string): Promise<void>;
  platform: NodeJS.Platform;
}

/**
 * Starts listening. A socket file left by a crashed tray is removed; a live one means another
 * tray already serves this folder, which is an error (the single-instance lock should have
 * stopped this process earlier).
 */
export async function startLoginBroker(opts: BrokerOptions): Promise<LoginBroker> {
  const platform = opts.platform;
  const secret = randomBytes(32).toString('hex');
  const endpoint = brokerEndpoint(opts.dir, platform, secret);
  if (platform !== 'win32') {
    mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
    chmodSync(opts.dir, 0o700);
    if (Buffer.byteLength(endpoint) > MAX_SOCKET_PATH) {
      throw new LakekeyError('CONFIG', `the settings folder path is too long for the tray's socket (${endpoint})`, {
        hint: 'Use a shorter LAKEKEY_CONFIG_DIR.',
      });
    }
    if (await answers(endpoint)) {
      throw new LakekeyError('CONFIG', 'another lakekey tray is already running for this settings folder', { hint: 'Use the running tray, or quit it first.' });
    }
    rmSync(endpoint, { force: true });
  }
  const secretFile = brokerSecretPath(opts.dir);
  rmSync(secretFile, { force: true });
  writeFileSync(secretFile, secret + '\n', { mode: 0o600, flag: 'wx' });

  const logins = singleFlight(opts.login);
  const runLogin = (profile: string) => logins.run(profile);

  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    handleConnection(socket, secret, runLogin);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(endpoint, () => {
      server.off('error', reject);
      resolve();
    });
  });
  if (platform !== 'win32') chmodSync(endpoint, 0o600);

  return {
    endpoint,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        try {
          // Remove the secret only if it is still ours (a newer tray may have replaced it).
          if (readFileSync(secretFile, 'utf8').trim() === secret) unlinkSync(secretFile);
        } catch {
          /* already gone */
        }
      }),
  };
}

function handleConnection(socket: Socket, secret: string, runLogin: (profile: string) => Promise<void>): void {
  let buffer = '';
  let handled = false;
  const reply = (r: BrokerResponse) => {
    if (!socket.destroyed) socket.end(JSON.stringify(r) + '\n');
  };
  const timer = setTimeout(() => socket.destroy(), REQUEST_TIMEOUT_MS);
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    if (handled) return;
    buffer += chunk;
    const nl = buffer.indexOf('\n');
    if (nl === -1) {
      if (buffer.length > MAX_REQUEST_BYTES) {
        handled = true;
        reply({ ok: false, code: 'USAGE', message: 'request too large' });
      }
      return;
    }
    handled = true;
    clearTimeout(timer);
    const request = parseRequest(buffer.slice(0, nl));
    if (!request || !secretMatches(request.secret, secret)) {
      reply({ ok: false, code: 'FORBIDDEN', message: 'the tray refused the request (wrong secret or malformed request)' });
      return;
    }
    if (!PROFILE_NAME.test(request.profile)) {
      reply({ ok: false, code: 'USAGE', message: `"${request.profile}" is not a valid profile name` });
      return;
    }
    runLogin(request.profile).then(
      () => reply({ ok: true }),
      (err: unknown) => {
        const e = asLakekeyError(err);
        reply(e.hint ? { ok: false, code: e.code, message: e.message, hint: e.hint } : { ok: false, code: e.code, message: e.message });
      },
    );
  });
  socket.on('close', () => clearTimeout(timer));
}

function parseRequest(line: string): BrokerRequest | undefined {
  try {
    const r = JSON.parse(line) as Partial<BrokerRequest>;
    if (typeof r !== 'object' || r === null) return undefined;
    if (typeof r.secret !== 'string' || r.op !== 'login' || typeof r.profile !== 'string') return undefined;
    return r as BrokerRequest;
  } catch {
    return undefined;
  }
}

function secretMatches(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Whether something accepts connections at the endpoint (a live tray). */
function answers(endpoint: string, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(endpoint);
    const done = (alive: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(alive);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Asks a running tray to log the profile in, and waits for that login (shared with any other
 * caller asking for the same profile). 'no-tray' comes back at once when no tray listens — no
 * secret file, no socket, or a socket file left behind by a tray that is gone — so the caller
 * can run its own browser login. A login the tray ran and that failed is thrown as a
 * LakekeyError with the tray's code and message.
 */
export async function requestLoginViaTray(dir: string, profile: string, timeoutMs: number, platform: NodeJS.Platform): Promise<'done' | 'no-tray'> {
  let secret: string;
  try {
    const file = brokerSecretPath(dir);
    if (platform !== 'win32' && (statSync(file).mode & 0o077) !== 0) return 'no-tray'; // not ours, or tampered with
    secret = readFileSync(file, 'utf8').trim();
  } catch {
    return 'no-tray';
  }
  if (!secret) return 'no-tray';
  const endpoint = brokerEndpoint(dir, platform, secret);
  return new Promise((resolve, reject) => {
    let connected = false;
    let buffer = '';
    let settled = false;
    const socket = connect(endpoint);
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      fn();
    };
    const timer = setTimeout(
      () =>
        finish(() =>
          connected
            ? reject(
                new LakekeyError('LOGIN_TIMEOUT', `the login for profile "${profile}" in the tray did not finish in time`, {
                  hint: `Finish the login in your browser, or run \`lakekey login ${profile}\`.`,
                }),
              )
            : resolve('no-tray'),
        ),
      timeoutMs,
    );
    socket.setEncoding('utf8');
    socket.once('connect', () => {
      connected = true;
      const request: BrokerRequest = { secret, op: 'login', profile };
      socket.write(JSON.stringify(request) + '\n');
    });
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const nl = buffer.indexOf('\n');
      if (nl === -1) return;
      let answer: BrokerResponse;
      try {
        answer = JSON.parse(buffer.slice(0, nl)) as BrokerResponse;
      } catch {
        finish(() => reject(new LakekeyError('INTERNAL', 'the tray sent an unreadable answer')));
        return;
      }
      if (answer.ok) {
        finish(() => resolve('done'));
        return;
      }
      const code = isErrorCode(answer.code) ? answer.code : 'INTERNAL';
      // The answer is text from another process: one plain line each, like any server's message.
      finish(() => reject(new LakekeyError(code, outside(answer.message, 500), answer.hint ? { hint: outside(answer.hint, 500) } : {})));
    });
    // Refused or missing socket: no tray (a stale socket file refuses connections).
    socket.once('error', () => finish(() => (connected ? reject(new LakekeyError('INTERNAL', 'the connection to the tray broke')) : resolve('no-tray'))));
    socket.once('close', () =>
      finish(() => (connected ? reject(new LakekeyError('INTERNAL', 'the tray closed the connection without an answer')) : resolve('no-tray'))),
    );
  });
}
