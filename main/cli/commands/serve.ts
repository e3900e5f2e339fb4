// The credentials endpoint from the command line: `lakekey serve NAME…` in the foreground (a build
// box, an SSH session, a systemd user unit), `lakekey exec NAME --server -- job` for as long as
// the job runs, and `lakekey env NAME --server` to point a shell at a running endpoint.
import { serveProfiles, type ServedEndpoint } from '../../core/endpoint/serve.js';
import { endpointUri } from '../../core/endpoint/server.js';
import { howToServe, runningEndpoints, type EndpointRecord } from '../../core/endpoint/registry.js';
import { noS3Settings, LakekeyError } from '../../core/errors.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import { getProfile, readSettings, s3ApiEndpoint, type Profile } from '../../core/config/settings.js';
import type { Args } from '../args.js';
import { compose } from '../compose.js';
import { say, warn } from '../output.js';
import { print } from '../render.js';
import { renderEnv } from './handout.js';
import type { Context } from '../../core/ports.js';

/** Variables that would win over the endpoint in an SDK's default chain: none reach the child. */
export const CHAIN_WINNERS = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_SECURITY_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_ROLE_ARN',
  'AWS_ROLE_SESSION_NAME',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
];

/** An S3 profile's settings, or the error saying it has none. */
function s3Profile(dir: string, name: string): Profile {
  const profile = getProfile(readSettings(dir), name, warn);
  if (!profile.s3) throw noS3Settings(name, 'so there is nothing to serve');
  return profile;
}

/** One server for `names` in this process, renewing ahead; refusals and failures said once on stderr. */
export function serveHere(dir: string, ctx: Context, names: string[], opts: { port?: number; register?: boolean } = {}): Promise<ServedEndpoint> {
  return serveProfiles(ctx, names, {
    profile: (n) => getProfile(readSettings(dir), n),
    dir,
    ...(opts.port ? { port: opts.port } : {}),
    say: (text) => say(`lakekey: ${text}\n`),
    ...(opts.register ? { register: { owner: `serve-${process.pid}` } } : {}),
  });
}

/** What a process needs to use the endpoint for `profile`: the URI, the token (or its file), region and S3 endpoint. */
export function serverVars(profile: Profile, uri: string, token: { token: string } | { file: string }): Record<string, string> {
  const vars: Record<string, string> = { AWS_CONTAINER_CREDENTIALS_FULL_URI: uri };
  if ('token' in token) vars.AWS_CONTAINER_AUTHORIZATION_TOKEN = token.token;
  else vars.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE = token.file;
  vars.AWS_REGION = profile.s3!.region;
  vars.AWS_DEFAULT_REGION = profile.s3!.region;
  const s3 = s3ApiEndpoint(profile);
  if (s3) Object.assign(vars, { AWS_ENDPOINT_URL: s3, AWS_ENDPOINT_URL_S3: s3 });
  return vars;
}

export async function serveCommand(a: Args): Promise<number> {
  const dir = checkedSettingsDir(process.env, process.platform);
  const names = [...new Set(a.positionals)];
  for (const n of names) s3Profile(dir, n);
  const ctx = compose(dir);
  const { endpoint, record, close } = await serveHere(dir, ctx, names, { port: a.integer('port', 1024, 65535), register: true });
  // Say at once which profiles need a login first (the endpoint answers for them once they have one).
  for (const n of names) await warnIfNotServable(ctx, dir, n);
  const format = a.string('format') ?? 'sh';
  for (const n of names) {
    if (names.length > 1 && format !== 'json') print(`# profile ${n}`);
    print(renderEnv(serverVars(s3Profile(dir, n), endpoint.uri(n), { file: record!.tokenFile }), format));
  }
  say(
    `lakekey: serving credentials for ${names.map((n) => `"${n}"`).join(', ')} on 127.0.0.1:${endpoint.port} until stopped (Ctrl-C). Point a process at it with the variables above, or \`eval "$(lakekey env NAME --server)"\`.\n`,
  );
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await close();
  say('lakekey: the credentials endpoint stopped.\n');
  return 0;
}

/** Warns when a profile cannot be served right now without a login. */
async function warnIfNotServable(ctx: Context, dir: string, name: string): Promise<void> {
  const { currentS3Credentials, fromContext } = await import('../../core/usecases/current-credentials.js');
  try {
    await currentS3Credentials(fromContext(ctx), name, s3Profile(dir, name), { interactive: false });
  } catch (err) {
    if (err instanceof LakekeyError) say(`lakekey: profile "${name}" cannot be served yet: ${err.message}. ${err.hint ?? ''}\n`);
    else throw err;
  }
}

/** `lakekey env NAME --server`: the variables for the running endpoint that serves NAME. */
export function serverEnv(name: string): Record<string, string> {
  const dir = checkedSettingsDir(process.env, process.platform);
  const profile = s3Profile(dir, name);
  const running: EndpointRecord | undefined = runningEndpoints(dir).find((e) => e.profiles.includes(name));
  if (!running) {
    throw new LakekeyError('CONFIG', `no credentials endpoint is serving profile "${name}"`, { hint: howToServe(name, profile.endpoint === true) });
  }
  return serverVars(profile, endpointUri(running.port, name), { file: running.tokenFile });
}
