// `lakekey profile add|set|list|show|remove`: the profiles in the settings file (secrets in the
// keychain). Errors name the flag the user typed, not the settings field behind it.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { awsConfigPath, removeLakekeyAwsProfiles } from '../../core/config/aws-config.js';
import { configError, LakekeyError, usageError } from '../../core/errors.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import { lakectlCacheWarning } from '../../core/config/lakectl-config.js';
import { forget, logout, sayProfiles } from '../../core/usecases/session.js';
import { s3Mint } from '../../core/keychain/minted-with.js';
import { outside } from '../../core/text-gate.js';
import {
  checkProfile,
  getProfile,
  PROFILE_NAME,
  readSettings,
  s3ApiEndpoint,
  type BrokenProfile,
  type CheckedProfile,
  type Profile,
} from '../../core/config/settings.js';
import { updateSettings } from '../../core/config/settings-write.js';
import { fieldAt, fieldOfFlag, PROFILE_FIELDS } from '../../shared/profile-fields.js';
import { kinds } from '../../shared/profile-kinds.js';
import { isObject } from '../../shared/is-object.js';
import { closest, type Args } from '../args.js';
import { fileProblem } from '../file-problem.js';
import { compose } from '../compose.js';
import { say, warn } from '../output.js';
import { print, printJson, readStdin, table } from '../render.js';

/** "--s3-duration" for "s3.durationSeconds"; a whole section ("s3") by the flags that make it. */
function flagFor(field: string): string {
  const hit = fieldAt(field);
  if (hit) return `--${hit.flag}`;
  return field === 's3' ? 'the --s3-* flags' : field === 'lakefs' ? 'the --lakefs-* flags' : field;
}

/**
 * The fields `--unset` names, checked: optional fields by their flag's name, or a whole section.
 * Required fields and unknown words are refused with what to do instead.
 */
function unsetWords(a: Args, name: string): string[] {
  const spec = a.spec.flags.find((f) => f.name === 'unset');
  const words = spec ? (a.list('unset') ?? []) : [];
  const choices = spec?.choices ?? [];
  for (const word of words) {
    const field = fieldOfFlag(word);
    if (field?.required)
      throw usageError(`--unset ${word}: a profile cannot be without its ${word}`, `Change it with \`lakekey profile set ${name} --${word} VALUE\` instead.`);
    if (!choices.includes(word)) {
      const near = closest(word.replace(/^-+/, ''), choices);
      throw usageError(
        `--unset takes a field's flag name without dashes, not ${JSON.stringify(word)}${near ? `; did you mean "${near}"?` : ''}`,
        `It takes: ${choices.join(', ')}.`,
      );
    }
    if (a.has(word)) throw usageError(`--${word} and --unset ${word} ask for opposite things: pass one of them`, a.hint());
  }
  return words;
}

/** The raw profile `base` with every `--unset` and every flag the user passed applied, ready for parseProfile. */
function applyFlags(a: Args, base: unknown, clientSecret: string | undefined, unset: readonly string[]): Record<string, unknown> {
  // A broken profile may not even be an object; its fields are then what the flags give.
  const raw = isObject(base) ? structuredClone(base) : {};
  const section = (key: 's3' | 'lakefs') => (isObject(raw[key]) ? raw[key] : (raw[key] = {})) as Record<string, unknown>;
  for (const word of unset) {
    // The lakeFS endpoint is what makes a profile a lakeFS one: without it the part goes whole.
    const field = word === 'lakefs-endpoint' ? 'lakefs' : (fieldOfFlag(word)?.field ?? word);
    const [head, key] = field.split('.');
    if (!key) delete raw[head];
    else if (isObject(raw[head])) delete raw[head][key];
    // The credentials endpoint serves S3 credentials only: it goes with them (unless asked for again, which then says why it cannot).
    if (field === 's3' && !a.has('endpoint')) delete raw.endpoint;
  }
  for (const { flag, field, boolean } of PROFILE_FIELDS) {
    if (!a.has(flag)) continue;
    let value: unknown = flag === 'scope' ? a.list(flag) : boolean ? a.flag(flag) : a.string(flag);
    if (flag === 'client-secret') value = clientSecret !== undefined;
    const [head, key] = field.split('.');
    if (key) section(head as 's3' | 'lakefs')[key] = value;
    else raw[head] = value;
  }
  if (negated(a, 'lakectl-cache') && isObject(raw.lakefs)) raw.lakefs.lakectlCache = false;
  // Off is the absence of the field, as in a profile that never had it.
  if (negated(a, 'endpoint')) delete raw.endpoint;
  return raw;
}

/** `--no-FLAG` was passed (profile set); with `--FLAG` too it asks for opposite things. */
function negated(a: Args, flag: string): boolean {
  if (!a.spec.flags.some((f) => f.name === `no-${flag}`) || !a.flag(`no-${flag}`)) return false;
  if (a.has(flag)) throw usageError(`--${flag} and --no-${flag} ask for opposite things: pass one of them`, a.hint());
  return true;
}

/**
 * The settings folder, made if need be and checked writable before a change, so a folder you
 * cannot write (or a file in its place) is said as such, with the path, rather than as a
 * settings-file problem.
 */
export function writableSettingsDir(): string {
  const dir = checkedSettingsDir(process.env, process.platform);
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw fileProblem(err) ?? err;
  }
  return dir;
}

/**
 * The profile the flags make, validated; `note` says what was adjusted. A refresh-before not
 * shorter than the S3 duration would mint new credentials on every call: refused when the user
 * typed it, lowered to fit (and said) when it is the default or the value kept from before.
 */
function validate(name: string, raw: Record<string, unknown>, a: Args): { profile: Profile; note?: string } {
  let checked: CheckedProfile;
  try {
    checked = checkProfile(name, raw, `profile ${a.spec.name.split(' ')[1]}`, flagFor);
  } catch (err) {
    if (!(err instanceof LakekeyError) || err.hint) throw err;
    // A value from the file that the user did not retype (a broken profile's): say to retype it too.
    const field = fieldAt((err as LakekeyError & { field?: string }).field ?? '');
    if (field && !a.has(field.flag)) {
      throw configError(
        err.message,
        `Profile "${name}" has that value in its settings: pass --${field.flag}${field.boolean ? '' : ' VALUE'} as well${field.required ? '' : ` (or --unset ${field.flag})`}.`,
      );
    }
    // The usage line is a better hint than "edit the settings file" for a flag the user typed.
    throw configError(err.message, a.hint());
  }
  const { profile, refreshBeforeAsked: asked } = checked;
  if (profile.s3?.tokenSource === 'idp' && !profile.s3.stsEndpoint && !profile.s3.roleArn) {
    throw usageError('AWS STS needs a role to assume', 'Pass --s3-role-arn arn:aws:iam::ACCOUNT:role/NAME, or --s3-sts-endpoint for MinIO or lakeFS.');
  }
  if (asked === undefined || !profile.s3) return { profile };
  const duration = profile.s3.durationSeconds;
  if (a.has('refresh-before')) {
    throw usageError(
      `--refresh-before ${asked} is not shorter than the S3 credentials' lifetime (--s3-duration ${duration}), so every call would mint new ones`,
      `Pass --refresh-before ${profile.refreshBeforeSeconds} (a third of the lifetime) or less, or a longer --s3-duration.`,
    );
  }
  return {
    profile,
    note: `Note: profile "${name}" renews its S3 credentials ${profile.refreshBeforeSeconds} s before they expire (--refresh-before): ${asked} s would not fit their ${duration} s lifetime.\n`,
  };
}

async function clientSecretOf(a: Args): Promise<string | undefined> {
  const flag = a.string('client-secret');
  const secret = flag === '-' ? (await readStdin()).trim() : flag;
  if (secret !== undefined && !/^[\x21-\x7e]{1,512}$/.test(secret)) {
    throw usageError(
      '--client-secret must be printable characters without spaces',
      'Copy it from your identity provider; `--client-secret -` reads it from stdin.',
    );
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
  const { profile, note } = validate(name, applyFlags(a, {}, clientSecret, []), a);
  await updateSettings(dir, (s) => {
    if ((Object.hasOwn(s.profiles, name) || s.broken.has(name)) && !a.flag('force')) {
      throw configError(
        `profile "${name}" already exists`,
        `Change some of its fields with \`lakekey profile set ${name} --FLAG VALUE\`, pass --force to replace it, or remove it first.`,
      );
    }
    s.broken.delete(name);
    s.profiles[name] = profile;
  });
  // The secret goes to the keychain (never the settings file); a replaced profile without one drops it.
  if (clientSecret !== undefined) await compose(dir).vault.writeClientSecret(name, clientSecret);
  else if (a.flag('force'))
    await compose(dir)
      .vault.writeClientSecret(name, undefined)
      .catch(() => undefined);
  warnLakectl(profile);
  sayEndpoint(name, profile);
  if (note) say(note);
  say(`Added profile "${name}". Next: \`lakekey login ${name}\`${profile.s3 ? `, then \`lakekey configure-aws ${name}\`` : ''}.\n`);
  // Allowed (the login alone checks the IdP wiring, and the tray offers it), but say what it lacks.
  if (!profile.s3 && !profile.lakefs) {
    say(
      `Note: profile "${name}" has neither S3 nor lakeFS settings, so it hands out no credentials. Add them with \`lakekey profile set ${name} --s3-sts-endpoint URL\` (or --s3-role-arn ARN, or --lakefs-endpoint URL).\n`,
    );
  }
  return 0;
}

export async function set(a: Args): Promise<number> {
  const dir = writableSettingsDir();
  const name = a.positionals[0];
  const settings = readSettings(dir);
  // A broken profile can be repaired: the flags apply to its fields as the file has them.
  const broken = settings.broken.get(name);
  const current = broken ? undefined : getProfile(settings, name);
  const unset = unsetWords(a, name);
  const given = a.spec.flags
    .filter((f) => f.name !== 'unset' && a.has(f.name))
    .map((f) => `--${f.name}`)
    .concat(unset.map((w) => `--unset ${w}`));
  if (!given.length) throw usageError(`say what to change in profile "${name}", e.g. \`lakekey profile set ${name} --s3-duration 7200\``, a.hint());
  const clientSecret = await clientSecretOf(a);
  const { profile, note } = validate(name, applyFlags(a, broken ? broken.raw : JSON.parse(JSON.stringify(current)), clientSecret, unset), a);
  await updateSettings(dir, (s) => {
    if (!Object.hasOwn(s.profiles, name) && !s.broken.has(name)) getProfile(s, name); // removed meanwhile: say so rather than re-create it
    s.broken.delete(name);
    s.profiles[name] = profile;
  });
  if (clientSecret !== undefined) await compose(dir).vault.writeClientSecret(name, clientSecret);
  else if (unset.includes('client-secret')) await compose(dir).vault.writeClientSecret(name, undefined);
  warnLakectl(profile, current);
  sayEndpoint(name, profile, current);
  if (note) say(note);
  say(`Changed ${given.join(', ')} of profile "${name}".\n`);
  if (!current) {
    say(`Profile "${name}" is valid again and can be used.\n`);
    return 0;
  }
  if (profile.issuer !== current.issuer || profile.clientId !== current.clientId || profile.scopes.join(' ') !== current.scopes.join(' ')) {
    // The old session is never sent to the new settings (minted-with.ts); the next login revokes it where it was made.
    say(
      `The session was made with the old identity provider settings: run \`lakekey login ${name}\` again (it revokes the old session at ${outside(current.issuer)}; \`lakekey logout ${name}\` ends it now).\n`,
    );
  } else if (current.s3 && profile.s3 && JSON.stringify(s3Mint(profile)) !== JSON.stringify(s3Mint(current))) {
    say('S3 credentials minted with the old settings are replaced on next use.\n');
  }
  if (profile.s3 && (s3ApiEndpoint(profile) !== s3ApiEndpoint(current) || profile.s3.region !== current.s3?.region)) {
    say(`If an AWS profile is wired to it, run \`lakekey configure-aws ${name}\` again for the new endpoint or region.\n`);
  }
  return 0;
}

/** Where the endpoint is, when the profile has just been given it. */
function sayEndpoint(name: string, profile: Profile, before?: Profile): void {
  if (profile.endpoint && !before?.endpoint) {
    say(`The tray serves profile "${name}" from its credentials endpoint while it runs: \`eval "$(lakekey env ${name} --server)"\` points a shell at it.\n`);
  }
}

function warnLakectl(profile: Profile, before?: Profile): void {
  if (profile.lakefs?.lakectlCache && !before?.lakefs?.lakectlCache) {
    say(`Warning: ${lakectlCacheWarning()}\n`);
  }
}

export async function list(a: Args): Promise<number> {
  const { profiles, broken } = readSettings(checkedSettingsDir(process.env, process.platform));
  if (a.flag('json')) {
    printJson([...Object.entries(profiles).map(([name, p]) => ({ name, ...p })), ...[...broken].map(([name, b]) => ({ name, broken: brokenJson(b) }))]);
    return 0;
  }
  if (!Object.keys(profiles).length && !broken.size) say('No profiles yet. Add one with `lakekey profile add NAME --issuer URL --client-id ID`.\n');
  for (const [name, p] of Object.entries(profiles)) print(`${name}\t${p.issuer}\t${kinds(p)}`);
  for (const [name, b] of broken) print(`${name}\tBROKEN\t${b.reason}`);
  if (broken.size) say(`Broken profiles are not used until they are fixed; \`lakekey profile show NAME\` says how.\n`);
  return 0;
}

function brokenJson(b: BrokenProfile): { problem: string; fix: string | undefined } {
  return { problem: b.problem.message, fix: b.problem.hint };
}

export async function show(a: Args): Promise<number> {
  const name = a.positionals[0];
  const settings = readSettings(checkedSettingsDir(process.env, process.platform));
  const broken = settings.broken.get(name);
  if (broken) {
    // As the file has it, so the bad value can be seen (print() replaces control characters).
    if (a.flag('json')) printJson({ name, broken: brokenJson(broken), stored: broken.raw });
    else
      print(
        `${table([
          ['profile', name],
          ['BROKEN', broken.reason],
          ['fix', broken.problem.hint ?? ''],
        ])}\nas stored:\n${JSON.stringify(broken.raw, null, 2)}`,
      );
    return 0;
  }
  const profile = getProfile(settings, name, warn);
  if (a.flag('json')) printJson({ name, ...profile });
  else print(renderProfile(name, profile));
  return 0;
}

export async function remove(a: Args): Promise<number> {
  const dir = writableSettingsDir();
  const name = a.positionals[0];
  const settings = readSettings(dir);
  const broken = settings.broken.get(name);
  const profile = broken ? undefined : getProfile(settings, name);
  // A name lakekey never accepted never named a keychain item, a lock or an AWS section: only the file holds it.
  const written = profile !== undefined || PROFILE_NAME.test(name);
  let unrevoked = false;
  let keptFor: string[] = [];
  if (written) {
    const ctx = compose(dir);
    // A broken profile's issuer is not trusted with the refresh token: its session is forgotten here only.
    // A sign-in shared with other profiles stays theirs.
    if (profile) {
      const r = await logout(ctx, name, profile, { leaveShared: true });
      if (r.revocation.outcome === 'kept') keptFor = r.revocation.by;
    } else unrevoked = await forget(ctx, name);
    if (!profile || profile.clientSecret) await ctx.vault.writeClientSecret(name, undefined);
  }
  // Before the profile goes: a file problem here leaves it in place, so running remove again finishes the job.
  const aws = a.flag('keep-aws-config') || !written ? undefined : await removeLakekeyAwsProfiles(awsConfigPath(process.env), name);
  await updateSettings(dir, (s) => {
    delete s.profiles[name];
    s.broken.delete(name);
  });
  say(`Removed profile "${name}"${written ? ' and its keychain item' : ''}.\n`);
  if (keptFor.length) say(`Its sign-in at the identity provider stays: ${sayProfiles(keptFor)} share${keptFor.length === 1 ? 's' : ''} it.\n`);
  if (unrevoked) say('Its settings were broken, so its session was not revoked at the identity provider; sign out there if that matters.\n');
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
    ['browser', p.browser ?? 'LAKEKEY_BROWSER, else the system browser'],
  ];
  if (p.s3) {
    rows.push(
      ['S3 STS endpoint', p.s3.stsEndpoint ?? `AWS (${p.s3.region})`],
      ['S3 API endpoint', s3ApiEndpoint(p) ?? 'AWS (none needed)'],
      ['S3 region', p.s3.region],
      ['S3 role', p.s3.roleArn],
      ['S3 duration', `${p.s3.durationSeconds} s`],
      ['S3 token source', p.s3.tokenSource],
      ['S3 session name', p.s3.sessionName ?? 'default (the email, else the subject)'],
    );
  }
  if (p.lakefs)
    rows.push(
      ['lakeFS endpoint', p.lakefs.endpoint],
      ['lakeFS token TTL', `${p.lakefs.ttlSeconds} s`],
      ['lakectl cache file', p.lakefs.lakectlCache ? 'kept in sync (plaintext)' : 'off'],
    );
  if (p.s3) rows.push(['credentials endpoint', p.endpoint ? `served by the tray while it runs (\`lakekey env ${name} --server\`)` : 'off']);
  return table(rows.filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
}
