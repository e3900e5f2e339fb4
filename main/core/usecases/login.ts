// Logging in: the browser login (login-browser.ts; for lakeFS profiles the two-grant lakeFS
// login of login-grants.ts) or the RFC 8628 device login, under the profile lock; what either
// produced replaces the whole session, then fresh S3 credentials are minted if the profile wants them.
import { sayDuration } from '../../shared/duration.js';
import { LakekeyError } from '../errors.js';
import { idpConfig } from '../login/idp-config.js';
import { browserLogin } from '../login/login-browser.js';
import { grantsFor, type Redeemed } from '../login/login-grants.js';
import { mintS3, wantsS3 } from '../exchange/mint-s3.js';
import type { SecretRecord } from '../keychain/record.js';
import type { Profile } from '../config/settings.js';
import { hasUsableIdToken, isServable } from '../../shared/freshness.js';
import { endSession, revokeSession } from './logout.js';
import { outside } from '../text-gate.js';
import { changedIdp, changedS3, currentLakefs, currentS3, idpMint, lakefsMint, sayChanged } from '../keychain/minted-with.js';
import type { Context, LockHolder, LoginOptions } from '../ports.js';
import { DEFAULT_LOGIN_TIMEOUT_SECONDS, lockWait } from '../../shared/limits.js';
import { loginAccount, readSession, readStored, removeSession, sayProfiles, sharers, withSessionLock, writeOwn, writeSession } from './idp-session.js';

/** Interactive login (browser), then fresh S3 credentials if the profile wants them. */
export async function login(ctx: Context, name: string, profile: Profile, opts: LoginOptions = {}): Promise<SecretRecord> {
  const asked = ctx.clock.now();
  let waited: LockHolder | undefined;
  const onWait = (holder: LockHolder) => {
    waited = holder;
    ctx.notice(waitingFor(name, holder));
  };
  return ctx.locks.withLock(name, { ...lockWait(opts.timeoutSeconds), purpose: LOGIN, onWait }, async () => {
    // Another login for this profile finished while we waited for the lock: that session is as
    // fresh as ours would be, so use it rather than send the user through the browser again.
    const current = (await readStored(ctx, name, profile)).record;
    // Unless this login is for a chosen account: the other login's user may not be the one wanted.
    if (anyAccount(opts) && current.updatedAt >= asked && hasSessionFor(profile, current, ctx.clock.now())) {
      ctx.notice(
        waited && waited.purpose !== LOGIN
          ? `lakekey: profile "${name}" was renewed just now by another lakekey process; using that session (no second sign-in).`
          : `lakekey: the other login for profile "${name}" finished just now: logged in by it, with its session (no second sign-in).`,
      );
      return current;
    }
    if (waited)
      ctx.notice(
        `lakekey: the other ${waited.purpose === LOGIN ? 'login' : 'lakekey process'} for profile "${name}" ended without a usable session; starting this login.`,
      );
    return loginLocked(ctx, name, profile, opts, asked);
  });
}

/** A login that takes whichever account the browser's IdP session has (not a chosen one). */
function anyAccount(opts: LoginOptions): boolean {
  return !opts.selectAccount && !opts.loginHint;
}

/** What the profile lock's holder says it does while it logs in: waiters then say they wait for a login (or, the credentials endpoint, do not wait). */
export const LOGIN = 'login';

/** The line said at once when a login must wait for the profile lock: whom it waits for. */
function waitingFor(name: string, holder: LockHolder): string {
  const who = holder.pid ? ` (process ${holder.pid})` : '';
  return holder.purpose === LOGIN
    ? `lakekey: another login for profile "${name}" is in progress${who}; waiting for it to finish instead of starting a second one (Ctrl-C to stop).`
    : `lakekey: another lakekey process${who} is renewing or changing profile "${name}"; waiting for it.`;
}

/** Whether `record` holds what a login of `profile` produces, still usable, made under its current settings. */
function hasSessionFor(profile: Profile, record: SecretRecord, now: number): boolean {
  const idpOk =
    !grantsFor(profile).includes('idp') ||
    (changedIdp(profile, record.idp).length === 0 && (Boolean(record.idp?.refreshToken) || hasUsableIdToken(record.idp, now)));
  const lakefsOk = !profile.lakefs || currentLakefs(profile, record.lakefs, now);
  return idpOk && lakefsOk && Boolean(record.idp || record.lakefs);
}

/**
 * The browser login, for a caller already holding the profile lock. It holds the shared IdP
 * session's lock too, so that profiles sharing it log in once: one that waited for another's
 * login (since `asked`) takes the session that login made instead of opening the browser again.
 */
export async function loginLocked(ctx: Context, name: string, profile: Profile, opts: LoginOptions, asked = ctx.clock.now()): Promise<SecretRecord> {
  // A renewal that turned into a login says so in the lock, for whoever waits on it.
  ctx.locks.mark(name, LOGIN);
  return underSession(ctx, name, profile, opts, async (account) => {
    const made = account && anyAccount(opts) ? await madeMeanwhile(ctx, name, profile, account, asked) : undefined;
    if (made) return made;
    return storeLogin(ctx, name, profile, await browserLogin(ctx, name, profile, opts), opts.onReplaced);
  });
}

/** Runs `fn` holding the lock of the IdP session a login of `profile` makes (none for a lakeFS-only profile). */
function underSession<T>(ctx: Context, name: string, profile: Profile, opts: LoginOptions, fn: (account: string | undefined) => Promise<T>): Promise<T> {
  const account = loginAccount(ctx.dir, profile);
  const onWait = (holder: LockHolder) => {
    const who = holder.pid ? ` (process ${holder.pid})` : '';
    ctx.notice(
      `lakekey: another lakekey process${who} is ${holder.purpose === LOGIN ? 'logging in' : 'renewing the sign-in'} at this identity provider for a profile that shares profile "${name}"'s sign-in; waiting for it.`,
    );
  };
  return withSessionLock(ctx, account, { ...lockWait(opts.timeoutSeconds), purpose: LOGIN, onWait }, () => fn(account));
}

/**
 * The shared session another profile's login made since `asked`, taken for this profile when it
 * is all this profile's login would make (the same settings; no lakeFS token it lacks): the
 * profile is signed in by it, with S3 credentials minted if it wants them. Undefined otherwise.
 */
async function madeMeanwhile(ctx: Context, name: string, profile: Profile, account: string, asked: number): Promise<SecretRecord | undefined> {
  const shared = await readSession(ctx, account);
  if (!shared.idp || shared.updatedAt < asked) return undefined;
  const own = await ctx.vault.read(name);
  let record: SecretRecord = { ...own, idp: shared.idp, updatedAt: ctx.clock.now() };
  if (!hasSessionFor(profile, record, ctx.clock.now())) return undefined;
  const by = sharers(ctx, account, name);
  ctx.notice(
    `lakekey: profile "${name}" is signed in by the login just made${by.length ? ` for ${sayProfiles(by)}` : ''}, which it shares (one sign-in per identity provider: no second sign-in).`,
  );
  // Credentials of another user (a session from before sharing) must not survive the switch.
  if (own.idp && own.idp.subject !== shared.idp.subject) record = { ...record, s3: undefined };
  if (wantsS3(profile) && !currentS3(profile, record.s3, ctx.clock.now())) record = { ...record, s3: await mintS3(ctx, name, profile, record) };
  await writeOwn(ctx, name, record, account);
  return record;
}

/** RFC 8628 device login, for a terminal with no browser: the user finishes it on any device. */
export async function deviceLogin(ctx: Context, name: string, profile: Profile, opts: LoginOptions = {}): Promise<SecretRecord> {
  const onWait = (holder: LockHolder) => ctx.notice(waitingFor(name, holder));
  return ctx.locks.withLock(name, { ...lockWait(opts.timeoutSeconds), purpose: LOGIN, onWait }, () => deviceLoginLocked(ctx, name, profile, opts));
}

/** The device login, for a caller already holding the profile lock; `say` is where its instructions go. */
export async function deviceLoginLocked(
  ctx: Context,
  name: string,
  profile: Profile,
  opts: LoginOptions,
  say: (text: string) => void = ctx.notice,
): Promise<SecretRecord> {
  if (profile.lakefs) {
    throw new LakekeyError('CONFIG', 'lakeFS tokens need a browser login: lakeFS redeems an authorization code, which the device login does not produce', {
      hint: `Run \`lakekey login ${name}\` on a machine with a browser.`,
    });
  }
  // The keychain first: one that cannot hold the session (an SSH host with no Secret Service) is
  // said now (exit 4, with its fix), not after the user has logged in on another device.
  await ctx.vault.read(name);
  ctx.locks.mark(name, LOGIN);
  const { startDeviceAuthorization } = await import('../login/oidc.js');
  const device = await startDeviceAuthorization(await idpConfig(ctx, name, profile), profile.scopes, name);
  const timeoutSeconds = opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  say(`lakekey: to log in for profile "${name}", visit ${device.verificationUri} on any device and enter the code ${device.userCode}`);
  if (device.verificationUriComplete) say(`lakekey: or open ${device.verificationUriComplete}`);
  say(`lakekey: waiting up to ${sayDuration(Math.min(device.expiresIn, timeoutSeconds))} (Ctrl-C to stop)...`);
  ctx.log.info('login.device-waiting', { profile: name });
  const tokens = await device.poll(AbortSignal.timeout(timeoutSeconds * 1000));
  // The session is stored under its lock (a profile sharing it may be refreshing it).
  return underSession(ctx, name, profile, opts, () => storeLogin(ctx, name, profile, { tokens }));
}

/** Saves what a login produced, replacing the previous session, then mints S3 credentials. */
async function storeLogin(
  ctx: Context,
  name: string,
  profile: Profile,
  { tokens, lakefsToken }: Redeemed,
  onReplaced: (text: string) => void = ctx.notice,
): Promise<SecretRecord> {
  const before = await readStored(ctx, name, profile);
  const previous = before.record;
  // A new login replaces the whole session: credentials of a previous user must not survive.
  let record: SecretRecord = { v: 1, updatedAt: ctx.clock.now() };
  if (tokens) {
    if (!tokens.claims)
      throw new LakekeyError('IDP_REFUSED', 'the identity provider returned no ID token', { hint: 'Make sure the profile requests the "openid" scope.' });
    record.idp = {
      subject: tokens.claims.sub,
      email: tokens.claims.email,
      name: tokens.claims.name,
      idToken: tokens.idToken,
      idTokenExpiresAt: tokens.idTokenExpiresAt,
      minted: idpMint(profile),
    };
    if (tokens.refreshToken) record.idp.refreshToken = tokens.refreshToken;
  }
  if (lakefsToken) {
    const lakefs = await import('../exchange/lakefs.js');
    record.lakefs = { ...lakefsToken, minted: lakefsMint(profile) };
    record.idp ??= { subject: lakefs.lakefsTokenSubject(lakefsToken.token) ?? 'unknown' };
    if (profile.lakefs?.lakectlCache) lakefs.writeLakectlCache(lakefsToken);
  }
  // The same user's S3 credentials, still valid and minted under the current settings, survive a
  // login until new ones are minted: a login whose STS call fails must not throw them away.
  if (
    previous.s3 &&
    previous.idp?.subject === record.idp?.subject &&
    changedS3(profile, previous.s3).length === 0 &&
    isServable(previous.s3, ctx.clock.now())
  ) {
    record.s3 = previous.s3;
  }
  // Another user at the same IdP: the previous user's session is logged out first.
  // The session goes to the item shared by every profile with these IdP settings (idp-session.ts).
  const account = tokens ? loginAccount(ctx.dir, profile) : undefined;
  if (anotherUser(profile, previous, record)) await endReplaced(ctx, name, profile, previous, record, onReplaced);
  if (account && record.idp) await writeSession(ctx, account, record.idp);
  await writeOwn(ctx, name, record, account);
  ctx.log.info('login.done', { profile: name, refreshToken: Boolean(tokens?.refreshToken), lakefs: Boolean(lakefsToken), shared: Boolean(account) });
  await revokeReplaced(ctx, name, profile, before, record);
  if (wantsS3(profile)) {
    record = { ...record, s3: await mintS3(ctx, name, profile, record), updatedAt: ctx.clock.now() };
    await writeOwn(ctx, name, record, account);
  }
  return record;
}

/** The login signed in someone else than the stored session's user at the same IdP settings (issuer and sub identify a user). */
function anotherUser(profile: Profile, previous: SecretRecord, now: SecretRecord): boolean {
  return Boolean(previous.idp && now.idp && changedIdp(profile, previous.idp).length === 0 && previous.idp.subject !== now.idp.subject);
}

/**
 * Logs the previous user's session out as `lakekey logout` would (logout.ts: its refresh token
 * revoked where the IdP offers it, lakectl's cache of its token removed) before this login's
 * session replaces it in the keychain, and says so: a login as someone else must not leave the
 * first user's session alive at the IdP with nothing here able to end it.
 */
async function endReplaced(
  ctx: Context,
  name: string,
  profile: Profile,
  previous: SecretRecord,
  now: SecretRecord,
  say: (text: string) => void,
): Promise<void> {
  const who = (idp: SecretRecord['idp']) => outside(idp?.email ?? idp?.subject ?? 'unknown user');
  const { revocation, lakectlCache } = await endSession(ctx, name, profile, previous);
  ctx.log.info('login.replaced-user', { profile: name, revocation: revocation.outcome, lakectlCache: Boolean(lakectlCache) });
  // Profiles sharing the sign-in move to the new user with it.
  const along = sharers(ctx, loginAccount(ctx.dir, profile), name);
  const also = along.length ? ` (and for ${sayProfiles(along)}, which share${along.length === 1 ? 's' : ''} its sign-in)` : '';
  const head = `lakekey: logged in to profile "${name}"${also} as ${who(now.idp)}; the previous session of ${who(previous.idp)} was logged out`;
  const cache = lakectlCache ? ` (and lakectl's token cache of it, ${lakectlCache}, removed)` : '';
  switch (revocation.outcome) {
    case 'revoked':
      return say(`${head}: revoked at the identity provider${cache}.`);
    case 'not-offered':
      return say(`${head} on this computer${cache}; the identity provider offers no revocation, so its refresh token stays valid there until it expires.`);
    case 'no-session':
      return say(`${head}${cache} (it had no refresh token to revoke).`);
    case 'failed':
      return say(
        `${head} on this computer${cache}, but revoking it at the identity provider failed: ${revocation.error.message}; it stays valid there until it expires.`,
      );
  }
}

/**
 * The session this login replaced, when it came from other IdP settings (`profile set --issuer`),
 * is revoked at the IdP it came from, and the user is told how that went: left alone, it would
 * stay valid there with nothing on this computer able to end it.
 */
async function revokeReplaced(
  ctx: Context,
  name: string,
  profile: Profile,
  before: { record: SecretRecord; account?: string },
  now: SecretRecord,
): Promise<void> {
  const old = before.record.idp;
  const changed = changedIdp(profile, old);
  if (!old?.refreshToken || !changed.length || old.refreshToken === now.idp?.refreshToken) return;
  const where = old.minted?.issuer ?? profile.issuer;
  // A shared session that other profiles' settings still name stays theirs.
  const still = sharers(ctx, before.account, name);
  if (still.length) {
    ctx.notice(`lakekey: the sign-in made before ${sayChanged(changed)} changed stays: ${sayProfiles(still)} still use${still.length === 1 ? 's' : ''} it.`);
    return;
  }
  if (before.account) await removeSession(ctx, before.account);
  const r = await revokeSession(ctx, name, profile, old);
  if (r.outcome === 'revoked') ctx.notice(`lakekey: the session made before ${sayChanged(changed)} changed was revoked at ${where}.`);
  else if (r.outcome === 'not-offered')
    ctx.notice(
      `lakekey: the session made before ${sayChanged(changed)} changed stays valid at ${where} until it expires (that identity provider offers no revocation).`,
    );
  else if (r.outcome === 'failed')
    ctx.notice(
      `lakekey: could not revoke the session made before ${sayChanged(changed)} changed at ${where}: ${r.error.message}; it stays valid there until it expires.`,
    );
}
