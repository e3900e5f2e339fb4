// The keychain adapter of the SecretStore port: keytar's item layout (service "lakekey", one
// account per item) in whichever keychain was chosen (keychain-choice.ts), every call bounded,
// and the keychain's failures said with their fix. Which backend serves a kind is decided in one
// place, keychain-backends.ts; this module only calls it.
import { LakekeyError, errorText } from '../errors.js';
import { redact } from '../redact.js';
import type { KeychainBackend, SecretStore } from '../ports.js';
import { kernelKeyringOffer, kernelMaxItemBytes, type KeychainKind } from './keychain-choice.js';

export const KEYCHAIN_SERVICE = 'lakekey';

/** Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE. */
export const WINDOWS_MAX_ITEM_BYTES = 2560;

export interface KeychainStoreOptions {
  /** The platform the store runs on: its prompts, its item size limit, its hints. */
  platform: NodeJS.Platform;
  /** The backend of a keychain kind (keychain-backends.ts: the one place that picks them). */
  backend: (kind: KeychainKind) => Promise<KeychainBackend>;
  /** Default: 5 s on Linux (a locked keyring is recognised directly), 60 s elsewhere (a prompt the user must answer). */
  timeoutMs?: number;
  /** Default: 30 s on Linux; elsewhere the same as timeoutMs. */
  busyTimeoutMs?: number;
  /** An imposed item size limit (LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES through the limits). */
  maxItemBytes?: number;
  locked?: () => Promise<boolean>;
  /**
   * Which keychain (default: the OS keychain). A function is asked once, at the first call or
   * the first look at maxItemBytes: composeCore passes one that reads the settings then.
   */
  keychain?: KeychainKind | (() => KeychainKind);
}

/**
 * The keychain. Every call is bounded: a Secret Service that hangs (no keyring daemon, a
 * prompt nobody can answer) becomes a KEYCHAIN error, not a hang. Slow and locked are told
 * apart: when a call has taken `timeoutMs`, Linux asks the backend whether it is waiting on an
 * unlock prompt (exit 4, "unlock"); if it is not, the call is only slow (a daemon busy under a stampede
 * of `aws` commands on a loaded machine) and is given until `busyTimeoutMs` before lakekey says
 * the keychain is busy. The kernel keyring is never locked: a call that slow is only busy.
 */
export function keychainStore(opts: KeychainStoreOptions): SecretStore {
  let chosen: KeychainKind | undefined;
  const kind = (): KeychainKind => (chosen ??= typeof opts.keychain === 'function' ? opts.keychain() : (opts.keychain ?? 'os'));
  const { platform } = opts;
  const linux = platform === 'linux';
  // macOS and Windows may show an access prompt the user must answer. On Linux a locked keyring
  // is recognised directly (see secretServiceLocked): after this long it is asked, and a keyring
  // that is merely slow gets until the busy bound.
  const timeoutMs = opts.timeoutMs ?? (linux ? 5000 : 60_000);
  const busyTimeoutMs = Math.max(timeoutMs, opts.busyTimeoutMs ?? (linux ? 30_000 : timeoutMs));
  const hint = (absent = false) => keychainHint(platform, absent);
  const call = async <T>(op: string, fn: (k: KeychainBackend) => Promise<T>): Promise<T> => {
    const timers: NodeJS.Timeout[] = [];
    let k: KeychainKind = 'os';
    try {
      k = kind();
      const backend = await opts.backend(k);
      const locked = opts.locked ?? (() => backend.locked?.() ?? Promise.resolve(false));
      const after = (ms: number) => new Promise<'late'>((resolve) => timers.push(setTimeout(() => resolve('late'), ms).unref()));
      const work = fn(backend);
      work.catch(() => undefined); // it may settle after we gave up on it
      const first = await Promise.race([work, after(timeoutMs)]);
      if (first !== 'late') return first;
      if (!linux || (k === 'os' && (await locked()))) {
        throw new LakekeyError(
          'KEYCHAIN_LOCKED',
          `the OS keychain did not answer within ${timeoutMs} ms (${op}): it is locked or waiting for your permission`,
          { hint: hint() },
        );
      }
      const second = await Promise.race([work, after(busyTimeoutMs - timeoutMs)]);
      if (second !== 'late') return second;
      const who = k === 'kernel' ? 'the kernel keyring (keyctl)' : 'the Secret Service';
      throw new LakekeyError(
        'KEYCHAIN_BUSY',
        `the keychain is busy: ${who} did not answer within ${Math.round(busyTimeoutMs / 1000)} s (${op}), though it is not locked`,
        {
          hint:
            k === 'kernel'
              ? 'Retry in a moment: the machine may be overloaded.'
              : 'Retry in a moment. If it keeps happening, restart the keyring daemon (or log out of the desktop and back in).',
        },
      );
    } catch (err) {
      throw keychainError(err, op, k, hint);
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  };
  let maxItemBytes: number | undefined;
  return {
    // An imposed item size limit (LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES: e.g. Windows' 2560) applies anywhere;
    // the kernel keyring's own limit still applies below it.
    get maxItemBytes() {
      if (maxItemBytes === undefined) {
        const imposed = opts.maxItemBytes;
        if (kind() === 'kernel') maxItemBytes = Math.min(imposed ?? Infinity, kernelMaxItemBytes());
        else maxItemBytes = imposed ?? (platform === 'win32' ? WINDOWS_MAX_ITEM_BYTES : Infinity);
      }
      return maxItemBytes;
    },
    get: (account) => call('read', (k) => k.getPassword(KEYCHAIN_SERVICE, account)),
    set: (account, secret) => call('write', (k) => k.setPassword(KEYCHAIN_SERVICE, account, secret)),
    // Only used right after a successful write, i.e. on an unlocked keychain.
    list: async (prefix) => {
      const found = await call('list', (k) => k.findCredentials?.(KEYCHAIN_SERVICE) ?? Promise.resolve(undefined));
      return found?.map((c) => c.account).filter((a) => a.startsWith(prefix));
    },
    delete: (account) => call('delete', (k) => k.deletePassword(KEYCHAIN_SERVICE, account)),
  };
}

/** The OS keychain's fix; on Linux with no Secret Service at all (`absent`), also the kernel keyring's offer. */
function keychainHint(platform: NodeJS.Platform, absent: boolean): string {
  if (platform === 'darwin') return 'Unlock your login keychain (Keychain Access) and allow lakekey to use it, then retry.';
  if (platform === 'win32') return 'Make sure Windows Credential Manager is available for your user, then retry.';
  return [
    `lakekey needs a Secret Service keychain (GNOME Keyring, KWallet) in an unlocked desktop session${absent ? ', and this session has none' : ''}.`,
    `${absent ? 'On a desktop, log in to it' : 'Log in to the desktop'} (or start gnome-keyring-daemon --unlock in your D-Bus session), then retry.`,
    ...(absent ? [kernelKeyringOffer()] : []),
    'lakekey never falls back to storing secrets in plain files.',
  ].join(' ');
}

/**
 * Whether the Secret Service is not there at all (no session bus, nobody owns its name), as
 * opposed to there and locked or refusing: secret-service.ts marks those errors.
 */
function secretServiceAbsent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { secretServiceAbsent?: unknown }).secretServiceAbsent === true;
}

function keychainError(err: unknown, op: string, kind: KeychainKind, hint: (absent?: boolean) => string): LakekeyError {
  // The backend's own words (a locked keyring, no default keyring, the kernel's refusals) come
  // with their fix; any other gets the platform's.
  if (err instanceof LakekeyError) return err.hint ? err : new LakekeyError(err.code, err.message, { hint: hint(), cause: err.cause });
  const text = redact(errorText(err));
  if (kind === 'kernel') {
    return new LakekeyError('KEYCHAIN_UNAVAILABLE', `the kernel keyring is unavailable (${op}: ${text})`, {
      hint: 'Check that `keyctl get_persistent @s` works for your user; or choose the OS keychain: `lakekey keychain os`.',
      cause: err,
    });
  }
  const absent = secretServiceAbsent(err);
  const locked = !absent && /locked|does not exist at path|No such interface|prompt|dismissed|cancel/i.test(text);
  return new LakekeyError(
    locked ? 'KEYCHAIN_LOCKED' : 'KEYCHAIN_UNAVAILABLE',
    `the OS keychain is ${locked ? 'locked or has no default keyring' : 'unavailable'} (${op}: ${text})`,
    { hint: hint(absent), cause: err },
  );
}
