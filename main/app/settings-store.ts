// The tray's view of the settings file: electron-store writing `config.json` in the settings
// folder (its `cwd` option), the same file the CLI reads with plain fs and writes through conf.
// Every read and write goes through the core's parseSettings (a broken profile is set aside,
// never used, and written back as it was). The store class is injected:
// the app passes electron-store, tests pass conf (electron-store's engine), which never loads
// Electron.
import { changeSettings, parseSettings, SETTINGS_VERSION, storedSettings, type Settings } from '../core/config/settings.js';

/** The part of electron-store / conf this module uses. */
export interface ConfLike {
  store: Record<string, unknown>;
  onDidAnyChange(callback: () => void): () => void;
}

export type OpenStore = (dir: string) => ConfLike;

/** electron-store's options for the shared file. */
export function electronStoreOptions(dir: string): { cwd: string; name: string; configFileMode: number; clearInvalidConfig: boolean; watch: boolean } {
  return { cwd: dir, name: 'config', configFileMode: 0o600, clearInvalidConfig: false, watch: true };
}

export interface SettingsStore {
  read(): Settings;
  /** Applies the change, validates the result, then writes it atomically. */
  update(change: (s: Settings) => void): Settings;
  /** Called when the file changes (also when the CLI changed it). Returns an unsubscribe function. */
  onChange(callback: () => void): () => void;
}

export function settingsStore(open: OpenStore, dir: string): SettingsStore {
  const store = open(dir);
  const where = `${dir}/config.json`;
  const read = (): Settings => parseSettings({ version: SETTINGS_VERSION, ...store.store }, where);
  return {
    read,
    update(change) {
      // The same rule as the CLI's writes: what the change touched must validate, broken profiles it did not touch stay as they were.
      const next = changeSettings(read(), change, where);
      store.store = storedSettings(next);
      return next;
    },
    onChange: (callback) => store.onDidAnyChange(callback),
  };
}
