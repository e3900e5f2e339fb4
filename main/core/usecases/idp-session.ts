// One sign-in per identity provider (issue 24): profiles with the same issuer, client and scopes
// share one IdP session — one refresh token, one browser login, one refresh at a time — the way
// the AWS CLI's `sso-session`, granted and kubelogin share theirs.
//
// The shared session is a keychain item of its own, `@idp/<hash of the settings folder, issuer,
// client, scopes>` ('@' and '/' never occur in a profile name), holding a SecretRecord with only
// `idp`. The settings folder is in the hash because the profiles of one settings file share, not
// those of another folder (LAKEKEY_CONFIG_DIR) that happen to name the same IdP. A profile's
// own item keeps what is the profile's alone (S3 credentials, the lakeFS token) and names the
// session it was last bound to in `session`, so that after `profile set --issuer` the profile
// still knows the session it came from (stale, to be revoked where it was made: issue 20).
//
// Which session a profile uses:
// - an `idp` inside its own item: a session from before sharing (or a lakeFS-only identity),
//   the profile's alone until its next login, which moves it to the shared item;
// - else the session it is bound to, while that item exists;
// - else the shared session its current settings name: one another profile's login made.
//
// Locks: a profile's lock is taken first, then its session's (never the other way round), so
// two profiles renewing at once take turns at the IdP and the second uses the first's refresh.
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import type { IdpSession, SecretRecord } from '../keychain/record.js';
import type { Profile } from '../config/settings.js';
import { grantsFor } from '../login/login-grants.js';
import { sayAnd } from '../../shared/say-list.js';
import type { Context, LockOptions } from '../ports.js';

const ACCOUNT_PREFIX = '@idp/';

/** The keychain account of the IdP session that `p`'s issuer, client and scopes name in the settings folder `dir`. */
export function sessionAccount(dir: string, p: Pick<Profile, 'issuer' | 'clientId' | 'scopes'>): string {
  const scopes = [...new Set(p.scopes)].sort().join(' ');
  const hash = createHash('sha256')
    .update(`${resolve(dir)}\n${p.issuer}\n${p.clientId}\n${scopes}`)
    .digest('hex')
    .slice(0, 32);
  return `${ACCOUNT_PREFIX}${hash}`;
}

/** The lock of a shared session (a lock file name: no '/'). */
function sessionLock(account: string): string {
  return `@idp-${account.slice(ACCOUNT_PREFIX.length)}`;
}

/** A profile's stored state: its own item, with `idp` filled in from the session it uses. */
export interface Stored {
  /** The profile's item, `idp` being the session it uses (from its own item or the shared one). */
  record: SecretRecord;
  /** The shared session's account when `record.idp` comes from one; undefined for a session of the profile's own. */
  account?: string;
}

/** Whether `profile` signs in at its IdP itself (a lakeFS-only profile's identity is its lakeFS token's, its own). */
function sharesIdp(profile: Profile): boolean {
  return grantsFor(profile).includes('idp');
}

/** The account a login of `profile` writes its session to; undefined when the session stays in the profile's item. */
export function loginAccount(dir: string, profile: Profile): string | undefined {
  return sharesIdp(profile) ? sessionAccount(dir, profile) : undefined;
}

/** The profile's item and the IdP session it uses (see the top of this file). */
export async function readStored(ctx: { dir: string; vault: Pick<Context['vault'], 'read'> }, name: string, profile: Profile): Promise<Stored> {
  return withSession(ctx, profile, await ctx.vault.read(name));
}

/** The profile's item `record` (already read) with the IdP session it uses. */
export async function withSession(ctx: { dir: string; vault: Pick<Context['vault'], 'read'> }, profile: Profile, record: SecretRecord): Promise<Stored> {
  if (record.idp || !sharesIdp(profile)) return { record };
  const own = sessionAccount(ctx.dir, profile);
  for (const account of new Set([record.session, own])) {
    if (!account) continue;
    const idp = (await ctx.vault.read(account)).idp;
    if (idp) return { record: { ...record, idp }, account };
  }
  return { record, account: own };
}

/** The shared session at `account`, as stored now. */
export async function readSession(ctx: Pick<Context, 'vault'>, account: string): Promise<{ idp?: IdpSession; updatedAt: number }> {
  const r = await ctx.vault.read(account);
  return { ...(r.idp ? { idp: r.idp } : {}), updatedAt: r.updatedAt };
}

/** Writes the shared session at `account` (the caller holds its lock). */
export async function writeSession(ctx: Pick<Context, 'vault' | 'clock'>, account: string, idp: IdpSession): Promise<void> {
  await ctx.vault.write(account, { v: 1, idp, updatedAt: ctx.clock.now() });
}

/** Removes the shared session at `account` (the caller holds its lock). */
export async function removeSession(ctx: Pick<Context, 'vault'>, account: string): Promise<void> {
  await ctx.vault.remove(account);
}

/**
 * Writes the profile's own item. With `account`, `record.idp` lives in that shared session and
 * the item only names it; without, `record.idp` is the profile's own and stays in its item.
 */
export async function writeOwn(ctx: Pick<Context, 'vault'>, name: string, record: SecretRecord, account: string | undefined): Promise<void> {
  if (!account) {
    const { session: _none, ...own } = record;
    return ctx.vault.write(name, own);
  }
  const { idp: _shared, ...own } = record;
  await ctx.vault.write(name, { ...own, session: account });
}

/** Runs `fn` holding the shared session's lock (after the profile's); without an account, just runs it. */
export function withSessionLock<T>(ctx: Pick<Context, 'locks'>, account: string | undefined, opts: LockOptions, fn: () => Promise<T>): Promise<T> {
  return account ? ctx.locks.withLock(sessionLock(account), opts, fn) : fn();
}

/** The other profiles whose settings, as they are now, name the shared session at `account`; sorted. */
export function sharers(ctx: Pick<Context, 'dir' | 'profiles'>, account: string | undefined, name: string): string[] {
  if (!account || !ctx.profiles) return [];
  return Object.entries(ctx.profiles())
    .filter(([n, p]) => n !== name && sessionAccount(ctx.dir, p) === account)
    .map(([n]) => n)
    .sort();
}

/** `B`, `B and C`, `B, C and D`. */
export function sayProfiles(names: string[]): string {
  return sayAnd(names.map((n) => `"${n}"`));
}
