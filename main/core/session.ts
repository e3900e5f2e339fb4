// The use cases the CLI and the tray share: log in, get S3 credentials (renewing silently when
// it can), log out, and report status. Hosts build a Context once and call these; nothing here
// parses flags or prints output beyond the user notices the host routes to stderr or the UI.
import type { Browser } from './browser.js';
import { asLakekeyError, ExitCode, LakekeyError, loginRequired } from './errors.js';
import { sayDuration } from './duration.js';
import { faultPoint } from './fault.js';
import { withLock } from './lock.js';
import type { Logger } from './log.js';
import { startLoopback } from './loopback.js';
import type { TokenSet } from './oidc.js';
import type { IdpSession, LakefsToken, S3Credentials, SecretRecord } from './record.js';
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
  /**
   * Where a person can read instructions even when stderr is captured (the AWS CLI captures a
   * credential_process helper's stderr): the controlling terminal. Absent when there is none.
   */
  terminal?: (text: string) => void;
  /** Ask a running tray app to run an interactive login (the CLI's path to the tray). */
  askTray?: (profile: string, timeoutMs: number) => Promise<'done' | 'no-tray'>;
}

export interface LoginOptions {
  noBrowser?: boolean;
  timeoutSeconds?: number;
}

export const DEFAULT_LOGIN_TIMEOUT_SECONDS = 300;
/** A token with less than this left is neither sent to STS nor handed out. */
export const MIN_TOKEN_SECONDS = 60;

/** Interactive login (browser), then fresh S3 credentials if the profile wants them. */
export async function login(ctx: Context, name: string, profile: Profile, opts: LoginOptions = {}): Promise<SecretRecord> {
  const timeout = opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  const asked = ctx.now();
  return withLock(ctx.dir, name, { waitMs: (timeout + 30) * 1000 }, async () => {
    // Another login for this profile finished while we waited for the lock: that session is as
    // fresh as ours would be, so use it rather than send the user through the browser again.
    const current = await ctx.vault.read(name);
    if (current.updatedAt >= asked && hasSessionFor(profile, current, ctx.now())) {
      ctx.notice(`lakekey: another login for profile "${name}" finished just now; using its session.`);
      return current;
    }
    return loginLocked(ctx, name, profile, opts);
  });
}

/** Whether `record` holds what a login of `profile` produces, still usable. */
function hasSessionFor(profile: Profile, record: SecretRecord, now: number): boolean {
  const idpOk = !grantsFor(profile).includes('idp') || Boolean(record.idp?.refreshToken || (record.idp?.idToken && secondsLeft(record.idp.idTokenExpiresAt, now) > MIN_TOKEN_SECONDS));
  const lakefsOk = !profile.lakefs || Boolean(record.lakefs && secondsLeft(record.lakefs.expiresAt, now) > MIN_TOKEN_SECONDS);
  return idpOk && lakefsOk && Boolean(record.idp || record.lakefs);
}

/** One authorization request in the login: ours (we redeem the code) or lakeFS's. */
type Grant = 'idp' | 'lakefs';

/** The grants a profile needs, in the order the browser tab visits them. */
export function grantsFor(profile: Profile): Grant[] {
  const grants: Grant[] = [];
  if (!profile.lakefs || profile.s3?.tokenSource === 'idp') grants.push('idp');
  if (profile.lakefs) grants.push('lakefs');
  return grants;
}

async function loginLocked(ctx: Context, name: string, profile: Profile, opts: LoginOptions): Promise<SecretRecord> {
  const { discover, authorizationRequest, redeemCode } = await import('./oidc.js');
  const lakefs = profile.lakefs ? await import('./lakefs.js') : undefined;
  const timeoutMs = (opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) * 1000;
  const config = await discover(profile, await clientSecretOf(ctx, name, profile));
  const receiver = await startLoopback(profile.redirectPort, { onRefused: (text) => ctx.notice(`lakekey: ${text}.`) });
  const grants = grantsFor(profile);
  let tokens: TokenSet | undefined;
  let lakefsToken: LakefsToken | undefined;
  try {
    const requestFor = (grant: Grant) =>
      grant === 'idp'
        ? authorizationRequest(config, { redirectUri: receiver.redirectUri, scopes: profile.scopes })
        : // lakeFS's leg needs no refresh token, so no offline_access (and no consent prompt).
          authorizationRequest(config, {
            redirectUri: receiver.redirectUri,
            scopes: profile.scopes.filter((s) => s !== 'offline_access'),
            stateFor: lakefs!.lakefsState,
            nonce: false,
          });
    let request = await requestFor(grants[0]);
    let callback = receiver.waitForCallback(request.state, timeoutMs);
    announce(ctx, name, receiver.launch(request.url.href), timeoutMs, opts);
    ctx.log.info('login.waiting', { profile: name, grants: grants.join('+') });
    for (let i = 0; i < grants.length; i++) {
      const result = await callback;
      try {
        if (grants[i] === 'idp') {
          tokens = await redeemCode(config, result.url, request);
        } else {
          lakefsToken = await lakefs!.stsLogin(profile.lakefs!.endpoint, {
            code: result.url.searchParams.get('code') ?? '',
            state: request.state,
            redirectUri: receiver.redirectUri,
            ttlSeconds: profile.lakefs!.ttlSeconds,
            // From our own leg of a combined login, when there is one: names the external id in a 404.
            ...(tokens?.claims?.sub ? { idpSubject: tokens.claims.sub } : {}),
          });
        }
        if (i + 1 < grants.length) {
          // Forward the same tab to the next authorization; the IdP session makes it silent.
          request = await requestFor(grants[i + 1]);
          callback = receiver.waitForCallback(request.state, timeoutMs);
          result.respond({ status: 302, title: 'Signing you in to lakeFS…', message: 'One more step; this tab continues by itself.', redirectTo: receiver.launch(request.url.href) });
        } else {
          result.respond({ status: 200, title: 'You are logged in', message: `lakekey has signed you in for profile "${name}". You can close this tab.` });
        }
      } catch (err) {
        const e = asLakekeyError(err);
        result.respond({ status: 502, title: 'Login failed', message: `${e.message}. ${e.hint ?? ''}`.trim() });
        throw e;
      }
    }
  } finally {
    await receiver.close();
  }
  return storeLogin(ctx, name, profile, tokens, lakefsToken);
}

/** The profile's client secret from the keychain, for IdPs that require one (Google); else undefined. */
async function clientSecretOf(ctx: Context, name: string, profile: Profile): Promise<string | undefined> {
  if (!profile.clientSecret) return undefined;
  const secret = await ctx.vault.readClientSecret(name);
  if (!secret) {
    throw new LakekeyError('CONFIG', `profile "${name}" needs a client secret, and the keychain holds none for it`, {
      hint: `Store it again: \`lakekey profile add ${name} ... --client-secret - --force\` (reads it from stdin).`,
    });
  }
  return secret;
}

/** Saves what a login produced, replacing the previous session, then mints S3 credentials. */
async function storeLogin(ctx: Context, name: string, profile: Profile, tokens: TokenSet | undefined, lakefsToken: LakefsToken | undefined): Promise<SecretRecord> {
  // A new login replaces the whole session: credentials of a previous user must not survive.
  let record: SecretRecord = { v: 1, updatedAt: ctx.now() };
  if (tokens) {
    if (!tokens.claims) throw new LakekeyError('IDP_REFUSED', 'the identity provider returned no ID token', { hint: 'Make sure the profile requests the "openid" scope.' });
    record.idp = { subject: tokens.claims.sub, email: tokens.claims.email, name: tokens.claims.name, idToken: tokens.idToken, idTokenExpiresAt: tokens.idTokenExpiresAt };
    if (tokens.refreshToken) record.idp.refreshToken = tokens.refreshToken;
  }
  if (lakefsToken) {
    const lakefs = await import('./lakefs.js');
    record.lakefs = lakefsToken;
    record.idp ??= { subject: lakefs.lakefsTokenSubject(lakefsToken.token) ?? 'unknown' };
    if (profile.lakefs?.lakectlCache) lakefs.writeLakectlCache(lakefsToken);
  }
  await ctx.vault.write(name, record);
  ctx.log.info('login.done', { profile: name, refreshToken: Boolean(tokens?.refreshToken), lakefs: Boolean(lakefsToken) });
  if (profile.s3) {
    record = { ...record, s3: await mintS3(ctx, profile, record), updatedAt: ctx.now() };
    await ctx.vault.write(name, record);
  }
  return record;
}

/** RFC 8628 device login, for a terminal with no browser: the user finishes it on any device. */
export async function deviceLogin(ctx: Context, name: string, profile: Profile, opts: LoginOptions = {}): Promise<SecretRecord> {
  const timeout = opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  return withLock(ctx.dir, name, { waitMs: (timeout + 30) * 1000 }, () => deviceLoginLocked(ctx, name, profile, opts));
}

async function deviceLoginLocked(ctx: Context, name: string, profile: Profile, opts: LoginOptions, say: (text: string) => void = ctx.notice): Promise<SecretRecord> {
  if (profile.lakefs) {
    throw new LakekeyError('CONFIG', 'lakeFS tokens need a browser login: lakeFS redeems an authorization code, which the device login does not produce', {
      hint: `Run \`lakekey login ${name}\` on a machine with a browser.`,
    });
  }
  const { discover, startDeviceAuthorization } = await import('./oidc.js');
  const device = await startDeviceAuthorization(await discover(profile, await clientSecretOf(ctx, name, profile)), profile.scopes);
  const wait = sayDuration(Math.min(device.expiresIn, opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS));
  say(`lakekey: to log in for profile "${name}", visit ${device.verificationUri} on any device and enter the code ${device.userCode}`);
  if (device.verificationUriComplete) say(`lakekey: or open ${device.verificationUriComplete}`);
  say(`lakekey: waiting up to ${wait} (Ctrl-C to stop)...`);
  ctx.log.info('login.device-waiting', { profile: name });
  const signal = AbortSignal.timeout((opts.timeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS) * 1000);
  const tokens = await device.poll(signal);
  return storeLogin(ctx, name, profile, tokens, undefined);
}

function announce(ctx: Context, name: string, launchUrl: string, timeoutMs: number, opts: LoginOptions): void {
  const wait = sayDuration(timeoutMs / 1000);
  if (!opts.noBrowser && ctx.browser.available()) {
    ctx.browser.open(launchUrl).then(
      () => {
        ctx.notice(`lakekey: log in for profile "${name}" in the browser window that opened (waiting up to ${wait}; Ctrl-C to stop).`);
        ctx.notice(`lakekey: if no browser opened, visit ${launchUrl} on this computer.`);
      },
      (err: unknown) => {
        ctx.notice(`lakekey: ${asLakekeyError(err).message.replace(/^unexpected error: /, '')}.`);
        ctx.notice('lakekey: check LAKEKEY_BROWSER, or your desktop\'s default web browser setting.');
        ctx.notice(`lakekey: meanwhile, open ${launchUrl} in a browser on this computer (waiting up to ${wait}; Ctrl-C to stop).`);
      },
    );
  } else {
    ctx.notice(`lakekey: to log in for profile "${name}", open ${launchUrl} in a browser on this computer (waiting up to ${wait}; Ctrl-C to stop).`);
    ctx.notice(`lakekey: on a remote machine (SSH), stop this and run \`lakekey login ${name} --device\` instead.`);
  }
}

export interface S3Options {
  /** Whether a browser login may run when nothing else works. */
  interactive: boolean;
  loginTimeoutSeconds?: number;
  /** Renew even if the current credentials are fresh ("Refresh now"). */
  force?: boolean;
}

/**
 * Valid S3 credentials for the profile, renewed when fewer than refreshBeforeSeconds remain.
 * Callers have already found the cached ones stale; this takes the lock and looks again.
 */
export async function getS3Credentials(ctx: Context, name: string, profile: Profile, opts: S3Options): Promise<S3Credentials> {
  const timeout = opts.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  const lockWait = { waitMs: (timeout + 30) * 1000 };
  const fresh = (s3: S3Credentials | undefined) => secondsLeft(s3?.expiresAt, ctx.now()) > profile.refreshBeforeSeconds;
  const silent = await withLock(ctx.dir, name, lockWait, async (): Promise<S3Credentials | LakekeyError> => {
    const record = await ctx.vault.read(name);
    if (!opts.force && fresh(record.s3)) return record.s3!;
    try {
      return await renewS3Silently(ctx, name, profile, record);
    } catch (err) {
      const e = asLakekeyError(err);
      if (e.code === 'LOGIN_REQUIRED') return e;
      if (e.exitCode === ExitCode.remote && stillValid(ctx, record.s3)) {
        ctx.log.warn('s3.serve-cached', { profile: name, reason: e.code });
        ctx.notice(`lakekey: could not renew credentials (${e.message}); using the current ones, valid for ${minutesLeft(ctx, record.s3!)} more min.`);
        return record.s3!;
      }
      throw e;
    }
  });
  if (!(silent instanceof LakekeyError)) return silent;
  await askTray(ctx, name, opts);
  return withLock(ctx.dir, name, lockWait, async () => {
    // The tray, or another process, may have logged in while we were not holding the lock.
    const record = await ctx.vault.read(name);
    if (fresh(record.s3)) return record.s3!;
    const loggedIn = await interactiveLogin(ctx, name, profile, opts, timeout);
    if (loggedIn?.s3) return loggedIn.s3;
    if (stillValid(ctx, record.s3)) {
      ctx.notice(`lakekey: ${silent.message}; the current credentials expire in ${minutesLeft(ctx, record.s3!)} min. ${silent.hint ?? ''}`.trim());
      return record.s3!;
    }
    throw silent;
  });
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
async function interactiveLogin(ctx: Context, name: string, profile: Profile, opts: S3Options, timeout: number): Promise<SecretRecord | undefined> {
  if (!opts.interactive) return undefined;
  if (ctx.browser.available()) return loginLocked(ctx, name, profile, { timeoutSeconds: timeout });
  if (ctx.terminal && !profile.lakefs) return deviceLoginLocked(ctx, name, profile, { timeoutSeconds: timeout }, ctx.terminal);
  return undefined;
}

async function renewS3Silently(ctx: Context, name: string, profile: Profile, record: SecretRecord): Promise<S3Credentials> {
  if (!profile.s3) throw new LakekeyError('CONFIG', `profile "${name}" has no S3 settings`, { hint: `Add them with \`lakekey profile add ${name} --s3-sts-endpoint URL ... --force\`.` });
  if (profile.s3.tokenSource === 'lakefs') {
    if (secondsLeft(record.lakefs?.expiresAt, ctx.now()) <= MIN_TOKEN_SECONDS) {
      throw loginRequired(name, 'the lakeFS token has expired (lakeFS tokens are renewed only by a browser login)');
    }
  } else {
    record = await refreshIdp(ctx, name, profile, record);
  }
  const s3 = await mintS3(ctx, profile, record);
  faultPoint('after-sts');
  await ctx.vault.write(name, { ...record, s3, updatedAt: ctx.now() });
  return s3;
}

/** Renews the ID token with the refresh token, persisting a rotated refresh token at once. */
async function refreshIdp(ctx: Context, name: string, profile: Profile, record: SecretRecord): Promise<SecretRecord> {
  const idp = record.idp;
  if (!idp) throw loginRequired(name, `profile "${name}" is not logged in`);
  if (!idp.refreshToken) {
    if (idp.idToken && secondsLeft(idp.idTokenExpiresAt, ctx.now()) > MIN_TOKEN_SECONDS) return record;
    throw loginRequired(name, `profile "${name}" has no usable identity token`);
  }
  const { discover, refresh, isInvalidGrant } = await import('./oidc.js');
  const config = await discover(profile, await clientSecretOf(ctx, name, profile));
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
  const updated = { ...record, idp: next, updatedAt: ctx.now() };
  // Persist a rotated refresh token before anything else can fail.
  await ctx.vault.write(name, updated);
  faultPoint('after-refresh-stored');
  ctx.log.info('refresh.done', { profile: name, rotated: tokens.refreshToken !== undefined && tokens.refreshToken !== idp.refreshToken });
  if (!tokens.idToken && secondsLeft(idp.idTokenExpiresAt, ctx.now()) <= MIN_TOKEN_SECONDS) {
    throw new LakekeyError('IDP_REFUSED', 'the identity provider refreshed the session but returned no ID token', { hint: 'Make sure the profile requests the "openid" scope.' });
  }
  return updated;
}

/** STS AssumeRoleWithWebIdentity with the ID token (AWS, MinIO) or the lakeFS token (lakeFS). */
async function mintS3(ctx: Context, profile: Profile, record: SecretRecord): Promise<S3Credentials> {
  const s3 = profile.s3!;
  const { assumeRoleWithWebIdentity, defaultStsEndpoint, sessionName } = await import('./sts.js');
  let endpoint = s3.stsEndpoint ?? defaultStsEndpoint(s3.region);
  let webIdentityToken = record.idp?.idToken;
  let what = 'STS';
  let roleArn = s3.roleArn;
  if (s3.tokenSource === 'lakefs') {
    const { lakefsServerUrl, LAKEFS_DEFAULT_ROLE_ARN } = await import('./lakefs.js');
    endpoint = s3.stsEndpoint ?? lakefsServerUrl(profile.lakefs!.endpoint);
    roleArn ??= LAKEFS_DEFAULT_ROLE_ARN;
    webIdentityToken = record.lakefs?.token;
    what = 'lakeFS STS';
  }
  if (!webIdentityToken) throw new LakekeyError('IDP_REFUSED', 'no identity token to exchange for S3 credentials', { hint: 'Log in again; make sure the profile requests the "openid" scope.' });
  const creds = await assumeRoleWithWebIdentity(
    { endpoint, region: s3.region, roleArn, webIdentityToken, sessionName: sessionName(record.idp?.email ?? record.idp?.subject), durationSeconds: s3.durationSeconds },
    what,
  );
  ctx.log.info('sts.done', { source: s3.tokenSource, expiresAt: new Date(creds.expiresAt).toISOString() });
  return creds;
}

/** A valid lakeFS token, renewed through a browser login when allowed and needed. */
export async function getLakefsToken(ctx: Context, name: string, profile: Profile, opts: S3Options): Promise<LakefsToken> {
  if (!profile.lakefs) throw new LakekeyError('CONFIG', `profile "${name}" has no lakeFS endpoint`, { hint: `Add one with \`lakekey profile add ${name} ... --lakefs-endpoint URL --force\`.` });
  const timeout = opts.loginTimeoutSeconds ?? DEFAULT_LOGIN_TIMEOUT_SECONDS;
  const usable = (t: LakefsToken | undefined) => secondsLeft(t?.expiresAt, ctx.now()) > MIN_TOKEN_SECONDS;
  const current = await ctx.vault.read(name);
  if (!opts.force && usable(current.lakefs)) return current.lakefs!;
  await askTray(ctx, name, opts);
  return withLock(ctx.dir, name, { waitMs: (timeout + 30) * 1000 }, async () => {
    const record = await ctx.vault.read(name);
    if (usable(record.lakefs) && (!opts.force || record.lakefs!.token !== current.lakefs?.token)) return record.lakefs!;
    if (opts.interactive && ctx.browser.available()) {
      const fresh = await loginLocked(ctx, name, profile, { timeoutSeconds: timeout });
      if (fresh.lakefs) return fresh.lakefs;
    }
    throw loginRequired(name, record.lakefs ? 'the lakeFS token has expired (lakeFS tokens are renewed only by a browser login)' : `profile "${name}" has no lakeFS token`);
  });
}


function stillValid(ctx: Context, s3: S3Credentials | undefined): boolean {
  return secondsLeft(s3?.expiresAt, ctx.now()) > 30;
}

function minutesLeft(ctx: Context, s3: S3Credentials): number {
  return Math.max(0, Math.floor(secondsLeft(s3.expiresAt, ctx.now()) / 60));
}

/** Forget the profile's secrets; revoke the refresh token at the IdP when it can. */
/** What happened to the session at the IdP when it was forgotten here. */
export type Revocation =
  | { outcome: 'revoked' }
  | { outcome: 'not-offered' }
  | { outcome: 'failed'; error: LakekeyError }
  | { outcome: 'no-session' };

/**
 * Forgets the profile's session (the keychain item goes, whatever happens at the IdP) after
 * revoking its refresh token where the IdP offers revocation. The result says which of those
 * happened; callers must not claim a revocation that did not.
 */
export async function logout(ctx: Context, name: string, profile: Profile): Promise<Revocation> {
  return withLock(ctx.dir, name, { waitMs: 30_000 }, async () => {
    const record = await ctx.vault.read(name);
    let result: Revocation = { outcome: 'no-session' };
    if (record.idp?.refreshToken) {
      try {
        const { discover, revoke } = await import('./oidc.js');
        result = { outcome: await revoke(await discover(profile, await clientSecretOf(ctx, name, profile)), record.idp.refreshToken) };
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
