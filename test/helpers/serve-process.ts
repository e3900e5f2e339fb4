// A real `lakekey serve NAME` (the bun executable) running in a sandbox, found as `lakekey env
// --server` finds it: its record `endpoint-serve-<pid>.json` in the settings folder (port,
// profiles, pid) and its token file beside it.
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
  /** What it printed so far. */
  stdout(): string;
  stderr(): string;
  /** SIGTERM, and its exit code. */
  stop(): Promise<number | null>;
}

/** Starts `lakekey serve` for the sandbox's profile and waits until it says it serves. */
export async function startServe(box: Sandbox, names: string[] = [box.name]): Promise<ServeProcess> {
  const child = spawn(CLI, ['serve', ...names], { env: box.env });
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
