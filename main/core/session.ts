// The use cases the CLI and the tray share: log in, get S3 credentials (renewing silently when
// it can), log out, and report status. Hosts build a Context once and call these; nothing here
// parses flags or prints output beyond the user notices the host routes to stderr or the UI.
import type { Browser } from './browser.js';
import { asLakekeyError, LakekeyError, loginRequired } from './errors.js';
import { withLock } from './lock.js';
import type { Logger } from './log.js';
import { startLoopback } from './loopback.js';
import type { IdpSession, S3Credentials, SecretRecord } from './record.js';
import { secondsLeft } from './record.js';
import type { Profile } from './settings.js';
import type { Vault } from './vault.js';

export interface Context {
  /** Settings folder: locks live here. */
  dir: string;
  vault: Vault;
  log: Logger;
  browser: Browser;
  now(): number;
  /** A line for the person at the keyboard (stderr in the CLI, a notification in the tray). */
  notice(text: string): void;
}

export interface LoginOptions {
  noBrowser?: boolean;
  timeoutSeconds?: number;
}

export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;
/** An ID token with less than this left is not sent to STS. */
const MIN_ID_TOKEN_SECONDS = 60;

/** Interactive login (browser), then fresh S3 credentials if the profile wants them. */
export async function login(ctx: Context, name: string, profile: Profile, opts: LoginOptions = {}): Promise<SecretRecord> {
  const timeout = opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  return withLock(ctx.dir, name, { waitMs: (timeout + 30) * 1000 }, () => loginLocked(ctx, name, profile, opts));
}

async function loginLocked(ctx: Context, name: string, profile: Profile, opts: LoginOptions): Promise<SecretRecord> {
  const { discover, authorizationRequest, redeemCode } = await import('./oidc.js');
  const timeoutMs = (opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) * 1000;
  const config = await discover(profile);
  const receiver = await startLoopback(profile.redirectPort);
  let tokens;
  try {
    const request = await authorizationRequest(config, { redirectUri: receiver.redirectUri, scopes: profile.scopes });
    receiver.setAuthorizationUrl(request.url.href);
    const callback = receiver.waitForCallback(request.state, timeoutMs);
    const minutes = Math.round(timeoutMs / 60000);
    if (!opts.noBrowser && ctx.browser.available()) {
      try {
        await ctx.browser.open(receiver.launchUrl);
        ctx.notice(`lakekey: log in for profile "${name}" in the browser window that opened (waiting up to ${minutes} min; Ctrl-C to stop).`);
        ctx.notice(`lakekey: if no browser opened, visit ${receiver.launchUrl} on this computer.`);
      } catch (err) {
        ctx.notice(`lakekey: ${asLakekeyError(err).message.replace(/^unexpected error: /, '')}`);
        ctx.notice(`lakekey: to log in for profile "${name}", visit ${receiver.launchUrl} on this computer (waiting up to ${minutes} min).`);
      }
    } else {
      ctx.notice(`lakekey: to log in for profile "${name}", open ${receiver.launchUrl} in a browser on this computer (waiting up to ${minutes} min; Ctrl-C to stop).`);
    }
    ctx.log.info('login.waiting', { profile: name });
    const result = await callback;
    try {
      tokens = await redeemCode(config, result.url, request);
      result.respond({ status: 200, title: 'You are logged in', message: `lakekey has signed you in for profile "${name}". You can close this tab.` });
    } catch (err) {
      const e = asLakekeyError(err);
      result.respond({ status: 502, title: 'Login failed', message: `${e.message}. ${e.hint ?? ''}`.trim() });
      throw e;
    }
  } finally {
    await receiver.close();
  }
  if (!tokens.claims) throw new LakekeyError('IDP_REFUSED', 'the identity provider returned no ID token', { hint: 'Make sure the profile requests the "openid" scope.' });
  let record = await ctx.vault.read(name);
  const idp: IdpSession = { subject: tokens.claims.sub, email: tokens.claims.email, name: tokens.claims.name, idToken: tokens.idToken, idTokenExpiresAt: tokens.idTokenExpiresAt };
  if (tokens.refreshToken) idp.refreshToken = tokens.refreshToken;
  // A new login replaces the whole session: credentials of a previous user must not survive.
  record = { v: 1, idp, updatedAt: ctx.now() };
  await ctx.vault.write(name, record);
  ctx.log.info('login.done', { profile: name, refreshToken: Boolean(tokens.refreshToken) });
  if (profile.s3?.tokenSource === 'idp') {
    record = { ...record, s3: await mintS3(ctx, profile, idp, tokens.idToken), updatedAt: ctx.now() };
    await ctx.vault.write(name, record);
  }
  return record;
}

export interface S3Options {
  /** Whether a browser login may run when nothing else works. */
  interactive: boolean;
  loginTimeoutSeconds?: number;
}

/**
 * Valid S3 credentials for the profile, renewed when fewer than refreshBeforeSeconds remain.
 * Callers have already found the cached ones stale; this takes the lock and looks again.
 */
export async function getS3Credentials(ctx: Context, name: string, profile: Profile, opts: S3Options): Promise<S3Credentials> {
  const timeout = opts.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  return withLock(ctx.dir, name, { waitMs: (timeout + 30) * 1000 }, async () => {
    const record = await ctx.vault.read(name);
    if (secondsLeft(record.s3?.expiresAt, ctx.now()) > profile.refreshBeforeSeconds) return record.s3!;
    let needLogin: LakekeyError;
    try {
      return await renewS3Silently(ctx, name, profile, record);
    } catch (err) {
      const e = asLakekeyError(err);
      if (e.code !== 'LOGIN_REQUIRED') {
        if (e.exitCode === 5 && stillValid(ctx, record.s3)) {
          ctx.log.warn('s3.serve-cached', { profile: name, reason: e.code });
          ctx.notice(`lakekey: could not renew credentials (${e.message}); using the current ones, valid for ${minutesLeft(ctx, record.s3!)} more min.`);
          return record.s3!;
        }
        throw e;
      }
      needLogin = e;
    }
    if (opts.interactive && ctx.browser.available()) {
      const fresh = await loginLocked(ctx, name, profile, { timeoutSeconds: timeout });
      if (fresh.s3) return fresh.s3;
    }
    if (stillValid(ctx, record.s3)) {
      ctx.notice(`lakekey: ${needLogin.message}; the current credentials expire in ${minutesLeft(ctx, record.s3!)} min. ${needLogin.hint ?? ''}`.trim());
      return record.s3!;
    }
    throw needLogin;
  });
}

async function renewS3Silently(ctx: Context, name: string, profile: Profile, record: SecretRecord): Promise<S3Credentials> {
  if (!profile.s3) throw new LakekeyError('CONFIG', `profile "${name}" has no S3 settings`, { hint: `Add them with \`lakekey profile add ${name} --s3-sts-endpoint URL ...\`.` });
  if (profile.s3.tokenSource === 'lakefs') {
    throw new LakekeyError('CONFIG', 'S3 credentials through lakeFS are not available in this version', { hint: 'Use --s3-token-source idp.' });
  }
  const idp = record.idp;
  if (!idp) throw loginRequired(name, `profile "${name}" is not logged in`);
  let idToken: string | undefined;
  if (idp.refreshToken) {
    const { discover, refresh, isInvalidGrant } = await import('./oidc.js');
    const config = await discover(profile);
    let tokens;
    try {
      tokens = await refresh(config, idp.refreshToken);
    } catch (err) {
      if (!isInvalidGrant(err)) throw err;
      // The refresh token is dead (expired, revoked or rotated away): forget it.
      const { refreshToken: _dead, ...rest } = idp;
      await ctx.vault.write(name, { ...record, idp: rest, updatedAt: ctx.now() });
      throw loginRequired(name, 'your session at the identity provider has ended');
    }
    const next: IdpSession = { ...idp };
    if (tokens.refreshToken) next.refreshToken = tokens.refreshToken;
    if (tokens.idToken) {
      next.idToken = tokens.idToken;
      next.idTokenExpiresAt = tokens.idTokenExpiresAt;
    }
    record = { ...record, idp: next, updatedAt: ctx.now() };
    // Persist a rotated refresh token before anything else can fail.
    await ctx.vault.write(name, record);
    ctx.log.info('refresh.done', { profile: name, rotated: tokens.refreshToken !== undefined && tokens.refreshToken !== idp.refreshToken });
    idToken = tokens.idToken;
  }
  if (!idToken && idp.idToken && secondsLeft(idp.idTokenExpiresAt, ctx.now()) > MIN_ID_TOKEN_SECONDS) idToken = idp.idToken;
  if (!idToken) throw loginRequired(name, `profile "${name}" has no usable identity token`);
  const s3 = await mintS3(ctx, profile, record.idp!, idToken);
  await ctx.vault.write(name, { ...record, s3, updatedAt: ctx.now() });
  return s3;
}

async function mintS3(ctx: Context, profile: Profile, idp: IdpSession, webIdentityToken: string | undefined): Promise<S3Credentials> {
  const s3 = profile.s3!;
  if (!webIdentityToken) throw new LakekeyError('IDP_REFUSED', 'the identity provider returned no ID token for STS', { hint: 'Make sure the profile requests the "openid" scope.' });
  const { assumeRoleWithWebIdentity, defaultStsEndpoint, sessionName } = await import('./sts.js');
  const creds = await assumeRoleWithWebIdentity({
    endpoint: s3.stsEndpoint ?? defaultStsEndpoint(s3.region),
    region: s3.region,
    roleArn: s3.roleArn,
    webIdentityToken,
    sessionName: sessionName(idp.email ?? idp.subject),
    durationSeconds: s3.durationSeconds,
  });
  ctx.log.info('sts.done', { expiresAt: new Date(creds.expiresAt).toISOString() });
  return creds;
}

function stillValid(ctx: Context, s3: S3Credentials | undefined): boolean {
  return secondsLeft(s3?.expiresAt, ctx.now()) > 30;
}

function minutesLeft(ctx: Context, s3: S3Credentials): number {
  return Math.max(0, Math.floor(secondsLeft(s3.expiresAt, ctx.now()) / 60));
}

/** Forget the profile's secrets; revoke the refresh token at the IdP when it can. */
export async function logout(ctx: Context, name: string, profile: Profile): Promise<{ revoked: boolean }> {
  return withLock(ctx.dir, name, { waitMs: 30_000 }, async () => {
    const record = await ctx.vault.read(name);
    let revoked = false;
    if (record.idp?.refreshToken) {
      try {
        const { discover, revoke } = await import('./oidc.js');
        await revoke(await discover(profile), record.idp.refreshToken);
        revoked = true;
      } catch (err) {
        ctx.log.warn('logout.revoke-failed', { profile: name, code: asLakekeyError(err).code });
      }
    }
    await ctx.vault.remove(name);
    ctx.log.info('logout.done', { profile: name, revoked });
    return { revoked };
  });
}

export interface ProfileStatus {
  name: string;
  signedIn: boolean;
  subject?: string;
  email?: string;
  canRefresh: boolean;
  s3?: { expiresAt: string; secondsLeft: number };
  lakefs?: { expiresAt: string; secondsLeft: number };
}

/** What `status` and the tray show; never a secret. */
export function describe(name: string, record: SecretRecord, now: number): ProfileStatus {
  const status: ProfileStatus = { name, signedIn: Boolean(record.idp), canRefresh: Boolean(record.idp?.refreshToken) };
  if (record.idp) {
    status.subject = record.idp.subject;
    if (record.idp.email) status.email = record.idp.email;
  }
  if (record.s3) status.s3 = { expiresAt: new Date(record.s3.expiresAt).toISOString(), secondsLeft: Math.max(0, secondsLeft(record.s3.expiresAt, now)) };
  if (record.lakefs) status.lakefs = { expiresAt: new Date(record.lakefs.expiresAt).toISOString(), secondsLeft: Math.max(0, secondsLeft(record.lakefs.expiresAt, now)) };
  return status;
}
