// A small bun executable built with build:cli's own flags (scripts/bun-flags.mjs), for the benches:
// the runtime's floor (a hello-world), or a tiny reader, timed beside the real `lakekey`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './cli.js';

const BUN = join(REPO, 'node_modules', 'bun', 'bin', 'bun.exe');
let out: string | undefined;

/** `entry` (a .ts file) compiled into a temporary folder removed when the process exits. */
export async function compileLikeCli(entry: string): Promise<string> {
  if (!existsSync(BUN)) throw new Error(`${BUN} is missing: run \`npm ci\` (bun is a devDependency)`);
  const { BUN_COMPILE_FLAGS } = (await import(pathToFileURL(join(REPO, 'scripts', 'bun-flags.mjs')).href)) as { BUN_COMPILE_FLAGS: string[] };
  if (!out) {
    const dir = mkdtempSync(join(tmpdir(), 'lakekey-bench-bun-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    out = dir;
  }
  const exe = join(out, basename(entry, '.ts'));
  execFileSync(BUN, ['build', entry, ...BUN_COMPILE_FLAGS, '--outfile', exe], { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] });
  return exe;
}

/** A bun hello-world with build:cli's flags: the floor any bun executable starts from. */
export function bunFloor(): Promise<string> {
  return compileLikeCli(join(REPO, 'test', 'bench', 'keychain-read', 'hello.ts'));
}
