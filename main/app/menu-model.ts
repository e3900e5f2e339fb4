// The tray menu as data (DESIGN §6; menubar keeps this kind of logic pure). Built from the
// profiles' views; tray.ts renders it to an Electron Menu in one small function, and the test
// hook (LAKEKEY_TEST_HOOK) hands the same model to the Electron smoke test as plain JSON.
import { logOutLabel } from '../shared/say-list.js';
import type { ProfileState, ProfileView } from '../ipc.js';

export type MenuAction =
  | { type: 'login' | 'login-other' | 'refresh' | 'copy-credential-process' | 'copy-env' | 'copy-endpoint-env' | 'logout'; profile: string }
  | { type: 'install-cli' }
  | { type: 'start-at-login' }
  | { type: 'settings' }
  | { type: 'import' }
  | { type: 'quit' };

export type MenuItemModel =
  | { kind: 'separator' }
  | { kind: 'header' | 'info'; label: string }
  | { kind: 'action'; label: string; enabled: boolean; action: MenuAction; checked?: boolean };

/** The tray icon's states, each with its own icon (build/tray/<state>.png). */
export const TRAY_STATES = ['ok', 'expiring', 'renewing', 'login', 'error'] as const;
export type TrayState = (typeof TRAY_STATES)[number];

export interface MenuModel {
  state: TrayState;
  tooltip: string;
  items: MenuItemModel[];
}

export interface MenuOptions {
  /** Offer "Install command-line tool" (a packaged app, or the bundled executable exists). */
  installCli?: boolean;
  /** Whether the tray starts at login: the menu shows a checked or unchecked "Start at login" (absent: not offered). */
  startAtLogin?: boolean;
}

/** One profile's contribution to the tray icon. */
export function profileTrayState(p: Pick<ProfileView, 'state' | 'renewing'>): TrayState {
  if (p.state === 'error') return 'error';
  if (p.renewing) return 'renewing';
  const byState: Record<Exclude<ProfileState, 'error'>, TrayState> = {
    ok: 'ok',
    expiring: 'expiring',
    'signed-out': 'login',
    'needs-login': 'login',
    expired: 'login',
  };
  return byState[p.state];
}

// The icon shows the most urgent profile: something broken first, then what needs the user,
// then work in progress, then what will renew by itself.
const URGENCY: TrayState[] = ['error', 'login', 'renewing', 'expiring', 'ok'];

export function trayState(profiles: Array<Pick<ProfileView, 'state' | 'renewing'>>): TrayState {
  const states = new Set(profiles.map(profileTrayState));
  return URGENCY.find((s) => states.has(s)) ?? 'ok';
}

const STATE_WORDS: Record<TrayState, string> = {
  ok: 'ok',
  expiring: 'renews soon',
  renewing: 'renewing',
  login: 'log in needed',
  error: 'problem',
};

export function buildMenuModel(profiles: ProfileView[], opts: MenuOptions = {}): MenuModel {
  const items: MenuItemModel[] = [];
  if (!profiles.length) {
    items.push({ kind: 'info', label: 'No profiles yet' });
    items.push({ kind: 'separator' });
  }
  for (const p of profiles) {
    const s3 = p.draft.s3Enabled;
    const state = profileTrayState(p);
    items.push({ kind: 'header', label: state === 'ok' ? p.name : `${p.name} — ${STATE_WORDS[state]}` });
    items.push({ kind: 'info', label: p.summary });
    if (s3) items.push({ kind: 'info', label: `S3: ${p.signedIn && p.s3 ? p.s3.says : '—'}` });
    if (p.draft.lakefsEnabled) items.push({ kind: 'info', label: `lakeFS: ${p.signedIn && p.lakefs ? p.lakefs.says : '—'}` });
    const act = (type: Extract<MenuAction, { profile: string }>['type'], label: string, enabled: boolean): MenuItemModel => ({
      kind: 'action',
      label,
      enabled,
      action: { type, profile: p.name },
    });
    items.push(act('login', p.signedIn ? 'Log in again…' : 'Log in…', true));
    // Another account at the same IdP (`lakekey login --select-account`): the IdP asks which one.
    if (p.signedIn) items.push(act('login-other', 'Log in as someone else…', true));
    items.push(act('refresh', 'Refresh now', p.signedIn && p.canRefresh && s3));
    items.push(act('copy-credential-process', 'Copy credential_process line', s3));
    items.push(act('copy-env', 'Copy env exports command', s3));
    // Served by the tray's credentials endpoint: the line that points a shell at it.
    if (s3 && p.draft.endpointEnabled) items.push(act('copy-endpoint-env', 'Copy endpoint env command', true));
    // A logout ends the sign-in of every profile sharing it: the label says so before the click.
    items.push(act('logout', logOutLabel(p.sharedWith), p.signedIn));
    items.push({ kind: 'separator' });
  }
  items.push({ kind: 'action', label: 'Settings…', enabled: true, action: { type: 'settings' } });
  // A team's settings file: the settings window opens and asks which, then shows the plan.
  items.push({ kind: 'action', label: 'Import profiles…', enabled: true, action: { type: 'import' } });
  if (opts.startAtLogin !== undefined) {
    items.push({ kind: 'action', label: 'Start at login', enabled: true, action: { type: 'start-at-login' }, checked: opts.startAtLogin });
  }
  if (opts.installCli) items.push({ kind: 'action', label: 'Install command-line tool…', enabled: true, action: { type: 'install-cli' } });
  items.push({ kind: 'action', label: 'Quit lakekey', enabled: true, action: { type: 'quit' } });
  return { state: trayState(profiles), tooltip: tooltip(profiles), items };
}

function tooltip(profiles: ProfileView[]): string {
  if (!profiles.length) return 'lakekey — no profiles';
  const by = (s: TrayState) => profiles.filter((p) => profileTrayState(p) === s).map((p) => p.name);
  const parts = (['error', 'login', 'renewing', 'expiring'] as const).filter((s) => by(s).length).map((s) => `${STATE_WORDS[s]}: ${by(s).join(', ')}`);
  return parts.length ? `lakekey — ${parts.join('; ')}` : `lakekey — ${profiles.length} profile${profiles.length === 1 ? '' : 's'} ok`;
}

/** The menu as plain JSON, for the Electron smoke test's hook: what a person sees and can click. */
export interface MenuSnapshot {
  state: TrayState;
  icon: string;
  tooltip: string;
  items: Array<{ kind: MenuItemModel['kind']; label?: string; enabled: boolean; checked?: boolean }>;
}

export function menuSnapshot(model: MenuModel, icon: string): MenuSnapshot {
  return {
    state: model.state,
    icon,
    tooltip: model.tooltip,
    items: model.items.map((i) =>
      i.kind === 'separator'
        ? { kind: i.kind, enabled: false }
        : {
            kind: i.kind,
            label: i.label,
            enabled: i.kind === 'action' && i.enabled,
            ...(i.kind === 'action' && i.checked !== undefined ? { checked: i.checked } : {}),
          },
    ),
  };
}
