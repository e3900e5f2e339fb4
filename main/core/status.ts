// What `status` and the tray show about a profile's session; never a secret.
import type { SecretRecord } from './record.js';
import { secondsLeft } from '../shared/freshness.js';

export interface ProfileStatus {
  name: string;
  signedIn: boolean;
  subject?: string;
  email?: string;
  canRefresh: boolean;
  s3?: { expiresAt: string; secondsLeft: number };
  lakefs?: { expiresAt: string; secondsLeft: number };
}

export function describe(name: string, record: SecretRecord, now: number): ProfileStatus {
  const status: ProfileStatus = { name, signedIn: Boolean(record.idp), canRefresh: Boolean(record.idp?.refreshToken) };
  if (record.idp) {
    status.subject = record.idp.subject;
    if (record.idp.email) status.email = record.idp.email;
  }
  const expiry = (expiresAt: number) => ({ expiresAt: new Date(expiresAt).toISOString(), secondsLeft: Math.max(0, secondsLeft(expiresAt, now)) });
  if (record.s3) status.s3 = expiry(record.s3.expiresAt);
  if (record.lakefs) status.lakefs = expiry(record.lakefs.expiresAt);
  return status;
}
