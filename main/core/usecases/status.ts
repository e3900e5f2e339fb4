// What `status` and the tray show about a profile's session; never a secret.
import type { SecretRecord } from '../keychain/record.js';
import type { RenewalFailure } from '../ports.js';
import { readStored, sharers } from './idp-session.js';
import type { Context } from '../ports.js';
import type { Profile } from '../config/settings.js';
import { changedIdp, changedLakefs, changedS3 } from '../keychain/minted-with.js';
import { secondsLeft } from '../../shared/freshness.js';

export interface ProfileStatus {
  name: string;
  signedIn: boolean;
  subject?: string;
  email?: string;
  /** A refresh token is held and was issued under the profile's current IdP settings. */
  canRefresh: boolean;
  s3?: { expiresAt: string; secondsLeft: number };
  lakefs?: { expiresAt: string; secondsLeft: number };
  /**
   * The parts made under settings that have changed since, each with the changed settings as
   * flag names (minted-with.ts). A stale IdP part needs a login; stale S3 credentials are
   * re-minted on next use (silently when the IdP part is current); a stale lakeFS token needs a login.
   */
  stale?: { idp?: string[]; s3?: string[]; lakefs?: string[] };
  /** The last renewal failed (outside our control: exit 5) and none has worked since. */
  renewalFailing?: { since: string; code: string };
  /** The other profiles signed in by the same IdP session (one sign-in per issuer, client and scopes). */
  sharedWith?: string[];
}

/** The profile's status as stored now: its item, the IdP session it uses, and the profiles sharing that. */
export async function statusOf(
  ctx: Pick<Context, 'dir' | 'vault' | 'clock' | 'profiles'>,
  name: string,
  profile: Profile,
  failure?: RenewalFailure,
): Promise<ProfileStatus> {
  const { record, account } = await readStored(ctx, name, profile);
  return describe(name, record, ctx.clock.now(), profile, failure, record.idp ? sharers(ctx, account, name) : []);
}

export function describe(
  name: string,
  record: SecretRecord,
  now: number,
  profile: Profile,
  failure?: RenewalFailure,
  sharedWith: string[] = [],
): ProfileStatus {
  const stale: NonNullable<ProfileStatus['stale']> = {};
  const idp = changedIdp(profile, record.idp);
  const s3 = changedS3(profile, record.s3);
  const lakefs = changedLakefs(profile, record.lakefs);
  if (idp.length) stale.idp = idp;
  if (s3.length) stale.s3 = s3;
  if (lakefs.length) stale.lakefs = lakefs;
  const status: ProfileStatus = { name, signedIn: Boolean(record.idp), canRefresh: Boolean(record.idp?.refreshToken) && !idp.length };
  if (record.idp) {
    status.subject = record.idp.subject;
    if (record.idp.email) status.email = record.idp.email;
  }
  const expiry = (expiresAt: number) => ({ expiresAt: new Date(expiresAt).toISOString(), secondsLeft: Math.max(0, secondsLeft(expiresAt, now)) });
  if (record.s3) status.s3 = expiry(record.s3.expiresAt);
  if (record.lakefs) status.lakefs = expiry(record.lakefs.expiresAt);
  if (Object.keys(stale).length) status.stale = stale;
  if (failure) status.renewalFailing = { since: new Date(failure.at).toISOString(), code: failure.code };
  if (sharedWith.length) status.sharedWith = sharedWith;
  return status;
}
