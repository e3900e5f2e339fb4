// The profile vault: whole SecretRecords over any SecretStore (the port in ports.ts; the keychain
// adapter is keychain-store.ts, the in-memory one of the tests is test/helpers).
//
// One keychain item per profile holds the whole SecretRecord. Windows' Credential Manager
// caps an item at 2560 bytes, so a record larger than the store's limit is split: the chunks
// are written first under a fresh generation, then the head item is replaced with a small
// manifest that names that generation (the head write is the commit), then the previous
// generation's chunks are deleted. A reader therefore sees either the old or the new record,
// never a mix, and a crash at any step leaves at worst unreferenced chunks behind.
import { LakekeyError } from '../errors.js';
import { faultPoint } from '../fault.js';
import { registerSecret } from '../redact.js';
import { emptyRecord, parseRecord, type SecretRecord } from './record.js';
import type { SecretStore } from '../ports.js';

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
      const gen = (await nodeCrypto()).randomBytes(4).toString('hex');
      const parts = splitUtf8(text, limit - 64);
      for (let i = 0; i < parts.length; i++) {
        await this.store.set(chunkAccount(profile, gen, i), parts[i]);
        if (i === 0) faultPoint('mid-keychain-write');
      }
      const manifest: Manifest = { lakekeyChunks: parts.length, gen, sha256: await sha256(text) };
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
    return (await sha256(text)) === manifest.sha256 ? text : undefined;
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

/**
 * node:crypto, loaded only for a record split over items: under bun its import alone takes
 * milliseconds, which a credential_process cache hit of a whole item must not pay.
 */
const nodeCrypto = () => import('node:crypto');

async function sha256(text: string): Promise<string> {
  return (await nodeCrypto()).createHash('sha256').update(text).digest('hex');
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
