// The thin Electron shell, run against a stubbed `electron` (dependency injection): single
// instance, first launch opens the settings window with the secure options, every IPC channel is
// registered behind the sender check, the tray menu follows the profiles, the login broker
// listens, settings go to the CLI's config.json, the window hears `profiles:changed`, network
// changes re-plan renewals, the test hook shows the menu, and Quit shuts it all down.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Conf from 'conf';
import { start } from '../../../main/app/main.js';
import { defaultDraft } from '../../../main/app/profile-form.js';
import type { ConfLike } from '../../../main/app/settings-store.js';
import { APP_SCHEME, SETTINGS_URL } from '../../../main/app/window-security.js';
import { brokerEndpoint } from '../../../main/core/login-broker.js';
import { readSettings } from '../../../main/core/settings.js';
import { Vault } from '../../../main/core/vault.js';
import { API_CHANNELS, channels, EVENT_CHANNELS, type Outcome } from '../../../main/ipc.js';
import { REPO } from '../../helpers/cli.js';
import { electronStub } from '../../helpers/electron-stub.js';
import { memoryStore } from './fakes.js';
import { shippedArtifacts } from './vite-build.js';

const openConf = (dir: string) => new Conf({ cwd: dir, configName: 'config', projectName: 'lakekey', configFileMode: 0o600, clearInvalidConfig: false }) as unknown as ConfLike;

const labelsOf = (menu: unknown) => (menu as { template: Array<{ label?: string }> }).template.map((i) => i.label?.trim());

function deps(dir: string) {
  return { openStore: openConf, appRoot: REPO, resourcesDir: join(REPO, 'build'), env: { LAKEKEY_CONFIG_DIR: dir }, vault: new Vault(memoryStore()), platform: 'linux' as const };
}

test('a second instance quits at once and touches nothing', async () => {
  const stub = electronStub({ lockAvailable: false });
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-app-')), 'cfg');
  assert.equal(await start(stub.electron, deps(dir)), undefined);
  assert.equal(stub.app.quitCalled, 1);
  assert.equal(stub.trays.length, 0);
  assert.equal(stub.windows.length, 0);
});

test('first launch: tray, secure settings window, typed IPC behind the sender check, broker, quit', async () => {
  await shippedArtifacts();
  const stub = electronStub({ appPath: REPO });
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-app-')), 'cfg');
  const app = await start(stub.electron, deps(dir));
  assert.ok(app);
  try {
    // No profiles: the settings window opened, with the hardened options and the bundled preload.
    assert.equal(stub.windows.length, 1);
    const win = stub.windows[0];
    assert.equal(win.url, SETTINGS_URL);
    assert.equal(win.shown, true);
    const prefs = win.options.webPreferences as Record<string, unknown>;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.preload, join(REPO, 'dist', 'preload', 'preload.cjs'));
    assert.equal(win.options.backgroundColor, '#f6f7f9', 'a light OS theme: a light window background');
    assert.ok(existsSync(prefs.preload as string));
    assert.equal(win.webContents.tryNavigate('https://evil.example.com'), true, 'guards attached to every webContents');
    assert.equal(win.webContents.permissionCheckHandler?.(null, 'notifications'), false);
    // The renderer is served through the privileged scheme with the CSP header.
    assert.deepEqual(stub.privilegedSchemes.map((s) => (s as { scheme: string }).scheme), [APP_SCHEME]);
    const page = await stub.protocolHandlers.get(APP_SCHEME)!(new Request(SETTINGS_URL));
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    // Tray: the "no profiles" menu with Settings and Quit.
    const tray = stub.trays[0];
    assert.match(tray.tooltip, /no profiles/);
    assert.deepEqual(labelsOf(tray.menu).slice(-2), ['Settings…', 'Quit lakekey']);
    assert.equal(globalThis.__lakekeyTestHook, undefined, 'no test hook without LAKEKEY_TEST_HOOK=1');
    // Every channel is registered once; a foreign frame or a subframe is refused.
    assert.deepEqual([...stub.handlers.keys()].sort(), channels().sort());
    const list = stub.handlers.get(API_CHANNELS.listProfiles)!;
    assert.deepEqual(await list({ senderFrame: { url: SETTINGS_URL, parent: null } }, null), { ok: true, value: [] });
    const refused = (await list({ senderFrame: { url: 'https://evil.example.com/', parent: null } }, null)) as Outcome<unknown>;
    assert.equal(refused.ok, false);
    const sub = (await list({ senderFrame: { url: SETTINGS_URL, parent: {} } }, null)) as Outcome<unknown>;
    assert.equal(sub.ok, false);
    const malformed = (await stub.handlers.get(API_CHANNELS.saveProfile)!({ senderFrame: { url: SETTINGS_URL, parent: null } }, { name: 1 })) as Outcome<unknown>;
    assert.deepEqual(malformed.ok ? undefined : malformed.error.code, 'USAGE');
    // Saving through IPC writes the CLI's settings file; the menu follows.
    const save = stub.handlers.get(API_CHANNELS.saveProfile)!;
    const draft = { ...defaultDraft(), issuer: 'https://login.example.com', clientId: 'lakekey', s3Enabled: true, s3StsEndpoint: 'https://minio.example.com' };
    assert.deepEqual(await save({ senderFrame: { url: SETTINGS_URL, parent: null } }, { name: 'work', draft }), { ok: true, value: { ok: true } });
    assert.equal(readSettings(dir).profiles.work.s3?.stsEndpoint, 'https://minio.example.com');
    assert.equal(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).profiles.work.clientId, 'lakekey');
    await app.refreshMenu();
    assert.equal(tray.tooltip, 'lakekey — log in needed: work');
    assert.equal((tray.image as { path: string }).path, join(REPO, 'build', 'tray', 'login.png'));
    // The open window was told, without asking (it then lists the profiles again).
    assert.ok(win.webContents.sent.includes(EVENT_CHANNELS.onProfilesChanged), 'the window hears profiles:changed');
    // Menu actions: copying snippets goes to the clipboard, never a secret.
    await app.dispatch({ type: 'copy-env', profile: 'work' });
    await app.dispatch({ type: 'copy-credential-process', profile: 'work' });
    assert.equal(stub.clipboard[0], 'eval "$(lakekey env work)"');
    assert.match(stub.clipboard[1], /^credential_process = node .*lakekey\.js" credential-process work$|^credential_process = node \S+lakekey\.js credential-process work$/);
    // A second launch focuses the settings window instead of starting another tray.
    stub.app.emit('second-instance');
    // The broker answers CLI processes.
    assert.ok(existsSync(brokerEndpoint(dir)));
  } finally {
    await app.quit();
  }
  assert.equal(stub.app.quitCalled, 1);
  assert.equal(stub.trays[0].destroyed, true);
  assert.ok(!existsSync(join(dir, 'tray.secret')), 'the secret is removed on quit');
});

test('LAKEKEY_TEST_HOOK=1: the hook answers the current menu as plain JSON; network and wake-up re-plan renewals', async () => {
  const stub = electronStub({ appPath: REPO });
  stub.nativeTheme.shouldUseDarkColors = true;
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-app-')), 'cfg');
  const app = await start(stub.electron, { ...deps(dir), env: { LAKEKEY_CONFIG_DIR: dir, LAKEKEY_TEST_HOOK: '1' } });
  assert.ok(app);
  try {
    // A dark OS theme: the window opens dark, no white flash before the page paints.
    assert.equal(stub.windows[0].options.backgroundColor, '#15181d');
    const first = globalThis.__lakekeyTestHook?.menu();
    assert.deepEqual(first, JSON.parse(JSON.stringify(first)));
    assert.equal(first?.state, 'ok');
    assert.equal(first?.icon, 'ok.png');
    assert.deepEqual(first?.items.map((i) => [i.label, i.enabled]), [['No profiles yet', false], [undefined, false], ['Settings…', true], ['Quit lakekey', true]]);
    // A profile arrives through the window: the hook shows the new state, the icon changes.
    const save = stub.handlers.get(API_CHANNELS.saveProfile)!;
    const draft = { ...defaultDraft(), issuer: 'https://login.example.com', clientId: 'lakekey' };
    await save({ senderFrame: { url: SETTINGS_URL, parent: null } }, { name: 'work', draft });
    await app.scheduler.update();
    await app.refreshMenu();
    const now = globalThis.__lakekeyTestHook?.menu();
    assert.equal(now?.state, 'login');
    assert.equal(now?.icon, 'login.png');
    assert.deepEqual(now?.items.slice(0, 3).map((i) => i.label), ['work — log in needed', 'Not signed in', 'Log in…']);

    // The network: the window's `online` event reaches the scheduler, and so does a wake-up.
    const calls: string[] = [];
    const original = app.scheduler.networkChanged.bind(app.scheduler);
    app.scheduler.networkChanged = async () => {
      calls.push('network');
      await original();
    };
    const online = stub.handlers.get(API_CHANNELS.networkOnline)!;
    assert.deepEqual(await online({ senderFrame: { url: SETTINGS_URL, parent: null } }, null), { ok: true, value: null });
    stub.powerMonitor.emit('resume');
    const deadline = Date.now() + 10_000;
    while (calls.length < 2 && Date.now() < deadline) await new Promise((r) => setImmediate(r));
    assert.deepEqual(calls, ['network', 'network']);
  } finally {
    await app.quit();
  }
  assert.equal(globalThis.__lakekeyTestHook, undefined, 'the hook goes with the app');
});

test('packaged: the menu offers "Install command-line tool"; it links the bundled executable into ~/.local/bin and says PATH lacks it', async () => {
  const stub = electronStub({ appPath: REPO, packaged: true });
  const root = mkdtempSync(join(tmpdir(), 'lk-app-'));
  const dir = join(root, 'cfg');
  const home = join(root, 'home');
  const resourcesDir = join(root, 'resources');
  mkdirSync(join(resourcesDir, 'bin'), { recursive: true });
  writeFileSync(join(resourcesDir, 'bin', 'lakekey'), '#!/bin/sh\necho bundled\n', { mode: 0o755 });
  // /usr/local/bin may be writable here (root): point the system folder at one that does not exist.
  const app = await start(stub.electron, { ...deps(dir), resourcesDir, home, systemBin: join(root, 'no-usr-local-bin'), env: { LAKEKEY_CONFIG_DIR: dir, PATH: '/usr/bin' } });
  assert.ok(app);
  try {
    assert.ok(labelsOf(stub.trays[0].menu).includes('Install command-line tool…'));
    await app.dispatch({ type: 'install-cli' });
    const link = join(home, '.local', 'bin', 'lakekey');
    assert.equal(readlinkSync(link), join(resourcesDir, 'bin', 'lakekey'));
    const note = stub.notifications.at(-1);
    assert.equal(note?.title, 'lakekey command installed');
    assert.match(note?.body ?? '', /is not on your PATH yet.*export PATH="\$HOME\/\.local\/bin:\$PATH"/);
    // The credential_process line of a packaged app runs the bundled executable.
    const save = stub.handlers.get(API_CHANNELS.saveProfile)!;
    const draft = { ...defaultDraft(), issuer: 'https://login.example.com', clientId: 'lakekey', s3Enabled: true, s3StsEndpoint: 'https://minio.example.com' };
    await save({ senderFrame: { url: SETTINGS_URL, parent: null } }, { name: 'work', draft });
    await app.dispatch({ type: 'copy-credential-process', profile: 'work' });
    assert.equal(stub.clipboard.at(-1), `credential_process = "${join(resourcesDir, 'bin', 'lakekey')}" credential-process work`);
  } finally {
    await app.quit();
  }
});
