// Renewal: valid S3 credentials or a lakeFS token for a profile, renewed silently with the
// refresh token when it can be, through the tray or a browser (or device) login when allowed and
// needed, and the current credentials served when renewal fails for reasons outside our control.
//
// While the cached S3 credentials could still be served, a renewal costs a command little when
// the network is bad: its requests are bounded by the short earlyRenewalTimeoutMs instead of the
// full HTTP timeout, and after it fails outside our control (exit 5) the failure is recorded for
// every process (the Context's failures port: renewal-failures.ts) and, for renewalCooldownMs, callers serve the cached
// credentials at once without trying again. Neither applies to a forced renewal ("Refresh now",
// the tray's scheduler), nor once the cached credentials expire within the cool-down.
import { asLakekeyError, ExitCode, LakekeyError, loginRequired, noLakefsSettings, noS3Settings } from '../errors.js';
import { faultPoint } from '../fault.js';
import { withShorterTimeout } from '../net/fetch-deadline.js';
import { idpConfig } from '../login/idp-config.js';
import { deviceLoginLocked, LOGIN, loginLocked } from './login.js';
import { mintS3, wantsS3 } from '../exchange/mint-s3.js';
import type { IdpSession, LakefsToken, S3Credentials, SecretRecord } from '../keychain/record.js';
import { inCooldown } from './renewal-cooldown.js';
import type { Profile, S3Settings } from '../config/settings.js';
import { sayDuration, sayValidity } from '../../shared/duration.js';
import { hasMoreThan, hasUsableIdToken, isServable, isUsable, SERVE_CACHED_MIN_SECONDS, type Checked } from '../../shared/freshness.js';
import { changedIdp, changedLakefs, changedS3, currentLakefs, currentS3, sayChanged } from '../keychain/minted-with.js';
import type { Context, LockHolder, LockOptions } from '../ports.js';
import { DEFAULT_LOGIN_TIMEOUT_SECONDS, lockWait } from '../../shared/limits.js';
import { readSession, withSession, withSessionLock, writeOwn, writeSession, type Stored } from './idp-session.js';

export interface S3Options {
  /** Whether a browser login may run when nothing else works. */
  interactive: boolean;
  loginTimeoutSeconds?: number;
  /** Renew even if the current credentials are fresh ("Refresh now"). */
  force?: boolean;
  /**
   * false (the credentials endpoint, whose SDK clients must never hang on a person): a login
   * holding the profile's lock, in this process or another, is not waited for — the current
   * credentials are served while still valid, else LOGIN_REQUIRED says at once that a login is in
   * progress. Anyone else holding it (a renewal, a logout) is waited for as usual.
   */
  waitForLogin?: boolean;
}

/**
 * Valid S3 credentials for the profile, renewed when fewer than refreshBeforeSeconds remain.
 * Callers have already found the cached ones stale; this takes the lock and looks again.
 */
export async function getS3Credentials(ctx: Context, name: string, profile: Profile, opts: S3Options): Promise<S3Credentials> {
  if (!wantsS3(profile)) throw noS3Settings(name);
  // When this call began: a shared IdP session refreshed since (by another profile) is used as it is.
  const asked = ctx.clock.now();
  const wait = lockWait(opts.loginTimeoutSeconds);
  const fresh = (s3: S3Credentials | undefined): s3 is Checked<S3Credentials> => currentS3(profile, s3, ctx.clock.now());
  // In a cool-down, serve without waiting for the lock: a renewal in progress may hold it.
  const cooled = opts.force ? undefined : await servedInCooldown(ctx, name, profile);
  if (cooled) return cooled;
  const silent = await profileLock(ctx, name, profile, opts, wait, async (): Promise<S3Credentials | LakekeyError> => {
    const own = await ctx.vault.read(name);
    if (!opts.force && fresh(own.s3)) return own.s3;
    // Only a renewal needs the IdP session (from the profile's item, or the shared one).
    const stored = await withSession(ctx, profile, own);
    const { record } = stored;
    const cached = record.s3;
    const servable = isServable(cached, ctx.clock.now()) && changedS3(profile, cached).length === 0;
    if (!opts.force) {
      // Another process may have failed while we waited for the lock.
      const cooledNow = await servedInCooldown(ctx, name, profile, record);
      if (cooledNow) return cooledNow;
    }
    try {
      const s3 = await renewS3Silently(servable && !opts.force ? early(ctx) : ctx, name, profile, stored, { ...wait, asked });
      ctx.failures.clear(name);
      return s3;
    } catch (err) {
      const e = asLakekeyError(err);
      if (e.exitCode === ExitCode.remote) noteFailure(ctx, name, e);
      if (e.code === 'LOGIN_REQUIRED') return e;
      if (e.exitCode === ExitCode.remote && servable) {
        ctx.log.warn('s3.serve-cached', { profile: name, reason: e.code });
        const now = ctx.clock.now();
        const pause = outlastsCooldown(ctx, cached, now) ? `; lakekey tries again after ${sayDuration(ctx.limits.renewalCooldownMs / 1000)}` : '';
        ctx.notice(`lakekey: could not renew credentials (${e.message}); using the current ones, ${sayValidity(cached.expiresAt, now)}${pause}.`);
        return cached;
      }
      throw e;
    }
  });
  if (!(silent instanceof LakekeyError)) return silent;
  await askTray(ctx, name, opts);
  return profileLock(ctx, name, profile, opts, wait, async () => {
    // The tray, or another process, may have logged in while we were not holding the lock.
    const record = await ctx.vault.read(name);
    if (fresh(record.s3)) return record.s3;
    const loggedIn = await interactiveLogin(ctx, name, profile, opts, asked);
    if (loggedIn?.s3) return loggedIn.s3;
    const cached = record.s3;
    if (isServable(cached, ctx.clock.now()) && changedS3(profile, cached).length === 0) {
      ctx.notice(`lakekey: ${silent.message}; the current credentials are ${sayValidity(cached.expiresAt, ctx.clock.now())}. ${silent.hint ?? ''}`.trim());
      return cached;
    }
    throw silent;
  });
}

/** How often a caller that does not wait for a login looks again at what the lock's holder is doing. */
const HOLDER_CHECK_MS = 250;

/**
 * Runs `fn` holding the profile's lock, waiting for it as `wait` says. A caller that does not wait
 * for a login (opts.waitForLogin false) waits in short rounds, reading between them what the
 * holder says it does (a renewal that turns into a login says so in the lock file): once that is
 * a login, it stops waiting — the current credentials when still valid, else LOGIN_REQUIRED.
 */
async function profileLock<T>(
  ctx: Context,
  name: string,
  profile: Profile,
  opts: S3Options,
  wait: LockOptions,
  fn: () => Promise<T>,
): Promise<T | S3Credentials> {
  if (opts.waitForLogin !== false) return ctx.locks.withLock(name, wait, fn);
  const deadline = ctx.clock.now() + wait.waitMs;
  for (;;) {
    let holder: LockHolder | undefined;
    let held = false;
    const round = Math.max(0, Math.min(HOLDER_CHECK_MS, deadline - ctx.clock.now()));
    try {
      return await ctx.locks.withLock(name, { ...wait, waitMs: round, onWait: (h) => (holder = h) }, () => {
        held = true;
        return fn();
      });
    } catch (err) {
      // Only this round's wait for the profile's lock ends here: fn's own errors (and its own locks') go on.
      if (held || !(err instanceof LakekeyError && err.code === 'LOCK_TIMEOUT') || ctx.clock.now() >= deadline) throw err;
    }
    if (holder?.purpose !== LOGIN) continue;
    const cached = (await ctx.vault.read(name)).s3;
    if (isServable(cached, ctx.clock.now()) && changedS3(profile, cached).length === 0) {
      ctx.log.info('s3.serve-cached', { profile: name, reason: 'LOGIN_IN_PROGRESS' });
      return cached;
    }
    const who = holder.pid ? ` (process ${holder.pid})` : '';
    throw new LakekeyError('LOGIN_REQUIRED', `a login for profile "${name}" is in progress${who}`, {
      hint: 'Finish it in the browser (or on the device) it opened; the credentials are served as soon as it ends.',
    });
  }
}

/**
 * The cached credentials, when a renewal failed outside our control within the cool-down (in
 * this process or another) and they stay valid past a whole cool-down; else undefined, and the
 * caller renews. Said once, by the renewal that failed; serving them here is only logged.
 */
async function servedInCooldown(ctx: Context, name: string, profile: Profile, record?: SecretRecord): Promise<S3Credentials | undefined> {
  const failure = ctx.failures.read(name);
  if (!inCooldown(failure, ctx.clock.now(), ctx.limits.renewalCooldownMs)) return undefined;
  const cached = (record ?? (await ctx.vault.read(name))).s3;
  if (!outlastsCooldown(ctx, cached, ctx.clock.now()) || changedS3(profile, cached).length) return undefined;
  ctx.log.info('s3.serve-cached', { profile: name, reason: failure.code, cooldown: true });
  return cached;
}

/** Still servable after a whole cool-down from now: credentials that expire sooner are due now, outage or not. */
function outlastsCooldown(ctx: Context, s3: S3Credentials | undefined, now: number): s3 is Checked<S3Credentials> {
  return hasMoreThan(s3, now, ctx.limits.renewalCooldownMs / 1000 + SERVE_CACHED_MIN_SECONDS);
}

/** Records a renewal that failed outside our control, for the cool-down; a file that cannot be written only costs the cool-down. */
function noteFailure(ctx: Context, name: string, e: LakekeyError): void {
  try {
    ctx.failures.record(name, { at: ctx.clock.now(), code: e.code });
  } catch (err) {
    ctx.log.warn('renewal.cooldown-unrecorded', { profile: name, error: (err as NodeJS.ErrnoException).code ?? 'error' });
  }
}

/** The Context for a renewal that may fall back on still-valid credentials: its requests get the short timeout. */
function early(ctx: Context): Context {
  const timeoutMs = ctx.limits.earlyRenewalTimeoutMs;
  if (timeoutMs >= ctx.limits.httpTimeoutMs) return ctx;
  return { ...ctx, limits: { ...ctx.limits, httpTimeoutMs: timeoutMs }, fetch: withShorterTimeout(ctx.fetch, timeoutMs) };
}

/**
 * When a login is needed and a person may be asked, let a running tray app run it (one login
 * per profile, whoever asks). Called outside the profile lock: the tray's login takes it.
 */
async function askTray(ctx: Context, name: string, opts: S3Options): Promise<void> {
  if (!opts.interactive || !ctx.askTray) return;
  const answer = await ctx.askTray(name, (opts.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) * 1000);
  ctx.log.info('login.via-tray', { profile: name, answer });
}

/** The login a caller may run when silent renewal is impossible: browser first, else device code on a terminal. */
async function interactiveLogin(ctx: Context, name: string, profile: Profile, opts: S3Options, asked: number): Promise<SecretRecord | undefined> {
  if (!opts.interactive) return undefined;
  const timeoutSeconds = opts.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  // A profile sharing the sign-in may have logged in since this call began: loginLocked uses that login.
  if (ctx.browser.available()) return loginLocked(ctx, name, profile, { timeoutSeconds }, asked);
  if (ctx.terminal && !profile.lakefs) return deviceLoginLocked(ctx, name, profile, { timeoutSeconds }, ctx.terminal);
  return undefined;
}

/** How the shared IdP session's lock is waited for, and since when a refresh by another profile counts as ours. */
type SessionWait = LockOptions & { asked: number };

async function renewS3Silently(
  ctx: Context,
  name: string,
  profile: Profile & { s3: S3Settings },
  { record, account }: Stored,
  wait: SessionWait,
): Promise<S3Credentials> {
  if (profile.s3.tokenSource === 'lakefs') {
    const changed = changedLakefs(profile, record.lakefs);
    if (changed.length) throw loginRequired(name, `the lakeFS token was issued before ${sayChanged(changed)} changed`);
    if (!isUsable(record.lakefs, ctx.clock.now())) {
      throw loginRequired(name, 'the lakeFS token has expired (lakeFS tokens are renewed only by a browser login)');
    }
  } else if (account) {
    // A shared session: one refresh at a time, and one that another profile made since this call began is used as it is.
    record = await withSessionLock(ctx, account, wait, async () => {
      const shared = await readSession(ctx, account);
      const now = { ...record, ...(shared.idp ? { idp: shared.idp } : {}) };
      if (shared.idp && shared.updatedAt >= wait.asked && changedIdp(profile, shared.idp).length === 0 && hasUsableIdToken(shared.idp, ctx.clock.now())) {
        ctx.log.info('refresh.shared', { profile: name });
        return now;
      }
      return refreshIdp(ctx, name, profile, shared.idp ? now : { ...record, idp: undefined }, (idp) => writeSession(ctx, account, idp));
    });
  } else {
    record = await refreshIdp(ctx, name, profile, record, (idp) => writeOwn(ctx, name, { ...record, idp, updatedAt: ctx.clock.now() }, undefined));
  }
  const s3 = await mintS3(ctx, name, profile, record);
  faultPoint('after-sts');
  await writeOwn(ctx, name, { ...record, s3, updatedAt: ctx.clock.now() }, account);
  return s3;
}

/**
 * Renews the ID token with the refresh token, persisting a rotated refresh token at once through
 * `store` (the shared session's item, or the profile's own).
 */
async function refreshIdp(
  ctx: Context,
  name: string,
  profile: Profile,
  record: SecretRecord,
  store: (idp: IdpSession) => Promise<void>,
): Promise<SecretRecord> {
  const idp = record.idp;
  if (!idp) throw loginRequired(name, `profile "${name}" is not logged in`);
  // Never send a refresh token to an IdP (or as a client) other than the one that issued it.
  const changed = changedIdp(profile, idp);
  if (changed.length) throw loginRequired(name, `the session was made before ${sayChanged(changed)} changed`);
  if (!idp.refreshToken) {
    if (hasUsableIdToken(idp, ctx.clock.now())) return record;
    throw loginRequired(name, `profile "${name}" has no usable identity token`);
  }
  const { refresh, isInvalidGrant } = await import('../login/oidc.js');
  const config = await idpConfig(ctx, name, profile);
  let tokens;
  try {
    tokens = await refresh(config, idp.refreshToken);
  } catch (err) {
    if (!isInvalidGrant(err)) throw err;
    // The refresh token is dead (expired, revoked or rotated away): forget it.
    const { refreshToken: _dead, ...rest } = idp;
    await store(rest);
    throw loginRequired(name, 'your session at the identity provider has ended');
  }
  faultPoint('after-idp-grant');
  if (tokens.claims && tokens.claims.sub !== idp.subject) {
    // OIDC Core §12.2: a refreshed ID token must be for the same user. Keep the record as it was.
    throw new LakekeyError('IDP_REFUSED', 'the identity provider refused the refresh: it answered with an ID token for a different user', {
      hint: `Run \`lakekey login ${name}\` to sign in again as the right user.`,
    });
  }
  const next: IdpSession = { ...idp };
  if (tokens.refreshToken) next.refreshToken = tokens.refreshToken;
  if (tokens.idToken) {
    next.idToken = tokens.idToken;
    next.idTokenExpiresAt = tokens.idTokenExpiresAt;
  }
  const updated = { ...record, idp: next, updatedAt: ctx.clock.now() };
  // Persist a rotated refresh token before anything else can fail.
  await store(next);
  faultPoint('after-refresh-stored');
  ctx.log.info('refresh.done', { profile: name, rotated: tokens.refreshToken !== undefined && tokens.refreshToken !== idp.refreshToken });
  if (!tokens.idToken && !hasUsableIdToken(idp, ctx.clock.now())) {
    throw new LakekeyError('IDP_REFUSED', 'the identity provider refreshed the session but returned no ID token', {
      hint: 'Make sure the profile requests the "openid" scope.',
    });
  }
  return updated;
}

/** A valid lakeFS token, renewed through a browser login when allowed and needed. */
export async function getLakefsToken(ctx: Context, name: string, profile: Profile, opts: S3Options): Promise<LakefsToken> {
  if (!profile.lakefs) throw noLakefsSettings(name);
  const usable = (t: LakefsToken | undefined): t is Checked<LakefsToken> => currentLakefs(profile, t, ctx.clock.now());
  // Called on a miss (current-credentials.ts); under force, the token it must not hand back again.
  const current = opts.force ? await ctx.vault.read(name) : undefined;
  await askTray(ctx, name, opts);
  return ctx.locks.withLock(name, lockWait(opts.loginTimeoutSeconds), async () => {
    const record = await ctx.vault.read(name);
    if (usable(record.lakefs) && (!opts.force || record.lakefs.token !== current?.lakefs?.token)) return record.lakefs;
    if (opts.interactive && ctx.browser.available()) {
      const fresh = await loginLocked(ctx, name, profile, { timeoutSeconds: opts.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS });
      if (fresh.lakefs) return fresh.lakefs;
    }
    const changed = changedLakefs(profile, record.lakefs);
    throw loginRequired(
      name,
      !record.lakefs
        ? `profile "${name}" has no lakeFS token`
        : changed.length
          ? `the lakeFS token was issued before ${sayChanged(changed)} changed`
          : 'the lakeFS token has expired (lakeFS tokens are renewed only by a browser login)',
    );
  });
}
