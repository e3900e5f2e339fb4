// Every `lakekey` command except the credential-process hot path. This layer parses flags,
// calls the core's use cases and renders their results. It still holds logic of its own
// (doctor's checks, the AWS-config wiring) that belongs in the core (issue 12 §3).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { applyProfileSettings, awsConfigPath, configureAwsProfile, credentialProcessCommand, readProfileSetting, unifiedDiff } from '../core/aws-config.js';
import { boundedFetch } from '../core/http.js';
import { asLakekeyError, configError, LakekeyError, usageError } from '../core/errors.js';
import { checkedSettingsDir } from '../core/paths.js';
import { lakefsServerUrl } from '../core/lakefs.js';
import { isoSeconds, secondsLeft, type LakefsToken, type S3Credentials } from '../core/record.js';
import { describe, deviceLogin, getLakefsToken, getS3Credentials, login, logout, MIN_TOKEN_SECONDS, type Context, type ProfileStatus } from '../core/session.js';
import { getProfile, parseProfile, PROFILE_NAME, readSettings, s3ApiEndpoint, type Profile } from '../core/settings.js';
import { updateSettings } from '../core/settings-write.js';
import { isStandalone } from '../core/keytar-module.js';
import { compose } from './compose.js';
import { say } from './output.js';
import { outside, stripControls } from '../core/text-gate.js';

const USAGE = `lakekey — short-lived lakeFS and S3 credentials from your identity provider

Usage:
  lakekey profile add NAME --issuer URL --client-id ID [--client-secret -|SECRET] [--scope S]...
          [--redirect-port N] [--s3-sts-endpoint URL] [--s3-endpoint URL] [--s3-region R] [--s3-role-arn ARN]
          [--s3-duration SECONDS] [--s3-token-source idp|lakefs] [--lakefs-endpoint URL] [--lakefs-ttl SECONDS]
          [--lakectl-cache] [--refresh-before SECONDS] [--force]
  lakekey profile list [--json] | profile show NAME [--json] | profile remove NAME
  lakekey login NAME [--no-browser | --device] [--timeout SECONDS]
  lakekey logout NAME
  lakekey status [NAME] [--json] | status --check NAME
  lakekey credential-process NAME
  lakekey env NAME [--format sh|fish|powershell|json]
  lakekey exec NAME [--static] -- COMMAND [ARGS...]
  lakekey token NAME --lakefs
  lakekey configure-aws NAME [--aws-profile P] [--dry-run]
  lakekey doctor [NAME]

Environment: LAKEKEY_CONFIG_DIR (settings folder), LAKEKEY_BROWSER (browser command),
AWS_CONFIG_FILE (for configure-aws), LAKEKEY_DEBUG=1 (redacted debug log on stderr).
Exit codes: 0 ok, 1 unexpected, 2 usage or configuration, 3 login required,
4 keychain unavailable or locked, 5 identity provider, STS or lakeFS refused or unreachable.`;

type Options = NonNullable<ParseArgsConfig['options']>;

function parse(args: string[], options: Options, positionals: { min: number; max: number; usage: string }) {
  let parsed;
  try {
    parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    throw usageError((err as Error).message, `Usage: ${positionals.usage}`);
  }
  const n = parsed.positionals.length;
  if (n < positionals.min || n > positionals.max) throw usageError(`expected: ${positionals.usage}`);
  return parsed as { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] };
}

export async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE + '\n');
      return command === undefined ? 2 : 0;
    case '--version':
    case 'version':
      process.stdout.write('lakekey 0.1.0\n');
      return 0;
    case 'profile':
      return profileCommand(rest);
    case 'login':
      return loginCommand(rest);
    case 'logout':
      return logoutCommand(rest);
    case 'status':
      return statusCommand(rest);
    case 'env':
      return envCommand(rest);
    case 'exec':
      return execCommand(rest);
    case 'token':
      return tokenCommand(rest);
    case 'configure-aws':
      return configureAwsCommand(rest);
    case 'doctor':
      return doctorCommand(rest);
    default:
      throw usageError(`unknown command "${command}"`);
  }
}

// ---- profile ---------------------------------------------------------------------------

async function profileCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  const dir = checkedSettingsDir();
  switch (sub) {
    case 'add':
      return profileAdd(dir, rest);
    case 'list': {
      const { values } = parse(rest, { json: { type: 'boolean' } }, { min: 0, max: 0, usage: 'lakekey profile list [--json]' });
      const profiles = readSettings(dir).profiles;
      if (values.json) print(JSON.stringify(Object.entries(profiles).map(([name, p]) => ({ name, ...p })), null, 2));
      else if (!Object.keys(profiles).length) say('No profiles yet. Add one with `lakekey profile add NAME --issuer URL --client-id ID`.\n');
      else for (const [name, p] of Object.entries(profiles)) print(`${name}\t${p.issuer}\t${kinds(p)}`);
      return 0;
    }
    case 'show': {
      const { values, positionals } = parse(rest, { json: { type: 'boolean' } }, { min: 1, max: 1, usage: 'lakekey profile show NAME [--json]' });
      const name = positionals[0];
      const profile = getProfile(readSettings(dir), name);
      if (values.json) print(JSON.stringify({ name, ...profile }, null, 2));
      else print(renderProfile(name, profile));
      return 0;
    }
    case 'remove': {
      const { positionals } = parse(rest, {}, { min: 1, max: 1, usage: 'lakekey profile remove NAME' });
      const name = positionals[0];
      const profile = getProfile(readSettings(dir), name);
      const ctx = compose(dir);
      await logout(ctx, name, profile);
      if (profile.clientSecret) await ctx.vault.writeClientSecret(name, undefined);
      await updateSettings(dir, (s) => {
        delete s.profiles[name];
      });
      say(`Removed profile "${name}" and its keychain item.\n`);
      return 0;
    }
    default:
      throw usageError(sub ? `unknown profile command "${sub}"` : 'expected: lakekey profile add|list|show|remove');
  }
}

async function profileAdd(dir: string, args: string[]): Promise<number> {
  const usage = 'lakekey profile add NAME --issuer URL --client-id ID [options]';
  const { values, positionals } = parse(
    args,
    {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      scope: { type: 'string', multiple: true },
      'redirect-port': { type: 'string' },
      's3-sts-endpoint': { type: 'string' },
      's3-endpoint': { type: 'string' },
      's3-region': { type: 'string' },
      's3-role-arn': { type: 'string' },
      's3-duration': { type: 'string' },
      's3-token-source': { type: 'string' },
      'lakefs-endpoint': { type: 'string' },
      'lakefs-ttl': { type: 'string' },
      'lakectl-cache': { type: 'boolean' },
      'refresh-before': { type: 'string' },
      force: { type: 'boolean' },
    },
    { min: 1, max: 1, usage },
  );
  const name = positionals[0];
  if (!PROFILE_NAME.test(name)) throw usageError(`"${name}" is not a valid profile name`, 'Use letters, digits, ".", "_" and "-" (at most 64).');
  if (!values.issuer || !values['client-id']) throw usageError('--issuer and --client-id are required', `Usage: ${usage}`);
  const secretFlag = values['client-secret'] as string | undefined;
  const clientSecret = secretFlag === '-' ? (await readStdin()).trim() : secretFlag;
  if (clientSecret !== undefined && !/^[\x21-\x7e]{1,512}$/.test(clientSecret)) {
    throw usageError('--client-secret must be printable characters without spaces', 'Copy it from your identity provider; `--client-secret -` reads it from stdin.');
  }
  const raw: Record<string, unknown> = {
    issuer: values.issuer,
    clientId: values['client-id'],
    clientSecret: clientSecret !== undefined,
    scopes: values.scope,
    redirectPort: values['redirect-port'],
    refreshBeforeSeconds: values['refresh-before'],
  };
  const s3Flags = ['s3-sts-endpoint', 's3-endpoint', 's3-region', 's3-role-arn', 's3-duration', 's3-token-source'];
  if (s3Flags.some((f) => values[f] !== undefined)) {
    raw.s3 = {
      stsEndpoint: values['s3-sts-endpoint'],
      s3Endpoint: values['s3-endpoint'],
      region: values['s3-region'],
      roleArn: values['s3-role-arn'],
      durationSeconds: values['s3-duration'],
      tokenSource: values['s3-token-source'],
    };
  }
  if (values['lakefs-endpoint'] !== undefined || values['lakefs-ttl'] !== undefined || values['lakectl-cache']) {
    raw.lakefs = { endpoint: values['lakefs-endpoint'], ttlSeconds: values['lakefs-ttl'], lakectlCache: Boolean(values['lakectl-cache']) };
  }
  const profile = parseProfile(name, JSON.parse(JSON.stringify(raw)), 'profile add');
  if (profile.s3?.tokenSource === 'idp' && !profile.s3.stsEndpoint && !profile.s3.roleArn) {
    throw usageError('AWS STS needs a role to assume', 'Pass --s3-role-arn arn:aws:iam::ACCOUNT:role/NAME, or --s3-sts-endpoint for MinIO or lakeFS.');
  }
  await updateSettings(dir, (s) => {
    if (s.profiles[name] && !values.force) {
      throw configError(`profile "${name}" already exists`, 'Pass --force to replace it, or remove it first.');
    }
    s.profiles[name] = profile;
  });
  // The secret goes to the keychain (never the settings file); a replaced profile without one drops it.
  if (clientSecret !== undefined) await compose(dir).vault.writeClientSecret(name, clientSecret);
  else if (values.force) await compose(dir).vault.writeClientSecret(name, undefined).catch(() => undefined);
  if (profile.lakefs?.lakectlCache) {
    say('Warning: --lakectl-cache writes the lakeFS token to ~/.lakectl/cache/lakectl_token_cache.json, a PLAINTEXT file any process of yours can read. lakectl reads no session token otherwise.\n');
  }
  say(`Added profile "${name}". Next: \`lakekey login ${name}\`${profile.s3 ? `, then \`lakekey configure-aws ${name}\`` : ''}.\n`);
  return 0;
}

function kinds(p: Profile): string {
  return [p.s3 ? `s3 via ${p.s3.tokenSource === 'lakefs' ? 'lakeFS' : 'STS'}` : '', p.lakefs ? 'lakeFS' : ''].filter(Boolean).join(', ') || 'login only';
}

function renderProfile(name: string, p: Profile): string {
  const rows: Array<[string, string | number | undefined]> = [
    ['profile', name],
    ['issuer', p.issuer],
    ['client id', p.clientId],
    ['client secret', p.clientSecret ? 'in the keychain' : undefined],
    ['scopes', p.scopes.join(' ')],
    ['redirect port', p.redirectPort || 'any free port'],
    ['refresh before', `${p.refreshBeforeSeconds} s`],
  ];
  if (p.s3) {
    rows.push(['S3 STS endpoint', p.s3.stsEndpoint ?? `AWS (${p.s3.region})`], ['S3 API endpoint', s3ApiEndpoint(p) ?? 'AWS (none needed)'], ['S3 region', p.s3.region], ['S3 role', p.s3.roleArn], ['S3 duration', `${p.s3.durationSeconds} s`], ['S3 token source', p.s3.tokenSource]);
  }
  if (p.lakefs) rows.push(['lakeFS endpoint', p.lakefs.endpoint], ['lakeFS token TTL', `${p.lakefs.ttlSeconds} s`], ['lakectl cache file', p.lakefs.lakectlCache ? 'kept in sync (plaintext)' : 'off']);
  return table(rows.filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
}

// ---- login / logout / status ----------------------------------------------------------

function context(): { dir: string; ctx: Context } {
  const dir = checkedSettingsDir();
  return { dir, ctx: compose(dir) };
}

async function loginCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { 'no-browser': { type: 'boolean' }, device: { type: 'boolean' }, timeout: { type: 'string' } },
    { min: 1, max: 1, usage: 'lakekey login NAME [--no-browser | --device] [--timeout SECONDS]' },
  );
  const timeout = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout >= 10 && timeout <= 3600)) {
    throw usageError('--timeout takes a whole number of seconds from 10 to 3600');
  }
  const { dir, ctx } = context();
  const name = positionals[0];
  const profile = getProfile(readSettings(dir), name);
  const options = { noBrowser: Boolean(values['no-browser']), timeoutSeconds: timeout };
  // Ctrl-C while waiting for the browser: say so (the lock a killed process leaves is stale at once).
  process.once('SIGINT', () => {
    say(`\nlakekey: the login for profile "${name}" was cancelled; nothing was changed.\n`);
    process.exit(130);
  });
  const record = values.device ? await deviceLogin(ctx, name, profile, options) : await login(ctx, name, profile, options);
  const who = outside(record.idp?.email ?? record.idp?.subject ?? 'unknown user');
  say(`Logged in to profile "${name}" as ${who}.\n`);
  if (record.s3) say(`S3 credentials are valid until ${isoSeconds(record.s3.expiresAt)}.\n`);
  if (record.lakefs) say(`The lakeFS token is valid until ${isoSeconds(record.lakefs.expiresAt)} (renewing it needs a browser login).\n`);
  if (!record.idp?.refreshToken && !profile.lakefs) {
    say('Note: the identity provider gave no refresh token, so you will need to log in again when these expire.\n');
  }
  return 0;
}

async function logoutCommand(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, { min: 1, max: 1, usage: 'lakekey logout NAME' });
  const { dir, ctx } = context();
  const name = positionals[0];
  const result = await logout(ctx, name, getProfile(readSettings(dir), name));
  switch (result.outcome) {
    case 'revoked':
      say(`Logged out of profile "${name}": the session was revoked at the identity provider.\n`);
      return 0;
    case 'not-offered':
      say(
        `Logged out of profile "${name}" on this computer. Your identity provider offers no token revocation, so the refresh token stays valid there until it expires.\n`,
      );
      return 0;
    case 'no-session':
      say(`Logged out of profile "${name}" (there was no session at the identity provider to revoke).\n`);
      return 0;
    case 'failed':
      throw new LakekeyError(result.error.code, `logged out of profile "${name}" on this computer, but revoking the session at the identity provider failed: ${result.error.message}`, {
        hint: 'The refresh token may stay valid at the identity provider until it expires; sign out there (or ask its admin to end your sessions) if that matters.',
      });
  }
}

async function statusCommand(args: string[]): Promise<number> {
  const usage = 'lakekey status [NAME] [--json] | lakekey status --check NAME';
  const { values, positionals } = parse(args, { json: { type: 'boolean' }, check: { type: 'boolean' } }, { min: 0, max: 1, usage });
  if (values.check && !positionals.length) throw usageError('--check needs a profile name', `Usage: ${usage}`);
  const { dir, ctx } = context();
  const settings = readSettings(dir);
  const names = positionals.length ? [positionals[0]] : Object.keys(settings.profiles);
  for (const n of names) getProfile(settings, n);
  const statuses: ProfileStatus[] = [];
  for (const n of names) statuses.push(describe(n, await ctx.vault.read(n), ctx.now()));
  if (values.check) {
    // For scripts: 0 when credentials can be had without a person (fresh, or renewable silently), else 3.
    const [s] = statuses;
    const p = settings.profiles[s.name];
    const usable = (left: number | undefined) => (left ?? 0) > MIN_TOKEN_SECONDS;
    const needsLogin = !s.signedIn || (p.s3 !== undefined && !s.canRefresh && !usable(s.s3?.secondsLeft)) || (p.lakefs !== undefined && !usable(s.lakefs?.secondsLeft));
    if (needsLogin) throw new LakekeyError('LOGIN_REQUIRED', `profile "${s.name}" needs a login`, { hint: `Run \`lakekey login ${s.name}\`.` });
    return 0;
  }
  if (values.json) {
    print(JSON.stringify(statuses, null, 2));
    return 0;
  }
  if (!statuses.length) {
    say('No profiles yet. Add one with `lakekey profile add NAME --issuer URL --client-id ID`.\n');
    return 0;
  }
  const rows = [['PROFILE', 'USER', 'S3', 'LAKEFS', 'RENEWS']];
  for (const s of statuses) {
    const p = settings.profiles[s.name];
    rows.push([
      s.name,
      s.signedIn ? outside(s.email ?? s.subject ?? '') : 'not logged in',
      p.s3 ? timeLeft(s.s3?.secondsLeft) : '—',
      p.lakefs ? timeLeft(s.lakefs?.secondsLeft) : '—',
      s.canRefresh ? 'silently' : s.signedIn ? 'needs login' : '—',
    ]);
  }
  print(table(rows));
  return 0;
}

function timeLeft(seconds: number | undefined): string {
  if (seconds === undefined) return 'none';
  if (seconds <= 0) return 'expired';
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  return h ? `${h} h ${m} min left` : `${m} min left`;
}

// ---- credentials to tools ----------------------------------------------------------------

interface Handout {
  profile: Profile;
  s3?: S3Credentials;
  lakefs?: LakefsToken;
}

/** Whatever the profile hands to tools: S3 credentials and/or a lakeFS token, valid and fresh. */
async function handout(name: string): Promise<Handout> {
  const { dir, ctx } = context();
  const profile = getProfile(readSettings(dir), name);
  const record = await ctx.vault.read(name);
  const out: Handout = { profile };
  if (profile.lakefs) {
    out.lakefs =
      record.lakefs && secondsLeft(record.lakefs.expiresAt, ctx.now()) > MIN_TOKEN_SECONDS
        ? record.lakefs
        : await getLakefsToken(ctx, name, profile, { interactive: true });
  }
  if (profile.s3) {
    out.s3 =
      record.s3 && secondsLeft(record.s3.expiresAt, ctx.now()) > profile.refreshBeforeSeconds
        ? record.s3
        : await getS3Credentials(ctx, name, profile, { interactive: true });
  }
  return out;
}

export function envVars(h: Handout): Record<string, string> {
  const vars: Record<string, string> = {};
  if (h.s3) {
    vars.AWS_ACCESS_KEY_ID = h.s3.accessKeyId;
    vars.AWS_SECRET_ACCESS_KEY = h.s3.secretAccessKey;
    vars.AWS_SESSION_TOKEN = h.s3.sessionToken;
    vars.AWS_CREDENTIAL_EXPIRATION = isoSeconds(h.s3.expiresAt);
    vars.AWS_REGION = h.profile.s3!.region;
    vars.AWS_DEFAULT_REGION = h.profile.s3!.region;
    Object.assign(vars, endpointVars(h.profile));
  }
  if (h.lakefs) {
    vars.LAKECTL_SERVER_ENDPOINT_URL = lakefsServerUrl(h.profile.lakefs!.endpoint);
    vars.LAKECTL_CREDENTIALS_SESSION_TOKEN = h.lakefs.token;
  }
  return vars;
}

/** MinIO and lakeFS: send AWS tools to the profile's S3 API, not to AWS (botocore ≥ 1.31, JS/Go/Java SDKs). */
function endpointVars(profile: Profile): Record<string, string> {
  const endpoint = s3ApiEndpoint(profile);
  return endpoint ? { AWS_ENDPOINT_URL: endpoint, AWS_ENDPOINT_URL_S3: endpoint } : {};
}

async function envCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { format: { type: 'string' } }, { min: 1, max: 1, usage: 'lakekey env NAME [--format sh|fish|powershell|json]' });
  const format = (values.format as string | undefined) ?? 'sh';
  if (!['sh', 'fish', 'powershell', 'json'].includes(format)) throw usageError(`unknown format "${format}"`, 'Use sh, fish, powershell or json.');
  print(renderEnv(envVars(await handout(positionals[0])), format));
  return 0;
}

async function tokenCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(args, { lakefs: { type: 'boolean' } }, { min: 1, max: 1, usage: 'lakekey token NAME --lakefs' });
  if (!values.lakefs) throw usageError('say which token: --lakefs', 'Usage: lakekey token NAME --lakefs');
  const { dir, ctx } = context();
  const name = positionals[0];
  const profile = getProfile(readSettings(dir), name);
  // getLakefsToken answers a usable stored token from one keychain read, without the lock.
  const token = await getLakefsToken(ctx, name, profile, { interactive: true });
  const left = secondsLeft(token.expiresAt, ctx.now());
  if (left < profile.refreshBeforeSeconds) say(`lakekey: this lakeFS token expires in ${Math.floor(left / 60)} min; \`lakekey login ${name}\` renews it.\n`);
  print(token.token);
  return 0;
}

/**
 * Shell code that sets `vars`, each value a single-quoted literal of that shell. Values are
 * allow-listed when they arrive (credential-shape.ts); the quoting is still complete on its own:
 * - sh/bash/zsh: inside '…' nothing is special but ', written '\'' (close, escaped quote, reopen);
 * - fish: inside '…' only \ and ' are special, each escaped with a backslash;
 * - PowerShell: ' and the typographic U+2018–U+201B all open and close single-quoted strings
 *   (about_Quoting_Rules; the language specification's single-quote-character), and any of them
 *   is written inside one by doubling it.
 */
export function renderEnv(vars: Record<string, string>, format: string): string {
  const entries = Object.entries(vars);
  switch (format) {
    case 'json':
      return JSON.stringify(vars, null, 2);
    case 'fish':
      return entries.map(([k, v]) => `set -gx ${k} '${v.replace(/['\\]/g, '\\$&')}';`).join('\n');
    case 'powershell':
      return entries.map(([k, v]) => `$Env:${k} = '${v.replace(/['\u2018-\u201B]/g, '$&$&')}'`).join('\n');
    default:
      return entries.map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`).join('\n');
  }
}

async function execCommand(args: string[]): Promise<number> {
  const dash = args.indexOf('--');
  const usage = 'lakekey exec NAME [--static] -- COMMAND [ARGS...]';
  if (dash < 1 || dash === args.length - 1) throw usageError(`expected: ${usage}`);
  const { values, positionals } = parse(args.slice(0, dash), { static: { type: 'boolean' } }, { min: 1, max: 1, usage });
  const name = positionals[0];
  const [cmd, ...cmdArgs] = args.slice(dash + 1);
  const h = await handout(name);
  const env: NodeJS.ProcessEnv = { ...process.env };
  let cleanup = () => {};
  if (h.s3 && !values.static) {
    // A job may outlive one set of credentials: hand it a profile whose credential_process is
    // lakekey, so its SDK asks again as expiry nears, instead of static keys that die mid-job.
    const wired = await execAwsProfile(name, h.profile);
    for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_CREDENTIAL_EXPIRATION', 'AWS_DEFAULT_PROFILE']) delete env[k];
    Object.assign(env, { AWS_CONFIG_FILE: wired.file, AWS_PROFILE: wired.profile, AWS_REGION: h.profile.s3!.region, AWS_DEFAULT_REGION: h.profile.s3!.region });
    const { lakefs } = h;
    Object.assign(env, envVars({ profile: h.profile, lakefs }), endpointVars(h.profile));
    cleanup = wired.remove;
  } else {
    Object.assign(env, envVars(h));
  }
  const child = spawn(cmd, cmdArgs, { stdio: 'inherit', env });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise<number>((resolve, reject) => {
    child.once('error', (err) => {
      cleanup();
      const code = (err as NodeJS.ErrnoException).code;
      // As shells do: 127 for a command that is not found, 126 for one that cannot be run.
      if (code === 'ENOENT' || code === 'EACCES') {
        say(`lakekey: cannot run "${outside(cmd)}": ${code === 'ENOENT' ? 'command not found' : 'permission denied'}.\n  Check the command name and your PATH.\n`);
        resolve(code === 'ENOENT' ? 127 : 126);
        return;
      }
      reject(new LakekeyError('USAGE', `cannot run "${outside(cmd)}": ${code ?? err.message}`, { hint: 'Check the command name and your PATH.' }));
    });
    child.once('exit', (code, signal) => {
      cleanup();
      resolve(code ?? 128 + (signal ? osSignal(signal) : 1));
    });
  });
}

/** A private copy of the user's AWS config plus a profile wired to `lakekey credential-process`. */
async function execAwsProfile(name: string, profile: Profile): Promise<{ file: string; profile: string; remove(): void }> {
  const { mkdtempSync, readFileSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  let base = '';
  try {
    base = readFileSync(awsConfigPath(), 'utf8');
  } catch {
    /* no config yet */
  }
  const awsProfile = `lakekey-exec-${name}`;
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-exec-'));
  const file = join(dir, 'config');
  const text = applyProfileSettings(base, awsProfile, [
    { key: 'credential_process', value: credentialProcessCommand([...selfCommand(), 'credential-process', name]) },
    { key: 'region', value: profile.s3!.region },
    ...endpointSetting(profile),
  ]);
  writeFileSync(file, text, { mode: 0o600 });
  return { file, profile: awsProfile, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

function osSignal(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}

// ---- AWS config ----------------------------------------------------------------------------

/** The command that runs this very CLI, with absolute paths (no PATH lookup, no npm shim). */
export function selfCommand(): string[] {
  if (isStandalone()) return [realpathSync(process.execPath)]; // the standalone executable itself
  return [process.execPath, realpathSync(fileURLToPath(new URL('./lakekey.js', import.meta.url)))];
}

async function configureAwsCommand(args: string[]): Promise<number> {
  const { values, positionals } = parse(
    args,
    { 'aws-profile': { type: 'string' }, 'dry-run': { type: 'boolean' } },
    { min: 1, max: 1, usage: 'lakekey configure-aws NAME [--aws-profile P] [--dry-run]' },
  );
  const name = positionals[0];
  const profile = getProfile(readSettings(checkedSettingsDir()), name);
  if (!profile.s3) throw configError(`profile "${name}" has no S3 settings`, 'Add --s3-sts-endpoint or --s3-role-arn to the profile first.');
  const awsProfile = (values['aws-profile'] as string | undefined) ?? name;
  if (!/^[\w.@+-]+$/.test(awsProfile)) throw usageError(`"${awsProfile}" is not a valid AWS profile name`);
  const line = credentialProcessCommand([...selfCommand(), 'credential-process', name]);
  const file = awsConfigPath();
  const result = configureAwsProfile(
    file,
    awsProfile,
    [
      { key: 'credential_process', value: line },
      { key: 'region', value: profile.s3.region, onlyIfMissing: true },
      ...endpointSetting(profile),
    ],
    { dryRun: Boolean(values['dry-run']) },
  );
  if (values['dry-run']) {
    print(result.changed ? unifiedDiff(result.before, result.after, file) : `${file} already has profile "${awsProfile}" wired to lakekey.`);
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

/** `endpoint_url` for MinIO / lakeFS profiles (honoured by botocore ≥ 1.31, AWS CLI v2 ≥ 2.13); none for AWS. */
function endpointSetting(profile: Profile): Array<{ key: string; value: string }> {
  const endpoint = s3ApiEndpoint(profile);
  return endpoint ? [{ key: 'endpoint_url', value: endpoint }] : [];
}

// ---- doctor ---------------------------------------------------------------------------------

interface Check {
  name: string;
  run(): Promise<string>;
}

async function doctorCommand(args: string[]): Promise<number> {
  const { positionals } = parse(args, {}, { min: 0, max: 1, usage: 'lakekey doctor [NAME]' });
  const dir = checkedSettingsDir();
  const checks: Check[] = [];
  let firstFailure = 0;
  let settings;
  try {
    settings = readSettings(dir);
    print(`ok    settings: ${Object.keys(settings.profiles).length} profile(s) in ${dir}`);
  } catch (err) {
    return report('settings', err);
  }
  const names = positionals.length ? [positionals[0]] : Object.keys(settings.profiles);
  const ctx = compose(dir);
  checks.push({
    name: 'keychain',
    run: async () => {
      await ctx.vault.read(names[0] ?? '__lakekey_probe__');
      return 'reachable and unlocked';
    },
  });
  for (const name of names) {
    const profile = getProfile(settings, name);
    checks.push({
      name: `${name}: identity provider`,
      run: async () => {
        const { discover } = await import('../core/oidc.js');
        const meta = (await discover(profile)).serverMetadata();
        const jwks = meta.jwks_uri ? await getJson(meta.jwks_uri, 'IDP_UNREACHABLE') : undefined;
        const keys = (jwks as { keys?: unknown[] } | undefined)?.keys?.length ?? 0;
        if (!keys) throw new LakekeyError('IDP_REFUSED', `the IdP publishes no signing keys at ${meta.jwks_uri ?? '(no jwks_uri)'}`, { hint: 'Check the issuer URL: it must be the OpenID issuer, not a login page.' });
        return `discovery and JWKS ok (${keys} key${keys === 1 ? '' : 's'})${meta.device_authorization_endpoint ? '; device login available' : ''}`;
      },
    });
    checks.push({
      name: `${name}: clock`,
      run: async () => {
        const res = await boundedFetch(5000)(`${profile.issuer}/.well-known/openid-configuration`, { method: 'HEAD' });
        const date = Date.parse(res.headers.get('date') ?? '');
        if (!Number.isFinite(date)) return 'the IdP sends no Date header; skipped';
        const skew = Math.round((Date.now() - date) / 1000);
        if (Math.abs(skew) > 60) {
          throw new LakekeyError('CONFIG', `this computer's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the IdP's`, { hint: 'Turn on automatic time sync (e.g. `timedatectl set-ntp true`); tokens are refused when clocks disagree.' });
        }
        return `within ${Math.abs(skew)} s of the IdP`;
      },
    });
    if (profile.s3) {
      const s3 = profile.s3;
      checks.push({
        name: `${name}: STS`,
        run: async () => {
          const { defaultStsEndpoint } = await import('../core/sts.js');
          const endpoint = s3.stsEndpoint ?? defaultStsEndpoint(s3.region);
          await probe(endpoint, 'STS_UNREACHABLE');
          return `${endpoint} answers`;
        },
      });
      checks.push({
        name: `${name}: AWS config`,
        run: async () => {
          const file = awsConfigPath();
          const line = readProfileSetting(readOrEmpty(file), name, 'credential_process');
          if (!line?.includes('credential-process')) {
            throw configError(`${file} has no credential_process for profile "${name}"`, `Run \`lakekey configure-aws ${name}\`.`);
          }
          // Static keys win over credential_process in every SDK's chain: find any that shadow it.
          const credsFile = process.env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
          const creds = readOrEmpty(credsFile);
          const staticKey = new RegExp(`^\\s*\\[\\s*${name.replace(/[.+]/g, '\\$&')}\\s*\\][^[]*?^\\s*aws_access_key_id\\s*=`, 'm');
          if (staticKey.test(creds)) {
            throw configError(`${credsFile} has static keys for [${name}], which win over lakekey's credential_process`, `Remove the [${name}] section from ${credsFile}.`);
          }
          if (process.env.AWS_ACCESS_KEY_ID) {
            throw configError('AWS_ACCESS_KEY_ID is set in this shell, which wins over every profile', 'Unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.');
          }
          return `${file} [profile ${name}] uses lakekey; no static keys shadow it`;
        },
      });
      const endpoint = s3ApiEndpoint(profile);
      if (endpoint) {
        checks.push({
          name: `${name}: S3 endpoint`,
          run: async () => {
            const file = awsConfigPath();
            const written = readProfileSetting(readOrEmpty(file), name, 'endpoint_url');
            if (written !== endpoint) {
              throw configError(`${file} [profile ${name}] has ${written ? `endpoint_url = ${written}` : 'no endpoint_url'}, so AWS tools go to AWS instead of ${endpoint}`, `Run \`lakekey configure-aws ${name}\` (or pass --endpoint-url ${endpoint}).`);
            }
            const old = oldEndpointTools();
            const tools = `endpoint_url = ${endpoint} (env: AWS_ENDPOINT_URL)`;
            return old.length ? `WARN ${tools}; but ${old.join(' and ')} ignore${old.length === 1 ? 's' : ''} endpoint_url (needs AWS CLI v2 ≥ 2.13 / botocore ≥ 1.31): pass --endpoint-url ${endpoint} to it, or upgrade` : tools;
          },
        });
      }
    }
    if (profile.lakefs) {
      const endpoint = profile.lakefs.endpoint;
      checks.push({
        name: `${name}: lakeFS`,
        run: async () => {
          const { lakefsApi } = await import('../core/lakefs.js');
          const res = await boundedFetch(5000)(`${lakefsApi(endpoint)}/healthcheck`).catch((err: unknown) => {
            throw new LakekeyError('LAKEFS_UNREACHABLE', `${endpoint} is unreachable (${(err as Error).message})`, { hint: 'Check the lakeFS endpoint URL, your network and proxy settings.' });
          });
          if (!res.ok) throw new LakekeyError('LAKEFS_REFUSED', `${endpoint} answers its health check with HTTP ${res.status}`, { hint: 'Check that the endpoint is the lakeFS server URL.' });
          return `${endpoint} is healthy`;
        },
      });
    }
    checks.push({
      name: `${name}: session`,
      run: async () => {
        const s = describe(name, await ctx.vault.read(name), ctx.now());
        if (!s.signedIn) throw new LakekeyError('LOGIN_REQUIRED', 'not logged in', { hint: `Run \`lakekey login ${name}\`.` });
        return `logged in as ${outside(s.email ?? s.subject ?? '')}${s.canRefresh ? ', renews silently' : ', no refresh token'}`;
      },
    });
  }
  for (const check of checks) {
    try {
      const said = await check.run();
      print(said.startsWith('WARN ') ? `warn  ${check.name}: ${said.slice(5)}` : `ok    ${check.name}: ${said}`);
    } catch (err) {
      const code = report(check.name, err);
      firstFailure ||= code;
    }
  }
  return firstFailure;

  function report(name: string, err: unknown): number {
    const e = asLakekeyError(err);
    print(`FAIL  ${name}: ${e.message}${e.hint ? `\n      fix: ${e.hint}` : ''}`);
    return e.exitCode;
  }
}

/** The installed AWS CLI and Python botocore versions too old for `endpoint_url` in a profile. */
function oldEndpointTools(): string[] {
  const version = (cmd: string, args: string[]): string | undefined => {
    try {
      return execFileSync(cmd, args, { encoding: 'utf8', timeout: 15_000, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
    } catch {
      return undefined;
    }
  };
  const older = (v: string, major: number, minor: number) => {
    const [a, b] = v.split('.').map(Number);
    return a < major || (a === major && b < minor);
  };
  const old: string[] = [];
  // "aws-cli/2.9.19 Python/3.11.2 Linux/6.1 source/x86_64.debian.12" or "aws-cli/1.36.0 … botocore/1.35.0"
  const cli = /aws-cli\/(\d+\.\d+)\S*(?:.*botocore\/(\d+\.\d+))?/.exec(version('aws', ['--version']) ?? '');
  if (cli && (cli[1].startsWith('2.') ? older(cli[1], 2, 13) : cli[2] !== undefined && older(cli[2], 1, 31))) old.push(`the AWS CLI on PATH (${cli[0].split(' ')[0]})`);
  const botocore = version('python3', ['-c', 'import botocore; print(botocore.__version__)']);
  if (botocore && /^\d+\.\d+/.test(botocore) && older(botocore, 1, 31)) old.push(`python3's botocore ${botocore} (boto3, s3fs)`);
  return old;
}

async function getJson(url: string, code: 'IDP_UNREACHABLE'): Promise<unknown> {
  try {
    return await (await boundedFetch(5000)(url)).json();
  } catch (err) {
    throw new LakekeyError(code, `${url} could not be read (${(err as Error).message})`, { hint: 'Check your network and proxy settings.' });
  }
}

async function probe(url: string, code: 'STS_UNREACHABLE'): Promise<void> {
  try {
    await boundedFetch(5000)(url, { method: 'GET' });
  } catch (err) {
    throw new LakekeyError(code, `${url} is unreachable (${(err as Error).message})`, { hint: 'Check the endpoint URL, your network and proxy settings.' });
  }
}

// ---- rendering -------------------------------------------------------------------------------

/** Standard output: what was asked for (a token, an env file, JSON), with controls replaced and the program's newlines kept. */
function print(text: string): void {
  process.stdout.write(stripControls(text, true) + '\n');
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** All of standard input, for secrets passed as `-` (never on the command line, where others can read them). */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** A text file's contents, or '' when it does not exist or cannot be read (for doctor's checks). */
function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
