// `lakekey credential-process NAME` — the hot path. On a cache hit it parses arguments, reads
// the settings file, reads one keychain item, checks the expiry and prints: no network, no
// openid-client, no AWS SDK (DESIGN §5). Everything else (the composed Context included) is
// imported only on a miss; the hit uses the same vault limits and freshness rule it would.
import { systemClock, type Clock } from '../core/context.js';
import { limitsFromEnv } from '../core/env-limits.js';
import { usageError, configError } from '../core/errors.js';
import { chosenKeychain } from '../core/keychain-choice.js';
import { keychainVault } from '../core/keychain-vault.js';
import { checkedSettingsDir } from '../core/paths.js';
import { credentialProcessJson } from '../core/record.js';
import { getProfile, readSettings } from '../core/settings.js';
import { warn } from './output.js';
import { currentS3 } from '../core/minted-with.js';

export async function credentialProcess(args: string[], env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1 || name.startsWith('-')) throw usageError('usage: lakekey credential-process NAME');
  const dir = checkedSettingsDir(env);
  const settings = readSettings(dir);
  const profile = getProfile(settings, name, warn);
  if (!profile.s3) {
    throw configError(`profile "${name}" has no S3 settings`, `Add them with \`lakekey profile set ${name} --s3-sts-endpoint URL\` (and --s3-role-arn ARN for AWS).`);
  }
  const vault = keychainVault(limitsFromEnv(env), chosenKeychain(env, settings.keychain));
  let creds = (await vault.read(name)).s3;
  // Fresh, and minted under the profile's current settings (a changed role or endpoint re-mints).
  if (!currentS3(profile, creds, clock.now())) {
    const [{ compose }, { getS3Credentials }] = await Promise.all([import('./compose.js'), import('../core/session.js')]);
    creds = await getS3Credentials(compose(dir, env, vault, clock), name, profile, { interactive: true });
  }
  process.stdout.write(credentialProcessJson(creds) + '\n');
  return 0;
}
