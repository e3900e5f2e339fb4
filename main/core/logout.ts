// Logging out: the keychain item goes, whatever happens at the IdP, after revoking the refresh
// token where the IdP offers revocation.
import type { Context } from './context.js';
import { asLakekeyError, type LakekeyError } from './errors.js';
import { idpConfig } from './idp-config.js';
import type { Profile } from './settings.js';

/** What happened to the session at the IdP when it was forgotten here. */
export type Revocation =
  | { outcome: 'revoked' }
  | { outcome: 'not-offered' }
  | { outcome: 'failed'; error: LakekeyError }
  | { outcome: 'no-session' };

/**
 * Forgets the profile's session and says what happened at the IdP; callers must not claim a
 * revocation that did not happen.
 */
export async function logout(ctx: Context, name: string, profile: Profile): Promise<Revocation> {
  return ctx.locks.withLock(name, { waitMs: 30_000 }, async () => {
    const record = await ctx.vault.read(name);
    let result: Revocation = { outcome: 'no-session' };
    if (record.idp?.refreshToken) {
      try {
        const { revoke } = await import('./oidc.js');
        result = { outcome: await revoke(await idpConfig(ctx, name, profile), record.idp.refreshToken) };
      } catch (err) {
        const error = asLakekeyError(err);
        ctx.log.warn('logout.revoke-failed', { profile: name, code: error.code });
        result = { outcome: 'failed', error };
      }
    }
    await ctx.vault.remove(name);
    ctx.log.info('logout.done', { profile: name, revocation: result.outcome });
    return result;
  });
}

/**
 * Forgets the profile's session here without contacting anyone, and says whether there was one:
 * for a profile whose settings are broken, whose issuer is not to be trusted with the refresh token.
 */
export async function forget(ctx: Context, name: string): Promise<boolean> {
  return ctx.locks.withLock(name, { waitMs: 30_000 }, async () => {
    const record = await ctx.vault.read(name);
    await ctx.vault.remove(name);
    ctx.log.info('logout.forgotten', { profile: name });
    return Boolean(record.idp || record.s3 || record.lakefs);
  });
}
