// The SecretStore port, its keychain adapter (the OS keychain: the Secret Service on Linux,
// @napi-rs/keyring elsewhere; or the Linux kernel keyring when chosen, keychain-choice.ts), and
// the profile vault on top of it.
//
// One keychain item per profile holds the whole SecretRecord. Windows' Credential Manager
// caps an item at 2560 bytes, so a record larger than the store's limit is split: the chunks
// are written first under a fresh generation, then the head item is replaced with a small
// manifest that names that generation (the head write is the commit), then the previous
// generation's chunks are deleted. A reader therefore sees either the old or the new record,
// never a mix, and a crash at any step leaves at worst unreferenced chunks behind.
import { createHash, randomBytes } from 'node:crypto';
import { LakekeyError, errorText } from '../errors.js';
import { faultPoint } from '../fault.js';
import { kernelKeyringOffer, kernelMaxItemBytes, type KeychainKind } from './keychain-choice.js';
import { keyringBackend } from './keyring-module.js';
import { redact, registerSecret } from '../redact.js';
import { emptyRecord, parseRecord, type SecretRecord } from './record.js';
import type { KeychainBackend, SecretStore } from '../ports.js';

export const KEYCHAIN_SERVICE = 'lakekey';

/** Windows' CRED_MAX_CREDENTIAL_BLOB_SIZE. */
export const WINDOWS_MAX_ITEM_BYTES = 2560;

const backends = new Map<KeychainKind, Promise<KeychainBackend>>();

/**
 * The chosen keychain's backend, one per process and kind, loaded only when it is used.
 * "os" — Linux: the Secret Service over D-Bus (secret-service.ts); macOS and Windows:
 * @napi-rs/keyring. "kernel" — the Linux kernel keyring (kernel-keyring.ts).
 */
function loadBackend(kind: KeychainKind): Promise<KeychainBackend> {
  let backend = backends.get(kind);
  if (!backend) {
    backend =
      kind === 'kernel'
        ? import('./kernel-keyring.js').then((m) => m.kernelKeyringBackend())
        : process.platform === 'linux'
          ? import('./secret-service/secret-service.js').then((m) => m.secretServiceBackend())
          : keyringBackend().catch((err: unknown) => {
              throw new LakekeyError('KEYCHAIN_UNAVAILABLE', `the keychain module could not be loaded: ${errorText(err)}`, {
                hint: 'Reinstall lakekey: keyring.node must sit beside the lakekey executable (or @napi-rs/keyring be installed for this platform).',
                cause: err,
              });
            });
    backends.set(kind, backend);
  }
  return backend;
}

export interface KeychainStoreOptions {
  timeoutMs?: number;
  busyTimeoutMs?: number;
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
export function keychainStore(opts: KeychainStoreOptions = {}): SecretStore {
  let chosen: KeychainKind | undefined;
  const kind = (): KeychainKind => (chosen ??= typeof opts.keychain === 'function' ? opts.keychain() : (opts.keychain ?? 'os'));
  const timeoutMs = opts.timeoutMs ?? defaultKeychainTimeout();
  const linux = process.platform === 'linux';
  const busyTimeoutMs = Math.max(timeoutMs, opts.busyTimeoutMs ?? defaultBusyTimeout(linux ? 30_000 : timeoutMs));
  const call = async <T>(op: string, fn: (k: KeychainBackend) => Promise<T>): Promise<T> => {
    const timers: NodeJS.Timeout[] = [];
    let k: KeychainKind = 'os';
    try {
      k = kind();
      const backend = await loadBackend(k);
      const locked = opts.locked ?? (() => backend.locked?.() ?? Promise.resolve(false));
      const after = (ms: number) => new Promise<'late'>((resolve) => timers.push(setTimeout(() => resolve('late'), ms).unref()));
      const work = fn(backend);
      work.catch(() => undefined); // it may settle after we gave up on it
      const first = await Promise.race([work, after(timeoutMs)]);
      if (first !== 'late') return first;
      if (!linux || (k === 'os' && (await locked()))) {
        throw new LakekeyError('KEYCHAIN_LOCKED', `the OS keychain did not answer within ${timeoutMs} ms (${op}): it is locked or waiting for your permission`, { hint: keychainHint() });
      }
      const second = await Promise.race([work, after(busyTimeoutMs - timeoutMs)]);
      if (second !== 'late') return second;
      const who = k === 'kernel' ? 'the kernel keyring (keyctl)' : 'the Secret Service';
      throw new LakekeyError('KEYCHAIN_BUSY', `the keychain is busy: ${who} did not answer within ${Math.round(busyTimeoutMs / 1000)} s (${op}), though it is not locked`, {
        hint: k === 'kernel' ? 'Retry in a moment: the machine may be overloaded.' : 'Retry in a moment. If it keeps happening, restart the keyring daemon (or log out of the desktop and back in).',
      });
    } catch (err) {
      throw keychainError(err, op, k);
    } finally {
      for (const t of timers) clearTimeout(t);
    }
  };
  let maxItemBytes: number | undefined;
  return {
    // LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES imposes an item size limit (e.g. Windows' 2560) anywhere;
    // the kernel keyring's own limit still applies below it.
    get maxItemBytes() {
      if (maxItemBytes === undefined) {
        const imposed = opts.maxItemBytes ?? (Number(process.env.LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES) || undefined);
        if (kind() === 'kernel') maxItemBytes = Math.min(imposed ?? Infinity, kernelMaxItemBytes());
        else maxItemBytes = imposed ?? (process.platform === 'win32' ? WINDOWS_MAX_ITEM_BYTES : Infinity);
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

function defaultKeychainTimeout(): number {
  const fromEnv = Number(process.env.LAKEKEY_KEYCHAIN_TIMEOUT_MS);
  if (Number.isFinite(fromEnv) && fromEnv > 0) return fromEnv;
  // macOS and Windows may show an access prompt the user must answer. On Linux a locked keyring
  // is recognised directly (see secretServiceLocked): after this long it is asked, and a keyring
  // that is merely slow gets until the busy bound.
  return process.platform === 'linux' ? 5000 : 60_000;
}

function defaultBusyTimeout(fallback: number): number {
  const fromEnv = Number(process.env.LAKEKEY_KEYCHAIN_BUSY_TIMEOUT_MS);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : fallback;
}

/** The OS keychain's fix; on Linux with no Secret Service at all (`absent`), also the kernel keyring's offer. */
function keychainHint(absent = false): string {
  if (process.platform === 'darwin') return 'Unlock your login keychain (Keychain Access) and allow lakekey to use it, then retry.';
  if (process.platform === 'win32') return 'Make sure Windows Credential Manager is available for your user, then retry.';
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

function keychainError(err: unknown, op: string, kind: KeychainKind): LakekeyError {
  // The backend's own words (a locked keyring, no default keyring, the kernel's refusals) come
  // with their fix; any other gets the platform's.
  if (err instanceof LakekeyError) return err.hint ? err : new LakekeyError(err.code, err.message, { hint: keychainHint(), cause: err.cause });
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
    { hint: keychainHint(absent), cause: err },
  );
}

interface Manifest {
  lakekeyChunks: number;
  gen: string;
  sha256: string;
}

/** Profile names have no "/", so this never meets a profile's own item or its chunks. */
function clientSecretAccount(profile: string): string {
  return `${profile}/client-secret`;
}

function chunkAccount(account: string, gen: string, i: number): string {
  return `${account}#${gen}.${i}`;
}

/** Reads and writes whole SecretRecords for profiles, splitting them when the store needs it. */
export class Vault {
  constructor(private readonly store: SecretStore) {}

  async read(profile: string): Promise<SecretRecord> {
    let record: SecretRecord | undefined;
    // A split record read while a writer replaces it can miss its chunks: read again from the head.
    for (let attempt = 0; attempt < 3 && !record; attempt++) {
      const head = await this.store.get(profile);
      if (head === null) return emptyRecord();
      const text = await this.assemble(profile, head);
      record = text === undefined ? undefined : parseRecord(text);
    }
    if (!record) {
      throw new LakekeyError('KEYCHAIN_UNAVAILABLE', `the keychain item for profile "${profile}" is damaged`, {
        hint: `Run \`lakekey logout ${profile}\` and then \`lakekey login ${profile}\`.`,
      });
    }
    registerRecordSecrets(record);
    return record;
  }

  async write(profile: string, record: SecretRecord): Promise<void> {
    registerRecordSecrets(record);
    const text = JSON.stringify(record);
    const oldGen = await this.currentGeneration(profile);
    const limit = this.store.maxItemBytes;
    if (Buffer.byteLength(text, 'utf8') <= limit) {
      await this.store.set(profile, text);
    } else {
      const gen = randomBytes(4).toString('hex');
      const parts = splitUtf8(text, limit - 64);
      for (let i = 0; i < parts.length; i++) {
        await this.store.set(chunkAccount(profile, gen, i), parts[i]);
        if (i === 0) faultPoint('mid-keychain-write');
      }
      const manifest: Manifest = { lakekeyChunks: parts.length, gen, sha256: sha256(text) };
      await this.store.set(profile, JSON.stringify(manifest));
      const accounts = await this.store.list?.(`${profile}#`);
      if (accounts) {
        // Chunks of any other generation are garbage: the previous record's, or a crashed write's.
        for (const account of accounts) {
          if (!account.startsWith(`${profile}#${gen}.`)) await this.store.delete(account);
        }
        return;
      }
    }
    if (oldGen) await this.deleteChunks(profile, oldGen);
  }

  /** The profile's client secret (IdPs like Google require one of installed apps); its own item. */
  readClientSecret(profile: string): Promise<string | null> {
    return this.store.get(clientSecretAccount(profile));
  }

  async writeClientSecret(profile: string, secret: string | undefined): Promise<void> {
    if (secret === undefined) await this.store.delete(clientSecretAccount(profile));
    else await this.store.set(clientSecretAccount(profile), secret);
  }

  async remove(profile: string): Promise<void> {
    const oldGen = await this.currentGeneration(profile);
    await this.store.delete(profile);
    if (oldGen) await this.deleteChunks(profile, oldGen);
  }

  private async assemble(profile: string, head: string): Promise<string | undefined> {
    const manifest = parseManifest(head);
    if (!manifest) return head;
    const parts: string[] = [];
    for (let i = 0; i < manifest.lakekeyChunks; i++) {
      const part = await this.store.get(chunkAccount(profile, manifest.gen, i));
      if (part === null) return undefined;
      parts.push(part);
    }
    const text = parts.join('');
    return sha256(text) === manifest.sha256 ? text : undefined;
  }

  private async currentGeneration(profile: string): Promise<Manifest | undefined> {
    const head = await this.store.get(profile);
    return head === null ? undefined : parseManifest(head);
  }

  private async deleteChunks(profile: string, m: Manifest): Promise<void> {
    for (let i = 0; i < m.lakekeyChunks; i++) await this.store.delete(chunkAccount(profile, m.gen, i));
  }
}

function parseManifest(head: string): Manifest | undefined {
  if (!head.startsWith('{"lakekeyChunks"')) return undefined;
  try {
    const m = JSON.parse(head) as Manifest;
    return Number.isInteger(m.lakekeyChunks) && typeof m.gen === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** Splits text into pieces of at most `maxBytes` UTF-8 bytes without cutting a character. */
export function splitUtf8(text: string, maxBytes: number): string[] {
  const parts: string[] = [];
  let current = '';
  let bytes = 0;
  for (const ch of text) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) {
      parts.push(current);
      current = '';
      bytes = 0;
    }
    current += ch;
    bytes += n;
  }
  if (current || parts.length === 0) parts.push(current);
  return parts;
}

export function registerRecordSecrets(r: SecretRecord): void {
  registerSecret(r.idp?.refreshToken);
  registerSecret(r.idp?.idToken);
  registerSecret(r.s3?.accessKeyId);
  registerSecret(r.s3?.secretAccessKey);
  registerSecret(r.s3?.sessionToken);
  registerSecret(r.lakefs?.token);
}
