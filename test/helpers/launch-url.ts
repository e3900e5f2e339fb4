// What a login's browser is started with, as tests see it: since security round 3 the browser's
// command line carries only a private page (file://…/launch-<hex>.html, 0600 in the settings
// folder) that forwards to the one-time loopback launch URL; `--no-browser` prints the launch URL.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A one-time loopback launch URL (printed on the terminal, or inside the launch page). */
export const LAUNCH = /http:\/\/127\.0\.0\.1:\d+\/callback\/[0-9a-f]{32}/;
/** The private launch page a browser is started on. */
export const LAUNCH_PAGE = /file:\/\/\/\S*\/launch-[0-9a-f]{32}\.html/;

/** The launch URL behind `url`: read from the page when it is a launch page (throws when unreadable). */
export function launchUrlOf(url: string): string {
  if (!url.startsWith('file:')) return url;
  const m = LAUNCH.exec(readFileSync(fileURLToPath(url), 'utf8'));
  if (!m) throw new Error(`no launch URL in ${url}`);
  return m[0];
}
