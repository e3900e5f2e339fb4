// `npm run pack:cli`: the `lakekey` command as an npm package, dist/lakekey-<version>.tgz, that
// `npm install -g` turns into a working `lakekey` with no Node-side install step.
//
// Why a package of its own rather than the repository's package.json: the repository's
// `dependencies` are the tray app's (electron-builder packs them), and installing them would
// fetch Electron and the tray's whole tree, none of which the command needs. This package's bin
// is the standalone executable from `npm run build:cli`, with keyring.node beside it on macOS
// and Windows (none on Linux); it has no dependencies and no install scripts, and says which
// platform it was built for (`os`/`cpu`), so npm refuses it elsewhere.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const repo = join(import.meta.dirname, '..');
const cli = join(repo, 'dist', 'cli');
const exe = process.platform === 'win32' ? 'lakekey.exe' : 'lakekey';
/** The files of the package: the executable, and on macOS and Windows its keychain addon. */
const files = process.platform === 'linux' ? [exe] : [exe, 'keyring.node'];
for (const f of files) {
  if (!existsSync(join(cli, f))) {
    console.error(`pack:cli: ${join(cli, f)} is missing: run \`npm run build:cli\` first.`);
    process.exit(2);
  }
}
const root = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
const stage = join(repo, 'dist', 'npm');
rmSync(stage, { recursive: true, force: true });
mkdirSync(stage, { recursive: true });
for (const f of files) copyFileSync(join(cli, f), join(stage, f));
const manifest = {
  name: root.name,
  version: root.version,
  description: root.description,
  license: root.license,
  private: true, // never published by accident; `npm pack` and `npm install -g <tarball>` work
  bin: { lakekey: exe },
  os: [process.platform],
  cpu: [process.arch],
  files,
};
writeFileSync(join(stage, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
writeFileSync(
  join(stage, 'README.md'),
  `# lakekey ${root.version} (${process.platform}-${process.arch})\n\nThe \`lakekey\` command, standalone: no Node.js needed to run it.` +
    (files.length > 1 ? ' keyring.node (the keychain addon) must stay beside the executable.\n' : '\n'),
);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const out = execFileSync(npm, ['pack', '--json', '--pack-destination', join(repo, 'dist')], { cwd: stage, encoding: 'utf8' });
const [{ filename }] = JSON.parse(out);
console.log(`pack:cli: wrote ${join(repo, 'dist', filename)}`);
