// A real `lakekey serve` (the bun executable) as a test runs it: in the foreground, in a sandbox's
// environment, waited for until it says it is serving, and found as `lakekey env --server` finds
// it — its record `endpoint-serve-<pid>.json` in the settings folder (port, profiles, pid) and its
// token file beside it. Shared by the endpoint's e2e and security suites and the long-job scenario.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './cli.js';
import type { Sandbox } from './world.js';

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  port: number;
  token: string;
  /** The record file and the token file, as written. */
  recordFile: string;
  tokenFile: string;
  /** What it printed on stdout so far (the variables, in the format asked for). */
  stdout(): string;
  /** What it said on stderr so far. */
  stderr(): string;
  /** SIGTERM, and its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `lakekey serve NAME… [args]` (the sandbox's profile by default) and resolves once it serves. */
export async function startServe(box: Sandbox, args: string[] = [], names: string[] = [box.name]): Promise<ServeProcess> {
  const child = spawn(CLI, ['serve', ...names, ...args], { env: box.env });
  let out = '';
  let said = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (said += d));
  await new Promise<void>((resolve, reject) => {
    const poll = setInterval(() => /serving credentials for/.test(said) && (clearInterval(poll), resolve()), 50);
    child.once('exit', (code) => (clearInterval(poll), reject(new Error(`serve exited (${code}): ${said}`))));
  });
  const recordFile = join(box.dir, `endpoint-serve-${child.pid}.json`);
  const tokenFile = join(box.dir, `endpoint-serve-${child.pid}.token`);
  const record = JSON.parse(readFileSync(recordFile, 'utf8')) as { port: number };
  return {
    child,
    port: record.port,
    token: readFileSync(tokenFile, 'utf8'),
    recordFile,
    tokenFile,
    stdout: () => out,
    stderr: () => said,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve(child.exitCode);
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

/** Asks the endpoint once as an SDK does, with the token from its file: status and parsed body. */
export async function askEndpoint(vars: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(vars.AWS_CONTAINER_CREDENTIALS_FULL_URI, {
    headers: { Authorization: readFileSync(vars.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8') },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
