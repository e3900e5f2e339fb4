// `lakekey configure-aws`: an AWS profile whose credential_process is this very CLI.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { awsConfigPath, configureAwsProfile, credentialProcessCommand } from '../../core/config/aws-config.js';
import { unifiedDiff } from '../../core/config/unified-diff.js';
import { noS3Settings, usageError } from '../../core/errors.js';
import { isStandalone } from '../../core/keychain/keyring-module.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import { getProfile, readSettings, s3ApiEndpoint, type Profile } from '../../core/config/settings.js';
import { exposedPath } from '../../core/config/writable-by-others.js';
import type { Args } from '../args.js';
import { say, warn } from '../output.js';
import { print, printJson } from '../render.js';

/** The command that runs this very CLI, with absolute paths (no PATH lookup, no npm shim). */
export function selfCommand(): string[] {
  if (isStandalone()) return [realpathSync(process.execPath)]; // the standalone executable itself
  return [process.execPath, realpathSync(fileURLToPath(new URL('../lakekey.js', import.meta.url)))];
}

/** `endpoint_url` for MinIO / lakeFS profiles (honoured by botocore ≥ 1.31, AWS CLI v2 ≥ 2.13); none for AWS. */
export function endpointSetting(profile: Profile): Array<{ key: string; value: string }> {
  const endpoint = s3ApiEndpoint(profile);
  return endpoint ? [{ key: 'endpoint_url', value: endpoint }] : [];
}

export async function configureAws(a: Args): Promise<number> {
  const name = a.positionals[0];
  const profile = getProfile(readSettings(checkedSettingsDir(process.env, process.platform)), name, warn);
  if (!profile.s3) throw noS3Settings(name);
  const awsProfile = a.string('aws-profile') ?? name;
  if (!/^[\w.@+-]+$/.test(awsProfile)) throw usageError(`"${awsProfile}" is not a valid AWS profile name`, 'Use letters, digits and . @ + - _.');
  const self = selfCommand();
  const line = credentialProcessCommand([...self, 'credential-process', name]);
  const file = awsConfigPath(process.env);
  const dryRun = a.flag('dry-run');
  const warning = exposureWarning(self, name);
  if (warning) say(`Warning: ${warning}\n`);
  const result = await configureAwsProfile(
    file,
    awsProfile,
    [{ key: 'credential_process', value: line }, { key: 'region', value: profile.s3.region, onlyIfMissing: true }, ...endpointSetting(profile)],
    { dryRun },
  );
  const diff = result.changed ? unifiedDiff(result.before, result.after, file) : '';
  if (a.flag('json')) {
    printJson({
      file,
      awsProfile,
      changed: result.changed,
      written: result.changed && !dryRun,
      ...(result.backup ? { backup: result.backup } : {}),
      diff,
      ...(warning ? { warning } : {}),
    });
    return 0;
  }
  if (dryRun) {
    print(result.changed ? diff : `${file} already has profile "${awsProfile}" wired to lakekey.`);
    return 0;
  }
  if (!result.changed) say(`${file} already has profile "${awsProfile}" wired to lakekey; nothing changed.\n`);
  else {
    const endpoint = s3ApiEndpoint(profile);
    const tryIt = endpoint
      ? `aws s3 ls --profile ${awsProfile}   (AWS CLI v2 before 2.13 and botocore before 1.31 ignore endpoint_url: add --endpoint-url ${endpoint})`
      : `aws sts get-caller-identity --profile ${awsProfile}`;
    say(`Wrote profile "${awsProfile}" to ${file}${result.backup ? ` (backup: ${result.backup})` : ''}.\nTry: ${tryIt}\n`);
  }
  return 0;
}

/**
 * One line when the program credential_process will run (or a folder above it) can be changed
 * by another user: the AWS CLI would run their code as this user. Said, not refused: the user
 * may know the folder is theirs in all but mode, and a refusal would leave them no lakekey.
 */
export function exposureWarning(command: string[], name: string): string | undefined {
  for (const path of command) {
    const exposed = exposedPath(path);
    if (exposed) {
      return `credential_process will run ${path}, but ${exposed.path} ${exposed.why}, so another user could change what the AWS CLI runs as you. Install lakekey in a folder only you (or root) can write, e.g. ~/.local/bin, and run \`lakekey configure-aws ${name}\` from there.`;
    }
  }
  return undefined;
}
