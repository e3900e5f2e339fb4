// Which keychain holds the secrets: the OS keychain (the Secret Service on Linux, the macOS
// Keychain, Windows Credential Manager), or, chosen explicitly, the Linux kernel keyring — for a
// machine reached over SSH that has no desktop and so no Secret Service. Never chosen by
// lakekey itself: a missing Secret Service is exit 4 with this choice offered in its hint.
//
// The choice is the settings file's top-level "keychain" (`lakekey keychain kernel`), or
// LAKEKEY_KEYCHAIN, which wins over it. Small and static (the hot path imports it); the kernel
// keyring's adapter itself is kernel-keyring.ts, loaded only when it is the one chosen.
import { readFileSync } from 'node:fs';
import { sayDuration } from '../../shared/duration.js';
import { configError } from '../errors.js';

export const KEYCHAINS = ['os', 'kernel'] as const;
export type KeychainKind = (typeof KEYCHAINS)[number];

/** The environment variable that chooses the keychain, over the settings. */
export const KEYCHAIN_ENV = 'LAKEKEY_KEYCHAIN';

export function isKeychainKind(v: unknown): v is KeychainKind {
  return typeof v === 'string' && (KEYCHAINS as readonly string[]).includes(v);
}

export interface KeychainChoice {
  kind: KeychainKind;
  /** Where the choice came from: the environment variable, the settings file, or neither. */
  from: 'env' | 'settings' | 'default';
}

/** The keychain to use: LAKEKEY_KEYCHAIN when set, else the settings' `keychain`, else the OS keychain. */
export function chooseKeychain(env: NodeJS.ProcessEnv, setting: KeychainKind | undefined, platform: NodeJS.Platform): KeychainChoice {
  const fromEnv = env[KEYCHAIN_ENV];
  let choice: KeychainChoice;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (!isKeychainKind(fromEnv)) {
      throw configError(
        `${KEYCHAIN_ENV}=${JSON.stringify(fromEnv.slice(0, 40))} is not a keychain lakekey knows`,
        `Set ${KEYCHAIN_ENV} to "kernel" (the Linux kernel keyring) or "os" (the OS keychain), or unset it.`,
      );
    }
    choice = { kind: fromEnv, from: 'env' };
  } else {
    choice = setting ? { kind: setting, from: 'settings' } : { kind: 'os', from: 'default' };
  }
  if (choice.kind === 'kernel' && platform !== 'linux') {
    throw configError(
      `the kernel keyring is a Linux keychain, and this is ${platform}${choice.from === 'env' ? ` (${KEYCHAIN_ENV}=kernel)` : ' (the settings\' "keychain")'}`,
      choice.from === 'env' ? `Unset ${KEYCHAIN_ENV}: lakekey uses the OS keychain here.` : 'Run `lakekey keychain os`: lakekey uses the OS keychain here.',
    );
  }
  return choice;
}

/** The kind alone, for building a store. */
export function chosenKeychain(env: NodeJS.ProcessEnv, setting: KeychainKind | undefined, platform: NodeJS.Platform): KeychainKind {
  return chooseKeychain(env, setting, platform).kind;
}

// ---- the kernel keyring's facts (sizes, lifetime), for the store and for what lakekey says ----

/** The kernel's limit on one "user" key's payload (security/keys/user_defined.c). */
export const KERNEL_USER_KEY_MAX_BYTES = 32767;

/**
 * What the kernel charges a user beyond the item itself, counted against the same quota: the
 * item's description ("lakekey:" + account, under 100 bytes) and the keyrings a call holds (the
 * persistent keyring, the call's session keyring). 256 bytes covers them.
 */
const QUOTA_OVERHEAD_BYTES = 256;

/**
 * The largest secret one kernel-keyring item can hold for this user: a "user" key's 32767 bytes,
 * or less when the user's whole key quota is smaller (/proc/sys/kernel/keys/maxbytes, 20000
 * bytes by default; root_maxbytes for root). The quota is shared by all of the user's keys, so a
 * write can still meet a full quota: that is its own error (exit 4, with the fix).
 */
export function kernelMaxItemBytes(uid: number | undefined = process.getuid?.()): number {
  const quota = readNumber(`/proc/sys/kernel/keys/${uid === 0 ? 'root_maxbytes' : 'maxbytes'}`);
  return quota === undefined ? KERNEL_USER_KEY_MAX_BYTES : Math.max(1, Math.min(KERNEL_USER_KEY_MAX_BYTES, quota - QUOTA_OVERHEAD_BYTES));
}

/** The kernel's default persistent_keyring_expiry: 3 days. */
const DEFAULT_PERSISTENT_EXPIRY_SECONDS = 3 * 24 * 3600;

/** How long the persistent keyring outlives its last use (/proc/sys/kernel/keys/persistent_keyring_expiry). */
export function persistentKeyringExpirySeconds(): number {
  return readNumber('/proc/sys/kernel/keys/persistent_keyring_expiry') ?? DEFAULT_PERSISTENT_EXPIRY_SECONDS;
}

/** "3 days", "12 h": the persistent keyring's lifetime as people say it. */
export function sayExpiry(seconds: number): string {
  return seconds >= 2 * 86400 && seconds % 86400 === 0 ? `${seconds / 86400} days` : sayDuration(seconds);
}

/** What choosing the kernel keyring means, in one sentence (hints, `lakekey keychain`). */
export function kernelKeyringMeaning(): string {
  return (
    'secrets live in kernel memory only (never on disk), readable by your own processes as with the Secret Service; ' +
    `they are gone at reboot, and ${sayExpiry(persistentKeyringExpirySeconds())} after lakekey last used them (the kernel's persistent keyring), and then you log in again`
  );
}

/** The offer made when there is no Secret Service at all (not when it is merely locked). */
export function kernelKeyringOffer(): string {
  return `On a machine without a desktop (SSH), lakekey can keep secrets in the Linux kernel keyring instead: run \`lakekey keychain kernel\` (or set ${KEYCHAIN_ENV}=kernel); ${kernelKeyringMeaning()}.`;
}

function readNumber(file: string): number | undefined {
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}
