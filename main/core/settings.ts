// The settings file: profiles and nothing secret (DESIGN §3, §4). It is electron-store's file:
// `config.json` in the settings folder. This module reads it with plain fs (the hot path must
// stay light) and validates every field; settings-write.ts writes it through `conf`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configError, LakekeyError } from './errors.js';
import { SETTINGS_FILE } from './paths.js';
import { LIMITS, PROFILE_NAME } from '../shared/limits.js';

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
}

export interface Settings {
  version: number;
  profiles: Record<string, Profile>;
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
  return { version: SETTINGS_VERSION, profiles: {} };
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

export function parseSettings(raw: unknown, where = 'settings'): Settings {
  if (!isObject(raw)) throw configError(`${where}: expected a JSON object`);
  const version = raw.version ?? SETTINGS_VERSION;
  if (version !== SETTINGS_VERSION) {
    throw configError(`${where}: unsupported settings version ${JSON.stringify(version)}`, 'Upgrade lakekey.');
  }
  const profiles: Record<string, Profile> = {};
  const rawProfiles = raw.profiles ?? {};
  if (!isObject(rawProfiles)) throw configError(`${where}: "profiles" must be an object`);
  const byFoldedName = new Map<string, string>();
  for (const [name, p] of Object.entries(rawProfiles)) {
    profiles[name] = parseProfileNamingFix(name, p, where);
    // Windows Credential Manager and macOS's default file system ignore case: "Work" and "work"
    // would share one keychain item, so one profile could read or overwrite the other's secrets.
    const other = byFoldedName.get(name.toLowerCase());
    if (other !== undefined) {
      throw configError(`${where}: profiles "${other}" and "${name}" differ only in upper/lower case`, `Rename one of them (\`lakekey profile remove ${name}\`, then add it under another name).`);
    }
    byFoldedName.set(name.toLowerCase(), name);
  }
  return { version: SETTINGS_VERSION, profiles };
}

/** parseProfile, with the way out named: fix the field by hand, or write the profile again. */
function parseProfileNamingFix(name: string, raw: unknown, where: string): Profile {
  try {
    return parseProfile(name, raw, where);
  } catch (err) {
    if (!(err instanceof LakekeyError) || !PROFILE_NAME.test(name)) throw err;
    const way = `Edit ${where}, or change it with \`lakekey profile set ${name} --FLAG VALUE\`.`;
    throw new LakekeyError('CONFIG', err.message, { hint: err.hint ? `${err.hint} ${way}` : way });
  }
}

export function getProfile(settings: Settings, name: string): Profile {
  const p = Object.hasOwn(settings.profiles, name) ? settings.profiles[name] : undefined;
  if (!p) {
    const known = Object.keys(settings.profiles);
    throw configError(
      `no profile named "${name}"`,
      known.length ? `Known profiles: ${known.join(', ')}.` : 'Add one with `lakekey profile add NAME --issuer URL --client-id ID`.',
    );
  }
  return p;
}

/**
 * Validates one profile. `label` names a field in messages: by default its path in the settings
 * file ("settings: profile "work": s3.durationSeconds"); the CLI passes one that names the flag
 * the user typed ("--s3-duration"), so an error points at what to retype.
 */
export function parseProfile(name: string, raw: unknown, where = 'settings', label?: (field: string) => string): Profile {
  const at = `${where}: profile "${name}"`;
  const f = (field: string) => (label ? label(field) : `${at}: ${field}`);
  if (!PROFILE_NAME.test(name)) throw configError(`${at}: names use letters, digits, '.', '_' and '-' (at most 64)`);
  if (!isObject(raw)) throw configError(`${at}: expected an object`);
  const profile: Profile = {
    issuer: endpointUrl(raw.issuer, f('issuer')),
    clientId: matching(raw.clientId, CLIENT_ID, f('clientId'), 'a client id of printable characters without spaces', 'Copy the client id from your identity provider.'),
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
      region: matching(s3.region ?? 'us-east-1', REGION, f('s3.region'), 'a region name of lowercase letters, digits and "-"', 'Use a region such as us-east-1 (MinIO: its MINIO_SITE_REGION, usually us-east-1).'),
      durationSeconds: integer(s3.durationSeconds ?? DEFAULT_S3_DURATION, ...LIMITS.s3DurationSeconds, f('s3.durationSeconds')),
      tokenSource,
    };
    if (s3.stsEndpoint !== undefined) profile.s3.stsEndpoint = endpointUrl(s3.stsEndpoint, f('s3.stsEndpoint'));
    if (s3.s3Endpoint !== undefined) profile.s3.s3Endpoint = endpointUrl(s3.s3Endpoint, f('s3.s3Endpoint'));
    if (s3.roleArn !== undefined) {
      profile.s3.roleArn = matching(s3.roleArn, ROLE_ARN, f('s3.roleArn'), 'a role ARN', 'Use arn:aws:iam::ACCOUNT:role/NAME (12-digit account), or the arn:minio:iam:…:role/… ARN MinIO prints at startup.');
    }
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
  return profile;
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

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
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
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackUrl(url))) {
    throw configError(`${what}: "${text}" must use https (plain http is allowed only for 127.0.0.1, ::1 and localhost)`);
  }
  if (url.username || url.password) throw configError(`${what}: must not contain credentials`);
  if (url.search || url.hash) throw configError(`${what}: must not contain a query or fragment`);
  return url.href.replace(/\/+$/, '');
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
