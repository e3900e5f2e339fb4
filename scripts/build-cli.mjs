// `npm run build:cli`: the standalone `lakekey` executable in dist/cli/, built by bun from the
// same TypeScript (bun comes from the npm registry: the `bun` package and its per-platform
// optional dependency).
//
// The keychain: on Linux lakekey speaks D-Bus to the Secret Service itself, so a Linux
// executable needs no addon at all. macOS and Windows use @napi-rs/keyring, whose per-platform
// builds are npm packages: the target's keyring.node is copied beside the executable and loaded
// from there by absolute path (main/core/keychain/keyring-module.ts), so nothing is extracted to a shared
// temp folder.
//
// `-- --target <t>` (repeatable) or `-- --all` cross-builds into dist/cli/<t>/: bun fetches the
// target's runtime from the npm registry (@oven/bun-<platform>), and the target's keyring.node
// comes from its @napi-rs/keyring-<platform> package (`npm pack`ed into ~/.cache/lakekey-build).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUN_COMPILE_FLAGS } from './bun-flags.mjs';

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

/** npm's name for the target's @napi-rs/keyring build; Linux targets need none. */
const KEYRING_PACKAGE = { 'darwin-arm64': 'darwin-arm64', 'darwin-x64': 'darwin-x64', 'windows-x64': 'win32-x64-msvc' };
const keyringVersion = JSON.parse(readFileSync(require.resolve('@napi-rs/keyring/package.json'), 'utf8')).version;

/** The target's keyring.node: from node_modules when it is this machine's, else `npm pack`ed once into a cache. */
function keyringAddon(target) {
  const pkg = `@napi-rs/keyring-${KEYRING_PACKAGE[target]}`;
  try {
    const dir = dirname(require.resolve(`${pkg}/package.json`));
    const file = readdirSync(dir).find((f) => f.endsWith('.node'));
    if (file) return join(dir, file);
  } catch {
    /* not installed here: another platform's package */
  }
  const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lakekey-build', `${pkg.replace('/', '+')}-${keyringVersion}`);
  if (!existsSync(join(cache, 'package'))) {
    mkdirSync(cache, { recursive: true });
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
    const [{ filename }] = JSON.parse(execFileSync(npm, ['pack', '--json', `${pkg}@${keyringVersion}`], { cwd: cache, encoding: 'utf8' }));
    execFileSync('tar', ['-xzf', filename], { cwd: cache });
  }
  const file = readdirSync(join(cache, 'package')).find((f) => f.endsWith('.node'));
  if (!file) throw new Error(`${pkg}@${keyringVersion} has no .node file`);
  return join(cache, 'package', file);
}

const out = join(repo, 'dist', 'cli');
for (const target of wanted) {
  // The host build stays at dist/cli/lakekey, where the tests, the bench and electron-builder look.
  const dir = target === host ? out : join(out, target);
  const exe = join(dir, target.startsWith('windows') ? 'lakekey.exe' : 'lakekey');
  for (const name of ['lakekey', 'lakekey.exe', 'keytar.node', 'keyring.node']) rmSync(join(dir, name), { force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync(
    bun,
    [
      'build',
      'main/cli/lakekey.ts',
      ...BUN_COMPILE_FLAGS,
      ...(target === host ? [] : [`--target=bun-${target}`]), // the host build is this bun itself
      '--define',
      `LAKEKEY_VERSION=${JSON.stringify(JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version)}`,
      '--outfile',
      exe,
    ],
    { cwd: repo, stdio: 'inherit' },
  );
  if (target.startsWith('linux')) {
    console.log(`build:cli: wrote ${exe} (the Secret Service over D-Bus: no addon)`);
    continue;
  }
  copyFileSync(keyringAddon(target), join(dir, 'keyring.node'));
  chmodSync(join(dir, 'keyring.node'), 0o755);
  console.log(`build:cli: wrote ${exe} and keyring.node (@napi-rs/keyring ${keyringVersion}) beside it`);
}
