// electron-builder.yml validates against electron-builder's own JSON schema (the one it ships in
// app-builder-lib), keeps the fuses hardened, and names resources that exist.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync } from 'node:fs';
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
  for (const f of [c.mac.entitlements, c.mac.entitlementsInherit, c.mac.icon, 'build/tray/ok.png', 'build/tray/attentionTemplate.png', 'build/tray/okTemplate@2x.png']) {
    assert.ok(existsSync(join(REPO, f)), f);
  }
  const entitlements = readFileSync(join(REPO, c.mac.entitlements), 'utf8');
  assert.ok(!/disable-library-validation|allow-dyld-environment-variables|get-task-allow/.test(entitlements));
  // RunAsNode is off, so the CLI ships as wrapper scripts that run it with a real Node.
  const sh = join(REPO, 'build', 'bin', 'lakekey');
  assert.ok(statSync(sh).mode & 0o111, 'wrapper is executable');
  assert.match(readFileSync(sh, 'utf8'), /app\.asar\.unpacked\/dist\/main\/cli\/lakekey\.js/);
  assert.match(readFileSync(join(REPO, 'build', 'bin', 'lakekey.cmd'), 'utf8'), /app\.asar\.unpacked\\dist\\main\\cli\\lakekey\.js/);
  assert.ok(c.asarUnpack.includes('dist/main/cli/**'));
  assert.ok(c.extraResources.some((r: { from: string; to: string }) => r.from === 'build/bin' && r.to === 'bin'));
  const pngMagic = readFileSync(join(REPO, 'build', 'icon.png')).subarray(0, 8);
  assert.deepEqual([...pngMagic], [137, 80, 78, 71, 13, 10, 26, 10]);
});

test('the shell wrapper runs the CLI with the Node it finds (here: this one)', async () => {
  const { mkdtempSync, mkdirSync, copyFileSync, symlinkSync, writeFileSync, chmodSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { execFileSync } = await import('node:child_process');
  // Lay out a fake installed app: resources/bin/lakekey + resources/app.asar.unpacked/dist/main/cli/lakekey.js.
  const res = mkdtempSync(join(tmpdir(), 'lk-res-'));
  mkdirSync(join(res, 'bin'));
  mkdirSync(join(res, 'app.asar.unpacked', 'dist', 'main', 'cli'), { recursive: true });
  copyFileSync(join(REPO, 'build', 'bin', 'lakekey'), join(res, 'bin', 'lakekey'));
  chmodSync(join(res, 'bin', 'lakekey'), 0o755);
  writeFileSync(join(res, 'app.asar.unpacked', 'dist', 'main', 'cli', 'lakekey.js'), 'console.log(JSON.stringify(process.argv.slice(2)))');
  symlinkSync(join(res, 'bin', 'lakekey'), join(res, 'link'));
  const out = execFileSync(join(res, 'link'), ['status', '--json'], { env: { ...process.env, LAKEKEY_NODE: process.execPath } }).toString();
  assert.deepEqual(JSON.parse(out), ['status', '--json']);
  let code = 0;
  try {
    execFileSync('/bin/sh', [join(res, 'bin', 'lakekey'), 'status'], { env: { PATH: '/nonexistent' }, stdio: 'pipe' });
  } catch (err) {
    code = (err as { status: number }).status;
  }
  assert.equal(code, 2, 'no Node: exit 2 with a message');
});
