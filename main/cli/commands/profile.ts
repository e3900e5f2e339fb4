// `lakekey profile add|set|list|show|remove`: the profiles in the settings file (secrets in the
// keychain). Errors name the flag the user typed, not the settings field behind it.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { awsConfigPath, removeLakekeyAwsProfiles } from '../../core/aws-config.js';
import { configError, LakekeyError, usageError } from '../../core/errors.js';
import { checkedSettingsDir } from '../../core/paths.js';
import { logout } from '../../core/session.js';
import { getProfile, parseProfile, PROFILE_NAME, readSettings, s3ApiEndpoint, type Profile } from '../../core/settings.js';
import { updateSettings } from '../../core/settings-write.js';
import { kinds } from '../../shared/profile-kinds.js';
import type { Args } from '../args.js';
import { fileProblem } from '../file-problem.js';
import { compose } from '../compose.js';
import { say } from '../output.js';
import { print, printJson, readStdin, table } from '../render.js';

/** Each profile flag and the settings field it sets. */
const FIELDS: ReadonlyArray<readonly [flag: string, field: string]> = [
  ['issuer', 'issuer'],
  ['client-id', 'clientId'],
  ['client-secret', 'clientSecret'],
  ['scope', 'scopes'],
  ['redirect-port', 'redirectPort'],
  ['refresh-before', 'refreshBeforeSeconds'],
  ['s3-sts-endpoint', 's3.stsEndpoint'],
  ['s3-endpoint', 's3.s3Endpoint'],
  ['s3-region', 's3.region'],
  ['s3-role-arn', 's3.roleArn'],
  ['s3-duration', 's3.durationSeconds'],
  ['s3-token-source', 's3.tokenSource'],
  ['lakefs-endpoint', 'lakefs.endpoint'],
  ['lakefs-ttl', 'lakefs.ttlSeconds'],
  ['lakectl-cache', 'lakefs.lakectlCache'],
];

/** "--s3-duration" for "s3.durationSeconds"; a whole section ("s3") by the flags that make it. */
function flagFor(field: string): string {
  const hit = FIELDS.find(([, f]) => f === field);
  if (hit) return `--${hit[0]}`;
  return field === 's3' ? 'the --s3-* flags' : field === 'lakefs' ? 'the --lakefs-* flags' : field;
}

/** The raw profile `base` with every flag the user passed applied, ready for parseProfile. */
function applyFlags(a: Args, base: Record<string, unknown>, clientSecret: string | undefined): Record<string, unknown> {
  const raw = structuredClone(base);
  const section = (key: 's3' | 'lakefs') => (raw[key] ??= {}) as Record<string, unknown>;
  for (const [flag, field] of FIELDS) {
    if (!a.has(flag)) continue;
    let value: unknown = flag === 'scope' ? a.list(flag) : flag === 'lakectl-cache' ? a.flag(flag) : a.string(flag);
    if (flag === 'client-secret') value = clientSecret !== undefined;
    const [head, key] = field.split('.');
    if (key) section(head as 's3' | 'lakefs')[key] = value;
    else raw[head] = value;
  }
  if (a.spec.flags.some((f) => f.name === 'no-lakectl-cache') && a.flag('no-lakectl-cache') && raw.lakefs) (raw.lakefs as Record<string, unknown>).lakectlCache = false;
  return raw;
}

/**
 * The settings folder, made if need be and checked writable before a change, so a folder you
 * cannot write (or a file in its place) is said as such, with the path, rather than as a
 * settings-file problem.
 */
function writableSettingsDir(): string {
  const dir = checkedSettingsDir();
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw fileProblem(err) ?? err;
  }
  return dir;
}

function validate(name: string, raw: Record<string, unknown>, a: Args): Profile {
  let profile: Profile;
  try {
    profile = parseProfile(name, raw, `profile ${a.spec.name.split(' ')[1]}`, flagFor);
  } catch (err) {
    // The usage line is a better hint than "edit the settings file" for a flag the user typed.
    if (err instanceof LakekeyError && !err.hint) throw configError(err.message, a.hint());
    throw err;
  }
  if (profile.s3?.tokenSource === 'idp' && !profile.s3.stsEndpoint && !profile.s3.roleArn) {
    throw usageError('AWS STS needs a role to assume', 'Pass --s3-role-arn arn:aws:iam::ACCOUNT:role/NAME, or --s3-sts-endpoint for MinIO or lakeFS.');
  }
  return profile;
}

async function clientSecretOf(a: Args): Promise<string | undefined> {
  const flag = a.string('client-secret');
  const secret = flag === '-' ? (await readStdin()).trim() : flag;
  if (secret !== undefined && !/^[\x21-\x7e]{1,512}$/.test(secret)) {
    throw usageError('--client-secret must be printable characters without spaces', 'Copy it from your identity provider; `--client-secret -` reads it from stdin.');
  }
  return secret;
}

export async function add(a: Args): Promise<number> {
  const dir = writableSettingsDir();
  const name = a.positionals[0];
  if (!PROFILE_NAME.test(name)) throw usageError(`"${name}" is not a valid profile name`, 'Use letters, digits, ".", "_" and "-" (at most 64).');
  const missing = ['issuer', 'client-id'].filter((f) => !a.has(f)).map((f) => `--${f}`);
  if (missing.length) throw usageError(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required`, a.hint());
  const clientSecret = await clientSecretOf(a);
  const profile = validate(name, applyFlags(a, {}, clientSecret), a);
  await updateSettings(dir, (s) => {
    if (s.profiles[name] && !a.flag('force')) {
      throw configError(`profile "${name}" already exists`, `Change some of its fields with \`lakekey profile set ${name} --FLAG VALUE\`, pass --force to replace it, or remove it first.`);
    }
    s.profiles[name] = profile;
  });
  // The secret goes to the keychain (never the settings file); a replaced profile without one drops it.
  if (clientSecret !== undefined) await compose(dir).vault.writeClientSecret(name, clientSecret);
  else if (a.flag('force')) await compose(dir).vault.writeClientSecret(name, undefined).catch(() => undefined);
  warnLakectl(profile);
  say(`Added profile "${name}". Next: \`lakekey login ${name}\`${profile.s3 ? `, then \`lakekey configure-aws ${name}\`` : ''}.\n`);
  // Allowed (the login alone checks the IdP wiring, and the tray offers it), but say what it lacks.
  if (!profile.s3 && !profile.lakefs) {
    say(`Note: profile "${name}" has neither S3 nor lakeFS settings, so it hands out no credentials. Add them with \`lakekey profile set ${name} --s3-sts-endpoint URL\` (or --s3-role-arn ARN, or --lakefs-endpoint URL).\n`);
  }
  return 0;
}

export async function set(a: Args): Promise<number> {
  const dir = writableSettingsDir();
  const name = a.positionals[0];
  const current = getProfile(readSettings(dir), name);
  const given = a.spec.flags.filter((f) => a.has(f.name)).map((f) => `--${f.name}`);
  if (!given.length) throw usageError(`say what to change in profile "${name}", e.g. \`lakekey profile set ${name} --s3-duration 7200\``, a.hint());
  const clientSecret = await clientSecretOf(a);
  const profile = validate(name, applyFlags(a, JSON.parse(JSON.stringify(current)) as Record<string, unknown>, clientSecret), a);
  await updateSettings(dir, (s) => {
    getProfile(s, name); // removed meanwhile: say so rather than re-create it
    s.profiles[name] = profile;
  });
  if (clientSecret !== undefined) await compose(dir).vault.writeClientSecret(name, clientSecret);
  warnLakectl(profile, current);
  say(`Changed ${given.join(', ')} of profile "${name}".\n`);
  if (profile.issuer !== current.issuer || profile.clientId !== current.clientId || profile.scopes.join(' ') !== current.scopes.join(' ')) {
    say(`The session was made with the old identity provider settings: run \`lakekey login ${name}\` again.\n`);
  }
  if (profile.s3 && (s3ApiEndpoint(profile) !== s3ApiEndpoint(current) || profile.s3.region !== current.s3?.region)) {
    say(`If an AWS profile is wired to it, run \`lakekey configure-aws ${name}\` again for the new endpoint or region.\n`);
  }
  return 0;
}

function warnLakectl(profile: Profile, before?: Profile): void {
  if (profile.lakefs?.lakectlCache && !before?.lakefs?.lakectlCache) {
    say('Warning: --lakectl-cache writes the lakeFS token to ~/.lakectl/cache/lakectl_token_cache.json, a PLAINTEXT file any process of yours can read. lakectl reads no session token otherwise.\n');
  }
}

export async function list(a: Args): Promise<number> {
  const profiles = readSettings(checkedSettingsDir()).profiles;
  if (a.flag('json')) printJson(Object.entries(profiles).map(([name, p]) => ({ name, ...p })));
  else if (!Object.keys(profiles).length) say('No profiles yet. Add one with `lakekey profile add NAME --issuer URL --client-id ID`.\n');
  else for (const [name, p] of Object.entries(profiles)) print(`${name}\t${p.issuer}\t${kinds(p)}`);
  return 0;
}

export async function show(a: Args): Promise<number> {
  const name = a.positionals[0];
  const profile = getProfile(readSettings(checkedSettingsDir()), name);
  if (a.flag('json')) printJson({ name, ...profile });
  else print(renderProfile(name, profile));
  return 0;
}

export async function remove(a: Args): Promise<number> {
  const dir = writableSettingsDir();
  const name = a.positionals[0];
  const profile = getProfile(readSettings(dir), name);
  const ctx = compose(dir);
  await logout(ctx, name, profile);
  if (profile.clientSecret) await ctx.vault.writeClientSecret(name, undefined);
  // Before the profile goes: a file problem here leaves it in place, so running remove again finishes the job.
  const aws = a.flag('keep-aws-config') ? undefined : await removeLakekeyAwsProfiles(awsConfigPath(), name);
  await updateSettings(dir, (s) => {
    delete s.profiles[name];
  });
  say(`Removed profile "${name}" and its keychain item.\n`);
  const sections = (profiles: string[]) => profiles.map((p) => (p === 'default' ? '[default]' : `[profile ${p}]`)).join(', ');
  const backup = aws?.backup ? ` (backup: ${aws.backup})` : '';
  if (aws?.removed.length) say(`Removed ${sections(aws.removed)} from ${aws.file}${backup}.\n`);
  if (aws?.trimmed.length) {
    say(`Removed lakekey's keys from ${sections(aws.trimmed)} in ${aws.file}${aws.removed.length ? '' : backup}; your own settings there stay.\n`);
  }
  return 0;
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
