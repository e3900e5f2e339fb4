// A profile's browser (`--browser`, issue 24): what the setting accepts and refuses (checked on
// save, exit 2 naming the flag), and the exact command each platform runs — the profile's over
// LAKEKEY_BROWSER over WSL's Windows browser over the OS default, the page at {url} or last.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseBrowserCommand, withPage } from '../../../main/shared/browser-command.js';
import { browserArgv, browserFor, wslArgv, type BrowserHost } from '../../../main/core/login/browser.js';
import { detectWsl } from '../../../main/core/login/wsl.js';
import { parseProfile } from '../../../main/core/config/settings.js';
import { LakekeyError } from '../../../main/core/errors.js';

const PAGE = 'file:///home/u/.config/lakekey/launch-0123456789abcdef0123456789abcdef.html';
const idp = { issuer: 'https://idp.example.com', clientId: 'c' };

test('--browser accepts known names with arguments, commands with {url} and paths; refuses the rest with what to write', () => {
  assert.deepEqual(parseBrowserCommand('firefox'), { kind: 'known', name: 'firefox', args: [] });
  assert.deepEqual(parseBrowserCommand('chrome --profile-directory=Work'), { kind: 'known', name: 'chrome', args: ['--profile-directory=Work'] });
  assert.deepEqual(parseBrowserCommand(`chrome "--profile-directory=Profile 2"`), { kind: 'known', name: 'chrome', args: ['--profile-directory=Profile 2'] });
  assert.deepEqual(parseBrowserCommand('flatpak run org.mozilla.firefox {url}'), { kind: 'command', argv: ['flatpak', 'run', 'org.mozilla.firefox', '{url}'] });
  assert.deepEqual(parseBrowserCommand('/opt/b/browser --new-window'), { kind: 'command', argv: ['/opt/b/browser', '--new-window'] });
  const refused: Array<[string, RegExp]> = [
    ['firefx', /"firefx", which is not a browser lakekey knows \(firefox, chromium, chrome, google-chrome, edge, brave\); for another command, put \{url\}/],
    ['qutebrowser', /not a browser lakekey knows/],
    ['', /is empty/],
    ['chrome "--profile-directory=Work', /quote that is not closed/],
    ['browser {url} {url}', /\{url\} more than once/],
    ['browser --a={url}{url}', /\{url\} more than once/],
    ['{url}', /starts with \{url\}/],
    ['browser {URL}', /placeholder \{URL\}, and the only one is \{url\}/],
    ['firefox\n--x', /control characters/],
  ];
  for (const [value, problem] of refused) {
    const parsed = parseBrowserCommand(value);
    assert.ok('problem' in parsed, value);
    assert.match(parsed.problem, problem, value);
  }
});

test('the settings parser keeps a good --browser and refuses a bad one naming the flag (exit 2)', () => {
  assert.equal(parseProfile('w', { ...idp, browser: ' chrome --profile-directory=Work ' }).browser, 'chrome --profile-directory=Work');
  assert.equal(parseProfile('w', idp).browser, undefined);
  assert.throws(
    () => parseProfile('w', { ...idp, browser: 'firefx' }, 'settings', (f) => (f === 'browser' ? '--browser' : f)),
    (err: unknown) =>
      err instanceof LakekeyError &&
      err.code === 'CONFIG' &&
      /^--browser: "firefx" starts with "firefx", which is not a browser lakekey knows/.test(err.message) &&
      /chrome --profile-directory=Work/.test(err.hint ?? ''),
  );
  assert.throws(() => parseProfile('w', { ...idp, browser: 42 }), /browser/);
});

test('{url} takes the page wherever it is written; without it the page goes last', () => {
  assert.deepEqual(withPage(['b', '--app={url}', '-x'], PAGE), ['b', `--app=${PAGE}`, '-x']);
  assert.deepEqual(withPage(['b', '-x'], PAGE), ['b', '-x', PAGE]);
  // A page with `$&` is not a replacement pattern.
  assert.deepEqual(withPage(['{url}'], 'file:///a$&b'), ['file:///a$&b']);
});

/** A host whose executables are the listed paths, with a PATH of /usr/local/bin:/usr/bin. */
function host(platform: NodeJS.Platform, executables: string[], env: NodeJS.ProcessEnv = {}, extra: Partial<BrowserHost> = {}): BrowserHost {
  return { platform, env: { PATH: '/usr/local/bin:/usr/bin', ...env }, executable: (p) => executables.includes(p), ...extra };
}

test("which command runs: the profile's browser, else LAKEKEY_BROWSER, else WSL's Windows browser, else the OS default", () => {
  const linux = host('linux', ['/usr/bin/firefox-esr', '/usr/bin/chromium'], { LAKEKEY_BROWSER: '/usr/bin/env driver' });
  assert.deepEqual(browserArgv(linux, PAGE, 'firefox'), ['/usr/bin/firefox-esr', PAGE], 'a known name: its first executable found on PATH');
  assert.deepEqual(browserArgv(linux, PAGE, 'chromium --incognito'), ['/usr/bin/chromium', '--incognito', PAGE]);
  assert.deepEqual(browserArgv(linux, PAGE, '"/opt/my browser/run" {url} --x'), ['/opt/my browser/run', PAGE, '--x']);
  assert.deepEqual(browserArgv(linux, PAGE), ['/usr/bin/env', 'driver', PAGE], 'LAKEKEY_BROWSER when the profile names none');
  assert.deepEqual(browserArgv(host('linux', []), PAGE), ['xdg-open', PAGE]);
  assert.throws(
    () => browserArgv(linux, PAGE, 'chrome'),
    (err: unknown) =>
      err instanceof LakekeyError &&
      err.code === 'CONFIG' &&
      err.message === 'the profile\'s browser "chrome" is not installed here (looked for google-chrome on PATH, google-chrome-stable on PATH)',
  );

  const mac = host('darwin', []);
  assert.deepEqual(browserArgv(mac, PAGE, 'chrome'), ['open', '-a', 'Google Chrome', PAGE]);
  assert.deepEqual(browserArgv(mac, PAGE, 'chrome --profile-directory=Work'), ['open', '-na', 'Google Chrome', '--args', '--profile-directory=Work', PAGE]);
  assert.deepEqual(browserArgv(mac, PAGE), ['open', PAGE]);

  const exe = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
  const win = host('win32', [exe], { ProgramFiles: 'C:\\Program Files', 'ProgramFiles(x86)': 'C:\\Program Files (x86)' });
  assert.deepEqual(browserArgv(win, PAGE, 'edge --profile-directory=Work'), [exe, '--profile-directory=Work', PAGE]);
  assert.deepEqual(browserArgv(win, PAGE), ['rundll32', 'url.dll,FileProtocolHandler', PAGE]);
  assert.throws(
    () => browserArgv(win, PAGE, 'firefox'),
    /looked for C:\\Program Files\\Mozilla Firefox\\firefox\.exe, C:\\Program Files \(x86\)\\Mozilla Firefox\\firefox\.exe\)/,
  );
});

test("available(): a command of the user's own always; a known name or the default needs a desktop (or WSL's Windows one)", () => {
  const headless = browserFor(host('linux', []));
  assert.equal(headless.available(), false);
  assert.equal(headless.available('firefox'), false);
  assert.equal(headless.available('/opt/b/browser'), true);
  assert.equal(headless.available('b {url}'), true);
  assert.equal(browserFor(host('linux', [], { DISPLAY: ':0' })).available('firefox'), true);
  assert.equal(browserFor(host('linux', [], { LAKEKEY_BROWSER: 'x' })).available(), true);
  assert.equal(browserFor(host('linux', [], {}, { wsl: () => ({ version: 2, interop: true }) })).available(), true);
});

test("open() runs the profile's command for real, without a shell: the page arrives as one argument where {url} is", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lk-browser-'));
  const out = join(dir, 'argv.json');
  const script = join(dir, 'record-argv');
  writeFileSync(script, `#!${process.execPath}\nrequire('node:fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(process.argv.slice(2)));\n`);
  chmodSync(script, 0o755);
  const b = browserFor({ platform: 'linux', env: { LAKEKEY_BROWSER: '/bin/false' } });
  const tricky = 'file:///tmp/a;b$(touch pwned)&c d.html';
  await b.open(tricky, `"${script}" --first {url} --last`);
  for (let i = 0; i < 200 && !(await import('node:fs')).existsSync(out); i++) await new Promise((r) => setTimeout(r, 25));
  assert.deepEqual(JSON.parse((await import('node:fs')).readFileSync(out, 'utf8')), ['--first', tricky, '--last']);
  await assert.rejects(b.open(PAGE, '/nonexistent/browser'), /could not start the browser \(\/nonexistent\/browser\): spawn \/nonexistent\/browser ENOENT/);
});

test('WSL is detected from /proc/version, WSL_DISTRO_NAME and WSLInterop, as compose.ts hands them over', () => {
  assert.equal(detectWsl({ env: {}, procVersion: 'Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)', interop: false }), undefined);
  assert.deepEqual(detectWsl({ env: { WSL_DISTRO_NAME: 'Ubuntu' }, procVersion: 'Linux version 5.15.153.1-microsoft-standard-WSL2 (root@…)', interop: true }), {
    version: 2,
    interop: true,
    distro: 'Ubuntu',
  });
  assert.deepEqual(detectWsl({ env: {}, procVersion: 'Linux version 4.4.0-19041-Microsoft (Microsoft@Microsoft.com)', interop: true }), {
    version: 1,
    interop: true,
  });
  assert.deepEqual(
    detectWsl({ env: { WSL_DISTRO_NAME: 'Debian' }, interop: false }),
    { version: 2, interop: false, distro: 'Debian' },
    'no /proc/version: WSL 2, the default today',
  );
});

test('WSL: the Windows default browser gets the page by its Windows path, through wslview or an encoded PowerShell command (no cmd.exe quoting)', () => {
  const winPath = "\\\\wsl.localhost\\Ubuntu\\home\\o'brien\\.config\\lakekey\\launch-0123456789abcdef0123456789abcdef.html";
  assert.deepEqual(wslArgv(PAGE, winPath, '/usr/bin/wslview'), ['/usr/bin/wslview', winPath]);
  const ps = wslArgv(PAGE, winPath, undefined);
  assert.deepEqual(ps.slice(0, 6), ['powershell.exe', '-NoProfile', '-NonInteractive', '-WindowStyle', 'Hidden', '-EncodedCommand']);
  assert.equal(ps.length, 7);
  assert.match(ps[6], /^[A-Za-z0-9+/]+=*$/, 'only base64 on the command line');
  assert.equal(Buffer.from(ps[6], 'base64').toString('utf16le'), `Start-Process -FilePath '${winPath.replace(/'/g, "''")}'`);

  const wsl = { version: 2 as const, interop: true, distro: 'Ubuntu' };
  // wslview on PATH; wslpath's answer is used as is.
  const withView = host('linux', ['/usr/bin/wslview'], {}, { wsl: () => wsl, windowsPath: () => 'W:\\page.html' });
  assert.deepEqual(browserArgv(withView, PAGE), ['/usr/bin/wslview', 'W:\\page.html']);
  // No wslpath: the \\wsl$ path from the distro's name.
  const bare = host('linux', [], {}, { wsl: () => wsl, windowsPath: () => undefined });
  const argv = browserArgv(bare, PAGE);
  assert.equal(argv[0], 'powershell.exe');
  assert.equal(
    Buffer.from(argv[6], 'base64').toString('utf16le'),
    "Start-Process -FilePath '\\\\wsl$\\Ubuntu\\home\\u\\.config\\lakekey\\launch-0123456789abcdef0123456789abcdef.html'",
  );
  // A profile's browser and LAKEKEY_BROWSER still win on WSL (a Linux browser under WSLg).
  assert.deepEqual(browserArgv({ ...bare, env: { ...bare.env, LAKEKEY_BROWSER: '/usr/bin/lin' } }, PAGE), ['/usr/bin/lin', PAGE]);
  // No interop (disabled in /etc/wsl.conf): the Linux default.
  assert.deepEqual(browserArgv(host('linux', [], {}, { wsl: () => ({ ...wsl, interop: false }) }), PAGE), ['xdg-open', PAGE]);
});
