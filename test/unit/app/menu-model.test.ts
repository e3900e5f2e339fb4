import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMenuModel, menuSnapshot, profileTrayState, trayState } from '../../../main/app/menu-model.js';
import { profileToDraft } from '../../../main/app/profile-form.js';
import { profileState, profileView, timeLeft, viewsAt } from '../../../main/app/profile-view.js';
import type { ProfileSchedule } from '../../../main/app/scheduler.js';
import { sayClock } from '../../../main/shared/duration.js';
import type { ProfileState } from '../../../main/ipc.js';
import { parseProfile } from '../../../main/core/config/settings.js';

const profile = parseProfile('work', {
  issuer: 'https://idp.example.com',
  clientId: 'c',
  s3: { stsEndpoint: 'https://minio.example.com' },
  lakefs: { endpoint: 'https://lakefs.example.com' },
});
const loginOnly = parseProfile('plain', { issuer: 'https://idp.example.com', clientId: 'c' });
const S3_END = '2030-01-01T10:00:00.000Z';
const LAKEFS_END = '2030-01-01T11:00:00.000Z';

test('a section per profile with state, time said as "valid …, until HH:MM local", actions; Settings and Quit last', () => {
  const ok = profileView({
    name: 'work',
    profile,
    status: {
      name: 'work',
      signedIn: true,
      email: 'alice@example.com',
      subject: 'alice',
      canRefresh: true,
      s3: { expiresAt: S3_END, secondsLeft: 3000 },
      lakefs: { expiresAt: LAKEFS_END, secondsLeft: 7380 },
    },
  });
  const model = buildMenuModel([ok]);
  assert.equal(model.state, 'ok');
  const labels = model.items.map((i) => ('label' in i ? i.label : '---'));
  assert.deepEqual(labels, [
    'work',
    'Signed in as alice@example.com',
    `S3: valid 50 min, until ${sayClock(Date.parse(S3_END))} local`,
    `lakeFS: valid 2 h 3 min, until ${sayClock(Date.parse(LAKEFS_END))} local`,
    'Log in again…',
    'Log in as someone else…',
    'Refresh now',
    'Copy credential_process line',
    'Copy env exports command',
    'Log out',
    '---',
    'Settings…',
    'Import profiles…',
    'Quit lakekey',
  ]);
  const actions = model.items.filter((i) => i.kind === 'action');
  assert.deepEqual(
    actions.map((a) => a.kind === 'action' && a.action),
    [
      { type: 'login', profile: 'work' },
      { type: 'login-other', profile: 'work' },
      { type: 'refresh', profile: 'work' },
      { type: 'copy-credential-process', profile: 'work' },
      { type: 'copy-env', profile: 'work' },
      { type: 'logout', profile: 'work' },
      { type: 'settings' },
      { type: 'import' },
      { type: 'quit' },
    ],
  );
  assert.ok(actions.every((a) => a.kind === 'action' && a.enabled));
});

test("a profile the tray's credentials endpoint serves offers the line that points a shell at it; others do not", () => {
  const served = parseProfile('served', { issuer: 'https://idp.example.com', clientId: 'c', s3: { stsEndpoint: 'https://minio.example.com' }, endpoint: true });
  const status = (name: string) => ({ name, signedIn: false, canRefresh: false });
  const model = buildMenuModel([
    profileView({ name: 'served', profile: served, status: status('served') }),
    profileView({ name: 'work', profile, status: status('work') }),
  ]);
  const endpointItems = model.items.filter((i) => i.kind === 'action' && i.action.type === 'copy-endpoint-env');
  assert.deepEqual(endpointItems, [
    { kind: 'action', label: 'Copy endpoint env command', enabled: true, action: { type: 'copy-endpoint-env', profile: 'served' } },
  ]);
  const labels = model.items.map((i) => ('label' in i ? i.label : '---'));
  assert.equal(labels.indexOf('Copy endpoint env command'), labels.indexOf('Copy env exports command') + 1, 'beside the other shell line');
});

test('"Install command-line tool" only when the app can install it', () => {
  const labels = (installCli: boolean) => buildMenuModel([], { installCli }).items.map((i) => ('label' in i ? i.label : '---'));
  assert.deepEqual(labels(true).slice(-4), ['Settings…', 'Import profiles…', 'Install command-line tool…', 'Quit lakekey']);
  assert.ok(!labels(false).includes('Install command-line tool…'));
});

test('"Import profiles…" is always offered, with or without profiles, right after Settings', () => {
  for (const views of [[], [profileView({ name: 'work', profile, status: { name: 'work', signedIn: false, canRefresh: false } })]]) {
    const items = buildMenuModel(views).items;
    const at = items.findIndex((i) => i.kind === 'action' && i.action.type === 'import');
    assert.deepEqual(items[at], { kind: 'action', label: 'Import profiles…', enabled: true, action: { type: 'import' } });
    assert.deepEqual(items[at - 1], { kind: 'action', label: 'Settings…', enabled: true, action: { type: 'settings' } });
  }
});

test('each profile state maps to one tray state; the icon shows the most urgent profile', () => {
  const expected: Record<ProfileState, string> = {
    ok: 'ok',
    expiring: 'expiring',
    'signed-out': 'login',
    'needs-login': 'login',
    expired: 'login',
    error: 'error',
  };
  for (const [state, tray] of Object.entries(expected)) {
    assert.equal(profileTrayState({ state: state as ProfileState, renewing: false }), tray, state);
  }
  // A renewal in progress shows as renewing, unless the profile is broken.
  assert.equal(profileTrayState({ state: 'expiring', renewing: true }), 'renewing');
  assert.equal(profileTrayState({ state: 'needs-login', renewing: true }), 'renewing');
  assert.equal(profileTrayState({ state: 'error', renewing: true }), 'error');
  const p = (state: ProfileState, renewing = false) => ({ state, renewing });
  assert.equal(trayState([]), 'ok');
  assert.equal(trayState([p('ok'), p('expiring')]), 'expiring');
  assert.equal(trayState([p('expiring'), p('ok', true)]), 'renewing');
  assert.equal(trayState([p('ok', true), p('signed-out')]), 'login');
  assert.equal(trayState([p('signed-out'), p('error'), p('ok')]), 'error');
});

test('the header and tooltip say which profile needs what', () => {
  const ok = profileView({
    name: 'work',
    profile,
    status: { name: 'work', signedIn: true, subject: 'alice', canRefresh: true, s3: { expiresAt: S3_END, secondsLeft: 3000 } },
  });
  const out = profileView({ name: 'plain', profile: loginOnly, status: { name: 'plain', signedIn: false, canRefresh: false } });
  const model = buildMenuModel([ok, out]);
  assert.equal(model.state, 'login');
  assert.equal(model.tooltip, 'lakekey — log in needed: plain');
  const plain = model.items.slice(model.items.findIndex((i) => 'label' in i && i.label.startsWith('plain')));
  assert.equal('label' in plain[0] && plain[0].label, 'plain — log in needed');
  const enabled = Object.fromEntries(
    plain.filter((i) => i.kind === 'action' && 'profile' in i.action).map((i) => [i.kind === 'action' && i.action.type, i.kind === 'action' && i.enabled]),
  );
  assert.deepEqual(enabled, { login: true, refresh: false, 'copy-credential-process': false, 'copy-env': false, logout: false });
  assert.ok(!plain.some((i) => i.kind === 'action' && i.action.type === 'login-other'), '"Log in as someone else" only when someone is signed in');
  assert.equal(buildMenuModel([ok]).tooltip, 'lakekey — 1 profile ok');
  assert.equal(buildMenuModel([]).tooltip, 'lakekey — no profiles');
});

test('the test hook snapshot: labels, enabled, state and icon, as plain JSON', () => {
  const out = profileView({ name: 'plain', profile: loginOnly, status: { name: 'plain', signedIn: false, canRefresh: false } });
  const snap = menuSnapshot(buildMenuModel([out]), 'login.png');
  assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
  assert.equal(snap.state, 'login');
  assert.equal(snap.icon, 'login.png');
  assert.deepEqual(snap.items.slice(0, 3), [
    { kind: 'header', label: 'plain — log in needed', enabled: false },
    { kind: 'info', label: 'Not signed in', enabled: false },
    { kind: 'action', label: 'Log in…', enabled: true },
  ]);
  assert.ok(snap.items.some((i) => i.kind === 'separator'));
});

test('states: keychain error, expiring, needs login without refresh token, failing renewal', () => {
  const base = { name: 'work', profile };
  const st = (over: object) => ({ name: 'work', signedIn: true, subject: 'a', canRefresh: true, s3: { expiresAt: 'x', secondsLeft: 5000 }, ...over });
  assert.equal(profileState({ ...base }), 'error');
  assert.equal(profileState({ ...base, status: st({}) }), 'ok');
  assert.equal(profileState({ ...base, status: st({ s3: { expiresAt: 'x', secondsLeft: 600 } }) }), 'expiring');
  assert.equal(profileState({ ...base, status: st({ s3: { expiresAt: 'x', secondsLeft: 0 } }) }), 'expired');
  assert.equal(profileState({ ...base, status: st({ canRefresh: false, s3: { expiresAt: 'x', secondsLeft: 600 } }) }), 'needs-login');
  assert.equal(profileState({ ...base, status: st({ lakefs: { expiresAt: 'x', secondsLeft: 100 } }) }), 'needs-login');
  assert.equal(profileState({ ...base, status: st({}), schedule: { loginRequired: false, failures: 2, noticePending: false, renewing: false } }), 'error');
  assert.equal(buildMenuModel([]).items[0].kind, 'info');
  assert.deepEqual(profileToDraft(profile).s3Enabled, true);
});

test('needs login for the lakeFS token alone: the summary says S3 renews on its own', () => {
  const st = (over: object) => ({
    name: 'work',
    signedIn: true,
    email: 'alice@example.com',
    subject: 'a',
    canRefresh: true,
    s3: { expiresAt: 'x', secondsLeft: 3000 },
    lakefs: { expiresAt: 'x', secondsLeft: 0 },
    ...over,
  });
  const view = (over: object, schedule?: ProfileSchedule) => profileView({ name: 'work', profile, status: st(over), ...(schedule ? { schedule } : {}) });
  assert.equal(view({}).state, 'needs-login');
  assert.equal(view({}).summary, 'Signed in as alice@example.com — log in again to renew the lakeFS token; S3 renews on its own');
  assert.equal(view({ canRefresh: false }).summary, 'Signed in as alice@example.com — log in again to renew');
  assert.equal(
    view({}, { loginRequired: true, failures: 0, noticePending: false, renewing: false }).summary,
    'Signed in as alice@example.com — log in again to renew',
  );
});

test('time left is said once, the same way everywhere', () => {
  assert.equal(timeLeft({ expiresAt: S3_END, secondsLeft: 59 * 60 }).says, `valid 59 min, until ${sayClock(Date.parse(S3_END))} local`);
  assert.equal(timeLeft({ expiresAt: S3_END, secondsLeft: 0 }).says, `expired at ${sayClock(Date.parse(S3_END))} local`);
});

test('a minute later the menu says the time again, from the same views', () => {
  const view = profileView({
    name: 'work',
    profile,
    status: { name: 'work', signedIn: true, subject: 'a', canRefresh: true, s3: { expiresAt: S3_END, secondsLeft: 3000 } },
  });
  const later = viewsAt([view], Date.parse(S3_END) - 2940 * 1000)[0];
  assert.equal(later.s3?.secondsLeft, 2940);
  assert.equal(later.s3?.says, `valid 49 min, until ${sayClock(Date.parse(S3_END))} local`);
  assert.equal(viewsAt([view], Date.parse(S3_END) + 1000)[0].s3?.says, `expired at ${sayClock(Date.parse(S3_END))} local`);
});

test('a sign-in shared with other profiles: the summary names them, and Log out says it logs them out too', () => {
  const status = { name: 'plain', signedIn: true, email: 'alice@example.com', subject: 'alice', canRefresh: true };
  const shared = profileView({ name: 'plain', profile: loginOnly, status: { ...status, sharedWith: ['etl', 'ml'] } });
  assert.equal(shared.summary, 'Signed in as alice@example.com (sign-in shared with etl, ml)');
  assert.deepEqual(shared.sharedWith, ['etl', 'ml']);
  const labels = buildMenuModel([shared]).items.map((i) => ('label' in i ? i.label : '---'));
  assert.ok(labels.includes('Log out (also etl, ml)'), labels.join(' | '));
  // Alone on its sign-in, or signed out: nothing about sharing.
  const alone = profileView({ name: 'plain', profile: loginOnly, status });
  assert.equal(alone.summary, 'Signed in as alice@example.com');
  assert.equal(alone.sharedWith, undefined);
  assert.ok(buildMenuModel([alone]).items.some((i) => 'label' in i && i.label === 'Log out'));
});
