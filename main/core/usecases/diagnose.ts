// Diagnosis: the checks behind `lakekey doctor` and the tray window's Check, as structured
// results (name, ok/warn/fail, what was found in words a person understands, the fix), so each
// host renders them its own way. Every word from outside (a server's error, a claim) passes
// outside(): redacted and one line. Network calls go through the one `fetch` the caller passes.
import type { Clock } from '../ports.js';
import { wslCallbackFinding, type WslInfo } from '../login/wsl.js';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { awsConfigPath, lakekeyAwsProfiles, readProfileSetting } from '../config/aws-config.js';
import { ENDPOINT_URL, installedClients, newEnough, TOKEN_FILE, tooOld, type InstalledClients } from '../config/client-versions.js';
import { howToServe, runningEndpoints, type EndpointRecord } from '../endpoint/registry.js';
import { asLakekeyError, configError, LakekeyError, type ErrorCode } from '../errors.js';
import { chosenKeychain, kernelKeyringMeaning } from '../keychain/keychain-choice.js';
import { describe } from './session.js';
import { readStored } from './idp-session.js';
import { getProfile, readSettings, s3ApiEndpoint, type Profile } from '../config/settings.js';
import { checkServers, type CheckStatus, type ServerFinding } from './server-checks.js';
import { outside } from '../text-gate.js';
import type { SecretRecord } from '../keychain/record.js';
import { changedIdp, changedLakefs, changedS3, currentLakefs, sayChanged } from '../keychain/minted-with.js';
import { hasUsableIdToken } from '../../shared/freshness.js';

export type { CheckStatus };

/**
 * ok, warn and fail as the server checks have them; `info` is something to know that needs no
 * fixing (with the command for when you want it); `skip` is a check that could not be made, and why.
 * Neither changes doctor's exit code.
 */
export type DoctorStatus = CheckStatus | 'info' | 'skip';

export interface CheckResult {
  /** What was checked: "settings", "keychain", or "work: identity provider". */
  name: string;
  /** The profile the check is about, if any. */
  profile?: string;
  status: DoctorStatus;
  /** What was found, in words (redacted, one line). */
  words: string;
  /** What to do about a warning or a failure; for information, the command for when you want it. */
  fix?: string;
  /** A failure's error code and the exit code a CLI ends with for it. */
  code?: ErrorCode;
  exitCode?: number;
  /** A running credentials endpoint, on its own result (for scripts: no parsing of words). */
  endpoint?: Pick<EndpointRecord, 'owner' | 'port' | 'pid' | 'profiles'>;
}

export interface DiagnoseDeps {
  /** The settings folder. */
  dir: string;
  vault: { read(name: string): Promise<SecretRecord> };
  clock: Clock;
  /** Every request of the checks goes through this (a bounded, proxy-aware fetch). */
  fetch: typeof fetch;
  /** The bound that fetch applies, for the words of a timeout (default 5000). */
  timeoutMs?: number;
  /** The environment the AWS tools will run in (their config files, variables). */
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /**
   * What the installed AWS clients say their versions are (for `endpoint_url` and the endpoint's
   * token file); by default asks `aws` and `python3`, at most once per run, both at once.
   */
  clients?: () => Promise<InstalledClients>;
  /** WSL and the Windows user's .wslconfig, when lakekey runs in WSL (compose.ts's wslNetwork); undefined elsewhere. */
  wsl?: () => Promise<{ info: WslInfo; wslconfig: { path: string; text?: string; problem?: string } } | undefined>;
}

export interface DiagnoseOptions {
  /** Check only this profile (default: all). */
  profile?: string;
  /** Called with each result as soon as it is known (doctor prints as it goes). */
  onResult?: (result: CheckResult) => void;
}

interface Found {
  words: string;
  /** ok unless said otherwise (a failure is thrown). */
  status?: Exclude<DoctorStatus, 'fail'>;
  fix?: string;
  endpoint?: CheckResult['endpoint'];
}

interface Check {
  name: string;
  profile?: string;
  /** What was found; undefined when there is nothing to say (the check does not apply). */
  run(): Promise<Found | undefined>;
}

/** Runs every check; a failing check does not stop the others (but unreadable settings do). */
export async function diagnose(deps: DiagnoseDeps, opts: DiagnoseOptions = {}): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const add = (r: CheckResult) => {
    results.push(r);
    opts.onResult?.(r);
  };
  let settings;
  try {
    settings = readSettings(deps.dir);
  } catch (err) {
    add(failed('settings', undefined, err));
    return results;
  }
  // A broken profile fails its own settings check; the others are checked as usual.
  const brokenNames = opts.profile !== undefined ? (settings.broken.has(opts.profile) ? [opts.profile] : []) : [...settings.broken.keys()];
  const names = opts.profile !== undefined ? (brokenNames.length ? [] : [opts.profile]) : Object.keys(settings.profiles);
  const profiles = names.map((name) => [name, getProfile(settings, name)] as const);
  // The credentials endpoints running now (records of dead processes are swept, never shown), and
  // whether they concern this run: one runs, or a profile checked asks the tray to serve it.
  const running = runningEndpoints(deps.dir);
  const endpointRelevant = running.length > 0 || profiles.some(([, p]) => p.s3 && p.endpoint);
  // The clients are asked once, in the background while other checks run, and only when needed.
  let asked: Promise<InstalledClients> | undefined;
  const clients = () => (asked ??= (deps.clients ?? (() => installedClients()))().catch(() => ({})));
  if (endpointRelevant) void clients();
  const count = Object.keys(settings.profiles).length;
  add({ name: 'settings', status: 'ok', words: `${count} profile(s) in ${deps.dir}${settings.broken.size ? `, ${settings.broken.size} more broken` : ''}` });
  for (const name of brokenNames) add(failed(`${name}: settings`, name, settings.broken.get(name)?.problem));
  for (const name of names) {
    const note = settings.notes.get(name);
    if (note) add({ name: `${name}: settings`, profile: name, status: 'warn', words: note });
  }
  await run({
    name: 'keychain',
    run: async () => {
      await deps.vault.read(names[0] ?? '__lakekey_probe__');
      // Which keychain answered: the kernel keyring is said by name, with what that means.
      if (chosenKeychain(deps.env, settings.keychain, deps.platform) === 'kernel') {
        return { words: `the Linux kernel keyring, reachable; ${kernelKeyringMeaning()}` };
      }
      return { words: 'reachable and unlocked' };
    },
  });
  // In WSL: whether the Windows browser a login opens reaches the loopback callback.
  if (deps.wsl) {
    const wsl = deps.wsl;
    await run({
      name: 'WSL',
      run: async () => {
        const found = await wsl();
        return found ? wslCallbackFinding(found.info, found.wslconfig) : undefined;
      },
    });
  }
  for (const e of running) {
    const who = e.owner === 'tray' ? 'the tray' : '`lakekey serve`';
    const what = e.profiles.length ? `serves ${e.profiles.map((n) => `"${outside(n)}"`).join(', ')}` : 'serves no profile now';
    add({
      name: `credentials endpoint (${e.owner})`,
      status: 'ok',
      words: `${who}, pid ${e.pid}, on 127.0.0.1:${e.port}: ${what}`,
      endpoint: { owner: e.owner, port: e.port, pid: e.pid, profiles: [...e.profiles] },
    });
  }
  if (endpointRelevant)
    await run({
      name: 'endpoint clients',
      run: async () => tokenFileClients(await clients(), running.flatMap((e) => e.profiles)[0] ?? profiles.find(([, p]) => p.s3 && p.endpoint)?.[0] ?? 'NAME'),
    });
  for (const [name, profile] of profiles) {
    // The servers first (the same checks as the settings window's Check), then the rest.
    const findings = await checkServers({ fetch: deps.fetch, timeoutMs: deps.timeoutMs ?? 5000, clock: deps.clock }, profile, name);
    for (const f of findings) add(fromServer(name, f));
    add(
      clockCheck(
        name,
        findings.find((f) => f.name === 'Identity provider'),
      ),
    );
    for (const check of profileChecks(deps, name, profile, clients)) await run(check);
    await run({ name: `${name}: credentials endpoint`, profile: name, run: async () => servedBy(name, profile, running) });
  }
  return results;

  async function run(check: Check): Promise<void> {
    try {
      const found = await check.run();
      if (!found) return;
      add({
        name: check.name,
        profile: check.profile,
        status: found.status ?? 'ok',
        words: found.words,
        ...(found.fix ? { fix: found.fix } : {}),
        ...(found.endpoint ? { endpoint: found.endpoint } : {}),
      });
    } catch (err) {
      add(failed(check.name, check.profile, err));
    }
  }
}

/**
 * The clock, against the identity provider's: tokens are refused when clocks disagree. Read from
 * the Date header of the IdP's discovery answer, so it is checked only when discovery worked.
 */
function clockCheck(name: string, idp: ServerFinding | undefined): CheckResult {
  const base = { name: `${name}: clock`, profile: name };
  if (!idp || idp.status === 'fail') {
    return {
      ...base,
      status: 'skip',
      words: `not checked: it is compared with the identity provider's clock, and discovery failed (see "${name}: identity provider")`,
    };
  }
  if (idp.clockAheadMs === undefined) return { ...base, status: 'skip', words: 'not checked: the identity provider sends no Date header' };
  const skew = Math.round(idp.clockAheadMs / 1000);
  if (Math.abs(skew) > 60) {
    const e = new LakekeyError('CONFIG', `this computer's clock is ${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the IdP's`, {
      hint: 'Turn on automatic time sync (e.g. `timedatectl set-ntp true`); tokens are refused when clocks disagree.',
    });
    return failed(base.name, name, e);
  }
  return { ...base, status: 'ok', words: `within ${Math.abs(skew)} s of the IdP` };
}

/** A server check as one of doctor's results ("work: identity provider"). */
function fromServer(profile: string, f: ServerFinding): CheckResult {
  const label = f.name === 'Identity provider' ? 'identity provider' : f.name;
  const r: CheckResult = { name: `${profile}: ${label}`, profile, status: f.status, words: f.says };
  if (f.fix) r.fix = f.fix;
  if (f.code) Object.assign(r, { code: f.code, exitCode: new LakekeyError(f.code, f.says).exitCode });
  return r;
}

/** The exit code of the first failure, 0 when nothing failed (warnings are not failures). */
export function exitCodeOf(results: CheckResult[]): number {
  return results.find((r) => r.status === 'fail')?.exitCode ?? 0;
}

function failed(name: string, profile: string | undefined, err: unknown): CheckResult {
  const e = asLakekeyError(err);
  return { name, profile, status: 'fail', words: outside(e.message, 500), fix: e.hint, code: e.code, exitCode: e.exitCode };
}

function profileChecks(deps: DiagnoseDeps, name: string, profile: Profile, clients: () => Promise<InstalledClients>): Check[] {
  const env = deps.env;
  const checks: Check[] = [];
  if (profile.s3) {
    const file = awsConfigPath(env);
    const none = `no AWS profile in ${file} uses lakekey for "${name}"`;
    checks.push({
      name: `${name}: AWS config`,
      profile: name,
      run: async () => {
        const text = readOrEmpty(file);
        const wired = wiredAwsProfiles(text, name);
        if (!wired.length) {
          const other = readProfileSetting(text, name, 'credential_process');
          if (other !== undefined) {
            throw configError(
              `${file} [profile ${name}] has a credential_process that does not run lakekey for "${name}", so AWS tools given --profile ${name} get other credentials`,
              `Run \`lakekey configure-aws ${name}\` to point it at lakekey (or \`--aws-profile P\` to use another name).`,
            );
          }
          // Not a fault: `lakekey env` and `lakekey exec` hand credentials over without it.
          return {
            status: 'info',
            words: `${none}: fine for \`lakekey env\` and \`lakekey exec\`; AWS tools and SDKs given --profile ${name} need one`,
            fix: `To add [profile ${name}]: \`lakekey configure-aws ${name}\`.`,
          };
        }
        // Static keys win over credential_process in every SDK's chain: find any that shadow it.
        const credsFile = env.AWS_SHARED_CREDENTIALS_FILE || join(homedir(), '.aws', 'credentials');
        const creds = readOrEmpty(credsFile);
        for (const p of wired) {
          const staticKey = new RegExp(`^\\s*\\[\\s*${p.replace(/[.+]/g, '\\$&')}\\s*\\][^[]*?^\\s*aws_access_key_id\\s*=`, 'm');
          if (staticKey.test(creds)) {
            throw configError(
              `${credsFile} has static keys for [${p}], which win over lakekey's credential_process`,
              `Remove the [${p}] section from ${credsFile}.`,
            );
          }
        }
        if (env.AWS_ACCESS_KEY_ID) {
          throw configError(
            'AWS_ACCESS_KEY_ID is set in this shell, which wins over every profile',
            'Unset AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN.',
          );
        }
        return { words: `${file} ${wired.map((p) => `[profile ${p}]`).join(', ')} use${wired.length === 1 ? 's' : ''} lakekey; no static keys shadow it` };
      },
    });
    const endpoint = s3ApiEndpoint(profile);
    if (endpoint) {
      checks.push({
        name: `${name}: S3 endpoint`,
        profile: name,
        run: async () => {
          const text = readOrEmpty(file);
          const wired = wiredAwsProfiles(text, name);
          if (!wired.length) return { status: 'skip', words: `not checked: ${none} (\`lakekey env\` and \`exec\` export AWS_ENDPOINT_URL)` };
          for (const p of wired) {
            const written = readProfileSetting(text, p, 'endpoint_url');
            if (written !== endpoint) {
              throw configError(
                `${file} [profile ${p}] has ${written ? `endpoint_url = ${outside(written)}` : 'no endpoint_url'}, so AWS tools go to AWS instead of ${endpoint}`,
                `Run \`lakekey configure-aws ${name}${p === name ? '' : ` --aws-profile ${p}`}\` (or pass --endpoint-url ${endpoint}).`,
              );
            }
          }
          const old = tooOld(await clients(), ENDPOINT_URL);
          const words = `endpoint_url = ${endpoint} (env: AWS_ENDPOINT_URL)`;
          if (!old.length) return { words };
          return {
            words: `${words}; but ${old.join(' and ')} ignore${old.length === 1 ? 's' : ''} endpoint_url (needs AWS CLI v2 ≥ 2.13 / botocore ≥ 1.31)`,
            status: 'warn',
            fix: `Pass --endpoint-url ${endpoint} to it, or upgrade.`,
          };
        },
      });
    }
  }
  // The session, then each part of it minted under settings that have changed since (minted-with.ts).
  let record: SecretRecord | undefined;
  checks.push({
    name: `${name}: session`,
    profile: name,
    run: async () => {
      record = (await readStored(deps, name, profile)).record;
      const s = describe(name, record, deps.clock.now(), profile);
      if (!s.signedIn) throw new LakekeyError('LOGIN_REQUIRED', 'not logged in', { hint: `Run \`lakekey login ${name}\`.` });
      const who = outside(s.email ?? s.subject ?? '');
      const changed = changedIdp(profile, record.idp);
      if (changed.length) {
        const where = outside(record.idp?.minted?.issuer ?? profile.issuer);
        throw new LakekeyError(
          'LOGIN_REQUIRED',
          `logged in as ${who}, but before ${sayChanged(changed)} changed: that session is not used any more, and renewing needs a login`,
          {
            hint: `Run \`lakekey login ${name}\` (it also ends the old session at ${where}, where that identity provider offers revocation).`,
          },
        );
      }
      return { words: `logged in as ${who}${s.canRefresh ? ', renews silently' : ', no refresh token'}` };
    },
  });
  if (profile.s3)
    checks.push({ name: `${name}: S3 credentials`, profile: name, run: async () => (record ? staleS3(name, profile, record, deps.clock.now()) : undefined) });
  if (profile.lakefs) checks.push({ name: `${name}: lakeFS token`, profile: name, run: async () => (record ? staleLakefs(name, profile, record) : undefined) });
  return checks;
}

/** Stored S3 credentials minted under settings that have changed since: what happens to them. Undefined when they still match. */
function staleS3(name: string, profile: Profile, record: SecretRecord, now: number): Found | undefined {
  const changed = changedS3(profile, record.s3);
  if (!changed.length) return undefined;
  // Where the web identity came from changes with the setting that names it (unless the token source itself changed).
  const named = changed.flatMap((f) =>
    !f.includes(' ') ? [f] : changed.includes('s3-token-source') ? [] : [profile.s3?.tokenSource === 'lakefs' ? 'lakefs-endpoint' : 'issuer'],
  );
  const stale = `minted before ${sayChanged(named)} changed, so they are no longer handed out`;
  const login = `Run \`lakekey login ${name}\`.`;
  if (changedIdp(profile, record.idp).length)
    return { status: 'info', words: `${stale}; new ones are minted after the login the session needs (see "${name}: session")` };
  if (profile.s3?.tokenSource === 'lakefs') {
    if (currentLakefs(profile, record.lakefs, now))
      return { status: 'info', words: `${stale}; new ones are minted silently from the lakeFS token on next use (no login)` };
    return { status: 'warn', words: `${stale}; new ones need a browser login, for a new lakeFS token`, fix: login };
  }
  if (record.idp?.refreshToken || hasUsableIdToken(record.idp, now))
    return { status: 'info', words: `${stale}; new ones are minted silently on next use (no login)` };
  return { status: 'warn', words: `${stale}; new ones need a login (the session has no refresh token)`, fix: login };
}

/** A stored lakeFS token issued under settings that have changed since. Undefined when it still matches. */
function staleLakefs(name: string, profile: Profile, record: SecretRecord): Found | undefined {
  const changed = changedLakefs(profile, record.lakefs);
  if (!changed.length) return undefined;
  return {
    status: 'warn',
    words: `issued before ${sayChanged(changed)} changed, so it is no longer used; a new one needs a browser login (lakeFS tokens are renewed only that way)`,
    fix: `Run \`lakekey login ${name}\` (silent at the identity provider while its session lasts).`,
  };
}

/**
 * The AWS profiles that hand out this lakekey profile's credentials: those configure-aws wrote
 * (any --aws-profile name), and [profile NAME] when its credential_process runs
 * `credential-process` through some other path (a wrapper of the user's).
 */
function wiredAwsProfiles(text: string, name: string): string[] {
  const wired = lakekeyAwsProfiles(text, name);
  if (!wired.includes(name) && readProfileSetting(text, name, 'credential_process')?.includes('credential-process')) wired.unshift(name);
  return wired;
}

/**
 * Which running endpoint serves an S3 profile, or — when none does and the profile asks the tray
 * to, or another endpoint runs — how to get it served (information, not a fault: `env` and
 * `exec` hand credentials over without one). Nothing to say for a profile that has no use for one.
 */
function servedBy(name: string, profile: Profile, running: EndpointRecord[]): Found | undefined {
  if (!profile.s3) return undefined;
  const serving = running.filter((e) => e.profiles.includes(name));
  if (serving.length) {
    const where = serving.map((e) => `127.0.0.1:${e.port} (${e.owner === 'tray' ? 'the tray' : `\`lakekey serve\`, pid ${e.pid}`})`).join(' and ');
    return { words: `served on ${where}; point a shell at it with \`eval "$(lakekey env ${name} --server)"\`` };
  }
  if (!profile.endpoint && !running.length) return undefined;
  const words = profile.endpoint
    ? `the tray serves it from its credentials endpoint while it runs ("Serve from the tray's credentials endpoint" is on), and no running endpoint serves it now`
    : 'no running credentials endpoint serves it';
  return { status: 'info', words, fix: howToServe(name, profile.endpoint === true) };
}

/**
 * Whether the installed clients read the token file that the tray and `lakekey env NAME --server`
 * hand out; those too old read only the token itself, which `exec --server` passes. Nothing to
 * say when neither client is installed.
 */
function tokenFileClients(clients: InstalledClients, name: string): Found | undefined {
  const old = tooOld(clients, TOKEN_FILE);
  const fine = newEnough(clients, TOKEN_FILE);
  if (!old.length && !fine.length) return undefined;
  const variable = TOKEN_FILE.feature;
  if (!old.length) return { words: `${fine.join(' and ')} read${fine.length === 1 ? 's' : ''} ${variable}` };
  return {
    status: 'warn',
    words: `${old.join(' and ')} read${old.length === 1 ? 's' : ''} only AWS_CONTAINER_AUTHORIZATION_TOKEN, not the ${variable} that the tray and \`lakekey env NAME --server\` hand out (needs AWS CLI v2 ≥ ${TOKEN_FILE.awsCliV2} / botocore ≥ ${TOKEN_FILE.botocore})`,
    fix: `Upgrade ${old.length === 1 ? 'it' : 'them'}, or run the job under \`lakekey exec ${name} --server -- COMMAND\` (which passes the token itself), or after \`eval "$(lakekey env ${name} --server)"\` also \`export AWS_CONTAINER_AUTHORIZATION_TOKEN="$(cat "$${variable}")"\`.`,
  };
}

/** A text file's contents, or '' when it does not exist or cannot be read; a folder in its place is a finding of its own. */
function readOrEmpty(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EISDIR')
      throw configError(`${file} is a folder, not a file`, `Move the folder aside (\`mv ${file} ${file}.old\`); AWS tools need a file there.`);
    return '';
  }
}
