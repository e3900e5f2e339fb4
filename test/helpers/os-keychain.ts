// The keychain adapter as the hosts build it (this platform, this process's environment), for
// tests about the real keychain: `osKeychainStore({ timeoutMs: 500 })`. Tests that are not about
// the keychain use the in-memory store instead.
import { keychainBackends } from '../../main/core/keychain/keychain-backends.js';
import { keychainStore, type KeychainStoreOptions } from '../../main/core/keychain/keychain-store.js';
import type { SecretStore } from '../../main/core/ports.js';

export function osKeychainStore(opts: Partial<KeychainStoreOptions> = {}): SecretStore {
  return keychainStore({ platform: process.platform, backend: keychainBackends(process.platform, process.env), ...opts });
}
