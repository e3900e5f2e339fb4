// The keychain vault with the env-derived limits: one construction for composeCore and for the
// credential-process hot path, which reads the keychain before (and usually without) composing.
import type { Limits } from '../config/env-limits.js';
import { keychainBackends } from './keychain-backends.js';
import type { KeychainKind } from './keychain-choice.js';
import { keychainStore } from './keychain-store.js';
import { Vault } from './vault.js';

/** Where the vault runs: the host's platform and environment (the backends read PATH and the D-Bus address). */
export interface KeychainHost {
  platform: NodeJS.Platform;
  env: NodeJS.ProcessEnv;
}

/** `keychain`: the chosen keychain (keychain-choice.ts), or a function asked at the first call. */
export function keychainVault(limits: Limits, keychain: KeychainKind | (() => KeychainKind), host: KeychainHost): Vault {
  return new Vault(
    keychainStore({
      platform: host.platform,
      backend: keychainBackends(host.platform, host.env),
      timeoutMs: limits.keychainTimeoutMs,
      busyTimeoutMs: limits.keychainBusyTimeoutMs,
      maxItemBytes: limits.keychainMaxItemBytes,
      keychain,
    }),
  );
}
