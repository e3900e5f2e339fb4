// Opening the system browser (RFC 8252: never an embedded view). Which command opens the page:
//   1. the profile's `--browser` (shared/browser-command.ts: a known name, or a command with {url});
//   2. LAKEKEY_BROWSER (a command; the page is its last argument, or at {url});
//   3. under WSL, the Windows default browser (wslview, else powershell.exe Start-Process);
//   4. the OS default (open, rundll32, xdg-open).
// The page is always lakekey's private launch page (launch-page.ts), never the authorization URL:
// a browser's command line is public to every local user. No shell ever sees the command.
import { spawn, execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configError } from '../errors.js';
import { parseBrowserCommand, splitCommand, withPage, type KnownBrowser } from '../../shared/browser-command.js';
import type { Browser } from '../ports.js';
import type { WslInfo } from './wsl.js';

export { splitCommand };
export type { WslInfo };

/** How the adapter finds programs; a test passes its own. */
export interface BrowserHost {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /** WSL, when this process runs in it (decided by compose.ts, at most once). */
  wsl?: () => WslInfo | undefined;
  /** Whether an executable file is at `path` (default: access X_OK). */
  executable?: (path: string) => boolean;
  /** `wslpath -w PATH` (default: runs it). */
  windowsPath?: (linuxPath: string) => string | undefined;
}

export function systemBrowser(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, wsl?: () => WslInfo | undefined): Browser {
  return browserFor({ env, platform, ...(wsl ? { wsl } : {}) });
}

export function browserFor(host: BrowserHost): Browser {
  const { env, platform } = host;
  const custom = env.LAKEKEY_BROWSER?.trim();
  return {
    available(command) {
      // A command the user gave is trusted to show a browser (the tests' headless one included);
      // a known name needs a desktop, as the default does.
      const parsed = command ? parseBrowserCommand(command) : undefined;
      if (parsed && 'kind' in parsed && parsed.kind === 'command') return true;
      if (!command && custom) return true;
      if (platform === 'darwin' || platform === 'win32') return !env.SSH_CONNECTION;
      if (!command && host.wsl?.()?.interop) return true;
      return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
    },
    open(url, command) {
      let argv: string[];
      try {
        argv = browserArgv(host, url, command);
      } catch (err) {
        return Promise.reject(err instanceof Error ? err : new Error(String(err)));
      }
      return new Promise<void>((resolve, reject) => {
        const child = spawn(argv[0], argv.slice(1), { detached: platform !== 'win32', stdio: 'ignore', windowsHide: true });
        child.once('error', (err) => reject(new Error(`could not start the browser (${argv[0]}): ${err.message}`)));
        child.once('spawn', () => {
          child.unref();
          resolve();
        });
      });
    },
  };
}

/** The exact command that opens `page` (a file:// URL), as the order above decides. */
export function browserArgv(host: BrowserHost, page: string, command?: string): string[] {
  const { env, platform } = host;
  if (command) {
    const parsed = parseBrowserCommand(command);
    // The settings parser checked it on save; a file edited by hand is checked there on read too.
    if ('problem' in parsed) throw configError(`the profile's browser ${JSON.stringify(command)} ${parsed.problem}`);
    if (parsed.kind === 'command') return withPage(parsed.argv, page);
    return knownBrowserArgv(host, parsed.name, parsed.args, page);
  }
  const custom = env.LAKEKEY_BROWSER?.trim();
  if (custom) {
    const argv = splitCommand(custom);
    if (!argv?.length) throw configError(`LAKEKEY_BROWSER ${JSON.stringify(custom)} is not a command`, 'Set it to a browser command, or unset it.');
    return withPage(argv, page);
  }
  const wsl = platform === 'linux' ? host.wsl?.() : undefined;
  if (wsl?.interop) return wslArgv(page, windowsPathOf(host, page, wsl), found(host, 'wslview'));
  if (platform === 'darwin') return ['open', page];
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler', page];
  return ['xdg-open', page];
}

/** Each known name's executables on Linux (looked up on PATH, first found), app on macOS, and install paths on Windows. */
const KNOWN: Record<KnownBrowser, { linux: string[]; mac: string; windows: string[] }> = {
  firefox: { linux: ['firefox', 'firefox-esr'], mac: 'Firefox', windows: ['Mozilla Firefox\\firefox.exe'] },
  chromium: { linux: ['chromium', 'chromium-browser'], mac: 'Chromium', windows: ['Chromium\\Application\\chrome.exe'] },
  chrome: { linux: ['google-chrome', 'google-chrome-stable'], mac: 'Google Chrome', windows: ['Google\\Chrome\\Application\\chrome.exe'] },
  'google-chrome': { linux: ['google-chrome', 'google-chrome-stable'], mac: 'Google Chrome', windows: ['Google\\Chrome\\Application\\chrome.exe'] },
  edge: { linux: ['microsoft-edge', 'microsoft-edge-stable'], mac: 'Microsoft Edge', windows: ['Microsoft\\Edge\\Application\\msedge.exe'] },
  brave: { linux: ['brave-browser', 'brave'], mac: 'Brave Browser', windows: ['BraveSoftware\\Brave-Browser\\Application\\brave.exe'] },
};

function knownBrowserArgv(host: BrowserHost, name: KnownBrowser, args: string[], page: string): string[] {
  const known = KNOWN[name];
  if (host.platform === 'darwin') {
    // `open -a` hands the page to a running browser; arguments reach only a new instance (-n).
    const placed = withPage(args, page);
    return args.length ? ['open', '-na', known.mac, '--args', ...placed] : ['open', '-a', known.mac, page];
  }
  if (host.platform === 'win32') {
    const roots = [host.env.ProgramFiles, host.env['ProgramFiles(x86)'], host.env.LOCALAPPDATA].filter((r): r is string => Boolean(r));
    const candidates = roots.flatMap((root) => known.windows.map((rel) => `${root.replace(/\\+$/, '')}\\${rel}`));
    const exe = candidates.find((c) => isExecutable(host, c));
    if (!exe) throw notInstalled(name, candidates);
    return [exe, ...withPage(args, page)];
  }
  const exe = known.linux.map((n) => found(host, n)).find((p): p is string => Boolean(p));
  if (!exe)
    throw notInstalled(
      name,
      known.linux.map((n) => `${n} on PATH`),
    );
  return [exe, ...withPage(args, page)];
}

function notInstalled(name: string, looked: string[]) {
  return configError(
    `the profile's browser "${name}" is not installed here (looked for ${looked.join(', ')})`,
    `Install it, or give its command with \`lakekey profile set NAME --browser "/path/to/browser {url}"\`, or \`--unset browser\` for the default browser.`,
  );
}

function isExecutable(host: BrowserHost, path: string): boolean {
  if (host.executable) return host.executable(path);
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The full path of `name` on PATH, or undefined. */
function found(host: BrowserHost, name: string): string | undefined {
  for (const dir of (host.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(host, join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/**
 * WSL: the Windows default browser opens the launch page through its Windows path
 * (\\wsl.localhost\DISTRO\…, which Windows serves as the distro's default user; the file stays
 * 0600). wslview (wslu) when installed, else PowerShell's Start-Process with the path in an
 * -EncodedCommand: nothing on the command line is parsed by cmd.exe or a shell, so no character
 * in the path can break out of its quotes. cmd.exe's `start` is not used: its `^ & % !` rules
 * leave no quoting that is safe for every path.
 */
export function wslArgv(page: string, windowsPath: string, wslview: string | undefined): string[] {
  const target = windowsPath || page;
  if (wslview) return [wslview, target];
  const script = `Start-Process -FilePath '${target.replace(/'/g, "''")}'`;
  return ['powershell.exe', '-NoProfile', '-NonInteractive', '-WindowStyle', 'Hidden', '-EncodedCommand', Buffer.from(script, 'utf16le').toString('base64')];
}

function windowsPathOf(host: BrowserHost, page: string, wsl: WslInfo): string {
  if (!page.startsWith('file:')) return page;
  const linux = fileURLToPath(page);
  const viaTool = host.windowsPath ? host.windowsPath(linux) : runWslpath(linux);
  if (viaTool) return viaTool;
  return wsl.distro ? `\\\\wsl$\\${wsl.distro}${linux.replace(/\//g, '\\')}` : page;
}

function runWslpath(linux: string): string | undefined {
  try {
    return execFileSync('wslpath', ['-w', linux], { encoding: 'utf8', timeout: 2000, stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}
