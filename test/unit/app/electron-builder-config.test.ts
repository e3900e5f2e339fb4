// electron-builder.yml validates against electron-builder's own JSON schema (the one it ships in
// app-builder-lib), keeps the fuses hardened, and names resources that exist.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { test } from 'node:test';
import { Ajv } from 'ajv';
import { parse } from 'yaml';
import { REPO } from '../../helpers/cli.js';

const require = createRequire(import.meta.url);

test('electron-builder.yml is valid against app-builder-lib/scheme.json', () => {
  const schema = JSON.parse(readFileSync(require.resolve('app-builder-lib/scheme.json', { paths: [REPO] }), 'utf8')) as Record<string, unknown>;
  const config = parse(readFileSync(join(REPO, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
  const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
  const validate = ajv.compile(schema);
  assert.ok(validate(config), JSON.stringify(validate.errors, null, 2));
  // The schema accepts anything misspelled at the top? No: it forbids extra properties. Prove it.
  assert.equal(validate({ ...config, notAnOption: true }), false);
});

test('fuses are hardened, macOS uses the hardened runtime, every target is there', () => {
  const c = parse(readFileSync(join(REPO, 'electron-builder.yml'), 'utf8'));
  assert.deepEqual(c.electronFuses, {
    runAsNode: false,
    enableCookieEncryption: true,
    enableNodeOptionsEnvironmentVariable: false,
    enableNodeCliInspectArguments: false,
    enableEmbeddedAsarIntegrityValidation: true,
    onlyLoadAppFromAsar: true,
    loadBrowserProcessSpecificV8Snapshot: false,
    grantFileProtocolExtraPrivileges: false,
  });
  assert.equal(c.mac.hardenedRuntime, true);
  assert.deepEqual(c.mac.target, ['dmg', 'zip']);
  assert.deepEqual(c.win.target, ['nsis']);
  assert.deepEqual(c.linux.target, ['AppImage', 'deb']);
  for (const f of [
    c.mac.entitlements,
    c.mac.entitlementsInherit,
    c.mac.icon,
    'build/tray/ok.png',
    'build/tray/errorTemplate.png',
    'build/tray/okTemplate@2x.png',
  ]) {
    assert.ok(existsSync(join(REPO, f)), f);
  }
  const entitlements = readFileSync(join(REPO, c.mac.entitlements), 'utf8');
  assert.ok(!/disable-library-validation|allow-dyld-environment-variables|get-task-allow/.test(entitlements));
  // RunAsNode is off, so the CLI ships as the standalone executable (with keyring.node beside
  // it on macOS and Windows) in <resources>/bin, and nothing of the app needs to be unpacked for a plain Node.
  const bin = c.extraResources.filter((r: { from: string; to: string }) => r.to === 'bin');
  assert.deepEqual(bin, [{ from: 'dist/cli', to: 'bin', filter: ['lakekey', 'lakekey.exe', 'keyring.node'] }]);
  assert.deepEqual(c.asarUnpack, ['**/*.node']);
  assert.ok(!existsSync(join(REPO, 'build', 'bin')), 'the Node wrapper scripts are gone');
  assert.ok(!JSON.stringify(c.deb ?? {}).includes('nodejs'), 'the deb needs no Node.js');
  const pngMagic = readFileSync(join(REPO, 'build', 'icon.png')).subarray(0, 8);
  assert.deepEqual([...pngMagic], [137, 80, 78, 71, 13, 10, 26, 10]);
});

test('what extraResources copies into <resources>/bin is a working lakekey, also through a symlink, with no Node on PATH', async () => {
  const { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, readdirSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  const c = parse(readFileSync(join(REPO, 'electron-builder.yml'), 'utf8'));
  const entry = c.extraResources.find((r: { to: string }) => r.to === 'bin') as { from: string; filter: string[] };
  const from = join(REPO, entry.from);
  assert.ok(existsSync(join(from, 'lakekey')), `${from}/lakekey is missing: run \`npm run build:cli\` first`);
  // Lay out resources/bin as electron-builder would (the filter's names that exist here), and a
  // symlink elsewhere, as the tray's "Install command-line tool" makes.
  const res = mkdtempSync(join(tmpdir(), 'lk-res-'));
  mkdirSync(join(res, 'bin'));
  for (const name of readdirSync(from).filter((n) => entry.filter.includes(n))) copyFileSync(join(from, name), join(res, 'bin', name));
  assert.deepEqual(readdirSync(join(res, 'bin')).sort(), ['lakekey'], 'on Linux the executable alone: no addon');
  execFileSync('chmod', ['755', join(res, 'bin', 'lakekey')]);
  symlinkSync(join(res, 'bin', 'lakekey'), join(res, 'link'));
  const out = execFileSync(join(res, 'link'), ['--version'], { env: { PATH: '/nonexistent', HOME: res } }).toString();
  assert.match(out, /^lakekey \d+\.\d+\.\d+\n$/);
});
