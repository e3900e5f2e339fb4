// `npm run build:cli`: the standalone `lakekey` executable in dist/cli/, built by bun from the
// same TypeScript (bun comes from the npm registry: the `bun` package and its per-platform
// optional dependency). keytar's addon is copied beside the executable and loaded from there by
// absolute path (main/core/keytar-module.ts), so nothing is extracted to a shared temp folder.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const require = createRequire(join(repo, 'package.json'));
const out = join(repo, 'dist', 'cli');
const exe = process.platform === 'win32' ? 'lakekey.exe' : 'lakekey';
let bun;
try {
  bun = join(dirname(require.resolve('bun/package.json')), 'bin', process.platform === 'win32' ? 'bun.exe' : 'bun.exe');
} catch {
  console.error('build:cli: the bun package is missing. Run `npm ci` (bun is a devDependency).');
  process.exit(2);
}
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
execFileSync(
  bun,
  [
    'build', 'main/cli/lakekey.ts', '--compile', '--bytecode', '--minify-syntax',
    '--define', 'LAKEKEY_STANDALONE=true',
    '--external', 'keytar',
    '--outfile', join(out, exe),
  ],
  { cwd: repo, stdio: 'inherit' },
);
const addon = join(dirname(require.resolve('keytar/package.json')), 'build', 'Release', 'keytar.node');
copyFileSync(addon, join(out, 'keytar.node'));
chmodSync(join(out, 'keytar.node'), 0o755);
console.log(`build:cli: wrote ${join(out, exe)} and keytar.node beside it`);
