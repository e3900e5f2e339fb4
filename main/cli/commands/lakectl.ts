// `lakectl login`: lakekey run as lakectl's plugin (an executable named `lakectl-login` on PATH,
// a link to lakekey; lakekey.ts routes by that name), or as `lakekey lakectl-login`. It logs in the
// lakeFS profile whose endpoint is the server lakectl calls (or the one named) and leaves the token
// where lakectl reads it: its token cache file, which lakekey writes only for a profile that opted in.
import { homedir } from 'node:os';
import { sayClock } from '../../shared/duration.js';
import { configError, noLakefsSettings } from '../../core/errors.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import { getProfile, readSettings } from '../../core/config/settings.js';
import { lakectlCacheWarning, pickLakectlProfile, readLakectlConfig } from '../../core/config/lakectl-config.js';
import { lakectlCachePath, lakefsTokenSubject } from '../../core/exchange/lakefs.js';
import { outside } from '../../core/text-gate.js';
import type { Args } from '../args.js';
import { say, warn } from '../output.js';
import { loginAndSay } from './session.js';

export async function lakectlLoginCommand(a: Args): Promise<number> {
  const timeoutSeconds = a.integer('timeout', 10, 3600);
  const dir = checkedSettingsDir(process.env, process.platform);
  const settings = readSettings(dir);
  const lakectl = await readLakectlConfig(process.env, homedir(), a.string('config'));
  const name = pickLakectlProfile(settings.profiles, lakectl, a.string('profile'));
  const profile = getProfile(settings, name, warn);
  if (!profile.lakefs) throw noLakefsSettings(name, `Add lakectl's server to it: \`lakekey profile set ${name} --lakefs-endpoint URL --lakectl-cache\`.`);
  if (lakectl.accessKeyFrom) {
    throw configError(
      `lakectl is configured with an access key (${lakectl.accessKeyFrom}), and lakectl then uses it instead of any login`,
      `Remove credentials.access_key_id and credentials.secret_access_key from lakectl's configuration (and unset LAKECTL_CREDENTIALS_ACCESS_KEY_ID and LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY), then \`lakectl login\` again.`,
    );
  }
  const file = lakectlCachePath();
  if (!profile.lakefs.lakectlCache) {
    throw configError(
      `profile "${name}" does not keep lakectl's token cache, the only place lakectl reads a login from, so nothing was done`,
      `Opt in with \`lakekey profile set ${name} --lakectl-cache\`, then \`lakectl login\` again. Warning: ${lakectlCacheWarning(file)}`,
    );
  }
  say(`lakectl calls ${outside(lakectl.endpoint!)} (${lakectl.endpointFrom}): logging in with profile "${name}".\n`);
  const record = await loginAndSay(dir, name, profile, { noBrowser: a.flag('no-browser'), ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) });
  if (!record.lakefs)
    throw configError(`the login of profile "${name}" gave no lakeFS token`, `Check \`lakekey status ${name}\` and \`lakekey doctor ${name}\`.`);
  const who = lakefsTokenSubject(record.lakefs.token);
  say(
    `lakectl can call lakeFS${who ? ` as ${outside(who)}` : ''} until ${sayClock(record.lakefs.expiresAt)}: the token is in lakectl's token cache (${file}, plaintext); \`lakectl login\` again after that.\n`,
  );
  return 0;
}
