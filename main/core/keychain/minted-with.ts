// A session knows what made it (issue 20): each part of the secret record carries the settings it
// was minted under, and a part whose settings have changed since is stale at once, however long
// it would otherwise last. Without this, `profile set --s3-role-arn` (or `profile add --force`,
// or `--issuer`) kept serving the old target's keys for up to an hour, and a refresh or a logout
// sent the old IdP's refresh token to the new IdP.
//
// - The IdP part (refresh and ID token) is bound to the issuer, client and scopes: a change needs
//   a new login, and the old session is revoked at the IdP it came from.
// - The S3 part is bound to the STS endpoint, role, region, duration, token source, role session
//   name template and the place its web identity came from (the issuer, or the lakeFS endpoint):
//   a change re-mints it, silently when the IdP part still matches.
// - The lakeFS token is bound to the lakeFS endpoint.
// Parts stored before this binding existed carry none and are taken as matching (so an upgrade
// asks nobody to log in again); the next write binds them.
import type { IdpSession, LakefsToken, S3Credentials } from './record.js';
import type { Profile } from '../config/settings.js';
import { isFresh, isUsable, type Checked } from '../../shared/freshness.js';
import { sayAnd } from '../../shared/say-list.js';

export interface IdpMint {
  issuer: string;
  clientId: string;
  scopes: string[];
}

export interface S3Mint {
  stsEndpoint: string | null;
  roleArn: string | null;
  region: string;
  durationSeconds: number;
  tokenSource: 'idp' | 'lakefs';
  /** Where the web identity token came from: the issuer, or the lakeFS endpoint. */
  source: string;
  /** The role session name template (--s3-session-name); null for lakekey's default, as in parts minted before it existed. */
  sessionName?: string | null;
}

export interface LakefsMint {
  endpoint: string;
}

export function idpMint(p: Profile): IdpMint {
  return { issuer: p.issuer, clientId: p.clientId, scopes: [...p.scopes] };
}

/** The S3 part's settings; undefined for a profile without S3. */
export function s3Mint(p: Profile): S3Mint | undefined {
  if (!p.s3) return undefined;
  const s = p.s3;
  const source = s.tokenSource === 'lakefs' ? (p.lakefs?.endpoint ?? '') : p.issuer;
  return {
    stsEndpoint: s.stsEndpoint ?? null,
    roleArn: s.roleArn ?? null,
    region: s.region,
    durationSeconds: s.durationSeconds,
    tokenSource: s.tokenSource,
    source,
    sessionName: s.sessionName ?? null,
  };
}

export function lakefsMint(p: Profile): LakefsMint | undefined {
  return p.lakefs ? { endpoint: p.lakefs.endpoint } : undefined;
}

/** Each bound setting and the flag that sets it, for saying what changed. */
const IDP_FLAGS: Record<keyof IdpMint, string> = { issuer: 'issuer', clientId: 'client-id', scopes: 'scope' };
const S3_FLAGS: Record<keyof S3Mint, string> = {
  stsEndpoint: 's3-sts-endpoint',
  roleArn: 's3-role-arn',
  region: 's3-region',
  durationSeconds: 's3-duration',
  tokenSource: 's3-token-source',
  sessionName: 's3-session-name',
  source: 'the identity the S3 credentials came from',
};
const LAKEFS_FLAGS: Record<keyof LakefsMint, string> = { endpoint: 'lakefs-endpoint' };

function differences<T extends object>(was: T | undefined, now: T | undefined, flags: Record<keyof T, string>): string[] {
  if (!was || !now) return [];
  return (Object.keys(flags) as Array<keyof T>).filter((k) => JSON.stringify(was[k] ?? null) !== JSON.stringify(now[k] ?? null)).map((k) => flags[k]);
}

/** The settings (as flag names) changed since the IdP session was made; [] when it still matches. */
export function changedIdp(p: Profile, idp: IdpSession | undefined): string[] {
  return differences(idp?.minted, idpMint(p), IDP_FLAGS);
}

/** The settings changed since the S3 credentials were minted; [] when they still match. */
export function changedS3(p: Profile, s3: S3Credentials | undefined): string[] {
  return differences(s3?.minted, s3Mint(p), S3_FLAGS);
}

/** The settings changed since the lakeFS token was issued; [] when it still matches. */
export function changedLakefs(p: Profile, token: LakefsToken | undefined): string[] {
  return differences(token?.minted, lakefsMint(p), LAKEFS_FLAGS);
}

/** S3 credentials fresh enough to hand out for `p`, and minted under its current settings. */
export function currentS3(p: Profile, s3: S3Credentials | undefined, now: number): s3 is Checked<S3Credentials> {
  return isFresh(s3, now, p.refreshBeforeSeconds) && changedS3(p, s3).length === 0;
}

/** A lakeFS token still usable for `p`, issued by its current lakeFS endpoint. */
export function currentLakefs(p: Profile, token: LakefsToken | undefined, now: number): token is Checked<LakefsToken> {
  return isUsable(token, now) && changedLakefs(p, token).length === 0;
}

/** Says which settings changed, for a message: `--issuer and --client-id`. */
export function sayChanged(fields: string[]): string {
  const f = fields.map((x) => (x.includes(' ') ? x : `--${x}`));
  return sayAnd(f);
}
