import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildMenuModel } from '../../../main/app/menu-model.js';
import { profileToDraft } from '../../../main/app/profile-form.js';
import { formatTimeLeft, profileState, profileView } from '../../../main/app/profile-view.js';
import { parseProfile } from '../../../main/core/settings.js';

const profile = parseProfile('work', { issuer: 'https://idp.example.com', clientId: 'c', s3: { stsEndpoint: 'https://minio.example.com' }, lakefs: { endpoint: 'https://lakefs.example.com' } });
const loginOnly = parseProfile('plain', { issuer: 'https://idp.example.com', clientId: 'c' });

test('a section per profile with state, time left and actions; Settings and Quit last', () => {
  const ok = profileView({ name: 'work', profile, status: { name: 'work', signedIn: true, email: 'alice@example.com', subject: 'alice', canRefresh: true, s3: { expiresAt: '2030-01-01T10:00:00.000Z', secondsLeft: 3000 }, lakefs: { expiresAt: '2030-01-01T11:00:00.000Z', secondsLeft: 7380 } } });
  const model = buildMenuModel([ok]);
  assert.equal(model.icon, 'ok');
  const labels = model.items.map((i) => ('label' in i ? i.label : '---'));
  assert.deepEqual(labels, [
    'work', 'Signed in as alice@example.com', 'S3: 50 min left', 'lakeFS: 2 h 3 min left',
    'Log in again…', 'Refresh now', 'Copy credential_process line', 'Copy env exports command', 'Log out', '---',
    'Settings…', 'Quit lakekey',
  ]);
  const actions = model.items.filter((i) => i.kind === 'action');
  assert.deepEqual(actions.map((a) => a.kind === 'action' && a.action), [
    { type: 'login', profile: 'work' }, { type: 'refresh', profile: 'work' }, { type: 'copy-credential-process', profile: 'work' },
    { type: 'copy-env', profile: 'work' }, { type: 'logout', profile: 'work' }, { type: 'settings' }, { type: 'quit' },
  ]);
  assert.ok(actions.every((a) => a.kind === 'action' && a.enabled));
});

test('the icon shows attention when any profile needs it, and says which', () => {
  const ok = profileView({ name: 'work', profile, status: { name: 'work', signedIn: true, subject: 'alice', canRefresh: true, s3: { expiresAt: 'x', secondsLeft: 3000 } } });
  const out = profileView({ name: 'plain', profile: loginOnly, status: { name: 'plain', signedIn: false, canRefresh: false } });
  const model = buildMenuModel([ok, out]);
  assert.equal(model.icon, 'attention');
  assert.match(model.tooltip, /needs attention: plain/);
  const plain = model.items.slice(model.items.findIndex((i) => 'label' in i && i.label.startsWith('plain')));
  assert.equal('label' in plain[0] && plain[0].label, 'plain ⚠');
  const enabled = Object.fromEntries(plain.filter((i) => i.kind === 'action' && 'profile' in i.action).map((i) => [i.kind === 'action' && i.action.type, i.kind === 'action' && i.enabled]));
  assert.deepEqual(enabled, { login: true, refresh: false, 'copy-credential-process': false, 'copy-env': false, logout: false });
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
  assert.equal(profileState({ ...base, status: st({}), schedule: { loginRequired: false, failures: 2, noticePending: false } }), 'error');
  assert.equal(buildMenuModel([]).items[0].kind, 'info');
  assert.equal(formatTimeLeft(59), 'under a minute');
  assert.equal(formatTimeLeft(7200), '2 h 0 min');
  assert.deepEqual(profileToDraft(profile).s3Enabled, true);
});
