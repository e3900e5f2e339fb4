// Where lakekey keeps its non-secret files: the same folder Electron's app.getPath('userData')
// gives the tray app for the name "lakekey", so the CLI and the tray share one settings file.
import { chmodSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { configError } from '../errors.js';

export const APP_NAME = 'lakekey';

export function defaultSettingsDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_NAME);
}

export function settingsDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string {
  return env.LAKEKEY_CONFIG_DIR || defaultSettingsDir(env, platform);
}

/**
 * The settings folder, checked before anything in it is trusted: a folder another user owns is
 * refused (they could rewrite the settings, or read the log and locks), and one that others can
 * list or enter is tightened to 0700. A folder that does not exist yet is created 0700 by the
 * first writer. Windows has no uids or modes here; its profile folder is private already.
 */
export function checkedSettingsDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, uid = process.getuid?.()): string {
  const dir = settingsDir(env, platform);
  if (uid === undefined) return dir;
  let st;
  try {
    st = statSync(dir);
  } catch {
    return dir;
  }
  const where = env.LAKEKEY_CONFIG_DIR ? ' (LAKEKEY_CONFIG_DIR)' : '';
  if (!st.isDirectory())
    throw configError(`the settings folder ${dir}${where} is not a folder`, 'Remove or rename it, or point LAKEKEY_CONFIG_DIR at a folder of your own.');
  if (st.uid !== uid) {
    throw configError(
      `the settings folder ${dir}${where} belongs to another user (uid ${st.uid}), so its settings cannot be trusted`,
      'Use a folder you own: unset LAKEKEY_CONFIG_DIR or point it at a folder of your own.',
    );
  }
  if ((st.mode & 0o077) !== 0) {
    try {
      chmodSync(dir, 0o700);
    } catch (err) {
      // A read-only file system: nobody can change what is in it either; what needs to write
      // there (the lock) says so with its own message.
      if ((err as NodeJS.ErrnoException).code !== 'EROFS') {
        throw configError(`cannot make the settings folder ${dir} private (${(err as NodeJS.ErrnoException).code})`, `Run \`chmod 700 ${dir}\`.`);
      }
    }
  }
  return dir;
}

/** electron-store and conf both store `<dir>/config.json`. */
export const SETTINGS_FILE = 'config.json';
