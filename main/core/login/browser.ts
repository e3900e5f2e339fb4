// Opening the system browser (RFC 8252: never an embedded view). LAKEKEY_BROWSER names a
// command to use instead; the URL is appended as its last argument.
import { spawn } from 'node:child_process';
import type { Browser } from '../ports.js';

export function systemBrowser(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): Browser {
  const custom = env.LAKEKEY_BROWSER?.trim();
  return {
    available() {
      if (custom) return true;
      if (platform === 'darwin' || platform === 'win32') return !env.SSH_CONNECTION;
      return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
    },
    open(url) {
      const argv = custom ? [...splitCommand(custom), url] : defaultCommand(platform, url);
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

function defaultCommand(platform: string, url: string): string[] {
  if (platform === 'darwin') return ['open', url];
  if (platform === 'win32') return ['rundll32', 'url.dll,FileProtocolHandler', url];
  return ['xdg-open', url];
}

/** Splits a command line on whitespace, honouring single and double quotes. */
export function splitCommand(command: string): string[] {
  const out: string[] = [];
  let current = '';
  let quote: string | undefined;
  let has = false;
  for (const ch of command) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      has = true;
    } else if (/\s/.test(ch)) {
      if (has || current) out.push(current);
      current = '';
      has = false;
    } else {
      current += ch;
    }
  }
  if (has || current) out.push(current);
  return out;
}
