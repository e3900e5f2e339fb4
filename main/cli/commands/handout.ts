// `lakekey env`, `exec` and `token`: the profile's credentials handed to tools.
import { spawn } from 'node:child_process';
import { applyProfileSettings, awsConfigPath, credentialProcessCommand } from '../../core/config/aws-config.js';
import { asLakekeyError, ExitCode, LakekeyError, usageError } from '../../core/errors.js';
import { sayDuration } from '../../shared/duration.js';
import { currentLakefsToken, currentS3Credentials, fromContext } from '../../core/usecases/current-credentials.js';
import { lakefsServerUrl } from '../../core/exchange/lakefs.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import { isoSeconds, secondsLeft, type LakefsToken, type S3Credentials } from '../../core/keychain/record.js';
import { getProfile, readSettings, s3ApiEndpoint, type Profile } from '../../core/config/settings.js';
import { outside } from '../../core/text-gate.js';
import type { Args } from '../args.js';
import { compose } from '../compose.js';
import { say, stderrIsTerminal, warn } from '../output.js';
import { print } from '../render.js';
import { endpointSetting, selfCommand } from './aws.js';

interface Handout {
  profile: Profile;
  s3?: S3Credentials;
  lakefs?: LakefsToken;
}

/** The halves a run asked for with `--s3` / `--lakefs`; neither flag leaves it to the profile. */
interface Choice {
  s3: boolean;
  lakefs: boolean;
}

function choiceOf(a: Args): Choice {
  return { s3: a.flag('s3'), lakefs: a.flag('lakefs') };
}

/**
 * Whatever the profile hands to tools: S3 credentials and/or a lakeFS token, valid and fresh.
 *
 * The halves stand alone (README "Profiles with S3 and lakeFS"): lakeFS tokens renew only
 * through a browser login, S3 credentials mostly renew silently, so an hourly S3 job must not
 * stop because the lakeFS token ran out. A half the caller named (`--s3`, `--lakefs`), or the
 * only half a profile has, must be handed over: it is renewed by any means there is, else the
 * run fails with the error saying how to get it. Without a choice on a profile with both, each
 * half is handed over if it can be, and one line says which was left out and why.
 */
async function handout(name: string, choice: Choice): Promise<Handout> {
  const dir = checkedSettingsDir(process.env, process.platform);
  const ctx = compose(dir);
  const profile = getProfile(readSettings(dir), name, warn);
  const out: Handout = { profile };
  const s3 = () => currentS3Credentials(fromContext(ctx), name, profile, { interactive: true });
  const lakefs = (interactive: boolean, renew = true) => currentLakefsToken(fromContext(ctx), name, profile, { interactive, renew });
  if (choice.s3 || choice.lakefs || !(profile.s3 && profile.lakefs)) {
    const wantsLakefs = choice.lakefs || (!choice.s3 && Boolean(profile.lakefs));
    const wantsS3 = choice.s3 || (!choice.lakefs && Boolean(profile.s3));
    if (wantsLakefs) out.lakefs = await lakefs(true);
    if (wantsS3) out.s3 = await s3();
    return out;
  }
  // Both halves, no choice. lakeFS first: a login for it renews S3 in the same visit.
  let lakefsMissing: LakekeyError | undefined;
  let s3Missing: LakekeyError | undefined;
  try {
    // Only a person can renew a lakeFS token (a browser round trip): ask for one only when a
    // person started this run. A job from cron, CI or a script gets what is valid, at once.
    out.lakefs = personPresent() ? await lakefs(true) : await lakefs(false, false);
  } catch (err) {
    lakefsMissing = leftOut(err);
  }
  try {
    // S3 renews as credential-process renews it, the way the job's own SDK will ask later.
    out.s3 = await s3();
  } catch (err) {
    s3Missing = leftOut(err);
  }
  if (s3Missing && !out.lakefs) {
    // Nothing to hand over: fail with S3's reason; say lakeFS's too unless the same login fixes both.
    if (lakefsMissing && s3Missing.code !== 'LOGIN_REQUIRED')
      say(`lakekey: lakeFS cannot be handed over either: ${lakefsMissing.message}. ${fixFor(lakefsMissing, name, 'lakeFS')}.\n`);
    throw s3Missing;
  }
  if (lakefsMissing)
    say(`lakekey: handing over S3 only: ${lakefsMissing.message}. ${fixFor(lakefsMissing, name, 'lakeFS')}, or pass --s3 to ask for S3 alone.\n`);
  if (s3Missing) say(`lakekey: handing over lakeFS only: ${s3Missing.message}. ${fixFor(s3Missing, name, 'S3')}, or pass --lakefs to ask for lakeFS alone.\n`);
  return out;
}

/** A person started this run (a terminal on stdin or stderr): a login may be asked of them. */
function personPresent(): boolean {
  return Boolean(process.stdin.isTTY) || stderrIsTerminal();
}

/** A half that cannot be handed over now (a login needed, a server down); anything else stops the run. */
function leftOut(err: unknown): LakekeyError {
  const e = asLakekeyError(err);
  if (e.exitCode === ExitCode.loginRequired || e.exitCode === ExitCode.remote) return e;
  throw e;
}

/** What to do next for a half left out, without the closing period (the caller may add to it). */
function fixFor(e: LakekeyError, name: string, half: 'S3' | 'lakeFS'): string {
  if (e.exitCode === ExitCode.loginRequired) return `Run \`lakekey login ${name}\` for ${half} too`;
  return (e.hint ?? 'Retry when the server answers').replace(/\.$/, '');
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

export async function envCommand(a: Args): Promise<number> {
  const format = a.string('format') ?? 'sh';
  if (a.flag('server')) {
    if (a.flag('lakefs'))
      throw usageError('--server hands over S3 credentials only: drop --lakefs (or run `lakekey env NAME --lakefs` for the lakeFS token)', a.hint());
    const { serverEnv } = await import('./serve.js');
    print(renderEnv(serverEnv(a.positionals[0]), format));
    return 0;
  }
  print(renderEnv(envVars(await handout(a.positionals[0], choiceOf(a))), format));
  return 0;
}

export async function tokenCommand(a: Args): Promise<number> {
  if (!a.flag('lakefs')) throw usageError('say which token: --lakefs', a.hint());
  const dir = checkedSettingsDir(process.env, process.platform);
  const ctx = compose(dir);
  const name = a.positionals[0];
  const profile = getProfile(readSettings(dir), name, warn);
  // A usable stored token is answered from one keychain read, without the lock.
  const token = await currentLakefsToken(fromContext(ctx), name, profile, { interactive: true });
  const left = secondsLeft(token.expiresAt, ctx.clock.now());
  if (left < profile.refreshBeforeSeconds) say(`lakekey: this lakeFS token expires in ${sayDuration(left)}; \`lakekey login ${name}\` renews it.\n`);
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

export async function execCommand(a: Args): Promise<number> {
  const name = a.positionals[0];
  const [cmd, ...cmdArgs] = a.rest;
  // Usage first: a wrong command line never opens a login.
  if (a.flag('server') && a.flag('static')) throw usageError('--server and --static are two ways to hand over S3 credentials: pass one', a.hint());
  const h = await handout(name, choiceOf(a));
  const env: NodeJS.ProcessEnv = { ...process.env };
  let cleanup = () => {};
  if (a.flag('server')) {
    if (!h.s3) throw usageError(`--server serves S3 credentials, and profile "${name}" hands over none here`, a.hint());
    // The job asks a local endpoint that lives as long as it does; nothing that would win over
    // the endpoint in an SDK's default chain reaches it (no keys, profile, or AWS files).
    const { CHAIN_WINNERS, serveHere, serverVars } = await import('./serve.js');
    const dir = checkedSettingsDir(process.env, process.platform);
    const served = await serveHere(dir, compose(dir), [name]);
    const files = await emptyAwsFiles();
    for (const k of CHAIN_WINNERS) delete env[k];
    Object.assign(env, { AWS_CONFIG_FILE: files.config, AWS_SHARED_CREDENTIALS_FILE: files.credentials });
    Object.assign(env, serverVars(h.profile, served.endpoint.uri(name), { token: served.endpoint.token }), envVars({ profile: h.profile, lakefs: h.lakefs }));
    cleanup = () => {
      files.remove();
      void served.close();
    };
  } else if (h.s3 && !a.flag('static')) {
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
        say(
          `lakekey: cannot run "${outside(cmd)}": ${code === 'ENOENT' ? 'command not found' : 'permission denied'}.\n  Check the command name and your PATH.\n`,
        );
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
    base = readFileSync(awsConfigPath(process.env), 'utf8');
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

/** An empty AWS config and credentials file, private to one `exec --server`: the user's `[default]` keys must not win over the endpoint. */
async function emptyAwsFiles(): Promise<{ config: string; credentials: string; remove(): void }> {
  const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-exec-'));
  const config = join(dir, 'config');
  const credentials = join(dir, 'credentials');
  writeFileSync(config, '', { mode: 0o600 });
  writeFileSync(credentials, '', { mode: 0o600 });
  return { config, credentials, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
