// "Current credentials, or renew": the one use case behind every consumer of S3 credentials —
// `credential-process`, `env`/`exec`, the tray's menu and the credentials endpoint. Read the
// keychain; credentials that are fresh and minted under the profile's current settings
// (minted-with.ts) are the answer. Only on a miss is the whole context composed (the OIDC
// client, the HTTP stack, the lock folder) and the renewal run under the profile's lock, where
// another process may already have renewed (renewal.ts). The hit path loads nothing else.
import { currentS3 } from '../keychain/minted-with.js';
import type { S3Credentials } from '../keychain/record.js';
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

export async function currentS3Credentials(deps: CurrentDeps, name: string, profile: Profile, opts: S3Options): Promise<S3Credentials> {
  if (!opts.force) {
    const cached = (await deps.vault.read(name)).s3;
    if (currentS3(profile, cached, deps.clock.now())) return cached;
  }
  const { getS3Credentials } = await import('./renewal.js');
  return getS3Credentials(await deps.context(), name, profile, opts);
}
