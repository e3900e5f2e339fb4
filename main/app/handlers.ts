// The settings window's IPC handlers: one function per channel of main/ipc.ts, over the core's
// use cases. No Electron here (the clipboard is injected), so tests call these very functions.
// Nothing returned is secret: statuses come from `describe`, snippets are command lines.
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { credentialProcessCommand } from '../core/config/aws-config.js';
import { asLakekeyError, configError, errorText, noS3Settings, LakekeyError } from '../core/errors.js';
import {
  applyImport,
  describePlan,
  importResult,
  importWrites,
  isYamlFile,
  parseTeamFile,
  planImport,
  type ImportPlan,
} from '../core/config/profile-import.js';
import { checkServers } from '../core/usecases/server-checks.js';
import { endpointUri } from '../core/endpoint/server.js';
import {
  currentS3Credentials,
  statusOf,
  fromContext,
  logout,
  sayLogout,
  type Context,
  type LogoutOptions,
  type LogoutResult,
  type ProfileStatus,
} from '../core/usecases/session.js';
import { getProfile, s3ApiEndpoint, type Profile } from '../core/config/settings.js';
import { gate, outside } from '../core/text-gate.js';
import type { CheckResult, ImportOutcome, ImportPlanView, IpcHandlers, ProfileView, SaveRequest, Snippets, ValidationResult } from '../ipc.js';
import { defaultDraft, validateDraft } from './profile-form.js';
import { profileView } from './profile-view.js';
import type { ProfileSchedule } from './scheduler.js';
import type { SettingsStore } from './settings-store.js';
import type { StartAtLogin } from './start-at-login.js';

export interface HandlerDeps {
  settings: SettingsStore;
  ctx: Context;
  /** The one interactive login per profile (shared with the tray menu and the login broker). */
  login(name: string, opts?: { selectAccount?: boolean }): Promise<void>;
  /** Silent renewal now (through the scheduler when there is one). */
  refresh?(name: string): Promise<void>;
  /** The scheduler's view of a profile, for the state shown. */
  schedule?(name: string): ProfileSchedule | undefined;
  /** Sessions or settings changed: re-plan, rebuild the menu. */
  changed?(): void;
  /** Electron's clipboard: writeText settles once the text is on the clipboard. */
  clipboard: { writeText(text: string): Promise<void> | void };
  /** argv that runs the lakekey CLI (the packaged wrapper script, or node + dist/main/cli/lakekey.js). */
  cliCommand(): string[];
  /** Bound for the Check probes. */
  probeTimeoutMs?: number;
  /** A login for the profile is running (the tray's single-flight). */
  loggingIn?(name: string): boolean;
  /** The window saw the network come back. */
  networkOnline?(): void;
  /** The tray's logout: the core's, with the profile not served by the credentials endpoint while it runs. */
  logout?(name: string, profile: Profile, opts?: LogoutOptions): Promise<LogoutResult>;
  /** Where the tray's credentials endpoint listens and its token file is, while it runs. */
  endpoint?(): EndpointPlace | undefined;
  /** Starting the tray at login (the menu's toggle and the window's switch). */
  startAtLogin?: StartAtLogin;
  /** Asks for a team's settings file to import (Electron's open-file dialog): its path, or undefined when cancelled. */
  pickImportFile?(): Promise<string | undefined>;
}

/** Where the tray's credentials endpoint is: nothing secret (the token stays in its file). */
export interface EndpointPlace {
  port: number;
  tokenFile: string;
}

export async function viewOf(deps: HandlerDeps, name: string, profile: Profile): Promise<ProfileView> {
  let status: ProfileStatus | undefined;
  let error: string | undefined;
  try {
    status = await statusOf(deps.ctx, name, profile);
  } catch (err) {
    const e = asLakekeyError(err);
    error = `${e.message}${e.hint ? `. ${e.hint}` : ''}`;
  }
  const schedule = deps.schedule?.(name);
  const renewing = Boolean(schedule?.renewing || deps.loggingIn?.(name));
  return profileView({ name, profile, renewing, ...(status ? { status } : {}), ...(error ? { error } : {}), ...(schedule ? { schedule } : {}) });
}

export async function listViews(deps: HandlerDeps): Promise<ProfileView[]> {
  const { profiles } = deps.settings.read();
  const views: ProfileView[] = [];
  for (const name of Object.keys(profiles).sort()) views.push(await viewOf(deps, name, profiles[name]));
  return views;
}

function validate(deps: HandlerDeps, req: SaveRequest) {
  const { profiles, broken } = deps.settings.read();
  const keep = req.originalName && Object.hasOwn(profiles, req.originalName) ? profiles[req.originalName] : undefined;
  // A broken profile's name is taken too: saving over it would drop it unseen.
  return validateDraft(req.name.trim(), req.draft, {
    existing: [...Object.keys(profiles), ...broken.keys()],
    ...(req.originalName ? { originalName: req.originalName } : {}),
    ...(keep ? { keep } : {}),
  });
}

export function snippets(deps: HandlerDeps, name: string, profile: Profile): Snippets {
  const line = credentialProcessCommand([...deps.cliCommand(), 'credential-process', name]);
  const lines = [`[profile ${name}]`, `credential_process = ${line}`];
  if (profile.s3) lines.push(`region = ${profile.s3.region}`);
  const endpoint = s3ApiEndpoint(profile);
  if (endpoint) lines.push(`endpoint_url = ${endpoint}`);
  const served = profile.s3 && profile.endpoint;
  return {
    awsConfig: lines.join('\n') + '\n',
    shell: `eval "$(lakekey env ${name})"`,
    ...(served ? { endpoint: endpointSnippet(name, deps.endpoint?.()) } : {}),
  };
}

/** The shell line that points a shell at the running endpoint that serves `name`. */
export function endpointShellLine(name: string): string {
  return `eval "$(lakekey env ${name} --server)"`;
}

/** The shell line that finds the running endpoint, and the two variables a JVM's AWS SDK reads (the token's FILE, never the token). */
export function endpointSnippet(name: string, place: EndpointPlace | undefined): string {
  const lines = [
    "# a shell: the variables for the tray's endpoint",
    endpointShellLine(name),
    "# a Spark/JVM job's environment (the AWS SDK's container credentials provider)",
  ];
  if (place) lines.push(`AWS_CONTAINER_CREDENTIALS_FULL_URI=${endpointUri(place.port, name)}`, `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${place.tokenFile}`);
  else lines.push("# (the tray's credentials endpoint is not running: its notice said why)");
  return lines.join('\n') + '\n';
}

const SNIPPET_KINDS: ReadonlyArray<keyof Snippets> = ['awsConfig', 'shell', 'endpoint'];

/** Runs the profile's checks (IdP discovery, STS and lakeFS reachability) and says what it found. */
export async function checkProfile(deps: HandlerDeps, req: SaveRequest): Promise<CheckResult> {
  const v = validate(deps, req);
  if (!v.ok) return { errors: v.errors, checks: [] };
  const profile = v.profile;
  const timeoutMs = deps.probeTimeoutMs ?? 5000;
  // The same server checks as `lakekey doctor`, on the profile as typed (not saved yet).
  const send: typeof fetch = (url, init) => deps.ctx.fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
  const findings = await checkServers({ fetch: send, timeoutMs }, profile);
  const checks = findings.map(({ name, target, status, says, fix }) => ({ name, target, status, says: gate(says), ...(fix ? { fix: gate(fix) } : {}) }));
  return { checks };
}

/**
 * The team file at `file` read and planned against the current settings, as `lakekey profile
 * import` plans it (errors name the file by its base name: that is what the window shows).
 */
async function planFile(deps: HandlerDeps, file: string): Promise<ImportPlan[]> {
  const name = basename(file);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw configError(
      `cannot read ${outside(name)} (${outside(errorText(err), 200)})`,
      'Check that the file is still there and that you may read it, then pick it again.',
    );
  }
  return planImport(name, await parseTeamFile(name, text, isYamlFile(file)), deps.settings.read());
}

function profileNamed(deps: HandlerDeps, name: string): Profile {
  return getProfile(deps.settings.read(), name);
}

export function createHandlers(deps: HandlerDeps): IpcHandlers {
  const logoutOf = (name: string, profile: Profile, opts: LogoutOptions = {}) =>
    deps.logout ? deps.logout(name, profile, opts) : logout(deps.ctx, name, profile, opts);
  /** The team file the user picked last and whose plan the window shows: main's to keep, never the window's to name. */
  let importFile: string | undefined;
  return {
    'profiles:list': async () => listViews(deps),
    'profiles:defaults': async () => defaultDraft(),
    'profiles:validate': async (req): Promise<ValidationResult> => {
      const v = validate(deps, req);
      return v.ok ? { ok: true } : { ok: false, errors: v.errors };
    },
    'profiles:save': async (req): Promise<ValidationResult> => {
      const v = validate(deps, req);
      if (!v.ok) return { ok: false, errors: v.errors };
      const name = req.name.trim();
      const renamed = req.originalName && req.originalName !== name ? req.originalName : undefined;
      const before = renamed ? profileNamed(deps, renamed) : undefined;
      deps.settings.update((s) => {
        if (renamed) delete s.profiles[renamed];
        s.profiles[name] = v.profile;
      });
      if (renamed && before) {
        // The old name's session ends as `logout` ends it: refresh token revoked at the IdP,
        // keychain item removed; a sign-in shared with other profiles (the renamed one among
        // them, when its IdP settings are unchanged) stays theirs. Otherwise the renamed profile logs in afresh.
        await logoutOf(renamed, before, { leaveShared: true }).catch(() => deps.ctx.vault.remove(renamed).catch(() => undefined));
      }
      deps.changed?.();
      return { ok: true };
    },
    'profiles:remove': async ({ name }) => {
      const profile = profileNamed(deps, name);
      await logoutOf(name, profile, { leaveShared: true });
      deps.settings.update((s) => {
        delete s.profiles[name];
      });
      deps.changed?.();
      return null;
    },
    'profiles:check': async (req) => checkProfile(deps, req),
    'profiles:import-pick': async (): Promise<ImportPlanView | null> => {
      if (!deps.pickImportFile) throw new LakekeyError('USAGE', 'picking a file to import is offered by the tray app only');
      const file = await deps.pickImportFile();
      if (!file) return null; // cancelled: the plan the window shows, if any, still stands
      // A file that cannot be imported leaves nothing to apply, not the plan before it.
      importFile = undefined;
      const plans = await planFile(deps, file);
      importFile = file;
      return { file: basename(file), entries: plans.map((p) => ({ name: p.name, kind: p.kind, says: describePlan(p) })) };
    },
    'profiles:import-apply': async ({ force }): Promise<ImportOutcome> => {
      if (!importFile) {
        throw new LakekeyError('USAGE', 'no file to import: pick one first', { hint: 'Choose "Import profiles…" and pick a team\'s settings file.' });
      }
      // Read and planned again: the file or your settings may have changed since the plan was shown.
      const plans = await planFile(deps, importFile);
      const result = importResult(plans, force);
      if (importWrites(result)) {
        deps.settings.update((s) => void applyImport(s, plans, force));
        deps.changed?.();
      }
      return result;
    },
    'session:login': async ({ name }) => {
      profileNamed(deps, name);
      await deps.login(name);
      deps.changed?.();
      return viewOf(deps, name, profileNamed(deps, name));
    },
    'session:login-other': async ({ name }) => {
      profileNamed(deps, name);
      await deps.login(name, { selectAccount: true });
      deps.changed?.();
      return viewOf(deps, name, profileNamed(deps, name));
    },
    'session:refresh': async ({ name }) => {
      const profile = profileNamed(deps, name);
      if (!profile.s3) throw noS3Settings(name, 'so there is nothing to refresh');
      if (deps.refresh) await deps.refresh(name);
      else await currentS3Credentials(fromContext(deps.ctx), name, profile, { interactive: false, force: true });
      deps.changed?.();
      return viewOf(deps, name, profile);
    },
    'session:logout': async ({ name }) => {
      const profile = profileNamed(deps, name);
      const result = await logoutOf(name, profile);
      deps.changed?.();
      sayLogout(name, profile, result); // a failed revocation reaches the window as the error it is
      return viewOf(deps, name, profile);
    },
    'snippets:get': async ({ name }) => snippets(deps, name, profileNamed(deps, name)),
    'snippets:copy': async ({ name, kind }) => {
      if (!SNIPPET_KINDS.includes(kind)) throw new LakekeyError('USAGE', `unknown snippet "${String(kind)}"`);
      const text = snippets(deps, name, profileNamed(deps, name))[kind];
      if (text === undefined)
        throw new LakekeyError('USAGE', `the tray's credentials endpoint does not serve profile "${name}"`, {
          hint: "Turn it on in the profile's settings (it needs S3 settings).",
        });
      await deps.clipboard.writeText(text);
      return null;
    },
    'app:online': async () => {
      deps.networkOnline?.();
      return null;
    },
    'app:start-at-login': async () => deps.startAtLogin?.enabled() ?? false,
    'app:set-start-at-login': async ({ enabled }) => {
      if (!deps.startAtLogin) throw new LakekeyError('USAGE', 'starting at login is offered by the tray app only');
      const now = deps.startAtLogin.set(enabled);
      deps.changed?.();
      return now;
    },
  };
}
