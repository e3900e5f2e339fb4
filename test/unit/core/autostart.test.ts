// Starting the tray at login on Linux (issue 24): lakekey's XDG autostart entry, written and
// removed for real in a temporary XDG_CONFIG_HOME, its Exec line quoted per the Desktop Entry
// Specification — checked by GLib itself: `gio launch` runs the entry, and the program it starts
// records the arguments it got.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { test } from 'node:test';
import { AUTOSTART_FILE, autostartDir, autostartEnabled, execArgument, setAutostart } from '../../../main/core/config/autostart.js';

const run = promisify(execFile);

test('the autostart folder: $XDG_CONFIG_HOME/autostart, else ~/.config/autostart (a relative XDG_CONFIG_HOME is ignored)', () => {
  assert.equal(autostartDir('/x/cfg', '/home/u'), '/x/cfg/autostart');
  assert.equal(autostartDir(undefined, '/home/u'), '/home/u/.config/autostart');
  assert.equal(autostartDir('', '/home/u'), '/home/u/.config/autostart');
  assert.equal(autostartDir('rel/cfg', '/home/u'), '/home/u/.config/autostart');
});

test('Exec arguments are quoted per the Desktop Entry spec: reserved characters in double quotes, " ` $ \\ escaped, % doubled, then \\ string-escaped', () => {
  assert.equal(execArgument('/opt/lakekey/lakekey'), '/opt/lakekey/lakekey');
  assert.equal(execArgument('/home/u/My Apps/lakekey.AppImage'), '"/home/u/My Apps/lakekey.AppImage"');
  assert.equal(execArgument('a"b'), '"a\\\\"b"');
  assert.equal(execArgument('a$b'), '"a\\\\$b"');
  assert.equal(execArgument('a`b'), '"a\\\\`b"');
  assert.equal(execArgument('a\\b'), '"a\\\\\\\\b"', 'a backslash: four in the file');
  assert.equal(execArgument('100%'), '100%%');
  assert.equal(execArgument(''), '""');
  assert.throws(() => execArgument('a\nb'), /cannot hold control characters/);
});

test('on, off, on again: the entry is written (atomically, 0644) and removed for real; a file lakekey did not write is left alone', () => {
  const dir = autostartDir(mkdtempSync(join(tmpdir(), 'lk-xdg-')), '/nonexistent');
  assert.equal(autostartEnabled(dir), false, 'off by default');
  setAutostart(dir, true, ['/opt/lakekey/lakekey']);
  const file = join(dir, AUTOSTART_FILE);
  assert.equal(autostartEnabled(dir), true);
  assert.equal(statSync(file).mode & 0o777, 0o644);
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^\[Desktop Entry\]\nType=Application\nName=lakekey\n/);
  assert.match(text, /^Exec=\/opt\/lakekey\/lakekey$/m);
  setAutostart(dir, false, []);
  assert.equal(existsSync(file), false);
  setAutostart(dir, false, []); // off twice: nothing to do
  // The desktop's own switch (GNOME's Tweaks writes these keys) turns it off too.
  setAutostart(dir, true, ['/opt/lakekey/lakekey']);
  writeFileSync(file, readFileSync(file, 'utf8') + 'Hidden=true\n');
  assert.equal(autostartEnabled(dir), false);
  // Someone else's lakekey.desktop is not ours: not reported on, never removed.
  writeFileSync(file, '[Desktop Entry]\nType=Application\nName=mine\nExec=/usr/bin/true\n');
  assert.equal(autostartEnabled(dir), false);
  setAutostart(dir, false, []);
  assert.equal(readFileSync(file, 'utf8'), '[Desktop Entry]\nType=Application\nName=mine\nExec=/usr/bin/true\n');
});

test('GLib runs the entry with exactly the arguments lakekey wrote, through a folder with spaces, quotes, $ and a backslash', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lk-xdg-'));
  // GLib looks the program up before expanding %%: the % case is an argument, not the program's path.
  const odd = join(root, 'My "Apps" $HOME `x` back\\slash');
  mkdirSync(odd);
  const out = join(root, 'argv.json');
  const program = join(odd, 'lakekey tray');
  writeFileSync(program, `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)));\n`);
  chmodSync(program, 0o755);
  const args = ['/home/u/app root', '100% sure', "it's", 'a;b&c|d', '', 'plain'];
  const dir = autostartDir(join(root, 'cfg'), '/nonexistent');
  setAutostart(dir, true, [program, ...args]);
  await run('gio', ['launch', join(dir, AUTOSTART_FILE)], { timeout: 10_000 });
  for (let i = 0; i < 200 && !existsSync(out); i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), args);
});
