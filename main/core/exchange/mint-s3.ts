// STS AssumeRoleWithWebIdentity with the ID token (AWS, MinIO) or the lakeFS token (lakeFS's
// S3 gateway): the last step of a login and of every renewal.
import { LakekeyError } from '../errors.js';
import { s3Mint } from '../keychain/minted-with.js';
import type { S3Credentials, SecretRecord } from '../keychain/record.js';
import type { Profile, S3Settings } from '../config/settings.js';
import type { Context } from '../ports.js';

export async function mintS3(ctx: Context, name: string, profile: Profile & { s3: S3Settings }, record: SecretRecord): Promise<S3Credentials> {
  const { s3 } = profile;
  const { assumeRoleWithWebIdentity } = await import('./sts.js');
  const { endpoint, roleArn, what } = await stsTarget(profile);
  const webIdentityToken = s3.tokenSource === 'lakefs' ? record.lakefs?.token : record.idp?.idToken;
  if (!webIdentityToken)
    throw new LakekeyError('IDP_REFUSED', 'no identity token to exchange for S3 credentials', {
      hint: 'Log in again; make sure the profile requests the "openid" scope.',
    });
  const { roleSessionName } = await import('./role-session-name.js');
  const sessionName = roleSessionName(name, profile, record, webIdentityToken);
  const creds = await assumeRoleWithWebIdentity(
    { endpoint, region: s3.region, roleArn, webIdentityToken, sessionName, durationSeconds: s3.durationSeconds },
    what,
    { timeoutMs: ctx.limits.httpTimeoutMs, proxy: ctx.proxy, secrets: ctx.secrets },
  );
  ctx.log.info('sts.done', {
    source: s3.tokenSource,
    sessionName: s3.sessionName === undefined ? 'default' : 'template',
    expiresAt: new Date(creds.expiresAt).toISOString(),
  });
  return { ...creds, minted: s3Mint(profile) };
}

/** Where the profile's STS call goes, the role it asks for, and the service's name in messages (minting and doctor's probe share it). */
export async function stsTarget(profile: Profile & { s3: S3Settings }): Promise<{ endpoint: string; roleArn?: string; what: string }> {
  const { s3 } = profile;
  if (s3.tokenSource !== 'lakefs') {
    const { defaultStsEndpoint } = await import('./sts.js');
    return { endpoint: s3.stsEndpoint ?? defaultStsEndpoint(s3.region), roleArn: s3.roleArn, what: 'STS' };
  }
  if (!profile.lakefs) throw new LakekeyError('CONFIG', 'S3 through lakeFS needs a lakeFS endpoint', { hint: 'Add --lakefs-endpoint URL to the profile.' });
  const { lakefsServerUrl, LAKEFS_DEFAULT_ROLE_ARN } = await import('./lakefs.js');
  return { endpoint: s3.stsEndpoint ?? lakefsServerUrl(profile.lakefs.endpoint), roleArn: s3.roleArn ?? LAKEFS_DEFAULT_ROLE_ARN, what: 'lakeFS STS' };
}

/** Narrows a profile to one with S3 settings. */
export function wantsS3(profile: Profile): profile is Profile & { s3: S3Settings } {
  return profile.s3 !== undefined;
}
