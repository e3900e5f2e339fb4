// The keychain adapter as the hosts build it (this platform, this process's environment and its
// LAKEKEY_KEYCHAIN_* limits), for
// tests about the real keychain: `osKeychainStore({ timeoutMs: 500 })`. Tests that are not about
// the keychain use the in-memory store instead.
import { limitsFromEnv } from '../../main/core/config/env-limits.js';
import { keychainBackends } from '../../main/core/keychain/keychain-backends.js';
import { keychainStore, type KeychainStoreOptions } from '../../main/core/keychain/keychain-store.js';
import type { SecretStore } from '../../main/core/ports.js';

export function osKeychainStore(opts: Partial<KeychainStoreOptions> = {}): SecretStore {
  const limits = limitsFromEnv(process.env);
  return keychainStore({
    platform: process.platform,
    backend: keychainBackends(process.platform, process.env),
    timeoutMs: limits.keychainTimeoutMs,
    busyTimeoutMs: limits.keychainBusyTimeoutMs,
    maxItemBytes: limits.keychainMaxItemBytes,
    ...opts,
  });
}
