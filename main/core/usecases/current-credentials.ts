// "Current credentials, or renew": the one use case behind every consumer of S3 credentials and
// lakeFS tokens — `credential-process`, `env`/`exec`/`token`, the tray's scheduler and menu, and
// the credentials endpoint. Read the
// keychain; credentials that are fresh and minted under the profile's current settings
// (minted-with.ts) are the answer. Only on a miss is the whole context composed (the OIDC
// client, the HTTP stack, the lock folder) and the renewal run under the profile's lock, where
// another process may already have renewed (renewal.ts). The hit path loads nothing else.
import { currentLakefs, currentS3 } from '../keychain/minted-with.js';
import type { LakefsToken, S3Credentials } from '../keychain/record.js';
import { loginRequired } from '../errors.js';
import { sayClock } from '../../shared/duration.js';
import type { S3Options } from './renewal.js';
import type { Profile } from '../config/settings.js';
import type { Vault } from '../keychain/vault.js';
import type { Clock, Context } from '../ports.js';

export interface CurrentDeps {
  vault: Vault;
  clock: Clock;
  /** The full context, composed only when the cache misses. */
  context(): Context | Promise<Context>;
}

/** The deps of a host that has composed its Context already (the tray, the CLI's commands). */
export function fromContext(ctx: Context): CurrentDeps {
  return { vault: ctx.vault, clock: ctx.clock, context: () => ctx };
}

/** S3 credentials current for the profile's settings, or renewed (`force`: renewed whatever is stored). */
export async function currentS3Credentials(deps: CurrentDeps, name: string, profile: Profile, opts: S3Options): Promise<S3Credentials> {
  if (!opts.force) {
    const cached = (await deps.vault.read(name)).s3;
    if (currentS3(profile, cached, deps.clock.now())) return cached;
  }
  const { getS3Credentials } = await import('./renewal.js');
  return getS3Credentials(await deps.context(), name, profile, opts);
}

/**
 * A lakeFS token current for the profile's settings, or a new one (only a browser login makes one).
 * `renew: false` (a run no person started): the stored token when current, else LOGIN_REQUIRED
 * saying why, never a login and never the tray.
 */
export async function currentLakefsToken(deps: CurrentDeps, name: string, profile: Profile, opts: S3Options & { renew?: boolean }): Promise<LakefsToken> {
  if (!opts.force) {
    const cached = (await deps.vault.read(name)).lakefs;
    if (currentLakefs(profile, cached, deps.clock.now())) return cached;
    if (opts.renew === false) throw loginRequired(name, lakefsGone(cached, deps.clock.now()));
  }
  const { getLakefsToken } = await import('./renewal.js');
  return getLakefsToken(await deps.context(), name, profile, opts);
}

function lakefsGone(token: LakefsToken | undefined, now: number): string {
  if (!token) return 'there is no lakeFS token yet (only a browser login gets one)';
  const when = token.expiresAt > now ? `expires at ${sayClock(token.expiresAt)} local` : `expired at ${sayClock(token.expiresAt)} local`;
  return `the lakeFS token ${when} (only a browser login renews it)`;
}
