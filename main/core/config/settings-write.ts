// Writes the settings file through `conf`, the engine beneath electron-store, so the file is
// written atomically and in the same format the tray's electron-store uses. Loaded only by
// commands that change settings, never on the credential-process hot path.
import { configError } from '../errors.js';
import { changeSettings, parseSettings, SETTINGS_VERSION, settingsPath, storedSettings, type Settings } from './settings.js';

/**
 * Applies `change` to the current settings under conf's atomic write; returns the result.
 * Broken profiles the change does not touch are written back as they were.
 */
export async function updateSettings(dir: string, change: (s: Settings) => void): Promise<Settings> {
  // conf pulls in ajv and friends: load it only when a command changes settings.
  const { default: Conf } = await import('conf');
  let store: InstanceType<typeof Conf<Record<string, unknown>>>;
  try {
    store = new Conf({ cwd: dir, configName: 'config', projectName: 'lakekey', configFileMode: 0o600, clearInvalidConfig: false });
  } catch (err) {
    throw configError(`cannot open the settings file in ${dir}: ${(err as Error).message}`, 'Fix or move aside config.json there.');
  }
  const where = settingsPath(dir);
  // Validated before anything is written.
  const next = changeSettings(parseSettings({ version: SETTINGS_VERSION, ...store.store }, where), change, where);
  store.store = storedSettings(next);
  return next;
}
