// The RoleSessionName a mint sends to STS: the profile's template (`--s3-session-name`) filled in
// from the claims of the token STS is given — the ID token, or the lakeFS token for S3 through
// lakeFS — or lakekey's default (the email, else the subject). A claim the template names that
// the token lacks is the profile's configuration (exit 2), said with the claims the token has.
import { configError, type LakekeyError } from '../errors.js';
import { jwtClaims } from './jwt-claims.js';
import { parseSessionNameTemplate, renderSessionName, stsSessionName, type ClaimGap } from '../../shared/session-name.js';
import type { SecretRecord } from '../keychain/record.js';
import type { Profile, S3Settings } from '../config/settings.js';

/** Claims about the token itself rather than its holder: never offered as a session name. */
const PLUMBING = new Set(['iss', 'aud', 'exp', 'iat', 'nbf', 'jti', 'nonce', 'at_hash', 'c_hash', 's_hash', 'auth_time', 'azp', 'sid', 'acr', 'amr']);

export function roleSessionName(name: string, profile: Profile & { s3: S3Settings }, record: SecretRecord, webIdentityToken: string): string {
  const template = profile.s3.sessionName;
  if (template === undefined) return stsSessionName(record.idp?.email ?? record.idp?.subject);
  const parsed = parseSessionNameTemplate(template);
  // The settings parser refused a bad template; this only narrows the type.
  if ('problem' in parsed) throw configError(`profile "${name}": --s3-session-name ${JSON.stringify(template)} ${parsed.problem}`);
  const claims = jwtClaims(webIdentityToken) ?? {};
  const filled = renderSessionName(parsed.parts, claims);
  if ('name' in filled) return filled.name;
  throw missingClaim(name, profile, template, filled.claim, filled.gap, claims);
}

function missingClaim(
  name: string,
  profile: Profile & { s3: S3Settings },
  template: string,
  claim: string,
  gap: ClaimGap,
  claims: Record<string, unknown>,
): LakekeyError {
  const token = profile.s3.tokenSource === 'lakefs' ? 'lakeFS token' : 'ID token';
  const what =
    gap === 'absent'
      ? `the ${token} has no "${claim}" claim`
      : gap === 'empty'
        ? `the ${token}'s "${claim}" claim is empty`
        : `the ${token}'s "${claim}" claim is not a single text value`;
  // Names only, never values: which claims could fill the template instead.
  const usable = Object.keys(claims).filter(
    (c) => !PLUMBING.has(c) && /^[\w.:/+-]{1,64}$/.test(c) && (typeof claims[c] === 'string' || typeof claims[c] === 'number') && claims[c] !== '',
  );
  const has = usable.length ? ` (it has ${usable.map((c) => `{${c}}`).join(', ')})` : '';
  const set = `lakekey profile set ${name}`;
  const ask = profile.s3.tokenSource === 'lakefs' ? '' : `, ask your identity provider's admin to put "${claim}" in the ID token,`;
  return configError(
    `${what}, and profile "${name}" names it in its role session name (--s3-session-name ${JSON.stringify(template)}), so no S3 credentials were minted`,
    `Name a claim the ${token} has${has} with \`${set} --s3-session-name "{CLAIM}"\`${ask} or go back to lakekey's default name with \`${set} --unset s3-session-name\`.`,
  );
}
