// A small bun executable built with build:cli's flags (scripts/build-cli.mjs), for the benches:
// the runtime's floor (a hello-world), or a tiny reader, timed beside the real `lakekey`.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { REPO } from './cli.js';

const BUN = join(REPO, 'node_modules', 'bun', 'bin', 'bun.exe');
const AUTOLOAD_OFF = ['--no-compile-autoload-dotenv', '--no-compile-autoload-bunfig', '--no-compile-autoload-tsconfig', '--no-compile-autoload-package-json'];
let out: string | undefined;

/** `entry` (a .ts file) compiled into a temporary folder removed when the process exits. */
export function compileLikeCli(entry: string): string {
  if (!existsSync(BUN)) throw new Error(`${BUN} is missing: run \`npm ci\` (bun is a devDependency)`);
  if (!out) {
    const dir = mkdtempSync(join(tmpdir(), 'lakekey-bench-bun-'));
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
    out = dir;
  }
  const exe = join(out, basename(entry, '.ts'));
  execFileSync(
    BUN,
    [
      'build',
      entry,
      '--compile',
      '--bytecode',
      '--minify-syntax',
      ...AUTOLOAD_OFF,
      '--define',
      'LAKEKEY_STANDALONE=true',
      '--external',
      '@napi-rs/keyring',
      '--outfile',
      exe,
    ],
    { cwd: REPO, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  return exe;
}

/** A bun hello-world with build:cli's flags: the floor any bun executable starts from. */
export function bunFloor(): string {
  return compileLikeCli(join(REPO, 'test', 'bench', 'keychain-read', 'hello.ts'));
}
