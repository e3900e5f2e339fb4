// The keychain vault with the env-derived limits: one construction for composeCore and for the
// credential-process hot path, which reads the keychain before (and usually without) composing.
import type { Limits } from './env-limits.js';
import { keychainStore, Vault } from './vault.js';

export function keychainVault(limits: Limits): Vault {
  return new Vault(keychainStore({ timeoutMs: limits.keychainTimeoutMs, busyTimeoutMs: limits.keychainBusyTimeoutMs, maxItemBytes: limits.keychainMaxItemBytes }));
}
