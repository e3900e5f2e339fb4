// `lakekey credential-process NAME` — the hot path. On a cache hit it parses arguments, reads
// the settings file, reads one keychain item, checks the expiry and prints: no network, no
// openid-client, no AWS SDK (DESIGN §5). Everything else is imported only on a miss.
import { usageError, configError } from '../core/errors.js';
import { checkedSettingsDir } from '../core/paths.js';
import { credentialProcessJson, secondsLeft } from '../core/record.js';
import { getProfile, readSettings } from '../core/settings.js';
import { keytarStore, Vault } from '../core/vault.js';

export async function credentialProcess(args: string[]): Promise<number> {
  const name = args[0];
  if (!name || args.length > 1 || name.startsWith('-')) throw usageError('usage: lakekey credential-process NAME');
  const dir = checkedSettingsDir();
  const profile = getProfile(readSettings(dir), name);
  if (!profile.s3) {
    throw configError(`profile "${name}" has no S3 settings`, `Add --s3-sts-endpoint (and --s3-role-arn for AWS) with \`lakekey profile add ${name} ... --force\`.`);
  }
  const vault = new Vault(keytarStore());
  const record = await vault.read(name);
  let creds = record.s3;
  if (!creds || secondsLeft(creds.expiresAt, Date.now()) <= profile.refreshBeforeSeconds) {
    const [{ compose }, { getS3Credentials }] = await Promise.all([import('./compose.js'), import('../core/session.js')]);
    creds = await getS3Credentials(compose(dir, process.env, vault), name, profile, { interactive: true });
  }
  process.stdout.write(credentialProcessJson(creds) + '\n');
  return 0;
}
