// Runs the real `lakekey` CLI (or any command) as a child process and captures everything it
// prints. The CLI is the standalone executable users install (`npm run build:cli`), so the whole
// suite runs on its runtime; NODE_CLI, the Node entry, is kept for what only Node can do (module
// tracing with --import) and for the one test that the development entry still works.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = process.env.LAKEKEY_REPO ?? join(import.meta.dirname, '..', '..', '..');
/** The standalone executable built by scripts/build-cli.mjs. */
export const CLI = join(REPO, 'dist', 'cli', process.platform === 'win32' ? 'lakekey.exe' : 'lakekey');
/** The Node entry (`node dist/main/cli/lakekey.js`), for development. */
export const NODE_CLI = join(REPO, 'dist', 'main', 'cli', 'lakekey.js');

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
  /** The working folder (default: this process's). */
  cwd?: string;
  /** Called with the child once it is started (to signal it, or learn its pid). */
  onSpawn?: (child: ChildProcess) => void;
}

/** Every stderr the suite has seen, for the secret scan. */
export const allOutput: string[] = [];

export function runCli(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return run(CLI, args, opts);
}

export function run(cmd: string, args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, ...(opts.cwd ? { cwd: opts.cwd } : {}), stdio: ['pipe', 'pipe', 'pipe'] });
    opts.onSpawn?.(child);
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
