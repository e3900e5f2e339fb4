// Starting the tray at login on Linux: an XDG autostart entry, `lakekey.desktop` in
// $XDG_CONFIG_HOME/autostart/ (~/.config/autostart/), which every XDG desktop (GNOME, KDE, Xfce…)
// runs at login. The caller says where that folder is and what to run (the host reads the
// environment); macOS and Windows use Electron's login item settings instead (main/app).
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from '../errors.js';

export const AUTOSTART_FILE = 'lakekey.desktop';
/** The key that marks the file as lakekey's own, so a file of the same name that someone else wrote is never taken for ours. */
const MARK = 'X-Lakekey-Autostart=true';

/** $XDG_CONFIG_HOME/autostart, or ~/.config/autostart (XDG Base Directory: a relative XDG_CONFIG_HOME is ignored). */
export function autostartDir(xdgConfigHome: string | undefined, home: string): string {
  return join(xdgConfigHome?.startsWith('/') ? xdgConfigHome : join(home, '.config'), 'autostart');
}

/**
 * One argument of an Exec line, per the Desktop Entry Specification ("The Exec key"): quoted in
 * double quotes when it holds a reserved character, with `"`, `` ` ``, `$` and `\` escaped by a
 * backslash inside the quotes; `%` doubled (field codes); and then the string escape of every
 * value (`\` written `\\`), which the spec applies before the quoting rule.
 */
export function execArgument(arg: string): string {
  if (!arg) return '""';
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\x00-\x1f\x7f]/.test(arg)) throw configError(`cannot start ${JSON.stringify(arg)} at login: an autostart entry cannot hold control characters`);
  const percent = arg.replace(/%/g, '%%');
  const quoted = /[\s"'\\><~|&;$*?#()`]/.test(arg) ? `"${percent.replace(/["`$\\]/g, (c) => `\\${c}`)}"` : percent;
  return quoted.replace(/\\/g, '\\\\');
}

export function desktopEntry(argv: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=lakekey',
    'Comment=Keeps your lakeFS and S3 credentials fresh (the lakekey tray)',
    `Exec=${argv.map(execArgument).join(' ')}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    MARK,
    '',
  ].join('\n');
}

/** Whether lakekey's entry is in `dir` (written by lakekey, and not hidden or disabled by the desktop's settings). */
export function autostartEnabled(dir: string): boolean {
  let text: string;
  try {
    text = readFileSync(join(dir, AUTOSTART_FILE), 'utf8');
  } catch {
    return false;
  }
  return text.split('\n').includes(MARK) && !/^Hidden=true$/m.test(text) && !/^X-GNOME-Autostart-enabled=false$/m.test(text);
}

/** Writes (atomically) or removes lakekey's entry. Removing leaves a file that is not lakekey's alone. */
export function setAutostart(dir: string, on: boolean, argv: readonly string[]): void {
  const file = join(dir, AUTOSTART_FILE);
  if (!on) {
    let text: string | undefined;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return;
    }
    if (text.split('\n').includes(MARK)) rmSync(file, { force: true });
    return;
  }
  const entry = desktopEntry(argv);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, entry, { mode: 0o644 });
  renameSync(tmp, file);
}
