// The IdP configuration a use case talks to: discovery through the Context's fetch, with the
// profile's client secret from the keychain for IdPs that require one (Google).
import type { Configuration } from 'openid-client';
import { LakekeyError } from '../errors.js';
import type { Profile } from '../config/settings.js';
import type { Context } from '../ports.js';

export async function idpConfig(ctx: Context, name: string, profile: Profile): Promise<Configuration> {
  const { discover } = await import('./oidc.js');
  return discover(profile, await clientSecretOf(ctx, name, profile), { fetch: ctx.fetch, timeoutMs: ctx.limits.httpTimeoutMs }, name);
}

/** The profile's client secret from the keychain, for IdPs that require one; else undefined. */
async function clientSecretOf(ctx: Context, name: string, profile: Profile): Promise<string | undefined> {
  if (!profile.clientSecret) return undefined;
  const secret = await ctx.vault.readClientSecret(name);
  if (!secret) {
    throw new LakekeyError('CONFIG', `profile "${name}" needs a client secret, and the keychain holds none for it`, {
      hint: `Store it again: \`lakekey profile set ${name} --client-secret -\` (reads it from stdin).`,
    });
  }
  ctx.secrets.register(secret);
  return secret;
}
