// The typed IPC contract between Electron main and the settings window (DESIGN §6). Every
// channel, its request and its response are declared once here; the preload builds the
// renderer's API from API_CHANNELS, and main registers its handlers through a wrapper typed by
// the same map. This file is imported by main, the preload bundle and the renderer, so it holds
// types and plain data only: no Node, no Electron, no core runtime code.
//
// Nothing in a response is ever secret: statuses come from the core's `describe`, snippets are
// command lines, and errors carry only the core's (redacted) message and hint.

/** The settings form as the user typed it: strings, so that main validates exactly what was entered. */
export interface ProfileDraft {
  issuer: string;
  clientId: string;
  /** Space-separated scope names; empty means the defaults. */
  scopes: string;
  /** Empty or 0: any free port. */
  redirectPort: string;
  refreshBeforeSeconds: string;
  s3Enabled: boolean;
  s3StsEndpoint: string;
  /** S3 API endpoint; empty: the STS endpoint when that is not AWS's, none for AWS. */
  s3Endpoint: string;
  s3Region: string;
  s3RoleArn: string;
  s3DurationSeconds: string;
  s3TokenSource: 'idp' | 'lakefs';
  /** The role session name template ("{email}"); empty: lakekey's default. */
  s3SessionName: string;
  /** The tray serves the S3 credentials from its credentials endpoint (only with S3). */
  endpointEnabled: boolean;
  lakefsEnabled: boolean;
  lakefsEndpoint: string;
  lakefsTtlSeconds: string;
  /** The browser this profile's logins open (`--browser`); empty: LAKEKEY_BROWSER, else the system browser. */
  browser: string;
}

/** The form fields a validation error can point at. */
export type DraftField = keyof ProfileDraft | 'name';

export interface FieldError {
  field: DraftField | 'form';
  message: string;
}

/** A non-secret view of one credential's lifetime. */
export interface TimeLeft {
  expiresAt: string;
  secondsLeft: number;
  /** How the tray and the window say it: "valid 59 min, until 21:10 local" (main/shared/duration.ts). */
  says: string;
}

export type ProfileState = 'signed-out' | 'ok' | 'expiring' | 'expired' | 'needs-login' | 'error';

export interface ProfileView {
  name: string;
  draft: ProfileDraft;
  /** What the profile provides, in words ("S3 via STS, lakeFS"). */
  kinds: string;
  state: ProfileState;
  /** One line for people: "Signed in as alice@example.com", "Not signed in", the keychain error… */
  summary: string;
  signedIn: boolean;
  who?: string;
  canRefresh: boolean;
  /** A renewal or a login is running for it right now. */
  renewing: boolean;
  s3?: TimeLeft;
  lakefs?: TimeLeft;
  /** The other profiles signed in by the same IdP session (same issuer, client and scopes): one login, one logout. */
  sharedWith?: string[];
}

export interface SaveRequest {
  name: string;
  draft: ProfileDraft;
  /** The name the profile had when the form opened; absent when adding. */
  originalName?: string;
}

export type ValidationResult = { ok: true } | { ok: false; errors: FieldError[] };

export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One check of a profile, in words a person understands (doctor's checks have the same shape). */
export interface CheckFinding {
  /** What was checked: "Identity provider", "STS", "lakeFS". */
  name: string;
  status: CheckStatus;
  /** The address that was contacted, when there was one. */
  target?: string;
  /** One sentence: what was found. */
  says: string;
  /** What to do about it (warn and fail). */
  fix?: string;
}

export interface CheckResult {
  /** Validation failed: nothing was contacted. */
  errors?: FieldError[];
  checks: CheckFinding[];
}

export interface Snippets {
  /** A `[profile NAME]` section for ~/.aws/config with the credential_process line. */
  awsConfig: string;
  /** `eval "$(lakekey env NAME)"`. */
  shell: string;
  /**
   * For a profile the tray serves from its credentials endpoint: `eval "$(lakekey env NAME --server)"`
   * for a shell, and the two variables a Spark/JVM job needs (the endpoint's URI and the path of
   * its token FILE — never the token).
   */
  endpoint?: string;
}

/** What a logout means for a profile the tray's credentials endpoint serves (the tray's notice and the window say it alike). */
export const ENDPOINT_AFTER_LOGOUT = 'The credentials endpoint hands out nothing for it until you log in again.';

export interface NameRequest {
  name: string;
}

/** One profile of a team's file, as importing it would treat yours. */
export interface ImportEntry {
  name: string;
  /** New, the same as yours, or differing from yours. */
  kind: 'new' | 'same' | 'differs';
  /** In words, as `lakekey profile import` says it: "new", "the same as yours", "differs: s3.region us-east-1 → eu-west-1". */
  says: string;
}

/** The plan of the team file picked in main's open-file dialog. */
export interface ImportPlanView {
  /** The file's base name, for display (main keeps the path; the window never sends one). */
  file: string;
  entries: ImportEntry[];
}

/** What an import did, by profile name. */
export interface ImportOutcome {
  added: string[];
  /** Differing ones, replaced because the window asked to. */
  replaced: string[];
  /** Differing ones left as they were. */
  kept: string[];
}

/** The error every channel can answer with: the core's code, message and hint (never a secret). */
export interface IpcError {
  code: string;
  message: string;
  hint?: string;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: IpcError };

/** Every channel: request and response. */
export interface IpcContract {
  'profiles:list': { request: null; response: ProfileView[] };
  'profiles:defaults': { request: null; response: ProfileDraft };
  'profiles:validate': { request: SaveRequest; response: ValidationResult };
  'profiles:save': { request: SaveRequest; response: ValidationResult };
  'profiles:remove': { request: NameRequest; response: null };
  'profiles:check': { request: SaveRequest; response: CheckResult };
  /** Main opens an open-file dialog (.json, .yaml, .yml), reads and plans the file; null: the dialog was cancelled. */
  'profiles:import-pick': { request: null; response: ImportPlanView | null };
  /** Imports the file main picked last (read and planned again): new profiles, and differing ones with `force`. */
  'profiles:import-apply': { request: { force: boolean }; response: ImportOutcome };
  'session:login': { request: NameRequest; response: ProfileView };
  /** A login that lets the user choose (or sign in as) another account at the IdP (`lakekey login --select-account`). */
  'session:login-other': { request: NameRequest; response: ProfileView };
  'session:refresh': { request: NameRequest; response: ProfileView };
  'session:logout': { request: NameRequest; response: ProfileView };
  'snippets:get': { request: NameRequest; response: Snippets };
  'snippets:copy': { request: NameRequest & { kind: keyof Snippets }; response: null };
  /** The window saw the network come back (the browser's `online` event): renewals re-plan. */
  'app:online': { request: null; response: null };
  /** Whether the tray starts at login (off by default). */
  'app:start-at-login': { request: null; response: boolean };
  /** Turns starting at login on or off; answers whether it is on now. */
  'app:set-start-at-login': { request: { enabled: boolean }; response: boolean };
}

export type Channel = keyof IpcContract;
export type RequestOf<C extends Channel> = IpcContract[C]['request'];
export type ResponseOf<C extends Channel> = IpcContract[C]['response'];

/** The renderer's method names and the channel each one invokes. The preload is generated from this. */
export const API_CHANNELS = {
  listProfiles: 'profiles:list',
  profileDefaults: 'profiles:defaults',
  validateProfile: 'profiles:validate',
  saveProfile: 'profiles:save',
  removeProfile: 'profiles:remove',
  checkProfile: 'profiles:check',
  pickImport: 'profiles:import-pick',
  applyImport: 'profiles:import-apply',
  login: 'session:login',
  loginOther: 'session:login-other',
  refresh: 'session:refresh',
  logout: 'session:logout',
  snippets: 'snippets:get',
  copySnippet: 'snippets:copy',
  networkOnline: 'app:online',
  startAtLogin: 'app:start-at-login',
  setStartAtLogin: 'app:set-start-at-login',
} as const satisfies Record<string, Channel>;

export type ApiMethod = keyof typeof API_CHANNELS;

/** Main → window events. They carry no data: the window asks again (profiles:list) what changed. */
export const EVENT_CHANNELS = {
  /** Sessions, settings or the scheduler's view changed, or a minute passed while the window is open. */
  onProfilesChanged: 'profiles:changed',
  /** The tray menu's "Import profiles…": the window starts an import (it asks main to pick the file). */
  onImportRequested: 'profiles:import-requested',
} as const;

export type EventMethod = keyof typeof EVENT_CHANNELS;
export type EventChannel = (typeof EVENT_CHANNELS)[EventMethod];

/**
 * The API the preload exposes as `window.lakekey`: one promise-returning function per channel,
 * and one subscribe function per event (it answers the unsubscribe function).
 */
export type LakekeyApi = {
  readonly [M in ApiMethod]: (request: RequestOf<(typeof API_CHANNELS)[M]>) => Promise<Outcome<ResponseOf<(typeof API_CHANNELS)[M]>>>;
} & {
  readonly [E in EventMethod]: (listener: () => void) => () => void;
};

/** Main's side: one handler per channel. Throwing is fine: the wrapper turns it into an Outcome. */
export type IpcHandlers = {
  [C in Channel]: (request: RequestOf<C>) => Promise<ResponseOf<C>>;
};

/** The name under which the preload exposes the API in the page. */
export const API_GLOBAL = 'lakekey';

export function channels(): Channel[] {
  return Object.values(API_CHANNELS);
}

export function eventChannels(): EventChannel[] {
  return Object.values(EVENT_CHANNELS);
}
