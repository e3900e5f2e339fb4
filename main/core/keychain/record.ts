// The secret record: everything secret about one profile, kept as ONE keychain item so that
// one write updates it atomically (DESIGN §4). Times are epoch milliseconds. Each part carries
// the (non-secret) settings it was made under (minted-with.ts).
import type { IdpMint, LakefsMint, S3Mint } from './minted-with.js';

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Epoch ms. */
  expiresAt: number;
  /** The settings these were minted under; absent in records from before the binding. */
  minted?: S3Mint;
}

export interface IdpSession {
  refreshToken?: string;
  idToken?: string;
  idTokenExpiresAt?: number;
  /** Who is signed in (from the ID token): shown by `status` and the tray. */
  subject: string;
  email?: string;
  name?: string;
  /** The IdP settings this session was made with; absent in records from before the binding. */
  minted?: IdpMint;
}

export interface LakefsToken {
  token: string;
  expiresAt: number;
  /** The lakeFS endpoint that issued it; absent in records from before the binding. */
  minted?: LakefsMint;
}

export interface SecretRecord {
  v: 1;
  /**
   * A profile's item: the keychain account of the shared IdP session it was last bound to
   * (usecases/idp-session.ts); its `idp` then lives there. A shared session's item has only `idp`.
   */
  session?: string;
  /** The IdP session: in a profile's item only when it is the profile's own (from before sharing, or lakeFS-only). */
  idp?: IdpSession;
  s3?: S3Credentials;
  lakefs?: LakefsToken;
  /** Epoch ms of the last write. */
  updatedAt: number;
}

export function emptyRecord(): SecretRecord {
  return { v: 1, updatedAt: 0 };
}

export function parseRecord(text: string): SecretRecord | undefined {
  try {
    const r = JSON.parse(text) as SecretRecord;
    return r && r.v === 1 ? r : undefined;
  } catch {
    return undefined;
  }
}

/** An expiry (epoch ms) that can be stored and printed as YYYY-MM-DDTHH:MM:SSZ, and is not long past. */
export function plausibleExpiry(ms: number, now = Date.now()): boolean {
  return Number.isFinite(ms) && ms > now - 86_400_000 && ms < Date.UTC(10000, 0, 1);
}

export { secondsLeft } from '../../shared/freshness.js';

/** The credential_process document (AWS CLI / SDK contract): Expiration as YYYY-MM-DDTHH:MM:SSZ. */
export function credentialProcessJson(c: S3Credentials): string {
  return JSON.stringify({
    Version: 1,
    AccessKeyId: c.accessKeyId,
    SecretAccessKey: c.secretAccessKey,
    SessionToken: c.sessionToken,
    Expiration: isoSeconds(c.expiresAt),
  });
}

export function isoSeconds(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
