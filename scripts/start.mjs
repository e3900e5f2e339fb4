// `npm start`: build, then run the tray app on the Electron binary from the electron package.
// The binary is checked first, before the build: where it was never downloaded (setup skips the
// download, which is unreachable from some networks; an offline laptop) this ends in one short
// message saying what is missing and how to get it, with exit 2, instead of electron's attempt
// to download it and its stack trace.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const require = createRequire(join(repo, 'package.json'));

function electronBinary() {
  let pkgDir;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { pkgDir: undefined, path: undefined };
  }
  const pathFile = join(pkgDir, 'path.txt'); // written by electron's install.js once it has the binary
  const defaults = { darwin: 'Electron.app/Contents/MacOS/Electron', win32: 'electron.exe' };
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : (defaults[process.platform] ?? 'electron');
  const dist = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(pkgDir, 'dist');
  return { pkgDir, path: join(dist, relative) };
}

const { pkgDir, path: binary } = electronBinary();
if (!pkgDir || !existsSync(binary)) {
  const version = pkgDir ? JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version : 'from package.json';
  console.error(
    [
      `lakekey: cannot start the tray app: the Electron ${version} binary is missing${binary ? ` (${binary})` : ' (the electron package is not installed: run `npm run setup`)'}.`,
      '`npm run setup` skips its download (ELECTRON_SKIP_BINARY_DOWNLOAD=1), because the download site is not reachable from every network.',
      'To get it, on a network that reaches it: `node node_modules/electron/install.js`.',
      `Or point ELECTRON_OVERRIDE_DIST_PATH at a folder holding an unpacked Electron ${version} for this platform.`,
      'The `lakekey` command needs no Electron: `npm run build:cli`.',
    ].join('\n'),
  );
  process.exit(2);
}

const build = spawnSync('npm', ['run', 'build'], { cwd: repo, stdio: 'inherit', shell: process.platform === 'win32' });
if (build.status !== 0) process.exit(build.status ?? 1);
const app = spawn(binary, ['.', ...process.argv.slice(2)], { cwd: repo, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => app.kill(signal));
app.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
