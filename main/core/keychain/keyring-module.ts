// The keychain addon of macOS and Windows, and where it comes from. Linux needs none: lakekey
// speaks to the Secret Service over D-Bus itself (secret-service.ts).
//
// The addon is @napi-rs/keyring (keyring-rs), whose per-platform builds are npm packages, so every
// target cross-builds. Under Node it is the package. In the standalone executable
// (`npm run build:cli`) it is keyring.node beside the executable, loaded by its absolute path:
// never extracted to a temporary folder where another local user could plant it.
//
// It addresses the items keytar made, so sessions stored by a keytar-based lakekey carry over:
// on macOS a generic password with keytar's service and account; on Windows a generic
// credential whose target name is keytar's "service/account".
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { KeychainBackend } from '../ports.js';

/** True inside the executable built by scripts/build-cli.mjs (the build defines this global). */
declare const LAKEKEY_STANDALONE: boolean | undefined;

export function isStandalone(): boolean {
  return typeof LAKEKEY_STANDALONE !== 'undefined' && LAKEKEY_STANDALONE === true;
}

/** The addon's file name beside the standalone executable. */
export const KEYRING_ADDON = 'keyring.node';

/** The addon's path in the standalone build: beside the (symlink-resolved) executable. */
export function standaloneAddonPath(): string {
  return join(dirname(process.execPath), KEYRING_ADDON);
}

/** The part of @napi-rs/keyring's binding lakekey uses. */
interface AsyncEntry {
  getPassword(): Promise<string | null | undefined>;
  setPassword(password: string): Promise<void>;
  deletePassword(): Promise<boolean>;
}
interface KeyringBinding {
  AsyncEntry: { new (service: string, username: string): AsyncEntry; withTarget(target: string, service: string, username: string): AsyncEntry };
  findCredentialsAsync(service: string): Promise<Array<{ account: string }>>;
}

async function importKeyring(): Promise<KeyringBinding> {
  if (isStandalone()) return createRequire(import.meta.url)(standaloneAddonPath()) as KeyringBinding;
  const m = (await import('@napi-rs/keyring')) as unknown as KeyringBinding & { default?: KeyringBinding };
  return m.default ?? m;
}

/** The macOS Keychain or Windows Credential Manager, through @napi-rs/keyring. */
export async function keyringBackend(platform: NodeJS.Platform): Promise<KeychainBackend> {
  const k = await importKeyring();
  const entry = (service: string, account: string) =>
    platform === 'win32' ? k.AsyncEntry.withTarget(`${service}/${account}`, service, account) : new k.AsyncEntry(service, account);
  return {
    getPassword: async (service, account) => (await entry(service, account).getPassword()) ?? null,
    setPassword: (service, account, password) => entry(service, account).setPassword(password),
    deletePassword: (service, account) => entry(service, account).deletePassword(),
    // On Windows keyring-rs enumerates by its own target names, not keytar's, so there is no
    // listing there: the vault then deletes a replaced record's chunks by name instead.
    ...(platform === 'win32' ? {} : { findCredentials: (service: string) => k.findCredentialsAsync(service) }),
  };
}
