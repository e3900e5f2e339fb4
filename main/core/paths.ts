// Where lakekey keeps its non-secret files: the same folder Electron's app.getPath('userData')
// gives the tray app for the name "lakekey", so the CLI and the tray share one settings file.
import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'lakekey';

export function defaultSettingsDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), APP_NAME);
}

export function settingsDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.LAKEKEY_CONFIG_DIR || defaultSettingsDir(env);
}

/** electron-store and conf both store `<dir>/config.json`. */
export const SETTINGS_FILE = 'config.json';
