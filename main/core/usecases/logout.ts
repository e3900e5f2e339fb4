// Logging out: the keychain item goes, whatever happens at the IdP, after revoking the refresh
// token where the IdP offers revocation — at the IdP the session came from, which is not the
// profile's current one after `profile set --issuer` (issue 20). What lakekey wrote elsewhere for
// the session (lakectl's token cache, when it holds our token) goes with it.
import { readFileSync, rmSync } from 'node:fs';
import { asLakekeyError, LakekeyError } from '../errors.js';
import { idpConfig } from '../login/idp-config.js';
import type { IdpSession, SecretRecord } from '../keychain/record.js';
import type { Profile } from '../config/settings.js';
import { outside } from '../text-gate.js';
import type { Context } from '../ports.js';
import { readSession, readStored, removeSession, sayProfiles, sharers, withSessionLock } from './idp-session.js';

/** What happened to the session at the IdP when it was forgotten here. */
export type Revocation =
  | { outcome: 'revoked' }
  | { outcome: 'not-offered' }
  | { outcome: 'failed'; error: LakekeyError }
  | { outcome: 'no-session' }
  /** The sign-in is shared with profiles that stay (`profile remove`, a rename): left to them, not revoked. */
  | { outcome: 'kept'; by: string[] };

export interface LogoutResult {
  revocation: Revocation;
  /** The issuer the session came from (where it was revoked), when there was one. */
  issuer?: string;
  /** What was removed from this computer. */
  removed: Removed;
  /** The other profiles that shared the sign-in this logout ended: they keep their credentials until these expire. */
  loggedOutToo?: string[];
}

export interface LogoutOptions {
  /**
   * Leave a sign-in shared with other profiles to them (removing a profile, renaming one); by
   * default a logout ends the sign-in for every profile sharing it, as `aws sso logout` does.
   */
  leaveShared?: boolean;
}

export interface Removed {
  /** The session's keychain item (false when nothing was stored). */
  keychain: boolean;
  /** lakectl's token cache file, when it held this session's lakeFS token. */
  lakectlCache?: string;
}

/**
 * Forgets the profile's session and says what happened at the IdP and what was removed; callers
 * must not claim a revocation that did not happen.
 */
export async function logout(ctx: Context, name: string, profile: Profile, opts: LogoutOptions = {}): Promise<LogoutResult> {
  return ctx.locks.withLock(name, { waitMs: 30_000 }, async () => {
    const { record, account } = await readStored(ctx, name, profile);
    const along = sharers(ctx, account, name);
    if (opts.leaveShared && along.length) {
      const lakectlCache = await removeLakectlCache(record);
      await ctx.vault.remove(name);
      ctx.log.info('logout.left-shared', { profile: name, lakectlCache: Boolean(lakectlCache) });
      return {
        revocation: { outcome: 'kept', by: along },
        removed: { keychain: Boolean(record.s3 || record.lakefs), ...(lakectlCache ? { lakectlCache } : {}) },
      };
    }
    // The shared session is read again under its lock: a refresh may have rotated its token meanwhile.
    return withSessionLock(ctx, account, { waitMs: 30_000 }, async () => {
      const idp = account ? (await readSession(ctx, account)).idp : record.idp;
      const { revocation, lakectlCache } = await endSession(ctx, name, profile, { ...record, idp });
      if (account) await removeSession(ctx, account);
      await ctx.vault.remove(name);
      const removed: Removed = { keychain: Boolean(idp || record.s3 || record.lakefs), ...(lakectlCache ? { lakectlCache } : {}) };
      ctx.log.info('logout.done', { profile: name, revocation: revocation.outcome, lakectlCache: Boolean(lakectlCache), shared: along.length });
      return {
        revocation,
        removed,
        ...(idp?.refreshToken ? { issuer: idp.minted?.issuer ?? profile.issuer } : {}),
        ...(idp && along.length ? { loggedOutToo: along } : {}),
      };
    });
  });
}

/**
 * Ends what `record`'s session left outside the keychain: its refresh token at the IdP it came
 * from (where that offers revocation) and lakectl's token cache while it holds its lakeFS token.
 * The caller holds the profile lock and replaces or removes the keychain item: a logout, or a
 * login as another user (login.ts).
 */
export async function endSession(
  ctx: Context,
  name: string,
  profile: Profile,
  record: SecretRecord,
): Promise<{ revocation: Revocation; lakectlCache?: string }> {
  const revocation = await revokeSession(ctx, name, profile, record.idp);
  const lakectlCache = await removeLakectlCache(record);
  return { revocation, ...(lakectlCache ? { lakectlCache } : {}) };
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

/**
 * Revokes `idp`'s refresh token at the IdP and with the client it was issued by (recorded in the
 * session), never at whatever the profile names now: a refresh token is a secret of that IdP.
 */
export async function revokeSession(ctx: Context, name: string, profile: Profile, idp: IdpSession | undefined): Promise<Revocation> {
  if (!idp?.refreshToken) return { outcome: 'no-session' };
  const origin: Profile = idp.minted ? { ...profile, issuer: idp.minted.issuer, clientId: idp.minted.clientId, scopes: idp.minted.scopes } : profile;
  try {
    const { revoke } = await import('../login/oidc.js');
    return { outcome: await revoke(await idpConfig(ctx, name, origin), idp.refreshToken) };
  } catch (err) {
    const error = asLakekeyError(err);
    ctx.log.warn('logout.revoke-failed', { profile: name, code: error.code });
    return { outcome: 'failed', error };
  }
}

/** Removes lakectl's plaintext token cache when it holds this session's lakeFS token; returns its path then. */
async function removeLakectlCache(record: SecretRecord): Promise<string | undefined> {
  if (!record.lakefs) return undefined;
  const { lakectlCachePath } = await import('../exchange/lakefs.js');
  const file = lakectlCachePath();
  let held: unknown;
  try {
    held = (JSON.parse(readFileSync(file, 'utf8')) as { token?: unknown }).token;
  } catch {
    return undefined; // none, or not lakectl's format: not ours to remove
  }
  if (held !== record.lakefs.token) return undefined; // another login's token (lakectl login, another profile)
  rmSync(file, { force: true });
  return file;
}

/**
 * What a logout did, in the words the CLI and the tray both say; a revocation that failed is
 * thrown as the error it is (the session is gone here, but may live on at the IdP).
 */
export function sayLogout(name: string, profile: Profile, { revocation, issuer, removed, loggedOutToo }: LogoutResult): string {
  // Where the session was revoked, when that is not the IdP the profile names now.
  const at =
    issuer && issuer !== profile.issuer
      ? ` at ${outside(issuer)}, where it was made (the profile now names another identity provider)`
      : ' at the identity provider';
  const words = [
    ...(removed.keychain ? ['the session in the keychain'] : []),
    ...(removed.lakectlCache ? [`lakectl's token cache (${removed.lakectlCache})`] : []),
  ];
  const removedHere = words.length ? ` Removed ${words.join(' and ')}.` : ' Nothing was stored for it on this computer.';
  const n = loggedOutToo?.length ?? 0;
  const also = n
    ? `${removedHere} ${sayProfiles(loggedOutToo!)} shared this sign-in and ${n === 1 ? 'is' : 'are'} logged out too: ${n === 1 ? 'it keeps its' : 'they keep their'} current credentials until they expire, then need a login.`
    : removedHere;
  switch (revocation.outcome) {
    case 'revoked':
      return `Logged out of profile "${name}": the session was revoked${at}.${also}`;
    case 'not-offered':
      return `Logged out of profile "${name}" on this computer. Your identity provider offers no token revocation, so the refresh token stays valid there until it expires.${also}`;
    case 'no-session':
      return `Logged out of profile "${name}" (there was no session at the identity provider to revoke).${also}`;
    case 'kept':
      return `Logged out of profile "${name}"; its sign-in stays for ${sayProfiles(revocation.by)}, which share${revocation.by.length === 1 ? 's' : ''} it.${also}`;
    case 'failed':
      throw new LakekeyError(
        revocation.error.code,
        `logged out of profile "${name}" on this computer (removed ${words.join(' and ') || 'nothing'}), but revoking the session${at} failed: ${revocation.error.message}`,
        {
          hint: 'The refresh token may stay valid at the identity provider until it expires; sign out there (or ask its admin to end your sessions) if that matters.',
        },
      );
  }
}
