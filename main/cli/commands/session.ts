// `lakekey login`, `logout` and `status`: the session with the identity provider, and how long
// what it gave stays valid — said one way everywhere (duration.ts: "valid 59 min, until 21:10 local").
import { sayClock, sayDuration, sayValidity } from '../../shared/duration.js';
import { LakekeyError, noLakefsSettings, noS3Settings, usageError } from '../../core/errors.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import {
  deviceLogin,
  login,
  logout,
  MIN_TOKEN_SECONDS,
  sayLogout,
  sayProfiles,
  statusOf,
  type Context,
  type ProfileStatus,
} from '../../core/usecases/session.js';
import { getProfile, readSettings, type Profile } from '../../core/config/settings.js';
import { sayChanged } from '../../core/keychain/minted-with.js';
import type { SecretRecord } from '../../core/keychain/record.js';
import { gate, outside } from '../../core/text-gate.js';
import type { Args } from '../args.js';
import { compose } from '../compose.js';
import { say, stderrIsTerminal, warn, writeErr } from '../output.js';
import { print, printJson, table } from '../render.js';

/** How the profile's credentials are renewed, the same words in `login` and `status`. */
export function renewal(p: Profile, s: Pick<ProfileStatus, 'signedIn' | 'canRefresh'>): string {
  const s3 = p.s3 ? (p.s3.tokenSource === 'idp' && s.canRefresh ? 'silently' : 'by login') : undefined;
  if (p.lakefs) return s3 === 'silently' ? 'S3 silently, lakeFS by browser login' : 'by browser login';
  if (!s.signedIn) return '—';
  return s.canRefresh ? 'silently' : 'needs login';
}

export async function loginCommand(a: Args): Promise<number> {
  const timeoutSeconds = a.integer('timeout', 10, 3600);
  if (a.flag('device') && a.flag('no-browser')) throw usageError('--device and --no-browser are two ways to log in: pass one', a.hint());
  const loginHint = a.string('login-hint');
  if (loginHint !== undefined && (!/^[^\p{Cc}\p{Cf}]{1,256}$/u.test(loginHint) || !loginHint.trim())) {
    throw usageError('--login-hint takes an account name such as an email: 1 to 256 characters, no control characters', a.hint());
  }
  if (a.flag('device') && (a.flag('select-account') || loginHint !== undefined)) {
    throw usageError(
      `--${a.flag('select-account') ? 'select-account' : 'login-hint'} is for the browser login; with --device you choose the account on the device where you enter the code`,
      a.hint(),
    );
  }
  const dir = checkedSettingsDir(process.env, process.platform);
  const name = a.positionals[0];
  const profile = getProfile(readSettings(dir), name, warn);
  const options = {
    noBrowser: a.flag('no-browser'),
    timeoutSeconds,
    selectAccount: a.flag('select-account'),
    ...(loginHint !== undefined ? { loginHint: loginHint.trim() } : {}),
  };
  await loginAndSay(dir, name, profile, options, a.flag('device'));
  return 0;
}

/** The login itself, with the live wait on a terminal and the lines that say what it gave (`login`, and `lakectl login`). */
export async function loginAndSay(
  dir: string,
  name: string,
  profile: Profile,
  options: { noBrowser: boolean; timeoutSeconds?: number; selectAccount?: boolean; loginHint?: string },
  device = false,
): Promise<SecretRecord> {
  const { timeoutSeconds } = options;
  const wait = liveWait(compose(dir), timeoutSeconds ?? 300);
  // Ctrl-C while waiting for the browser: say so (the lock a killed process leaves is stale at once).
  process.once('SIGINT', () => {
    wait.stop();
    say(`\nlakekey: the login for profile "${name}" was cancelled; nothing was changed.\n`);
    process.exit(130);
  });
  let record;
  try {
    record = device ? await deviceLogin(wait.ctx, name, profile, options) : await login(wait.ctx, name, profile, options);
  } finally {
    wait.stop();
  }
  const now = Date.now();
  const who = outside(record.idp?.email ?? record.idp?.subject ?? 'unknown user');
  const how = renewal(profile, { signedIn: Boolean(record.idp), canRefresh: Boolean(record.idp?.refreshToken) });
  say(`Logged in to profile "${name}" as ${who}.\n`);
  const along = (await statusOf(wait.ctx, name, profile)).sharedWith;
  if (along?.length)
    say(
      `${sayProfiles(along)} share${along.length === 1 ? 's' : ''} this sign-in (the same identity provider, client and scopes): no login of ${along.length === 1 ? 'its' : 'their'} own needed.\n`,
    );
  if (record.s3) say(`S3 credentials: ${sayValidity(record.s3.expiresAt, now)}.\n`);
  if (record.lakefs) say(`lakeFS token: ${sayValidity(record.lakefs.expiresAt, now)}.\n`);
  if (record.s3 || record.lakefs) say(`Renewed: ${how}${how.includes('browser') ? ' (lakeFS tokens are renewed only by a browser login)' : ''}.\n`);
  if (!record.idp?.refreshToken && !profile.lakefs) {
    say('Note: the identity provider gave no refresh token, so you will need to log in again when these expire.\n');
  }
  return record;
}

/**
 * On a terminal, the wait for the browser is alive: one line on stderr counting down the time
 * left, redrawn each second and cleared before any other line. Only when stderr is a TTY, so it
 * never reaches a log, a pipe or the AWS CLI's capture of credential_process.
 */
function liveWait(ctx: Context, timeoutSeconds: number): { ctx: Context; stop(): void } {
  if (!stderrIsTerminal()) return { ctx, stop() {} };
  const frames = ['|', '/', '-', '\\'];
  let timer: NodeJS.Timeout | undefined;
  let deadline = 0;
  let frame = 0;
  let shown = false;
  const clear = () => {
    if (shown) writeErr('\r\x1b[2K');
    shown = false;
  };
  const draw = () => {
    const left = sayDuration(Math.max(0, (deadline - Date.now()) / 1000));
    writeErr(`\r\x1b[2K${gate(`${frames[frame++ % frames.length]} waiting for the login: ${left} left (Ctrl-C to stop)`)}`);
    shown = true;
  };
  const notice = (text: string) => {
    clear();
    ctx.notice(text);
    if (!timer && /waiting up to/.test(text)) {
      deadline = Date.now() + timeoutSeconds * 1000;
      timer = setInterval(draw, 1000);
      timer.unref();
    }
    if (timer) draw();
  };
  return {
    ctx: { ...ctx, notice },
    stop() {
      clearInterval(timer);
      clear();
    },
  };
}

export async function logoutCommand(a: Args): Promise<number> {
  const dir = checkedSettingsDir(process.env, process.platform);
  const name = a.positionals[0];
  const profile = getProfile(readSettings(dir), name);
  const result = await logout(compose(dir), name, profile);
  const { revocation, issuer, removed } = result;
  if (a.flag('json')) {
    printJson({
      profile: name,
      revocation: revocation.outcome,
      ...(issuer ? { issuer } : {}),
      removed,
      ...(revocation.outcome === 'failed' ? { error: revocation.error.message } : {}),
      ...(result.loggedOutToo ? { loggedOutToo: result.loggedOutToo } : {}),
    });
  }
  say(`${sayLogout(name, profile, result)}\n`);
  return 0;
}

export async function statusCommand(a: Args): Promise<number> {
  if (a.flag('check') && !a.positionals.length) throw usageError('--check needs a profile name', a.hint());
  const dir = checkedSettingsDir(process.env, process.platform);
  const ctx = compose(dir);
  const settings = readSettings(dir);
  // A broken profile is shown as such (with its problem on stderr, and exit 2), the others as usual.
  const broken = a.positionals.length ? [...settings.broken].filter(([n]) => n === a.positionals[0]) : [...settings.broken];
  const names = a.positionals.length ? (broken.length ? [] : [a.positionals[0]]) : Object.keys(settings.profiles);
  for (const n of names) getProfile(settings, n);
  if (a.flag('check') && broken.length) throw broken[0][1].problem;
  const statuses: ProfileStatus[] = [];
  for (const n of names) statuses.push(await statusOf(ctx, n, settings.profiles[n], ctx.failures.read(n)));
  if (a.flag('check')) return check(a, settings.profiles[statuses[0].name], statuses[0]);
  const brokenExit = () => {
    for (const [, b] of broken) say(`lakekey: ${b.problem.message}\n  ${b.problem.hint ?? ''}\n`);
    return broken.length ? broken[0][1].problem.exitCode : 0;
  };
  if (a.flag('json')) {
    printJson([
      ...statuses.map((s) => ({ ...s, renews: renewal(settings.profiles[s.name], s) })),
      ...broken.map(([name, b]) => ({ name, broken: { problem: b.problem.message, fix: b.problem.hint } })),
    ]);
    return brokenExit();
  }
  if (!statuses.length && !broken.length) {
    say('No profiles yet. Add one with `lakekey profile add NAME --issuer URL --client-id ID`.\n');
    return 0;
  }
  const now = ctx.clock.now();
  const validity = (v: { expiresAt: string } | undefined) => (v ? sayValidity(Date.parse(v.expiresAt), now) : 'none');
  const rows = [['PROFILE', 'USER', 'S3', 'LAKEFS', 'RENEWS']];
  for (const s of statuses) {
    const p = settings.profiles[s.name];
    const who = s.signedIn
      ? outside(s.email ?? s.subject ?? '') +
        (s.stale?.idp ? ` (made before ${sayChanged(s.stale.idp)} changed: log in)` : '') +
        (s.sharedWith ? ` (sign-in shared with ${s.sharedWith.join(', ')})` : '')
      : 'not logged in';
    const s3 = !p.s3
      ? '—'
      : s.stale?.s3 && s.s3
        ? `minted before ${sayChanged(s.stale.s3)} changed: ${s.canRefresh ? 'renewed on next use' : 'log in'}`
        : validity(s.s3);
    const lakefs = !p.lakefs ? '—' : s.stale?.lakefs && s.lakefs ? `issued before ${sayChanged(s.stale.lakefs)} changed: log in` : validity(s.lakefs);
    const failing = s.renewalFailing ? ` — failing since ${sayClock(Date.parse(s.renewalFailing.since))} (${s.renewalFailing.code})` : '';
    rows.push([s.name, who, s3, lakefs, renewal(p, s) + failing]);
  }
  for (const [name] of broken) rows.push([name, 'BROKEN settings (see below)', '—', '—', '—']);
  print(table(rows));
  return brokenExit();
}

/**
 * `status --check`, for scripts: 0 when the credentials asked for can be had without a person
 * (valid and made under the current settings, or renewable silently), else LOGIN_REQUIRED (3)
 * saying which half needs the login. `--s3` or `--lakefs` checks that half alone, as `env` and
 * `exec` hand it over alone (README "Profiles with S3 and lakeFS"); without either, every half
 * the profile has must pass.
 */
function check(a: Args, p: Profile, s: ProfileStatus): number {
  const name = s.name;
  if (a.flag('s3') && !p.s3) throw noS3Settings(name, '', `Check its lakeFS half with \`lakekey status --check ${name} --lakefs\`.`);
  if (a.flag('lakefs') && !p.lakefs) throw noLakefsSettings(name, `Check its S3 half with \`lakekey status --check ${name} --s3\`.`);
  const either = a.flag('s3') || a.flag('lakefs');
  const usable = (left: number | undefined) => left !== undefined && left > MIN_TOKEN_SECONDS; // the rule of isUsable(), on describe()'s seconds
  const lakefsOk = s.signedIn && usable(s.lakefs?.secondsLeft) && !s.stale?.lakefs;
  // S3 renews silently from the refresh token, or (token source lakefs) from a usable lakeFS token.
  const s3Renewable = p.s3?.tokenSource === 'lakefs' ? lakefsOk : s.canRefresh;
  const s3Ok = s.signedIn && ((usable(s.s3?.secondsLeft) && !s.stale?.s3) || s3Renewable);
  const missing: string[] = [];
  if (p.s3 && (a.flag('s3') || !either) && !s3Ok) missing.push('S3');
  if (p.lakefs && (a.flag('lakefs') || !either) && !lakefsOk) missing.push('lakeFS');
  // A profile with neither half stands for its IdP session: signed in, under the current settings.
  if (!p.s3 && !p.lakefs && (!s.signedIn || s.stale?.idp)) missing.push('the identity provider');
  if (!missing.length) return 0;
  const why = !s.signedIn
    ? 'is not logged in'
    : s.stale?.idp
      ? `was logged in before ${sayChanged(s.stale.idp)} changed`
      : `needs a login for ${missing.join(' and ')}`;
  const other = p.s3 && p.lakefs && !either && missing.length === 1 ? ` (\`--${missing[0] === 'S3' ? 'lakefs' : 's3'}\` checks the other half alone)` : '';
  throw new LakekeyError('LOGIN_REQUIRED', `profile "${name}" ${why}`, { hint: `Run \`lakekey login ${name}\`${other}.` });
}
