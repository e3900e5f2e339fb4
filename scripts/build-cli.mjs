// `npm run build:cli`: the standalone `lakekey` executable in dist/cli/, built by bun from the
// same TypeScript (bun comes from the npm registry: the `bun` package and its per-platform
// optional dependency). keytar's addon is copied beside the executable and loaded from there by
// absolute path (main/core/keytar-module.ts), so nothing is extracted to a shared temp folder.
//
// `-- --target <t>` (repeatable) or `-- --all` cross-builds into dist/cli/<t>/: bun fetches the
// target's runtime from the npm registry (@oven/bun-<platform>). The keychain addon is the
// limit: keytar publishes its prebuilt binaries outside npm, so only this machine's own
// keytar.node (built from source at install) exists here. A target without an addon beside its
// executable cannot open the keychain (it exits 4), so the build says which ones lack it and
// exits 2; release.yml builds each platform natively on its own runner instead.
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

const TARGETS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64', 'windows-x64'];
const host = `${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;

const repo = join(import.meta.dirname, '..');
const require = createRequire(join(repo, 'package.json'));
let args;
try {
  args = parseArgs({ options: { target: { type: 'string', multiple: true }, all: { type: 'boolean' } } }).values;
} catch (err) {
  console.error(`build:cli: ${err.message}. Usage: npm run build:cli [-- --target <${TARGETS.join('|')}> ... | --all]`);
  process.exit(2);
}
const wanted = args.all ? TARGETS : (args.target ?? [host]);
const unknown = wanted.filter((t) => !TARGETS.includes(t));
if (unknown.length) {
  console.error(`build:cli: unknown target ${unknown.join(', ')}; known: ${TARGETS.join(', ')}`);
  process.exit(2);
}
let bun;
try {
  bun = join(dirname(require.resolve('bun/package.json')), 'bin', 'bun.exe'); // the package's name for it on every OS
} catch {
  console.error('build:cli: the bun package is missing. Run `npm ci` (bun is a devDependency).');
  process.exit(2);
}

const out = join(repo, 'dist', 'cli');
const lacking = [];
for (const target of wanted) {
  // The host build stays at dist/cli/lakekey, where the tests, the bench and electron-builder look.
  const dir = target === host ? out : join(out, target);
  const exe = join(dir, target.startsWith('windows') ? 'lakekey.exe' : 'lakekey');
  for (const name of ['lakekey', 'lakekey.exe', 'keytar.node']) rmSync(join(dir, name), { force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(
    bun,
    [
      'build', 'main/cli/lakekey.ts', '--compile', '--bytecode', '--minify-syntax',
      ...(target === host ? [] : [`--target=bun-${target}`]), // the host build is this bun itself
      '--define', 'LAKEKEY_STANDALONE=true',
      '--define', `LAKEKEY_VERSION=${JSON.stringify(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version)}`,
      '--external', 'keytar',
      '--outfile', exe,
    ],
    { cwd: repo, stdio: 'inherit' },
  );
  const addon = join(dirname(require.resolve('keytar/package.json')), 'build', 'Release', 'keytar.node');
  if (target === host && existsSync(addon)) {
    copyFileSync(addon, join(dir, 'keytar.node'));
    chmodSync(join(dir, 'keytar.node'), 0o755);
    console.log(`build:cli: wrote ${exe} and keytar.node beside it`);
  } else {
    lacking.push(target);
    console.log(`build:cli: wrote ${exe}, WITHOUT keytar.node`);
  }
}
if (lacking.length) {
  console.error(
    `build:cli: no keytar.node for ${lacking.join(', ')}: keytar's prebuilt addons are not on the npm registry, and this ` +
      `machine can only build its own (${host}). Those executables exit 4 until a keytar.node built on their platform ` +
      `is put beside them: build them natively there (release.yml does).`,
  );
  process.exit(2);
}
