// A profile's browser (`--browser`), parsed once for the settings parser, the settings window's
// checks as you type and the core's browser adapter. Node-free (lint-enforced).
//
// The setting is one of:
// - a known name, optionally with arguments: `firefox`, `chromium`, `chrome --profile-directory=Work`.
//   The name stands for that browser's usual executable on each platform (login/browser.ts).
// - a command with the `{url}` placeholder: `qutebrowser --target window {url}`, `flatpak run org.mozilla.firefox {url}`.
// - a path to an executable (`/opt/browser/bin/browser --flag`): the page's URL is its last argument.
// It is split on spaces with '…' and "…" quoting, never given to a shell. Whatever it says, the
// browser is handed lakekey's private launch page (a file:// URL), never the authorization URL.

/** The placeholder replaced by the page to open. */
export const URL_PLACEHOLDER = '{url}';

/** The names `--browser` knows, each standing for that browser's executable on every platform. */
export const KNOWN_BROWSERS = ['firefox', 'chromium', 'chrome', 'google-chrome', 'edge', 'brave'] as const;
export type KnownBrowser = (typeof KNOWN_BROWSERS)[number];

export function isKnownBrowser(word: string): word is KnownBrowser {
  return (KNOWN_BROWSERS as readonly string[]).includes(word);
}

export type BrowserCommand =
  /** A known name and the arguments after it (the page goes last, or at `{url}`). */
  | { kind: 'known'; name: KnownBrowser; args: string[] }
  /** A command of the user's own: argv[0] and the rest (the page goes at `{url}`, or last). */
  | { kind: 'command'; argv: string[] };

/** Splits a command line on whitespace, honouring single and double quotes; undefined when a quote is left open. */
export function splitCommand(command: string): string[] | undefined {
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
  if (quote) return undefined;
  if (has || current) out.push(current);
  return out;
}

/** What is wrong with a `--browser` value, for a message that names the flag; else the parsed command. */
export function parseBrowserCommand(value: string): BrowserCommand | { problem: string } {
  const text = value.trim();
  if (!text) return { problem: 'is empty' };
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\x00-\x08\x0a-\x1f\x7f-\x9f]/.test(text)) return { problem: 'contains control characters' };
  if (text.length > 1024) return { problem: 'is longer than 1024 characters' };
  const argv = splitCommand(text);
  if (!argv) return { problem: 'has a quote that is not closed' };
  if (!argv.length || !argv[0]) return { problem: 'names no command' };
  const other = /\{(?!url\})[^}\s]*\}/.exec(text);
  if (other) return { problem: `has the placeholder ${other[0]}, and the only one is ${URL_PLACEHOLDER}` };
  const at = argv.filter((a) => a.includes(URL_PLACEHOLDER)).length;
  if (at > 1 || argv.join(' ').split(URL_PLACEHOLDER).length > 2) return { problem: `has ${URL_PLACEHOLDER} more than once` };
  if (argv[0].includes(URL_PLACEHOLDER)) return { problem: `starts with ${URL_PLACEHOLDER}: it must start with the browser's command` };
  const [first, ...rest] = argv;
  if (isKnownBrowser(first)) return { kind: 'known', name: first, args: rest };
  // Any other bare word must say where the page goes: a misspelt name ("firefx") is refused here,
  // not at the next login.
  if (at === 0 && !/[/\\]/.test(first)) {
    return {
      problem: `starts with "${first}", which is not a browser lakekey knows (${KNOWN_BROWSERS.join(', ')}); for another command, put ${URL_PLACEHOLDER} where the page goes`,
    };
  }
  return { kind: 'command', argv };
}

/** The arguments with the page put at `{url}`, or appended when there is no placeholder. */
export function withPage(args: readonly string[], page: string): string[] {
  return args.some((a) => a.includes(URL_PLACEHOLDER)) ? args.map((a) => a.replace(URL_PLACEHOLDER, () => page)) : [...args, page];
}
