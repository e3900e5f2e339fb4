// `lakekey credential-process NAME` — the hot path. On a cache hit it parses arguments, reads
// the settings file, reads one keychain item, checks the expiry and prints: no network, no
// openid-client, no AWS SDK (DESIGN §5). Everything else (the composed Context included) is
// imported only on a miss; the hit uses the same vault limits and freshness rule it would.
import { limitsFromEnv } from '../core/config/env-limits.js';
import { usageError, noS3Settings } from '../core/errors.js';
import { chosenKeychain } from '../core/keychain/keychain-choice.js';
import { keychainVault } from '../core/keychain/keychain-vault.js';
import { checkedSettingsDir } from '../core/config/paths.js';
import { credentialProcessJson } from '../core/keychain/record.js';
import { getProfile, readSettings } from '../core/config/settings.js';
import { warn, writeOut } from './output.js';
import { currentS3Credentials } from '../core/usecases/current-credentials.js';
import { systemClock } from '../core/clock.js';
import type { Clock } from '../core/ports.js';

export async function credentialProcess(args: string[], env: NodeJS.ProcessEnv = process.env, clock: Clock = systemClock): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1 || name.startsWith('-')) throw usageError('usage: lakekey credential-process NAME');
  const dir = checkedSettingsDir(env, process.platform);
  const settings = readSettings(dir);
  const profile = getProfile(settings, name, warn);
  if (!profile.s3) {
    throw noS3Settings(name);
  }
  const vault = keychainVault(limitsFromEnv(env), chosenKeychain(env, settings.keychain, process.platform), { platform: process.platform, env });
  const context = async () => (await import('./compose.js')).compose(dir, env, vault, clock);
  const creds = await currentS3Credentials({ vault, clock, context }, name, profile, { interactive: true });
  writeOut(credentialProcessJson(creds) + '\n');
  return 0;
}
