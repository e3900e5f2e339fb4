// The settings file: profiles and nothing secret (DESIGN §3, §4). It is electron-store's file:
// `config.json` in the settings folder. This module reads it with plain fs (the hot path must
// stay light) and validates every field; settings-write.ts writes it through `conf`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configError, LakekeyError } from '../errors.js';
import { isKeychainKind, KEYCHAINS, type KeychainKind } from '../keychain/keychain-choice.js';
import { SETTINGS_FILE } from './paths.js';
import { fittingRefreshBefore } from '../../shared/freshness.js';
import { LIMITS, PROFILE_NAME } from '../../shared/limits.js';
import { fieldAt, PROFILE_SECTIONS } from '../../shared/profile-fields.js';
import { isSecureUrl } from '../../shared/secure-url.js';
import { isObject } from '../../shared/is-object.js';
import { KNOWN_BROWSERS, parseBrowserCommand } from '../../shared/browser-command.js';
import { LAKEFS_TOKEN_CLAIMS, parseSessionNameTemplate, templateClaims } from '../../shared/session-name.js';

export const SETTINGS_VERSION = 1;
export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'offline_access'];
export const DEFAULT_REFRESH_BEFORE = 1200;
export const DEFAULT_S3_DURATION = 3600;
export const DEFAULT_LAKEFS_TTL = 3600;

export interface S3Settings {
  /** STS endpoint; AWS's regional endpoint when absent. */
  stsEndpoint?: string;
  /** S3 API endpoint handed to tools (`endpoint_url`, AWS_ENDPOINT_URL); absent for AWS. */
  s3Endpoint?: string;
  region: string;
  roleArn?: string;
  durationSeconds: number;
  tokenSource: 'idp' | 'lakefs';
  /**
   * The STS role session name as a template over the web identity token's claims ("{email}");
   * absent: lakekey's default (the email, else the subject). See shared/session-name.ts.
   */
  sessionName?: string;
}

export interface LakefsSettings {
  endpoint: string;
  ttlSeconds: number;
  /** Opt-in: mirror the token into lakectl's plaintext cache file. */
  lakectlCache: boolean;
}

export interface Profile {
  issuer: string;
  clientId: string;
  /**
   * The IdP issued this (public, installed-app) client a secret it requires at the token
   * endpoint, as Google does. The secret lives in the keychain, never here. Not a security
   * boundary: such a secret ships with every copy of the app.
   */
  clientSecret?: boolean;
  scopes: string[];
  /** 0: any free port. */
  redirectPort: number;
  refreshBeforeSeconds: number;
  s3?: S3Settings;
  lakefs?: LakefsSettings;
  /**
   * The tray serves this profile's S3 credentials from its credentials endpoint (endpoint/), for
   * `lakekey env NAME --server` and SDKs that ask AWS_CONTAINER_CREDENTIALS_FULL_URI. Needs `s3`.
   */
  endpoint?: true;
  /**
   * The browser this profile's logins open (`--browser`): a known name with arguments, or a
   * command with {url} (shared/browser-command.ts); absent: LAKEKEY_BROWSER, else the default.
   */
  browser?: string;
}

/**
 * A profile the file holds that failed validation. It is listed, shown, repaired (`profile set`)
 * and removed, never used: nothing hands out credentials for it, connects to its URLs or writes
 * its values anywhere. The other profiles are not affected by it.
 */
export interface BrokenProfile {
  /** The profile as the file has it: written back unchanged, and what `profile set` repairs. */
  raw: unknown;
  /** Why it cannot be used, naming the profile, the field and the fix (exit 2). */
  problem: LakekeyError;
  /** The problem without the profile's name ("s3.durationSeconds: expected …"), for one-line lists. */
  reason: string;
}

export interface Settings {
  version: number;
  /** The profiles that passed validation on this read: the only ones anything uses. */
  profiles: Record<string, Profile>;
  /** The ones that did not, by name (a Map: names come from the file, "__proto__" included). */
  broken: Map<string, BrokenProfile>;
  /** A warning per profile whose value was adjusted on read to one that works (refresh-before). */
  notes: Map<string, string>;
  /**
   * Where secrets are kept, when chosen (`lakekey keychain`): "kernel" for the Linux kernel
   * keyring; absent or "os" for the OS keychain. LAKEKEY_KEYCHAIN wins over it (keychain-choice.ts).
   */
  keychain?: KeychainKind;
}

export { PROFILE_NAME };
/** AWS-style region names; the value lands in `https://sts.REGION.amazonaws.com` and in `region = …` lines. */
export const REGION = /^[a-z0-9-]{1,32}$/;
/**
 * Role ARNs: AWS's (`arn:aws:iam::123456789012:role/path/name`, also aws-cn, aws-us-gov, …),
 * MinIO's as it prints them at startup (`arn:minio:iam:REGION:ID:role/NAME`, region and ID
 * usually empty) and lakeFS's (`arn:lakefs:iam:::role/NAME`).
 */
export const ROLE_ARN = /^(?:arn:aws(?:-[a-z]+)*:iam::\d{12}:role\/|arn:(?:minio|lakefs):iam:[a-z0-9-]*:[\w-]*:role\/)[\w+=,.@/-]{1,512}$/;
/** Client ids go into URLs and forms: printable ASCII, no spaces. */
const CLIENT_ID = /^[\x21-\x7e]{1,512}$/;

export function emptySettings(): Settings {
  return { version: SETTINGS_VERSION, profiles: {}, broken: new Map(), notes: new Map() };
}

export function settingsPath(dir: string): string {
  return join(dir, SETTINGS_FILE);
}

/** Reads and validates the settings file; a missing file is an empty configuration. */
export function readSettings(dir: string): Settings {
  // Validated on every read (also the hot path): a tampered file is refused, never used.
  const file = settingsPath(dir);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptySettings();
    throw configError(`cannot read the settings file ${file}: ${(err as Error).message}`, 'Check its permissions (it should belong to you).');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw configError(
      `the settings file ${file} is not valid JSON`,
      'Fix it by hand, or move it aside and add your profiles again with `lakekey profile add`.',
    );
  }
  return parseSettings(raw, file);
}

/**
 * Validates the file and each profile in it. Only a problem with the file as a whole (not JSON,
 * another version, no profiles object) fails the read; a bad profile is set aside as broken
 * (Settings.broken) and the others stay usable, so one hand-edited value breaks one profile.
 */
export function parseSettings(raw: unknown, where = 'settings'): Settings {
  if (!isObject(raw)) throw configError(`${where}: expected a JSON object`);
  const version = raw.version ?? SETTINGS_VERSION;
  if (version !== SETTINGS_VERSION) {
    throw configError(`${where}: unsupported settings version ${JSON.stringify(version)}`, 'Upgrade lakekey.');
  }
  const rawProfiles = raw.profiles ?? {};
  if (!isObject(rawProfiles)) throw configError(`${where}: "profiles" must be an object`);
  const settings = emptySettings();
  if (raw.keychain !== undefined) {
    // A file-wide choice: a bad one fails the read, never quietly means another keychain.
    if (!isKeychainKind(raw.keychain)) {
      throw configError(
        `${where}: "keychain" must be ${KEYCHAINS.map((k) => `"${k}"`).join(' or ')}, not ${JSON.stringify(raw.keychain)}`,
        `Fix or remove "keychain" in ${where}.`,
      );
    }
    settings.keychain = raw.keychain;
  }
  const entries = Object.entries(rawProfiles);
  // Windows Credential Manager and macOS's default file system ignore case: "Work" and "work"
  // would share one keychain item, so one profile could read or overwrite the other's secrets.
  // Neither is used until one is renamed or removed.
  const byFoldedName = new Map<string, string[]>();
  for (const [name] of entries) byFoldedName.set(name.toLowerCase(), [...(byFoldedName.get(name.toLowerCase()) ?? []), name]);
  for (const [name, p] of entries) {
    const twins = byFoldedName.get(name.toLowerCase()) ?? [];
    try {
      const { profile, refreshBeforeAsked } = checkProfile(name, p, where);
      if (twins.length > 1) {
        const [first, second] = twins;
        throw configError(
          `${where}: profiles "${first}" and "${second}" differ only in upper/lower case`,
          `Rename one of them in ${where}, or remove one (\`lakekey profile remove ${second}\`).`,
        );
      }
      settings.profiles[name] = profile;
      if (refreshBeforeAsked !== undefined) settings.notes.set(name, refreshBeforeNote(name, refreshBeforeAsked, profile));
    } catch (err) {
      if (!(err instanceof LakekeyError)) throw err;
      settings.broken.set(name, broken(name, p, err, where));
    }
  }
  return settings;
}

/** The settings as the file stores them: the valid profiles, and the broken ones exactly as they were. */
export function storedSettings(s: Settings): { version: number; keychain?: KeychainKind; profiles: Record<string, unknown> } {
  // fromEntries defines own properties, so a broken "__proto__" profile stays a plain key.
  const brokenEntries = [...s.broken].filter(([name]) => !Object.hasOwn(s.profiles, name)).map(([name, b]) => [name, b.raw] as const);
  return {
    version: SETTINGS_VERSION,
    ...(s.keychain ? { keychain: s.keychain } : {}),
    profiles: Object.fromEntries([...Object.entries(s.profiles), ...brokenEntries]),
  };
}

/**
 * Applies `change` to `current` and returns the settings to write. Every profile the change leaves
 * in `profiles` must validate again (with the others: a case twin counts); broken profiles it did
 * not touch are carried over as they were.
 */
export function changeSettings(current: Settings, change: (s: Settings) => void, where = 'settings'): Settings {
  change(current);
  const next = parseSettings(JSON.parse(JSON.stringify(storedSettings(current))), where);
  for (const name of Object.keys(current.profiles)) {
    const b = next.broken.get(name);
    if (b) throw new LakekeyError('CONFIG', b.reason.startsWith('profiles ') ? b.reason : `profile "${name}": ${b.reason}`, { hint: b.problem.hint });
  }
  return next;
}

/** How a broken profile is said when something tries to use it: profile, field, and the command that repairs it. */
function broken(name: string, raw: unknown, err: LakekeyError & { field?: string }, where: string): BrokenProfile {
  const prefix = `${where}: profile "${name}": `;
  const reason = err.message.startsWith(prefix)
    ? err.message.slice(prefix.length)
    : err.message.startsWith(`${where}: `)
      ? err.message.slice(where.length + 2)
      : err.message;
  let way: string;
  if (!PROFILE_NAME.test(name)) way = `Rename or remove it in ${where}.`;
  else if (/differ only in upper\/lower case/.test(reason)) way = '';
  else {
    const section = (PROFILE_SECTIONS as readonly string[]).includes(err.field ?? '') ? err.field : undefined;
    const field = err.field ? fieldAt(err.field) : undefined;
    const set = `lakekey profile set ${name}`;
    if (section) way = `Fix it with \`${set} --unset ${section}\` (then set its ${section === 's3' ? 'S3' : 'lakeFS'} flags again), or edit ${where}.`;
    else if (field?.required) way = `Fix it with \`${set} --${field.flag} VALUE\`, or edit ${where}.`;
    // A switch is fixed by turning it off: `--FLAG` alone may be what does not fit (an endpoint without S3).
    else if (field?.boolean) way = `Fix it with \`${set} --unset ${field.flag}\`, or edit ${where}.`;
    else if (field) way = `Fix it with \`${set} --${field.flag} VALUE\` (or clear it with \`--unset ${field.flag}\`), or edit ${where}.`;
    else way = `Edit ${where}, or remove it (\`lakekey profile remove ${name}\`) and add it again.`;
  }
  const hint = [err.hint, way].filter(Boolean).join(' ');
  return { raw, reason, problem: new LakekeyError('CONFIG', `profile "${name}" cannot be used: ${reason} (in ${where})`, { hint }) };
}

/** The one-line warning for a refresh-before that was too long for the S3 duration and was lowered. */
function refreshBeforeNote(name: string, asked: number, p: Profile): string {
  return `profile "${name}": refresh-before (${asked} s) is not shorter than its S3 duration (${p.s3?.durationSeconds} s), so credentials are renewed ${p.refreshBeforeSeconds} s before they expire; \`lakekey profile set ${name} --refresh-before ${p.refreshBeforeSeconds}\` makes that the setting.`;
}

/**
 * The usable profile of that name. A broken one is refused with its problem (exit 2), never
 * used; `warn` receives the profile's note when a value was adjusted on read.
 */
export function getProfile(settings: Settings, name: string, warn?: (line: string) => void): Profile {
  const b = settings.broken.get(name);
  if (b) throw b.problem;
  const p = Object.hasOwn(settings.profiles, name) ? settings.profiles[name] : undefined;
  if (!p) {
    const known = [...Object.keys(settings.profiles), ...settings.broken.keys()];
    throw configError(
      `no profile named "${name}"`,
      known.length ? `Known profiles: ${known.join(', ')}.` : 'Add one with `lakekey profile add NAME --issuer URL --client-id ID`.',
    );
  }
  const note = settings.notes.get(name);
  if (note && warn) warn(note);
  return p;
}

/**
 * Validates one profile. `label` names a field in messages: by default its path in the settings
 * file ("settings: profile "work": s3.durationSeconds"); the CLI passes one that names the flag
 * the user typed ("--s3-duration"), so an error points at what to retype.
 */
export function parseProfile(name: string, raw: unknown, where = 'settings', label?: (field: string) => string): Profile {
  return checkProfile(name, raw, where, label).profile;
}

export interface CheckedProfile {
  profile: Profile;
  /**
   * The refresh-before the settings asked for, when it was not shorter than the S3 duration and
   * the profile got fittingRefreshBefore() instead (every call would have minted new credentials).
   */
  refreshBeforeAsked?: number;
}

/** parseProfile, also saying what was adjusted; its errors carry the settings path of the bad field (`field`). */
export function checkProfile(name: string, raw: unknown, where = 'settings', label?: (field: string) => string): CheckedProfile {
  let current: string | undefined;
  try {
    return checkFields(name, raw, where, (field) => {
      // Each check names its field before it runs, so the field is known when one throws.
      current = field;
      return label ? label(field) : `${where}: profile "${name}": ${field}`;
    });
  } catch (err) {
    if (err instanceof LakekeyError && current !== undefined) Object.defineProperty(err, 'field', { value: current, enumerable: false });
    throw err;
  }
}

function checkFields(name: string, raw: unknown, where: string, f: (field: string) => string): CheckedProfile {
  const at = `${where}: profile "${name}"`;
  if (!PROFILE_NAME.test(name)) throw configError(`${at}: names use letters, digits, '.', '_' and '-' (at most 64)`);
  if (!isObject(raw)) throw configError(`${at}: expected an object`);
  const profile: Profile = {
    issuer: endpointUrl(raw.issuer, f('issuer')),
    clientId: matching(
      raw.clientId,
      CLIENT_ID,
      f('clientId'),
      'a client id of printable characters without spaces',
      'Copy the client id from your identity provider.',
    ),
    scopes: scopes(raw.scopes ?? DEFAULT_SCOPES, f('scopes')),
    redirectPort: integer(raw.redirectPort ?? 0, ...LIMITS.redirectPort, f('redirectPort')),
    refreshBeforeSeconds: integer(raw.refreshBeforeSeconds ?? DEFAULT_REFRESH_BEFORE, ...LIMITS.refreshBeforeSeconds, f('refreshBeforeSeconds')),
  };
  if (raw.clientSecret !== undefined && boolean(raw.clientSecret, f('clientSecret'))) profile.clientSecret = true;
  if (raw.s3 !== undefined) {
    const s3 = raw.s3;
    if (!isObject(s3)) throw configError(`${f('s3')} must be an object`);
    const tokenSource = s3.tokenSource ?? 'idp';
    if (tokenSource !== 'idp' && tokenSource !== 'lakefs') throw configError(`${f('s3.tokenSource')} must be "idp" or "lakefs"`);
    profile.s3 = {
      region: matching(
        s3.region ?? 'us-east-1',
        REGION,
        f('s3.region'),
        'a region name of lowercase letters, digits and "-"',
        'Use a region such as us-east-1 (MinIO: its MINIO_SITE_REGION, usually us-east-1).',
      ),
      durationSeconds: integer(s3.durationSeconds ?? DEFAULT_S3_DURATION, ...LIMITS.s3DurationSeconds, f('s3.durationSeconds')),
      tokenSource,
    };
    if (s3.stsEndpoint !== undefined) profile.s3.stsEndpoint = endpointUrl(s3.stsEndpoint, f('s3.stsEndpoint'));
    if (s3.s3Endpoint !== undefined) profile.s3.s3Endpoint = endpointUrl(s3.s3Endpoint, f('s3.s3Endpoint'));
    if (s3.roleArn !== undefined) {
      profile.s3.roleArn = matching(
        s3.roleArn,
        ROLE_ARN,
        f('s3.roleArn'),
        'a role ARN',
        'Use arn:aws:iam::ACCOUNT:role/NAME (12-digit account), or the arn:minio:iam:…:role/… ARN MinIO prints at startup.',
      );
    }
    if (s3.sessionName !== undefined) profile.s3.sessionName = sessionNameTemplate(s3.sessionName, tokenSource, f('s3.sessionName'));
  }
  if (raw.lakefs !== undefined) {
    const l = raw.lakefs;
    if (!isObject(l)) throw configError(`${f('lakefs')} must be an object`);
    profile.lakefs = {
      endpoint: endpointUrl(l.endpoint, f('lakefs.endpoint')),
      ttlSeconds: integer(l.ttlSeconds ?? DEFAULT_LAKEFS_TTL, ...LIMITS.lakefsTtlSeconds, f('lakefs.ttlSeconds')),
      lakectlCache: boolean(l.lakectlCache ?? false, f('lakefs.lakectlCache')),
    };
  }
  if (profile.s3?.tokenSource === 'lakefs' && !profile.lakefs) {
    throw configError(`${f('s3.tokenSource')} "lakefs" needs a lakeFS endpoint`, 'Add --lakefs-endpoint URL.');
  }
  if (raw.endpoint !== undefined && boolean(raw.endpoint, f('endpoint'))) {
    if (!profile.s3) {
      throw configError(
        `${f('endpoint')}: the credentials endpoint serves S3 credentials, and profile "${name}" has no S3 settings`,
        'Add them (--s3-sts-endpoint URL for MinIO and lakeFS, --s3-role-arn ARN for AWS), or leave the endpoint off.',
      );
    }
    profile.endpoint = true;
  }
  if (raw.browser !== undefined) profile.browser = browserCommand(raw.browser, f('browser'));
  const asked = profile.refreshBeforeSeconds;
  if (profile.s3) profile.refreshBeforeSeconds = fittingRefreshBefore(asked, profile.s3.durationSeconds);
  return profile.refreshBeforeSeconds === asked ? { profile } : { profile, refreshBeforeAsked: asked };
}

/** AWS's own endpoints (STS and S3 alike), where tools need no endpoint setting. */
export function isAwsUrl(url: string): boolean {
  const host = new URL(url).hostname;
  return /(^|\.)amazonaws\.com(\.cn)?$/.test(host) || /(^|\.)api\.aws$/.test(host);
}

/**
 * The S3 API endpoint tools must be sent to (`endpoint_url`, AWS_ENDPOINT_URL): the profile's
 * own `s3Endpoint`, else its STS endpoint when that is not AWS's (MinIO serves STS and S3 at
 * one URL), else the lakeFS server for S3 through the lakeFS gateway; none for AWS.
 */
export function s3ApiEndpoint(p: Profile): string | undefined {
  if (!p.s3) return undefined;
  if (p.s3.s3Endpoint) return p.s3.s3Endpoint;
  if (p.s3.stsEndpoint) return isAwsUrl(p.s3.stsEndpoint) ? undefined : p.s3.stsEndpoint;
  if (p.s3.tokenSource === 'lakefs' && p.lakefs) return p.lakefs.endpoint.replace(/\/api\/v1$/, '');
  return undefined;
}

/** https, or http on a loopback host (DESIGN §3). Returns the URL without a trailing slash. */
export function endpointUrl(value: unknown, what: string): string {
  const fix = 'Use a plain URL such as https://host[:port][/path].';
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (typeof value === 'string' && /[\x00-\x1f\x7f-\x9f]/.test(value)) throw configError(`${what}: ${JSON.stringify(value)} contains control characters`, fix);
  const text = nonEmptyString(value, what);
  // Refuse what the URL parser would quietly drop or reinterpret (tabs and newlines are removed,
  // `\` becomes `/`, `@` starts userinfo, `#` and `?` end the authority), before parsing.
  if (!/^[\x21-\x7e]+$/.test(text) || /[@#?\\]/.test(text)) {
    throw configError(`${what}: ${JSON.stringify(text)} must not contain spaces, control characters, "@", "#", "?" or "\\"`, fix);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(`${what}: "${text}" is not a URL`, fix);
  }
  if (!url.hostname) throw configError(`${what}: "${text}" has no host`, fix);
  if (!isSecureUrl(url)) {
    throw configError(`${what}: "${text}" must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)`);
  }
  if (url.username || url.password) throw configError(`${what}: must not contain credentials`);
  if (url.search || url.hash) throw configError(`${what}: must not contain a query or fragment`);
  return url.href.replace(/\/+$/, '');
}

/**
 * A role session name template (shared/session-name.ts). With the lakeFS token as the web identity,
 * the claims are the lakeFS token's, where only `sub` (the lakeFS username) names the user.
 */
function sessionNameTemplate(value: unknown, tokenSource: S3Settings['tokenSource'], what: string): string {
  const text = nonEmptyString(value, what);
  const parsed = parseSessionNameTemplate(text);
  const fix = 'Write claims of the ID token in braces, with any text around them: "{email}", "{preferred_username}", "lakekey-{sub}".';
  if ('problem' in parsed) throw configError(`${what}: ${JSON.stringify(text)} ${parsed.problem}`, fix);
  const foreign = templateClaims(parsed.parts).filter((c) => !LAKEFS_TOKEN_CLAIMS.includes(c));
  if (tokenSource === 'lakefs' && foreign.length) {
    throw configError(
      `${what}: S3 through lakeFS (token source "lakefs") hands STS the lakeFS token, whose only claim that names the user is {sub} (the lakeFS username), not {${foreign[0]}}`,
      'Use {sub}, with any text around it, or leave the session name unset.',
    );
  }
  return text;
}

/** A profile's browser command, checked as it will be run (split, never given to a shell). */
function browserCommand(value: unknown, what: string): string {
  const text = nonEmptyString(value, what);
  const parsed = parseBrowserCommand(text);
  if ('problem' in parsed) {
    throw configError(
      `${what}: ${JSON.stringify(text)} ${parsed.problem}`,
      `Use a browser's name (${KNOWN_BROWSERS.join(', ')}), with arguments if you like ("chrome --profile-directory=Work"), or a command with {url} where the page goes ("/usr/bin/qutebrowser {url}").`,
    );
  }
  return text.trim();
}

function scopes(value: unknown, what: string): string[] {
  if (!Array.isArray(value) || value.some((s) => typeof s !== 'string' || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(s))) {
    throw configError(`${what}: expected a list of scope names`);
  }
  const list = [...new Set(value as string[])];
  if (!list.includes('openid')) list.unshift('openid');
  return list;
}

function matching(value: unknown, pattern: RegExp, what: string, expected: string, fix: string): string {
  const text = nonEmptyString(value, what);
  if (!pattern.test(text)) throw configError(`${what}: expected ${expected}, got ${JSON.stringify(value)}`, fix);
  return text;
}

function boolean(value: unknown, what: string): boolean {
  if (typeof value !== 'boolean') throw configError(`${what}: expected true or false, got ${JSON.stringify(value)}`);
  return value;
}

function nonEmptyString(value: unknown, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw configError(`${what}: expected a non-empty string`);
  return value.trim();
}

function integer(value: unknown, min: number, max: number, what: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw configError(`${what}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`);
  }
  return n;
}
