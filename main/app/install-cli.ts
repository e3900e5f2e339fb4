// The tray menu's "Install command-line tool" (as VS Code installs `code`): puts the executable the
// app bundles (<resourcesPath>/bin/lakekey, lakekey.exe on Windows) on the user's PATH.
// - macOS/Linux: a symlink `lakekey` in /usr/local/bin when that folder is writable, else in
//   ~/.local/bin. An existing file there is replaced only when it is a symlink to a lakekey;
//   anything else is left alone and the user is told. The answer says whether the folder is on
//   PATH, and how to add it.
// - Windows: <resourcesPath>\bin is appended to the user's Path (HKCU\Environment) with reg.exe,
//   keeping its type (REG_EXPAND_SZ keeps %VARS%). Not setx: setx truncates values at 1024 characters.
// The file system and reg.exe are injected, so tests run the real Unix branch in a temporary HOME
// and the Windows branch against a recorded registry.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, join, resolve, win32 } from 'node:path';

export interface InstallFs {
  lstat(path: string): Promise<{ isSymbolicLink(): boolean }>;
  readlink(path: string): Promise<string>;
  symlink(target: string, path: string): Promise<void>;
  unlink(path: string): Promise<void>;
  mkdir(path: string, opts: { recursive: true }): Promise<unknown>;
  access(path: string, mode: number): Promise<void>;
}

export type RegRunner = (args: string[]) => Promise<{ code: number; stdout: string }>;

export interface InstallCliDeps {
  platform: NodeJS.Platform;
  /** Folder holding bin/lakekey (process.resourcesPath when packaged). */
  resourcesDir: string;
  home: string;
  /** The PATH new terminals see (process.env.PATH). */
  path: string;
  fs?: InstallFs;
  reg?: RegRunner;
  /** The system-wide folder tried first (tests point it elsewhere). */
  systemBin?: string;
}

export interface InstallResult {
  ok: boolean;
  /** One sentence for a notification's body. */
  message: string;
  /** What to do next, when anything. */
  hint?: string;
  /** Where the command now is (the symlink, or the folder added to Path). */
  installedAt?: string;
}

/** Where the packaged app keeps the executable. */
export function bundledCli(resourcesDir: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? win32.join(resourcesDir, 'bin', 'lakekey.exe') : join(resourcesDir, 'bin', 'lakekey');
}

export async function installCli(deps: InstallCliDeps): Promise<InstallResult> {
  return deps.platform === 'win32' ? installWindows(deps) : installUnix(deps);
}

const isMissing = (err: unknown) => (err as { code?: unknown }).code === 'ENOENT';

async function installUnix(deps: InstallCliDeps): Promise<InstallResult> {
  const fs = deps.fs ?? fsp;
  const target = bundledCli(deps.resourcesDir, deps.platform);
  try {
    await fs.access(target, constants.X_OK);
  } catch {
    return { ok: false, message: `The app has no lakekey executable at ${target}.`, hint: 'Reinstall lakekey, then try again.' };
  }
  const systemBin = deps.systemBin ?? '/usr/local/bin';
  const dir = (await writable(fs, systemBin)) ? systemBin : join(deps.home, '.local', 'bin');
  const link = join(dir, 'lakekey');
  await fs.mkdir(dir, { recursive: true });
  let existing: string | undefined;
  try {
    const st = await fs.lstat(link);
    if (!st.isSymbolicLink()) {
      return {
        ok: false,
        message: `${link} already exists and is not a link to lakekey, so it was left alone.`,
        hint: `Remove or rename ${link}, then choose Install command-line tool again.`,
      };
    }
    existing = await fs.readlink(link);
  } catch (err) {
    if (!isMissing(err)) throw err;
  }
  if (existing !== undefined && resolve(dir, existing) === target) return onPath(deps, dir, link, `lakekey is already installed at ${link}.`);
  if (existing !== undefined) {
    // A link left by another copy of the app is ours to move; a link to anything else is not.
    if (basename(existing) !== 'lakekey') {
      return {
        ok: false,
        message: `${link} is a link to ${existing}, not to lakekey, so it was left alone.`,
        hint: `Remove ${link}, then choose Install command-line tool again.`,
      };
    }
    await fs.unlink(link);
  }
  await fs.symlink(target, link);
  return onPath(deps, dir, link, `Installed the lakekey command at ${link}.`);
}

async function writable(fs: InstallFs, dir: string): Promise<boolean> {
  try {
    await fs.access(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function onPath(deps: InstallCliDeps, dir: string, link: string, message: string): InstallResult {
  const entries = deps.path.split(':').map((p) => p.replace(/\/+$/, ''));
  if (entries.includes(dir.replace(/\/+$/, ''))) return { ok: true, message, hint: 'Open a new terminal and run `lakekey --help`.', installedAt: link };
  const shown = dir.startsWith(deps.home + '/') ? `$HOME${dir.slice(deps.home.length)}` : dir;
  const rc = deps.platform === 'darwin' ? '~/.zshrc' : '~/.profile';
  return {
    ok: true,
    message: `${message} ${dir} is not on your PATH yet.`,
    hint: `Add the line export PATH="${shown}:$PATH" to ${rc}, then open a new terminal.`,
    installedAt: link,
  };
}

const ENVIRONMENT_KEY = 'HKCU\\Environment';

/** The user's Path and its registry type, from `reg query` output; undefined when it has none. */
export function parseRegPath(stdout: string): { type: 'REG_SZ' | 'REG_EXPAND_SZ'; value: string } | undefined {
  const m = /^[ \t]*Path[ \t]+(REG_SZ|REG_EXPAND_SZ)[ \t]*(.*?)[ \t]*$/im.exec(stdout);
  return m ? { type: m[1] as 'REG_SZ' | 'REG_EXPAND_SZ', value: m[2] } : undefined;
}

async function installWindows(deps: InstallCliDeps): Promise<InstallResult> {
  const reg = deps.reg ?? runReg;
  const dir = win32.join(deps.resourcesDir, 'bin');
  const query = await reg(['query', ENVIRONMENT_KEY, '/v', 'Path']);
  // Exit code 1: the user has no Path value of their own yet (only the system's).
  const current = query.code === 0 ? parseRegPath(query.stdout) : undefined;
  if (query.code !== 0 && query.code !== 1)
    return {
      ok: false,
      message: 'Could not read your Path from the registry (reg query failed).',
      hint: `Add ${dir} to your user Path in Settings → System → About → Advanced system settings → Environment Variables.`,
    };
  const entries = (current?.value ?? '').split(';').filter(Boolean);
  const norm = (p: string) => p.replace(/[\\/]+$/, '').toLowerCase();
  if (entries.some((e) => norm(e) === norm(dir)))
    return { ok: true, message: `lakekey is already on your Path (${dir}).`, hint: 'Open a new terminal and run `lakekey --help`.', installedAt: dir };
  const value = [...entries, dir].join(';');
  const add = await reg(['add', ENVIRONMENT_KEY, '/v', 'Path', '/t', current?.type ?? 'REG_EXPAND_SZ', '/d', value, '/f']);
  if (add.code !== 0)
    return {
      ok: false,
      message: 'Could not add lakekey to your Path (reg add failed).',
      hint: `Add ${dir} to your user Path in the Environment Variables settings.`,
    };
  return {
    ok: true,
    message: `Added ${dir} to your Path.`,
    hint: 'Open a new terminal (or sign out and in again) and run `lakekey --help`.',
    installedAt: dir,
  };
}

const runReg: RegRunner = (args) =>
  new Promise((done) => {
    execFile('reg.exe', args, { windowsHide: true }, (err, stdout) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout: String(stdout) });
    });
  });
