// The tray shell started over a stubbed electron (test/helpers/electron-stub.ts), as the app and
// integration tests start it: the settings file through conf (electron-store's engine), profiles
// written first, and the in-memory keychain.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Conf from 'conf';
import { start } from '../../main/app/main.js';
import { settingsStore, type ConfLike } from '../../main/app/settings-store.js';
import { parseProfile } from '../../main/core/config/settings.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { ProfileVault } from './profile-vault.js';
import { REPO } from './cli.js';
import { MemoryStore } from './memory-store.js';

/** The settings file in `dir`, opened as the tray opens it. */
export const openConf = (dir: string) =>
  new Conf({ cwd: dir, configName: 'config', projectName: 'lakekey', configFileMode: 0o600, clearInvalidConfig: false }) as unknown as ConfLike;

/** The tray started on Linux with these profiles (raw, as the settings file has them) in a fresh settings folder. */
export async function startTray(electron: Parameters<typeof start>[0], profiles: Record<string, unknown>) {
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-app-')), 'cfg');
  settingsStore(openConf, dir).update((s) => {
    for (const [name, raw] of Object.entries(profiles)) s.profiles[name] = parseProfile(name, raw);
  });
  const store = new MemoryStore();
  const app = await start(electron, {
    openStore: openConf,
    appRoot: REPO,
    resourcesDir: join(REPO, 'build'),
    env: { LAKEKEY_CONFIG_DIR: dir },
    vault: new Vault(store),
    platform: 'linux',
  });
  if (!app) throw new Error('the tray did not start');
  // The tests read each profile's record as the profile sees it.
  return { app, dir, vault: new ProfileVault(store) };
}
