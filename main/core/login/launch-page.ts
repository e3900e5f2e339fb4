// The page the browser is started on. A browser's command line is public to every local user
// (/proc/PID/cmdline on Linux, `ps` on macOS), so the one-time launch URL must not be on it:
// another user who read it could visit it first, through a proxy the user runs on loopback if
// need be, where the receiver's uid check sees the user's own uid (security round 3). Instead the
// browser is given a file in the settings folder (0700, owned by the user, checked by
// checkedSettingsDir), written 0600 and exclusively, that forwards the tab to the launch URL.
// Another user can see the file's name but cannot read it.
import { closeSync, mkdirSync, openSync, readdirSync, rmSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const PREFIX = 'launch-';
const SUFFIX = '.html';
/** Pages a crashed login left behind are removed by the next one once this old. */
const STALE_MS = 24 * 3600_000;

export interface LaunchPage {
  /** The file:// URL to start the browser on. */
  url: string;
  /** Removes the file (idempotent). */
  remove(): void;
}

/** Whether `name` is a file name this module writes (the tray only opens such files). */
export function isLaunchPageName(name: string): boolean {
  return new RegExp(`^${PREFIX}[0-9a-f]{32}\\${SUFFIX}$`).test(name);
}

export function writeLaunchPage(dir: string, launchUrl: string, now = Date.now()): LaunchPage {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  removeStale(dir, now);
  const file = join(dir, `${PREFIX}${randomBytes(16).toString('hex')}${SUFFIX}`);
  // 'wx': O_CREAT|O_EXCL, which never follows a planted symlink.
  const fd = openSync(file, 'wx', 0o600);
  try {
    writeSync(fd, forwardingPage(launchUrl));
  } finally {
    closeSync(fd);
  }
  return { url: pathToFileURL(file).href, remove: () => rmSync(file, { force: true }) };
}

function forwardingPage(launchUrl: string): string {
  const href = launchUrl.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="refresh" content="0;url=${href}"><title>lakekey — opening your login</title></head>
<body style="font:16px/1.5 system-ui,sans-serif;max-width:36em;margin:15vh auto;padding:0 1em">
<p>Opening your login… If nothing happens, <a href="${href}">continue to your login</a>.</p></body></html>
`;
}

function removeStale(dir: string, now: number): void {
  for (const name of readdirSync(dir)) {
    if (!isLaunchPageName(name)) continue;
    try {
      if (now - statSync(join(dir, name)).mtimeMs > STALE_MS) rmSync(join(dir, name), { force: true });
    } catch {
      /* removed meanwhile */
    }
  }
}
