// Shared pieces of the security and fuzz suites: throwaway profiles, a login child process whose
// launch URL the test can drive by hand, raw HTTP requests with any method, Host header or source
// address, an observer of every request an in-process HTTP server receives, and fuzz counts.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { subscribe } from 'node:diagnostics_channel';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI, REPO, runCli, type CliResult } from './cli.js';
import { LAUNCH } from './launch-url.js';

export const LONG = process.env.LAKEKEY_LONG === '1';
/** Default fuzz runs, or ten times as many under `npm run test:long`. */
export function runs(base: number): number {
  return LONG ? base * 10 : base;
}

/** Prints the line SECURITY.md cites. */
export function reportCount(name: string, n: number): void {
  process.stdout.write(`fuzz: ${name} ${n} cases\n`);
}

export const SECURITY_BROWSER_COMMAND = `"${process.execPath}" "${join(REPO, 'dist', 'test', 'helpers', 'security-browser.js')}"`;

// ---- every request seen by an HTTP server in this process --------------------------------

export interface SeenRequest {
  port: number;
  method: string;
  path: string;
}

const seen: SeenRequest[] = [];
let observing = false;

/**
 * Starts recording every request any node:http server in this process receives (through the
 * `http.server.request.start` diagnostics channel), so tests can count token-endpoint calls,
 * including refused ones that an IdP's success counters never see.
 */
export function observeServerRequests(): SeenRequest[] {
  if (!observing) {
    observing = true;
    subscribe('http.server.request.start', (message) => {
      const { request, server } = message as { request: http.IncomingMessage; server: http.Server };
      const address = server.address() as AddressInfo | null;
      seen.push({ port: address?.port ?? 0, method: request.method ?? '', path: request.url ?? '' });
    });
  }
  return seen;
}

/** Requests seen on `origin` whose path starts with `prefix`. */
export function countRequests(origin: string, prefix: string): number {
  const port = Number(new URL(origin).port);
  return seen.filter((r) => r.port === port && r.path.startsWith(prefix)).length;
}

// ---- throwaway profiles ------------------------------------------------------------------

export interface Box {
  name: string;
  dir: string;
  root: string;
  env: NodeJS.ProcessEnv;
  /** Runs the CLI with this box's environment (plus `extraEnv`), `input` on its stdin. */
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv, input?: string): Promise<CliResult>;
}

let counter = 0;

/** A fresh settings folder with one profile `name` for `issuer` (no S3 unless extraArgs add it). */
export async function securityBox(issuer: string, clientId: string, extraArgs: string[] = [], browser?: string): Promise<Box> {
  const name = `sec${process.pid}-${++counter}`;
  const root = mkdtempSync(join(tmpdir(), 'lakekey-security-'));
  writeFileSync(join(root, 'aws-credentials'), '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LAKEKEY_CONFIG_DIR: join(root, 'lakekey'),
    AWS_CONFIG_FILE: join(root, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    LAKEKEY_HTTP_TIMEOUT_SECONDS: '5',
  };
  delete env.LAKEKEY_BROWSER;
  if (browser) env.LAKEKEY_BROWSER = browser;
  const box: Box = {
    name,
    root,
    dir: join(root, 'lakekey'),
    env,
    cli: (args, extraEnv, input) => runCli(args, { env: { ...env, ...extraEnv }, ...(input === undefined ? {} : { input }) }),
  };
  const add = await box.cli(['profile', 'add', name, '--issuer', issuer, '--client-id', clientId, ...extraArgs]);
  if (add.code !== 0) throw new Error(`profile add failed: ${add.stderr}`);
  return box;
}

// ---- a login child process driven by hand -------------------------------------------------

export interface LoginChild {
  child: ChildProcessWithoutNullStreams;
  launch: URL;
  /** The IdP authorization URL the launch path redirects to. */
  authorize: URL;
  /** The browser-binding cookie the launch path set, as `name=value`. */
  cookie: string;
  state: string;
  stderr(): string;
  exited: Promise<number | null>;
}

const children = new Set<ChildProcessWithoutNullStreams>();

/** Kills every login child this process started that is still running (for after() hooks). */
export function killLogins(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  children.clear();
}

/** Starts `lakekey login NAME --no-browser` and learns its launch URL, authorization URL and state. */
export async function startLogin(box: Box, timeoutSeconds = 120): Promise<LoginChild> {
  const child = spawn(CLI, ['login', box.name, '--no-browser', '--timeout', String(timeoutSeconds)], { env: box.env });
  children.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  const deadline = Date.now() + 30_000;
  while (!LAUNCH.test(stderr)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`login printed no launch URL: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  const launch = new URL(LAUNCH.exec(stderr)![0]);
  const redirect = await rawRequest({ url: launch });
  if (redirect.status !== 302 || !redirect.headers.location) throw new Error(`launch URL answered ${redirect.status}`);
  const authorize = new URL(redirect.headers.location);
  const cookie = /^[^;]+/.exec(String(redirect.headers['set-cookie']?.[0] ?? ''))?.[0] ?? '';
  if (!cookie.includes('=')) throw new Error('the launch URL set no browser-binding cookie');
  return { child, launch, authorize, cookie, state: authorize.searchParams.get('state') ?? '', stderr: () => stderr, exited };
}

/** The cookie `name=value` as playwright's addCookies wants it, for the receiver at `launch`. */
export function browserCookie(launch: URL, cookie: string): { name: string; value: string; url: string } {
  const eq = cookie.indexOf('=');
  return { name: cookie.slice(0, eq), value: cookie.slice(eq + 1), url: launch.origin };
}

// ---- raw requests ----------------------------------------------------------------------------

export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface RawRequest {
  url: URL;
  /** Request target as sent (default: the URL's path and query). */
  target?: string;
  method?: string;
  /** Host header; null sends none; default the URL's host. */
  host?: string | null;
  localAddress?: string;
  body?: string;
  /** A Cookie header to send. */
  cookie?: string;
}

/** One request through node:http with full control of method, target, Host and source address. */
export function rawRequest(r: RawRequest): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (r.host !== null) headers.Host = r.host ?? r.url.host;
    if (r.body !== undefined) headers['Content-Type'] = 'application/x-www-form-urlencoded';
    if (r.cookie !== undefined) headers.Cookie = r.cookie;
    const req = http.request(
      {
        host: r.url.hostname,
        port: r.url.port,
        method: r.method ?? 'GET',
        path: r.target ?? `${r.url.pathname}${r.url.search}`,
        headers,
        setHost: false,
        localAddress: r.localAddress,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 15 s')));
    req.on('error', reject);
    req.end(r.body);
  });
}

/** A non-loopback IPv4 address of this host, if it has one. */
export async function localNonLoopbackAddress(): Promise<string | undefined> {
  const { networkInterfaces } = await import('node:os');
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}
