// What the tray and the settings window show about one profile, computed from its settings, the
// core's `describe` (never a secret) and the scheduler's view. Pure.
import { sayValidity } from '../shared/duration.js';
import { kinds } from '../shared/profile-kinds.js';
import type { ProfileStatus } from '../core/usecases/session.js';
import type { Profile } from '../core/config/settings.js';
import type { ProfileState, ProfileView, TimeLeft } from '../ipc.js';
import { profileToDraft } from './profile-form.js';
import type { ProfileSchedule, ScheduleInput } from './scheduler.js';

export { kinds };

/** A credential's lifetime, said the one way lakekey says it: "valid 59 min, until 21:10 local". */
export function timeLeft(t: { expiresAt: string; secondsLeft: number }): TimeLeft {
  const expires = Date.parse(t.expiresAt);
  // describe() computed secondsLeft at its `now`: the same moment is expires - secondsLeft.
  return { expiresAt: t.expiresAt, secondsLeft: t.secondsLeft, says: sayValidity(expires, expires - t.secondsLeft * 1000) };
}

/** The same views a moment later: time left said again for `now`, without asking the keychain. */
export function viewsAt(views: ProfileView[], now: number): ProfileView[] {
  const at = (t: TimeLeft) => timeLeft({ expiresAt: t.expiresAt, secondsLeft: Math.max(0, Math.floor((Date.parse(t.expiresAt) - now) / 1000)) });
  return views.map((v) => ({ ...v, ...(v.s3 ? { s3: at(v.s3) } : {}), ...(v.lakefs ? { lakefs: at(v.lakefs) } : {}) }));
}

export interface ViewInput {
  name: string;
  profile: Profile;
  /** From the core's describe(); absent when the keychain could not be read. */
  status?: ProfileStatus;
  /** Why the keychain could not be read (already a user-facing message). */
  error?: string;
  schedule?: ProfileSchedule;
  /** A renewal or login runs right now. */
  renewing?: boolean;
}

export function profileState(v: ViewInput): ProfileState {
  const { status, profile, schedule } = v;
  if (!status) return 'error';
  if (!status.signedIn) return 'signed-out';
  if (schedule?.loginRequired) return 'needs-login';
  // Made under settings changed since (minted-with.ts): only a login makes these parts again.
  if (status.stale?.idp || status.stale?.lakefs) return 'needs-login';
  const window = profile.refreshBeforeSeconds;
  // Credentials only a browser login can renew, close to expiry.
  const s3Left = status.s3?.secondsLeft ?? 0;
  const s3BrowserOnly = Boolean(profile.s3) && !status.canRefresh;
  if (s3BrowserOnly && s3Left <= window) return 'needs-login';
  if (profile.lakefs && status.lakefs && status.lakefs.secondsLeft <= window) return 'needs-login';
  if ((schedule?.failures ?? 0) > 0) return 'error';
  if (profile.s3 && s3Left <= 0) return 'expired';
  if (profile.s3 && s3Left <= window) return 'expiring';
  return 'ok';
}

/**
 * The login is wanted for the lakeFS token alone: the S3 half still renews silently. The halves
 * stand alone (README "Profiles with S3 and lakeFS"), so say which one waits for the user.
 */
function onlyLakefsNeedsLogin(v: ViewInput): boolean {
  const { status, profile, schedule } = v;
  if (!profile.lakefs || !profile.s3 || profile.s3.tokenSource === 'lakefs') return false;
  return Boolean(status?.canRefresh) && !schedule?.loginRequired;
}

export function summary(v: ViewInput, state: ProfileState): string {
  if (!v.status) return v.error ?? 'The keychain could not be read.';
  const shared = v.status.sharedWith?.length ? ` (sign-in shared with ${v.status.sharedWith.join(', ')})` : '';
  const who = `${v.status.email ?? v.status.subject}${shared}`;
  switch (state) {
    case 'signed-out':
      return 'Not signed in';
    case 'needs-login':
      return `Signed in as ${who} — ${onlyLakefsNeedsLogin(v) ? 'log in again to renew the lakeFS token; S3 renews on its own' : 'log in again to renew'}`;
    case 'error':
      return `Signed in as ${who} — renewal failing: ${v.schedule?.lastError?.message ?? 'unknown error'}`;
    default:
      return `Signed in as ${who}`;
  }
}

export function profileView(v: ViewInput): ProfileView {
  const state = profileState(v);
  const view: ProfileView = {
    name: v.name,
    draft: profileToDraft(v.profile),
    kinds: kinds(v.profile),
    state,
    summary: summary(v, state),
    signedIn: Boolean(v.status?.signedIn),
    canRefresh: Boolean(v.status?.canRefresh),
    renewing: Boolean(v.renewing),
  };
  const who = v.status?.email ?? v.status?.subject;
  if (v.status?.signedIn && who) view.who = who;
  if (v.status?.s3) view.s3 = timeLeft(v.status.s3);
  if (v.status?.lakefs) view.lakefs = timeLeft(v.status.lakefs);
  if (v.status?.signedIn && v.status.sharedWith?.length) view.sharedWith = v.status.sharedWith;
  return view;
}

/** What the scheduler needs to know about a profile. */
export function scheduleInput(name: string, profile: Profile, status: ProfileStatus | undefined): ScheduleInput {
  const input: ScheduleInput = {
    name,
    refreshBeforeSeconds: profile.refreshBeforeSeconds,
    signedIn: Boolean(status?.signedIn),
    canRefresh: Boolean(status?.canRefresh),
    wantsS3: Boolean(profile.s3),
    wantsLakefs: Boolean(profile.lakefs),
  };
  // S3 credentials minted under changed settings are due now: the scheduler re-mints them at once.
  if (status?.s3) input.s3ExpiresAt = status.stale?.s3 ? 0 : Date.parse(status.s3.expiresAt);
  if (status?.lakefs) input.lakefsExpiresAt = Date.parse(status.lakefs.expiresAt);
  return input;
}
