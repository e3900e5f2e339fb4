// lakectl's own configuration, read the way lakectl reads it, for `lakectl login` (lakekey run as
// the lakectl plugin `lakectl-login`): which lakeFS server lakectl calls, and whether it has an
// access key of its own (then it never reads a login). Checked against lakeFS's source
// (cmd/lakectl/cmd/root.go at the pinned commit: initConfig, getClient; pkg/api/apiutil/endpoint.go):
// - the file: `--config FILE`, else LAKECTL_CONFIG_FILE, else the first of viper's
//   `$HOME/.lakectl.{json,toml,yaml,yml,properties,props,prop,hcl,tfvars,dotenv,env,ini}`, then a bare
//   `$HOME/.lakectl` file, every one of them read as YAML (lakectl sets the type to yaml for that
//   search). A file named by --config or LAKECTL_CONFIG_FILE is read by its extension.
// - LAKECTL_SERVER_ENDPOINT_URL (viper's AutomaticEnv) wins over the file; an empty variable counts as unset.
// - lakectl appends /api/v1 to an endpoint with no path; any other path is used as given.
// - lakectl uses its JWT login (the token cache) only when access_key_id and secret_access_key are both empty.
// lakectl does not pass its own flags (`--config`, `--base-uri`) to a plugin, nor any variable of
// its own: the plugin sees only the words after `login` and lakectl's environment.
// Environment and home folder are arguments (compose.ts's rule); the file system is read here.
import { readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { configError, LakekeyError } from '../errors.js';
import { outside } from '../text-gate.js';
import { lakectlCachePath } from '../exchange/lakefs.js';
import type { Profile } from './settings.js';

/** What lakekey needs of lakectl's configuration. */
export interface LakectlConfig {
  /** The lakeFS server lakectl calls, as configured (absent: none configured). */
  endpoint?: string;
  /** Where the endpoint came from, for messages ("LAKECTL_SERVER_ENDPOINT_URL", or the file). */
  endpointFrom?: string;
  /** The configuration file lakectl reads, when there is one. */
  file?: string;
  /** Where lakectl finds an access key of its own (it then uses it instead of any login), if anywhere. */
  accessKeyFrom?: string;
}

/** viper's SupportedExts, in its search order. */
const VIPER_EXTS = ['json', 'toml', 'yaml', 'yml', 'properties', 'props', 'prop', 'hcl', 'tfvars', 'dotenv', 'env', 'ini'];

const isFile = (path: string): boolean => {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
};

/** Viper's AutomaticEnv: an empty variable is unset. */
const envValue = (env: NodeJS.ProcessEnv, name: string): string | undefined => (env[name] ? env[name] : undefined);

/** The file lakectl reads, and whether lakectl itself would stop when it is missing (it was named). */
export function lakectlConfigFile(env: NodeJS.ProcessEnv, home: string, configFlag?: string): { file?: string; named?: string } {
  const named = configFlag || envValue(env, 'LAKECTL_CONFIG_FILE');
  if (named) return { file: named, named: configFlag ? '--config' : 'LAKECTL_CONFIG_FILE' };
  for (const ext of VIPER_EXTS) {
    const file = join(home, `.lakectl.${ext}`);
    if (isFile(file)) return { file };
  }
  const bare = join(home, '.lakectl'); // usually the cache folder, which is not a file
  return isFile(bare) ? { file: bare } : {};
}

export async function readLakectlConfig(env: NodeJS.ProcessEnv, home: string, configFlag?: string): Promise<LakectlConfig> {
  const { file, named } = lakectlConfigFile(env, home, configFlag);
  let parsed: unknown = {};
  if (file) {
    if (named && !['.yaml', '.yml', '.json'].includes(extname(file).toLowerCase())) {
      throw configError(
        `lakekey reads lakectl's configuration as YAML or JSON only, and ${file} (from ${named}) is neither by its name`,
        "Use lakectl's usual YAML file (`lakectl config` writes ~/.lakectl.yaml), or set LAKECTL_SERVER_ENDPOINT_URL.",
      );
    }
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      throw configError(
        `cannot read lakectl's configuration ${file}${named ? ` (from ${named})` : ''}: ${code === 'ENOENT' ? 'no such file' : outside(String(code ?? err))}`,
        named === '--config' ? 'Check the path after --config.' : 'Check the file, or point LAKECTL_CONFIG_FILE at the right one.',
      );
    }
    const { parse } = await import('yaml');
    try {
      parsed = parse(text) ?? {};
    } catch (err) {
      throw new LakekeyError('CONFIG', `lakectl's configuration ${file} is not valid YAML: ${outside((err as Error).message.split('\n')[0])}`, {
        hint: 'Fix the file (lakectl would refuse it too), or rewrite it with `lakectl config`.',
        cause: err,
      });
    }
  }
  const at = (path: string[]): string | undefined => {
    let v: unknown = parsed;
    for (const k of path) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[k] : undefined;
    return typeof v === 'string' && v ? v : typeof v === 'number' ? String(v) : undefined;
  };
  const fromEnv = envValue(env, 'LAKECTL_SERVER_ENDPOINT_URL');
  const fromFile = at(['server', 'endpoint_url']);
  const keyEnv = ['LAKECTL_CREDENTIALS_ACCESS_KEY_ID', 'LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY'].find((n) => envValue(env, n));
  const keyFile = [
    ['credentials', 'access_key_id'],
    ['credentials', 'secret_access_key'],
  ].find((p) => at(p));
  const accessKeyFrom = keyEnv ?? (keyFile && file ? `${keyFile.join('.')} in ${file}` : undefined);
  const endpoint = fromEnv ?? fromFile;
  return {
    ...(endpoint ? { endpoint, endpointFrom: fromEnv ? 'LAKECTL_SERVER_ENDPOINT_URL' : `server.endpoint_url in ${file}` } : {}),
    ...(file ? { file } : {}),
    ...(accessKeyFrom ? { accessKeyFrom } : {}),
  };
}

/**
 * A lakeFS server URL reduced to what names the server: scheme and host in lower case, no default
 * port, no trailing slashes, no /api/v1 (lakectl adds it to a bare host, lakekey's profiles may
 * carry it or not), no query or fragment. Undefined when it is not an http(s) URL.
 */
export function lakefsServerKey(url: string): string | undefined {
  let u: URL;
  try {
    u = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (u.protocol !== 'https:' && u.protocol !== 'http:') return undefined;
  const path = u.pathname.replace(/\/+$/, '').replace(/\/api\/v1$/i, '');
  return `${u.protocol}//${u.host}${path}`;
}

/** Which profile `lakectl login` logs in: the one named, or the one whose lakeFS endpoint is lakectl's server. */
export function pickLakectlProfile(profiles: Readonly<Record<string, Profile>>, lakectl: LakectlConfig, named?: string): string {
  const server = lakectl.endpoint ? lakefsServerKey(lakectl.endpoint) : undefined;
  if (lakectl.endpoint && !server) {
    throw configError(
      `lakectl's server "${outside(lakectl.endpoint)}" (${lakectl.endpointFrom}) is not an http(s) URL`,
      'Fix it with `lakectl config`, or set LAKECTL_SERVER_ENDPOINT_URL to your lakeFS server.',
    );
  }
  const withLakefs = Object.entries(profiles).filter(([, p]) => p.lakefs);
  if (named !== undefined) {
    const p = profiles[named];
    if (!p) return named; // the caller's getProfile says it does not exist (and what does)
    if (!p.lakefs) return named; // the caller says it has no lakeFS settings
    if (!server) {
      throw configError(
        'lakectl has no lakeFS server configured, so it could not use the login',
        `Point lakectl at the profile's server: \`export LAKECTL_SERVER_ENDPOINT_URL=${p.lakefs.endpoint}\` (or \`lakectl config\`), then \`lakectl login --profile ${named}\` again.`,
      );
    }
    if (lakefsServerKey(p.lakefs.endpoint) !== server) {
      throw configError(
        `profile "${named}" logs in to lakeFS at ${p.lakefs.endpoint}, but lakectl calls ${outside(lakectl.endpoint!)} (${lakectl.endpointFrom})`,
        `Name the profile for lakectl's server, or point lakectl at ${p.lakefs.endpoint} (\`lakectl config\`, or LAKECTL_SERVER_ENDPOINT_URL).`,
      );
    }
    return named;
  }
  if (!withLakefs.length) {
    throw configError(
      'no lakekey profile has lakeFS settings',
      `Add one for lakectl's server: \`lakekey profile add NAME --issuer URL --client-id ID --lakefs-endpoint ${lakectl.endpoint ? outside(lakectl.endpoint) : 'URL'} --lakectl-cache\`.`,
    );
  }
  if (!server) {
    throw configError(
      'lakectl has no lakeFS server configured (no server.endpoint_url in its configuration, no LAKECTL_SERVER_ENDPOINT_URL)',
      'Run `lakectl config`, or set LAKECTL_SERVER_ENDPOINT_URL to your lakeFS server, then `lakectl login` again.',
    );
  }
  const matching = withLakefs.filter(([, p]) => lakefsServerKey(p.lakefs!.endpoint) === server).map(([n]) => n);
  if (matching.length === 1) return matching[0];
  const shown = outside(lakectl.endpoint!);
  if (!matching.length) {
    const others = withLakefs.map(([n, p]) => `${n} (${p.lakefs!.endpoint})`).join(', ');
    throw configError(
      `no lakekey profile logs in to lakectl's server ${shown} (${lakectl.endpointFrom}); profiles with lakeFS: ${others}`,
      `Give one that server (\`lakekey profile set NAME --lakefs-endpoint ${shown}\`), or point lakectl at another (\`lakectl config\`, or LAKECTL_SERVER_ENDPOINT_URL).`,
    );
  }
  throw configError(
    `${matching.length} lakekey profiles log in to lakectl's server ${shown}: ${matching.join(', ')}`,
    `Choose one: \`lakectl login --profile ${matching[0]}\`.`,
  );
}

/** The warning `--lakectl-cache` earns wherever it is turned on or asked for. */
export function lakectlCacheWarning(file = lakectlCachePath()): string {
  return `--lakectl-cache writes the lakeFS token to ${file}, a PLAINTEXT file any process of yours can read. lakectl reads no session token otherwise.`;
}
