// The settings file: profiles and nothing secret (DESIGN §3, §4). It is electron-store's file:
// `config.json` in the settings folder. This module reads it with plain fs (the hot path must
// stay light) and validates every field; settings-write.ts writes it through `conf`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { configError } from './errors.js';
import { SETTINGS_FILE } from './paths.js';

export const SETTINGS_VERSION = 1;
export const DEFAULT_SCOPES = ['openid', 'email', 'profile', 'offline_access'];
export const DEFAULT_REFRESH_BEFORE = 1200;
export const DEFAULT_S3_DURATION = 3600;
export const DEFAULT_LAKEFS_TTL = 3600;

export interface S3Settings {
  /** STS endpoint; AWS's regional endpoint when absent. */
  stsEndpoint?: string;
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

export const PROFILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function emptySettings(): Settings {
  return { version: SETTINGS_VERSION, profiles: {} };
}

export function settingsPath(dir: string): string {
  return join(dir, SETTINGS_FILE);
}

/** Reads and validates the settings file; a missing file is an empty configuration. */
export function readSettings(dir: string): Settings {
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
  for (const [name, p] of Object.entries(rawProfiles)) {
    profiles[name] = parseProfile(name, p, where);
  }
  return { version: SETTINGS_VERSION, profiles };
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

export function parseProfile(name: string, raw: unknown, where = 'settings'): Profile {
  const at = `${where}: profile "${name}"`;
  if (!PROFILE_NAME.test(name)) throw configError(`${at}: names use letters, digits, '.', '_' and '-' (at most 64)`);
  if (!isObject(raw)) throw configError(`${at}: expected an object`);
  const profile: Profile = {
    issuer: endpointUrl(raw.issuer, `${at}: issuer`),
    clientId: nonEmptyString(raw.clientId, `${at}: clientId`),
    scopes: scopes(raw.scopes ?? DEFAULT_SCOPES, `${at}: scopes`),
    redirectPort: integer(raw.redirectPort ?? 0, 0, 65535, `${at}: redirectPort`),
    refreshBeforeSeconds: integer(raw.refreshBeforeSeconds ?? DEFAULT_REFRESH_BEFORE, 60, 43200, `${at}: refreshBeforeSeconds`),
  };
  if (raw.s3 !== undefined) {
    const s3 = raw.s3;
    if (!isObject(s3)) throw configError(`${at}: s3 must be an object`);
    const tokenSource = s3.tokenSource ?? 'idp';
    if (tokenSource !== 'idp' && tokenSource !== 'lakefs') throw configError(`${at}: s3.tokenSource must be "idp" or "lakefs"`);
    profile.s3 = {
      region: nonEmptyString(s3.region ?? 'us-east-1', `${at}: s3.region`),
      durationSeconds: integer(s3.durationSeconds ?? DEFAULT_S3_DURATION, 900, 43200, `${at}: s3.durationSeconds`),
      tokenSource,
    };
    if (s3.stsEndpoint !== undefined) profile.s3.stsEndpoint = endpointUrl(s3.stsEndpoint, `${at}: s3.stsEndpoint`);
    if (s3.roleArn !== undefined) profile.s3.roleArn = nonEmptyString(s3.roleArn, `${at}: s3.roleArn`);
  }
  if (raw.lakefs !== undefined) {
    const l = raw.lakefs;
    if (!isObject(l)) throw configError(`${at}: lakefs must be an object`);
    profile.lakefs = {
      endpoint: endpointUrl(l.endpoint, `${at}: lakefs.endpoint`),
      ttlSeconds: integer(l.ttlSeconds ?? DEFAULT_LAKEFS_TTL, 60, 43200, `${at}: lakefs.ttlSeconds`),
      lakectlCache: l.lakectlCache === true,
    };
  }
  if (profile.s3?.tokenSource === 'lakefs' && !profile.lakefs) {
    throw configError(`${at}: s3.tokenSource "lakefs" needs a lakeFS endpoint`, 'Add --lakefs-endpoint URL.');
  }
  return profile;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function isLoopbackUrl(url: URL): boolean {
  return LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
}

/** https, or http on a loopback host (DESIGN §3). Returns the URL without a trailing slash. */
export function endpointUrl(value: unknown, what: string): string {
  const text = nonEmptyString(value, what);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw configError(`${what}: "${text}" is not a URL`);
  }
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
