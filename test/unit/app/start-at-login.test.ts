// "Start at login" in the thin shell, over the stubbed `electron` (issue 24): off by default; the
// tray menu's toggle and the settings window's switch (the typed IPC, behind the sender check)
// turn it on and off — on Linux an XDG autostart entry written for real in a temporary
// XDG_CONFIG_HOME, on macOS and Windows Electron's login item settings.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { start } from '../../../main/app/main.js';
import { trayCommand } from '../../../main/app/start-at-login.js';
import { SETTINGS_URL } from '../../../main/app/window-security.js';
import { Vault } from '../../../main/core/keychain/vault.js';
import { API_CHANNELS, type Outcome } from '../../../main/ipc.js';
import { REPO } from '../../helpers/cli.js';
import { electronStub, type ElectronStub } from '../../helpers/electron-stub.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { openConf } from '../../helpers/tray-app.js';

const trusted = { senderFrame: { url: SETTINGS_URL, parent: null } };

/** The "Start at login" item of the tray's current menu. */
function menuItem(stub: ElectronStub): { type?: string; checked?: boolean; click(): void } {
  const items = (stub.trays[0].menu as { template: Array<{ label?: string; type?: string; checked?: boolean; click(): void }> }).template;
  return items.find((i) => i.label === 'Start at login') ?? assert.fail(`no "Start at login" in ${items.map((i) => i.label).join(' | ')}`);
}

async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 5000; !done(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > deadline) assert.fail('timed out');
}

async function tray(platform: NodeJS.Platform) {
  const stub = electronStub({ appPath: REPO });
  const root = mkdtempSync(join(tmpdir(), 'lk-app-'));
  const env = { LAKEKEY_CONFIG_DIR: join(root, 'cfg'), XDG_CONFIG_HOME: join(root, 'xdg') };
  const app = await start(stub.electron, {
    openStore: openConf,
    appRoot: REPO,
    resourcesDir: join(REPO, 'build'),
    env,
    vault: new Vault(new MemoryStore()),
    platform,
  });
  assert.ok(app);
  const ipc = async <T>(channel: string, request: unknown) => {
    const r = (await stub.handlers.get(channel)!(trusted, request)) as Outcome<T>;
    assert.ok(r.ok, JSON.stringify(r));
    return r.value;
  };
  return { stub, app, ipc, entry: join(root, 'xdg', 'autostart', 'lakekey.desktop') };
}

test('Linux: off by default; the menu toggle writes the XDG autostart entry that starts this tray, the window switch removes it, each side sees the other', async () => {
  const { stub, app, ipc, entry } = await tray('linux');
  try {
    assert.equal(menuItem(stub).type, 'checkbox');
    assert.equal(menuItem(stub).checked, false, 'off by default');
    assert.equal(await ipc(API_CHANNELS.startAtLogin, null), false);
    assert.equal(existsSync(entry), false);

    menuItem(stub).click();
    await until(() => menuItem(stub).checked === true);
    // A dev tree: Electron with the app's folder (the packaged app runs itself, or its AppImage).
    assert.match(
      readFileSync(entry, 'utf8'),
      new RegExp(`^Exec=${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} ${REPO.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'),
    );
    assert.equal(await ipc(API_CHANNELS.startAtLogin, null), true, 'the window sees what the menu did');
    assert.ok(stub.windows[0]?.webContents.sent.includes('profiles:changed'), 'the open window is told to look again');

    assert.equal(await ipc(API_CHANNELS.setStartAtLogin, { enabled: false }), false);
    assert.equal(existsSync(entry), false, 'the switch removed the entry');
    await until(() => menuItem(stub).checked === false);

    // The request is checked like every other: a malformed one never reaches the handler.
    const bad = (await stub.handlers.get(API_CHANNELS.setStartAtLogin)!(trusted, { enabled: 'yes' })) as Outcome<boolean>;
    assert.equal(bad.ok, false);
    const evil = (await stub.handlers.get(API_CHANNELS.setStartAtLogin)!(
      { senderFrame: { url: 'https://evil.example.com/', parent: null } },
      { enabled: true },
    )) as Outcome<boolean>;
    assert.equal(evil.ok, false);
    assert.equal(existsSync(entry), false);
  } finally {
    await app.quit();
  }
});

test("macOS and Windows: Electron's login item settings (Windows with the command that starts this tray); no autostart file", async () => {
  for (const platform of ['darwin', 'win32'] as const) {
    const { stub, app, ipc, entry } = await tray(platform);
    try {
      assert.equal(menuItem(stub).checked, false);
      assert.equal(await ipc(API_CHANNELS.setStartAtLogin, { enabled: true }), true);
      assert.deepEqual(stub.app.loginItem, platform === 'win32' ? { openAtLogin: true, path: process.execPath, args: [REPO] } : { openAtLogin: true });
      await until(() => menuItem(stub).checked === true);
      menuItem(stub).click();
      await until(() => stub.app.loginItem.openAtLogin === false);
      assert.equal(existsSync(entry), false);
    } finally {
      await app.quit();
    }
  }
});

test("the tray's command: the AppImage's own path (not its temporary mount), the packaged executable, or Electron with the app's folder", () => {
  assert.deepEqual(
    trayCommand(true, '/tmp/.mount_lakekeyX/lakekey', '/tmp/.mount_lakekeyX/resources/app.asar', { APPIMAGE: '/home/u/Apps/lakekey.AppImage' }),
    ['/home/u/Apps/lakekey.AppImage'],
  );
  assert.deepEqual(trayCommand(true, '/opt/lakekey/lakekey', '/opt/lakekey/resources/app.asar', {}), ['/opt/lakekey/lakekey']);
  assert.deepEqual(trayCommand(false, '/usr/lib/electron/electron', '/src/lakekey', {}), ['/usr/lib/electron/electron', '/src/lakekey']);
});
