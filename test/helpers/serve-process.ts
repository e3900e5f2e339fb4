// `lakekey serve` as a test runs it: the real executable in the foreground, in a sandbox's
// environment, waited for until it says it is serving. Shared by the endpoint's e2e suites
// (endpoint.test.ts, endpoint-outage.test.ts) and the long-job scenario (endpoint-jobs.ts).
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CLI } from './cli.js';
import type { Sandbox } from './world.js';

export interface ServeProcess {
  child: ChildProcessWithoutNullStreams;
  /** What it printed on stdout so far (the variables, in the format asked for). */
  stdout(): string;
  /** What it said on stderr so far. */
  stderr(): string;
}

/** Starts `lakekey serve NAME [args]` for the sandbox's profile and resolves once it serves. */
export async function startServe(box: Sandbox, args: string[] = []): Promise<ServeProcess> {
  const child = spawn(CLI, ['serve', box.name, ...args], { env: box.env });
  let out = '';
  let said = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (said += d));
  await new Promise<void>((resolve, reject) => {
    const check = setInterval(() => {
      if (/serving credentials for/.test(said)) {
        clearInterval(check);
        resolve();
      }
    }, 50);
    child.once('exit', (code) => {
      clearInterval(check);
      reject(new Error(`serve exited (${code}): ${said}`));
    });
  });
  return { child, stdout: () => out, stderr: () => said };
}

/** Asks the endpoint once as an SDK does, with the token from its file: status and parsed body. */
export async function askEndpoint(vars: Record<string, string>): Promise<{ status: number; body: Record<string, string> }> {
  const res = await fetch(vars.AWS_CONTAINER_CREDENTIALS_FULL_URI, {
    headers: { Authorization: readFileSync(vars.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8') },
    signal: AbortSignal.timeout(30_000),
  });
  return { status: res.status, body: (await res.json()) as Record<string, string> };
}
