// The tray menu as data (DESIGN §6; menubar keeps this kind of logic pure). Built from the
// profiles' views; tray.ts renders it to an Electron Menu in one small function.
import type { ProfileView } from '../ipc.js';
import { formatTimeLeft, needsAttention } from './profile-view.js';

export type MenuAction =
  | { type: 'login' | 'refresh' | 'copy-credential-process' | 'copy-env' | 'logout'; profile: string }
  | { type: 'settings' }
  | { type: 'quit' };

export type MenuItemModel =
  | { kind: 'separator' }
  | { kind: 'header' | 'info'; label: string }
  | { kind: 'action'; label: string; enabled: boolean; action: MenuAction };

export type IconState = 'ok' | 'attention';

export interface MenuModel {
  icon: IconState;
  tooltip: string;
  items: MenuItemModel[];
}

export function buildMenuModel(profiles: ProfileView[]): MenuModel {
  const items: MenuItemModel[] = [];
  const attention = profiles.filter((p) => needsAttention(p.state));
  if (!profiles.length) {
    items.push({ kind: 'info', label: 'No profiles yet' });
    items.push({ kind: 'separator' });
  }
  for (const p of profiles) {
    const s3 = p.draft.s3Enabled;
    items.push({ kind: 'header', label: needsAttention(p.state) ? `${p.name} ⚠` : p.name });
    items.push({ kind: 'info', label: p.summary });
    if (s3) items.push({ kind: 'info', label: `S3: ${p.signedIn ? timeLabel(p.s3?.secondsLeft) : '—'}` });
    if (p.draft.lakefsEnabled) items.push({ kind: 'info', label: `lakeFS: ${p.signedIn ? timeLabel(p.lakefs?.secondsLeft) : '—'}` });
    const act = (type: Extract<MenuAction, { profile: string }>['type'], label: string, enabled: boolean): MenuItemModel => ({
      kind: 'action',
      label,
      enabled,
      action: { type, profile: p.name },
    });
    items.push(act('login', p.signedIn ? 'Log in again…' : 'Log in…', true));
    items.push(act('refresh', 'Refresh now', p.signedIn && p.canRefresh && s3));
    items.push(act('copy-credential-process', 'Copy credential_process line', s3));
    items.push(act('copy-env', 'Copy env exports command', s3));
    items.push(act('logout', 'Log out', p.signedIn));
    items.push({ kind: 'separator' });
  }
  items.push({ kind: 'action', label: 'Settings…', enabled: true, action: { type: 'settings' } });
  items.push({ kind: 'action', label: 'Quit lakekey', enabled: true, action: { type: 'quit' } });
  const tooltip = !profiles.length
    ? 'lakekey — no profiles'
    : attention.length
      ? `lakekey — needs attention: ${attention.map((p) => p.name).join(', ')}`
      : `lakekey — ${profiles.length} profile${profiles.length === 1 ? '' : 's'} ok`;
  return { icon: attention.length ? 'attention' : 'ok', tooltip, items };
}

function timeLabel(seconds: number | undefined): string {
  const t = formatTimeLeft(seconds);
  return t === 'none' || t === 'expired' ? t : `${t} left`;
}
