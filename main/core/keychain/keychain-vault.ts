// The keychain vault with the env-derived limits: one construction for composeCore and for the
// credential-process hot path, which reads the keychain before (and usually without) composing.
import type { Limits } from '../config/env-limits.js';
import type { KeychainKind } from './keychain-choice.js';
import { keychainStore, Vault } from './vault.js';

/** `keychain`: the chosen keychain (keychain-choice.ts), or a function asked at the first call. */
export function keychainVault(limits: Limits, keychain: KeychainKind | (() => KeychainKind)): Vault {
  return new Vault(keychainStore({ timeoutMs: limits.keychainTimeoutMs, busyTimeoutMs: limits.keychainBusyTimeoutMs, maxItemBytes: limits.keychainMaxItemBytes, keychain }));
}
