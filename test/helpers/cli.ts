// Runs the real compiled `lakekey` CLI (or any command) as a child process and captures
// everything it prints.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = process.env.LAKEKEY_REPO ?? join(import.meta.dirname, '..', '..', '..');
export const CLI = join(REPO, 'dist', 'main', 'cli', 'lakekey.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Written to the child's stdin, which is then closed; without it stdin is empty. */
  input?: string;
}

/** Every stderr the suite has seen, for the secret scan. */
export const allOutput: string[] = [];

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return run(process.execPath, [CLI, ...args], opts);
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      allOutput.push(stderr);
      resolve({ code, stdout, stderr, ms: Date.now() - t0 });
    });
    child.stdin.on('error', () => {}); // a child that exits without reading stdin
    child.stdin.end(opts.input ?? '');
  });
}

/** Every regular file under `dir` (below 64 MiB), skipping any path `skip` says to: for leak scans. */
export function walkFiles(dir: string, skip: (path: string) => boolean = () => false): string[] {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (skip(p)) return [];
    if (e.isDirectory()) return walkFiles(p, skip);
    try {
      return e.isFile() && statSync(p).size < 64 * 1024 * 1024 ? [p] : [];
    } catch {
      return [];
    }
  });
}
