// "Install command-line tool": the Unix branch for real (a temporary HOME, real symlinks, the
// linked command really runs), the Windows branch against a recorded HKCU\Environment through an
// injected reg.exe runner.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bundledCli, installCli, parseRegPath, type RegRunner } from '../../../main/app/install-cli.js';

function world() {
  const root = mkdtempSync(join(tmpdir(), 'lk-install-'));
  const home = join(root, 'home');
  const resourcesDir = join(root, 'resources');
  mkdirSync(join(resourcesDir, 'bin'), { recursive: true });
  mkdirSync(home);
  const exe = bundledCli(resourcesDir, 'linux');
  writeFileSync(exe, '#!/bin/sh\necho "bundled lakekey $*"\n', { mode: 0o755 });
  // A system folder that does not exist cannot be written: ~/.local/bin is used.
  const base = { platform: 'linux' as const, resourcesDir, home, path: '/usr/bin:/bin', systemBin: join(root, 'no-such-dir') };
  return { root, home, resourcesDir, exe, base, link: join(home, '.local', 'bin', 'lakekey') };
}

test('Linux/macOS: links ~/.local/bin/lakekey to the bundled executable, and the command runs', async () => {
  const w = world();
  const r = await installCli(w.base);
  assert.equal(r.ok, true, r.message);
  assert.equal(r.installedAt, w.link);
  assert.ok(lstatSync(w.link).isSymbolicLink());
  assert.equal(readlinkSync(w.link), w.exe);
  assert.equal(execFileSync(w.link, ['--help'], { encoding: 'utf8' }), 'bundled lakekey --help\n');
  // ~/.local/bin is not on PATH: the answer says so and how to add it.
  assert.match(r.message, /is not on your PATH yet/);
  assert.equal(r.hint, 'Add the line export PATH="$HOME/.local/bin:$PATH" to ~/.profile, then open a new terminal.');
  const mac = await installCli({ ...w.base, platform: 'darwin' });
  assert.match(mac.hint ?? '', /~\/\.zshrc/);
  // Again, with the folder on PATH: already installed, nothing changed.
  const again = await installCli({ ...w.base, path: `/usr/bin:${join(w.home, '.local', 'bin')}/` });
  assert.equal(again.ok, true);
  assert.match(again.message, /already installed at/);
  assert.doesNotMatch(again.message, /not on your PATH/);
});

test('a writable system folder (/usr/local/bin) is preferred', async () => {
  const w = world();
  const system = join(w.root, 'usr-local-bin');
  mkdirSync(system);
  const r = await installCli({ ...w.base, systemBin: system, path: `/usr/bin:${system}` });
  assert.equal(r.installedAt, join(system, 'lakekey'));
  assert.equal(readlinkSync(join(system, 'lakekey')), w.exe);
  assert.match(r.hint ?? '', /new terminal/);
});

test('never overwrites what is not a link to a lakekey; moves a link left by an older copy', async () => {
  const w = world();
  mkdirSync(join(w.home, '.local', 'bin'), { recursive: true });
  writeFileSync(w.link, 'my own script\n');
  const file = await installCli(w.base);
  assert.equal(file.ok, false);
  assert.match(file.message, /already exists and is not a link to lakekey, so it was left alone/);
  assert.equal(readFileSync(w.link, 'utf8'), 'my own script\n');

  const w2 = world();
  mkdirSync(join(w2.home, '.local', 'bin'), { recursive: true });
  symlinkSync('/usr/bin/env', w2.link);
  const other = await installCli(w2.base);
  assert.equal(other.ok, false);
  assert.match(other.message, /is a link to \/usr\/bin\/env, not to lakekey/);
  assert.equal(readlinkSync(w2.link), '/usr/bin/env');

  const w3 = world();
  mkdirSync(join(w3.home, '.local', 'bin'), { recursive: true });
  symlinkSync('/opt/Old lakekey/resources/bin/lakekey', w3.link);
  const moved = await installCli(w3.base);
  assert.equal(moved.ok, true, moved.message);
  assert.equal(readlinkSync(w3.link), w3.exe);
});

test('no bundled executable: says so and installs nothing', async () => {
  const w = world();
  const r = await installCli({ ...w.base, resourcesDir: join(w.root, 'elsewhere') });
  assert.equal(r.ok, false);
  assert.match(r.message, /no lakekey executable at/);
  assert.match(r.hint ?? '', /Reinstall/);
});

/** HKCU\Environment as reg.exe shows it, and what `reg add` wrote. */
function registry(initial?: { type: string; value: string }) {
  const writes: string[][] = [];
  let current = initial;
  const reg: RegRunner = async (args) => {
    if (args[0] === 'query') {
      if (!current) return { code: 1, stdout: '' };
      return { code: 0, stdout: `\r\nHKEY_CURRENT_USER\\Environment\r\n    Path    ${current.type}    ${current.value}\r\n\r\n` };
    }
    writes.push(args);
    current = { type: args[args.indexOf('/t') + 1], value: args[args.indexOf('/d') + 1] };
    return { code: 0, stdout: 'The operation completed successfully.\r\n' };
  };
  return { reg, writes, get: () => current };
}

test('Windows: appends <resources>\\bin to the user Path with reg.exe, whole and with its type kept', async () => {
  const resourcesDir = 'C:\\Users\\alice\\AppData\\Local\\Programs\\lakekey\\resources';
  // Longer than setx's 1024-character limit: must survive untouched.
  const long = Array.from({ length: 60 }, (_, i) => `C:\\Tools\\tool-number-${i}\\bin`).join(';');
  assert.ok(long.length > 1024);
  const r = registry({ type: 'REG_EXPAND_SZ', value: `%USERPROFILE%\\bin;${long}` });
  const out = await installCli({ platform: 'win32', resourcesDir, home: 'C:\\Users\\alice', path: '', reg: r.reg });
  assert.equal(out.ok, true, out.message);
  assert.equal(out.installedAt, `${resourcesDir}\\bin`);
  assert.deepEqual(r.writes[0].slice(0, 6), ['add', 'HKCU\\Environment', '/v', 'Path', '/t', 'REG_EXPAND_SZ']);
  assert.equal(r.get()?.value, `%USERPROFILE%\\bin;${long};${resourcesDir}\\bin`);
  assert.ok(r.writes[0].includes('/f'));
  // Twice: already there (any case, trailing backslash), nothing written.
  const again = await installCli({ platform: 'win32', resourcesDir: resourcesDir.toUpperCase() + '\\', home: '', path: '', reg: r.reg });
  assert.match(again.message, /already on your Path/);
  assert.equal(r.writes.length, 1);
});

test('Windows: a user with no Path of their own gets one; a failing reg.exe is said', async () => {
  const r = registry();
  const out = await installCli({ platform: 'win32', resourcesDir: 'D:\\lakekey\\resources', home: '', path: '', reg: r.reg });
  assert.equal(out.ok, true);
  assert.deepEqual(r.get(), { type: 'REG_EXPAND_SZ', value: 'D:\\lakekey\\resources\\bin' });
  const broken = await installCli({ platform: 'win32', resourcesDir: 'D:\\x', home: '', path: '', reg: async () => ({ code: 5, stdout: '' }) });
  assert.equal(broken.ok, false);
  assert.match(broken.message, /Could not read your Path/);
  assert.deepEqual(parseRegPath('    Path    REG_SZ    C:\\a;C:\\b  \r\n'), { type: 'REG_SZ', value: 'C:\\a;C:\\b' });
  assert.equal(parseRegPath('    TEMP    REG_SZ    C:\\tmp\r\n'), undefined);
});
