// The thin Electron shell, run against a stubbed `electron` (dependency injection): single
// instance, first launch opens the settings window with the secure options, every IPC channel is
// registered behind the sender check, the tray menu follows the profiles, the login broker
// listens, settings go to the CLI's config.json, the window hears `profiles:changed`, network
// changes re-plan renewals, the test hook shows the menu, and Quit shuts it all down.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { start } from '../../../main/app/main.js';
import { defaultDraft, profileToDraft } from '../../../main/app/profile-form.js';
import { settingsStore } from '../../../main/app/settings-store.js';
import { APP_SCHEME, SETTINGS_URL } from '../../../main/app/window-security.js';
import { runningEndpoints } from '../../../main/core/endpoint/registry.js';
import { endpointUri } from '../../../main/core/endpoint/server.js';
import { brokerEndpoint } from '../../../main/core/login/login-broker.js';
import { isoSeconds } from '../../../main/core/keychain/record.js';
import { parseProfile, readSettings } from '../../../main/core/config/settings.js';
import { Vault } from '../../../main/core/keychain/vault.js';
import { API_CHANNELS, channels, ENDPOINT_AFTER_LOGOUT, EVENT_CHANNELS, type Outcome } from '../../../main/ipc.js';
import { NODE_CLI, REPO, run } from '../../helpers/cli.js';
import { electronStub } from '../../helpers/electron-stub.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { shippedArtifacts } from '../../helpers/vite-build.js';
import { openConf } from '../../helpers/tray-app.js';

const labelsOf = (menu: unknown) => (menu as { template: Array<{ label?: string }> }).template.map((i) => i.label?.trim());

function deps(dir: string) {
  return {
    openStore: openConf,
    appRoot: REPO,
    resourcesDir: join(REPO, 'build'),
    env: { LAKEKEY_CONFIG_DIR: dir },
    vault: new Vault(new MemoryStore()),
    platform: 'linux' as const,
  };
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
    assert.deepEqual(
      stub.privilegedSchemes.map((s) => (s as { scheme: string }).scheme),
      [APP_SCHEME],
    );
    const page = await stub.protocolHandlers.get(APP_SCHEME)!(new Request(SETTINGS_URL));
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'/);
    // Tray: the "no profiles" menu with Settings and Quit.
    const tray = stub.trays[0];
    assert.match(tray.tooltip, /no profiles/);
    assert.deepEqual(labelsOf(tray.menu).slice(-4), ['Settings…', 'Import profiles…', 'Start at login', 'Quit lakekey']);
    assert.equal(globalThis.__lakekeyTestHook, undefined, 'no test hook without LAKEKEY_TEST_HOOK=1');
    // Every channel is registered once; a foreign frame or a subframe is refused.
    assert.deepEqual([...stub.handlers.keys()].sort(), channels().sort());
    const list = stub.handlers.get(API_CHANNELS.listProfiles)!;
    assert.deepEqual(await list({ senderFrame: { url: SETTINGS_URL, parent: null } }, null), { ok: true, value: [] });
    const refused = (await list({ senderFrame: { url: 'https://evil.example.com/', parent: null } }, null)) as Outcome<unknown>;
    assert.equal(refused.ok, false);
    const sub = (await list({ senderFrame: { url: SETTINGS_URL, parent: {} } }, null)) as Outcome<unknown>;
    assert.equal(sub.ok, false);
    const malformed = (await stub.handlers.get(API_CHANNELS.saveProfile)!(
      { senderFrame: { url: SETTINGS_URL, parent: null } },
      { name: 1 },
    )) as Outcome<unknown>;
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
    assert.match(
      stub.clipboard[1],
      /^credential_process = node .*lakekey\.js" credential-process work$|^credential_process = node \S+lakekey\.js credential-process work$/,
    );
    // A second launch focuses the settings window instead of starting another tray.
    stub.app.emit('second-instance');
    // The broker answers CLI processes.
    assert.ok(existsSync(brokerEndpoint(dir, process.platform)));
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
    assert.deepEqual(
      first?.items.map((i) => [i.label, i.enabled, i.checked]),
      [
        ['No profiles yet', false, undefined],
        [undefined, false, undefined],
        ['Settings…', true, undefined],
        ['Import profiles…', true, undefined],
        ['Start at login', true, false],
        ['Quit lakekey', true, undefined],
      ],
    );
    // A profile arrives through the window: the hook shows the new state, the icon changes.
    const save = stub.handlers.get(API_CHANNELS.saveProfile)!;
    const draft = { ...defaultDraft(), issuer: 'https://login.example.com', clientId: 'lakekey' };
    await save({ senderFrame: { url: SETTINGS_URL, parent: null } }, { name: 'work', draft });
    await app.scheduler.update();
    await app.refreshMenu();
    const now = globalThis.__lakekeyTestHook?.menu();
    assert.equal(now?.state, 'login');
    assert.equal(now?.icon, 'login.png');
    assert.deepEqual(
      now?.items.slice(0, 3).map((i) => i.label),
      ['work — log in needed', 'Not signed in', 'Log in…'],
    );

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
  const app = await start(stub.electron, {
    ...deps(dir),
    resourcesDir,
    home,
    systemBin: join(root, 'no-usr-local-bin'),
    env: { LAKEKEY_CONFIG_DIR: dir, PATH: '/usr/bin' },
  });
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

/** A keychain in memory whose deletions can be held (a logout caught in the middle). */
function holdableStore() {
  const store = new MemoryStore();
  const del = store.delete.bind(store);
  let gate: Promise<void> | undefined;
  store.delete = async (k) => {
    await gate;
    return del(k);
  };
  return {
    store,
    hold() {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

const CREDS = { accessKeyId: 'AKIATRAYENDPOINT', secretAccessKey: 'tray-endpoint-secret', sessionToken: 'tray-endpoint-session' };
const S3_PROFILE = { issuer: 'https://login.example.com', clientId: 'lakekey', s3: { stsEndpoint: 'https://minio.example.com' } };

/** A signed-in session with fresh S3 credentials (an hour left, outside the renewal window: no STS is asked). */
async function signIn(vault: Vault, name: string) {
  await vault.write(name, {
    v: 1,
    updatedAt: Date.now(),
    idp: { subject: 'alice' },
    s3: { ...CREDS, accessKeyId: `${CREDS.accessKeyId}${name.toUpperCase()}`, expiresAt: Date.now() + 3600_000 },
  });
}

async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 10_000; !done(); await new Promise((r) => setTimeout(r, 10))) {
    if (Date.now() > deadline) assert.fail('timed out');
  }
}

const endpointFiles = (dir: string) =>
  readdirSync(dir)
    .filter((n) => n.startsWith('endpoint-'))
    .sort();

test('the credentials endpoint: started for the first enabled profile, found by `env --server`, follows the settings on one port and token, a logout stops it at once, one notice per cause, gone on quit', async () => {
  const stub = electronStub({ appPath: REPO });
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-app-')), 'cfg');
  const keychain = holdableStore();
  const vault = new Vault(keychain.store);
  settingsStore(openConf, dir).update((s) => {
    s.profiles.work = parseProfile('work', S3_PROFILE);
    s.profiles.spark = parseProfile('spark', S3_PROFILE);
  });
  await signIn(vault, 'work');
  await signIn(vault, 'spark');
  const app = await start(stub.electron, { ...deps(dir), vault });
  assert.ok(app);
  const frame = { senderFrame: { url: SETTINGS_URL, parent: null } };
  const save = (name: string, endpointEnabled: boolean) =>
    stub.handlers.get(API_CHANNELS.saveProfile)!(frame, {
      name,
      originalName: name,
      draft: { ...profileToDraft(readSettings(dir).profiles[name]), endpointEnabled },
    });
  const record = () => runningEndpoints(dir).find((e) => e.owner === 'tray');
  const ask = (name: string, token = readFileSync(record()!.tokenFile, 'utf8')) =>
    fetch(endpointUri(record()!.port, name), { headers: token ? { Authorization: token } : {} });
  const notices = (re: RegExp) => stub.notifications.filter((n) => re.test(`${n.title}: ${n.body}`));
  try {
    // No profile enables it: nothing listens, nothing is recorded.
    assert.deepEqual(endpointFiles(dir), []);
    assert.equal(app.endpoint.place(), undefined);

    // The first one enabled in the window starts it, registered as the tray's, with a 0600 token file.
    assert.deepEqual(await save('work', true), { ok: true, value: { ok: true } });
    assert.equal(readSettings(dir).profiles.work.endpoint, true);
    await until(() => record() !== undefined);
    assert.deepEqual(endpointFiles(dir), ['endpoint-tray.json', 'endpoint-tray.token']);
    const first = record()!;
    assert.deepEqual(first.profiles, ['work']);
    assert.equal(first.pid, process.pid);
    assert.equal(statSync(first.tokenFile).mode & 0o777, 0o600);
    const token = readFileSync(first.tokenFile, 'utf8');
    const got = await ask('work');
    assert.equal(got.status, 200);
    const expires = isoSeconds((await vault.read('work')).s3!.expiresAt);
    assert.deepEqual(await got.json(), {
      AccessKeyId: 'AKIATRAYENDPOINTWORK',
      SecretAccessKey: CREDS.secretAccessKey,
      Token: CREDS.sessionToken,
      Expiration: expires,
    });

    // `lakekey env work --server` finds it: the URI and the token FILE (never the token).
    const env = await run(process.execPath, [NODE_CLI, 'env', 'work', '--server', '--format', 'json'], { env: { ...process.env, LAKEKEY_CONFIG_DIR: dir } });
    assert.equal(env.code, 0, env.stderr);
    const vars = JSON.parse(env.stdout) as Record<string, string>;
    assert.equal(vars.AWS_CONTAINER_CREDENTIALS_FULL_URI, endpointUri(first.port, 'work'));
    assert.equal(vars.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, join(dir, 'endpoint-tray.token'));
    assert.ok(!env.stdout.includes(token));

    // Not enabled: not served. Enabled later: served on the same port with the same token, and recorded.
    assert.equal((await ask('spark')).status, 404);
    await save('spark', true);
    assert.equal((await ask('spark')).status, 200);
    assert.deepEqual(record()!.profiles, ['spark', 'work']);
    assert.equal(record()!.port, first.port);
    assert.equal(readFileSync(first.tokenFile, 'utf8'), token);

    // The menu offers the line for a shell; the window's snippet names the token file, not the token.
    await app.refreshMenu();
    assert.ok(labelsOf(stub.trays[0].menu).includes('Copy endpoint env command'));
    await app.dispatch({ type: 'copy-endpoint-env', profile: 'spark' });
    assert.equal(stub.clipboard.at(-1), 'eval "$(lakekey env spark --server)"');
    const snippets = (await stub.handlers.get(API_CHANNELS.snippets)!(frame, { name: 'spark' })) as Outcome<{ endpoint?: string }>;
    const endpoint = snippets.ok ? (snippets.value.endpoint ?? '') : '';
    assert.match(endpoint, /^eval "\$\(lakekey env spark --server\)"$/m);
    assert.ok(endpoint.includes(`AWS_CONTAINER_CREDENTIALS_FULL_URI=${endpointUri(first.port, 'spark')}\n`));
    assert.ok(endpoint.includes(`AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${first.tokenFile}\n`));
    assert.ok(!endpoint.includes(token), 'the renderer never sees the token');

    // Disabled in the window: 404 at once, and no longer recorded.
    await save('work', false);
    assert.equal((await ask('work')).status, 404);
    assert.deepEqual(record()!.profiles, ['spark']);

    // A logout from the menu: not served from its first moment (the keychain still holds the
    // credentials while the logout runs), then only "log in" answers; the notice says so.
    const release = keychain.hold();
    const loggingOut = app.dispatch({ type: 'logout', profile: 'spark' });
    const during = await ask('spark');
    assert.equal(during.status, 404);
    assert.ok(!(await during.text()).includes(CREDS.secretAccessKey));
    assert.ok((await vault.read('spark')).s3, 'the keychain still held them');
    release();
    await loggingOut;
    assert.equal(notices(new RegExp(`Logged out of profile "spark".*${ENDPOINT_AFTER_LOGOUT.replace(/\./g, '\\.')}`)).length, 1);
    const after = await ask('spark');
    assert.equal(after.status, 503);
    assert.match(await after.text(), /lakekey login spark/);
    await ask('spark');
    assert.equal(notices(/credentials endpoint: Could not serve profile "spark"/).length, 1, 'one notice for the cause, not one per request');

    // Refusals too: one notice however many clients send no token.
    await ask('spark', '');
    await ask('spark', '');
    assert.equal(notices(/refused a request without the right token/).length, 1);
  } finally {
    await app.quit();
  }
  // Quit: the registry files are gone and nothing listens.
  assert.deepEqual(endpointFiles(dir), []);
  assert.deepEqual(runningEndpoints(dir), []);
});

test('a profile enabled at launch is served from the start; a logout through the window stops it too; a failure is said again once it was served since', async () => {
  const stub = electronStub({ appPath: REPO });
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-app-')), 'cfg');
  const vault = new Vault(new MemoryStore());
  settingsStore(openConf, dir).update((s) => {
    s.profiles.work = parseProfile('work', { ...S3_PROFILE, endpoint: true });
  });
  await signIn(vault, 'work');
  const app = await start(stub.electron, { ...deps(dir), vault });
  assert.ok(app);
  try {
    const served = runningEndpoints(dir)[0];
    assert.deepEqual([served.owner, served.profiles], ['tray', ['work']]);
    const ask = () => fetch(endpointUri(served.port, 'work'), { headers: { Authorization: readFileSync(served.tokenFile, 'utf8') } });
    assert.equal((await ask()).status, 200);
    const logout = () =>
      stub.handlers.get(API_CHANNELS.logout)!({ senderFrame: { url: SETTINGS_URL, parent: null } }, { name: 'work' }) as Promise<Outcome<unknown>>;
    assert.equal((await logout()).ok, true);
    assert.equal((await ask()).status, 503);
    assert.equal((await ask()).status, 503);
    const failures = () => stub.notifications.filter((n) => /^Could not serve profile "work"/.test(n.body)).length;
    assert.equal(failures(), 1);
    // Served again after a new login, the next failure is news again: one notice per episode.
    await signIn(vault, 'work');
    assert.equal((await ask()).status, 200);
    assert.equal((await logout()).ok, true);
    assert.equal((await ask()).status, 503);
    assert.equal(failures(), 2);
  } finally {
    await app.quit();
  }
  assert.deepEqual(endpointFiles(dir), []);
});
