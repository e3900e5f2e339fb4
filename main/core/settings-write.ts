// Writes the settings file through `conf`, the engine beneath electron-store, so the file is
// written atomically and in the same format the tray's electron-store uses. Loaded only by
// commands that change settings, never on the credential-process hot path.
import { configError } from './errors.js';
import { parseSettings, SETTINGS_VERSION, type Settings } from './settings.js';

/** Applies `change` to the current settings under conf's atomic write; returns the result. */
export async function updateSettings(dir: string, change: (s: Settings) => void): Promise<Settings> {
  // conf pulls in ajv and friends: load it only when a command changes settings.
  const { default: Conf } = await import('conf');
  let store: InstanceType<typeof Conf<Record<string, unknown>>>;
  try {
    store = new Conf({ cwd: dir, configName: 'config', projectName: 'lakekey', configFileMode: 0o600, clearInvalidConfig: false });
  } catch (err) {
    throw configError(`cannot open the settings file in ${dir}: ${(err as Error).message}`, 'Fix or move aside config.json there.');
  }
  const current = parseSettings({ version: SETTINGS_VERSION, ...store.store });
  change(current);
  // Validate the result before anything is written.
  const next = parseSettings(JSON.parse(JSON.stringify(current)));
  store.store = next as unknown as Record<string, unknown>;
  return next;
}
