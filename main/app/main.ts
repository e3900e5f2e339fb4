// The tray app's entry and its wiring (DESIGN §6). `start(electron, deps)` receives the Electron
// module and everything else it needs, so tests run it against test/helpers/electron-stub.ts;
// the real entry at the bottom only passes `await import('electron')` and electron-store. Most
// decisions live in pure modules (menu-model, scheduler, profile-view, window-security, handlers);
// start() wires them and still holds the window, tray and notification glue itself.
import { join } from 'node:path';
import type { BrowserWindow as BrowserWindowType, Tray as TrayType } from 'electron';
import { systemBrowser, type Browser } from '../core/browser.js';
import { asLakekeyError, LakekeyError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { gate, gateLine } from '../core/text-gate.js';
import { startLoginBroker, type LoginBroker } from '../core/login-broker.js';
import { settingsDir } from '../core/paths.js';
import { describe, getS3Credentials, login, logout, type Context } from '../core/session.js';
import { proxyFromPacResult, setSystemProxyResolver } from '../core/proxy.js';
import { getProfile } from '../core/settings.js';
import { keytarStore, Vault } from '../core/vault.js';
import type { ElectronModule } from './electron-types.js';
import { createHandlers, listViews, snippets, type HandlerDeps } from './handlers.js';
import { registerHandlers } from './ipc-main.js';
import { buildMenuModel, type MenuAction } from './menu-model.js';
import { scheduleInput } from './profile-view.js';
import { rendererFile } from './renderer-files.js';
import { mayOpenBrowser, Scheduler, type Notice, type Presence } from './scheduler.js';
import { settingsStore, type OpenStore } from './settings-store.js';
import { singleFlight } from './single-flight.js';
import { renderMenu, trayIconFile } from './tray.js';
import { APP_SCHEME, externalUrlAllowed, hardenContents, isTrustedSender, SETTINGS_URL, settingsWindowOptions, type GuardableContents } from './window-security.js';

/** The user counts as away after this long without input. */
export const IDLE_THRESHOLD_SECONDS = 300;

export interface StartDeps {
  /** Opens the settings file: electron-store in the app, conf in tests. */
  openStore: OpenStore;
  /** Folder holding dist/ and renderer/dist (app.getAppPath()). */
  appRoot: string;
  /** Folder holding tray icons and the CLI wrapper (process.resourcesPath when packaged). */
  resourcesDir: string;
  env?: NodeJS.ProcessEnv;
  vault?: Vault;
  platform?: NodeJS.Platform;
}

export interface TrayApp {
  dir: string;
  scheduler: Scheduler;
  handlers: ReturnType<typeof createHandlers>;
  showSettings(): Promise<void>;
  refreshMenu(): Promise<void>;
  dispatch(action: MenuAction): Promise<void>;
  quit(): Promise<void>;
}

/** Starts the tray. Resolves with undefined when another instance already runs (this one quits). */
export async function start(electron: ElectronModule, deps: StartDeps): Promise<TrayApp | undefined> {
  const { app, BrowserWindow, Tray, Menu, shell, clipboard, powerMonitor, Notification, nativeImage, protocol, session } = electron;
  const env = deps.env ?? process.env;
  const platform = deps.platform ?? process.platform;

  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, corsEnabled: true } }]);
  // Every webContents, whoever creates it: no navigation, no new windows, no permissions.
  app.on('web-contents-created', (_event, contents) => hardenContents(contents as unknown as GuardableContents));
  await app.whenReady();
  if (platform === 'darwin') app.dock?.hide();

  // The tray follows the OS proxy settings (and PAC), unless proxy variables say otherwise.
  setSystemProxyResolver(async (url) => proxyFromPacResult(await session.defaultSession.resolveProxy(url)));

  const dir = settingsDir(env);
  const settings = settingsStore(deps.openStore, dir);
  const log = createLogger({ dir, debug: Boolean(env.LAKEKEY_DEBUG) });
  const issuers = () => Object.values(safeProfiles()).map((p) => p.issuer);
  const presence = (): Presence => powerMonitor.getSystemIdleState(IDLE_THRESHOLD_SECONDS);

  const browser: Browser = env.LAKEKEY_BROWSER
    ? systemBrowser(env, platform)
    : {
        available: () => true,
        open: async (url) => {
          if (!externalUrlAllowed(url, issuers())) throw new LakekeyError('INTERNAL', 'refused to open a URL that is not a login page of a configured issuer');
          await shell.openExternal(url);
        },
      };
  const notify = (n: Pick<Notice, 'title' | 'body'> & { profile?: string; actionable?: boolean }) => {
    if (!Notification.isSupported()) return;
    const note = new Notification({ title: gateLine(n.title), body: gate(n.body), silent: !n.actionable });
    if (n.actionable && n.profile) {
      const profile = n.profile;
      note.on('click', () => void scheduler.renew(profile).then(() => refreshMenu(), (err: unknown) => reportError(err)));
    }
    note.show();
  };
  const ctx: Context = {
    dir,
    vault: deps.vault ?? new Vault(keytarStore()),
    log,
    browser,
    now: () => Date.now(),
    notice: (text) => log.info('notice', { text }),
  };

  function safeProfiles() {
    try {
      return settings.read().profiles;
    } catch (err) {
      log.warn('settings.unreadable', { code: asLakekeyError(err).code });
      return {};
    }
  }

  const logins = singleFlight(async (name: string) => {
    const profile = getProfile(settings.read(), name);
    await login(ctx, name, profile);
  });

  const scheduler: Scheduler = new Scheduler({
    clock: { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
    random: Math.random,
    load: async () => {
      const out = [];
      for (const [name, profile] of Object.entries(safeProfiles())) {
        try {
          out.push(scheduleInput(name, profile, describe(name, await ctx.vault.read(name), ctx.now())));
        } catch {
          out.push(scheduleInput(name, profile, undefined));
        }
      }
      return out;
    },
    // The scheduler owns the timing (it fires a little before the refresh window, with jitter).
    refresh: async (name) => {
      await getS3Credentials(ctx, name, getProfile(settings.read(), name), { interactive: false, force: true });
    },
    login: (name) => logins.run(name),
    presence,
    notify: (n) => notify(n),
    changed: () => void refreshMenu(),
  });

  const handlerDeps: HandlerDeps = {
    settings,
    ctx,
    login: (name) => logins.run(name),
    refresh: (name) => scheduler.refreshNow(name),
    schedule: (name) => scheduler.schedule(name),
    changed: () => void scheduler.update(),
    clipboard,
    cliCommand: () => cliCommand(app.isPackaged, deps, platform),
  };
  const handlers = createHandlers(handlerDeps);
  registerHandlers(electron as unknown as Parameters<typeof registerHandlers>[0], handlers, (url) => isTrustedSender(url));

  const rendererRoot = join(deps.appRoot, 'renderer', 'dist');
  protocol.handle(APP_SCHEME, async (request) => {
    const url = new URL(request.url);
    const answer = await rendererFile(rendererRoot, url.host === 'settings' ? url.pathname : '/__nothing__');
    return new Response(new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
  });

  const icon = (state: 'ok' | 'attention') => {
    const image = nativeImage.createFromPath(join(deps.resourcesDir, 'tray', trayIconFile(state, platform)));
    if (platform === 'darwin') image.setTemplateImage(true);
    return image;
  };
  const tray: TrayType = new Tray(icon('ok'));
  let iconState: 'ok' | 'attention' = 'ok';
  let window: BrowserWindowType | undefined;

  async function refreshMenu(): Promise<void> {
    const model = buildMenuModel(await listViews(handlerDeps));
    tray.setContextMenu(renderMenu(Menu, model, (action) => void dispatch(action)));
    tray.setToolTip(model.tooltip);
    if (model.icon !== iconState) {
      iconState = model.icon;
      tray.setImage(icon(iconState));
    }
  }

  function reportError(err: unknown): void {
    const e = asLakekeyError(err);
    log.warn('tray.action-failed', { code: e.code });
    notify({ title: 'lakekey', body: `${e.message}${e.hint ? `. ${e.hint}` : ''}` });
  }

  async function dispatch(action: MenuAction): Promise<void> {
    try {
      switch (action.type) {
        case 'settings':
          return await showSettings();
        case 'quit':
          return await quit();
        case 'login':
          // An explicit click: the user is at the machine.
          await logins.run(action.profile);
          break;
        case 'refresh':
          await scheduler.refreshNow(action.profile);
          break;
        case 'logout':
          await logout(ctx, action.profile, getProfile(settings.read(), action.profile));
          break;
        case 'copy-credential-process': {
          const s = snippets(handlerDeps, action.profile, getProfile(settings.read(), action.profile));
          clipboard.writeText(s.awsConfig.split('\n').find((l) => l.startsWith('credential_process')) ?? '');
          break;
        }
        case 'copy-env':
          clipboard.writeText(snippets(handlerDeps, action.profile, getProfile(settings.read(), action.profile)).shell);
          break;
      }
      await scheduler.update();
    } catch (err) {
      reportError(err);
    }
  }

  async function showSettings(): Promise<void> {
    if (window && !window.isDestroyed()) {
      window.show();
      window.focus();
      return;
    }
    const w = new BrowserWindow(settingsWindowOptions(join(deps.appRoot, 'dist', 'preload', 'preload.cjs')));
    window = w;
    w.once('ready-to-show', () => w.show());
    w.on('closed', () => (window = undefined));
    await w.loadURL(SETTINGS_URL);
  }

  let broker: LoginBroker | undefined;
  try {
    broker = await startLoginBroker({
      dir,
      login: async (name) => {
        // A CLI asked. Never open a browser for nobody: a cron job's `aws` call on a locked screen gets exit 3.
        if (!mayOpenBrowser(presence())) {
          throw new LakekeyError('LOGIN_REQUIRED', 'the screen is locked or nobody is at the computer, so the tray did not open a browser', {
            hint: `Run \`lakekey login ${name}\` when you are back.`,
          });
        }
        getProfile(settings.read(), name);
        await logins.run(name);
        await scheduler.update();
      },
    });
  } catch (err) {
    log.warn('broker.failed', { code: asLakekeyError(err).code });
  }

  let quitting = false;
  async function quit(): Promise<void> {
    if (quitting) return;
    quitting = true;
    scheduler.stop();
    await broker?.close();
    tray.destroy();
    app.quit();
  }

  app.on('second-instance', () => void showSettings());
  // The tray lives on when the settings window closes.
  app.on('window-all-closed', () => undefined);
  app.on('before-quit', () => {
    scheduler.stop();
    void broker?.close();
  });
  powerMonitor.on('resume', () => void scheduler.resume());
  for (const event of ['unlock-screen', 'user-did-become-active'] as const) powerMonitor.on(event as 'unlock-screen', () => scheduler.presenceChanged());
  settings.onChange(() => void scheduler.update());
  tray.on('click', () => void refreshMenu());

  await scheduler.update();
  await refreshMenu();
  if (!Object.keys(safeProfiles()).length) await showSettings();

  return { dir, scheduler, handlers, showSettings, refreshMenu, dispatch, quit };
}

/** The command line that runs the lakekey CLI from this installation. */
export function cliCommand(packaged: boolean, deps: Pick<StartDeps, 'appRoot' | 'resourcesDir'>, platform: NodeJS.Platform): string[] {
  if (packaged) return [join(deps.resourcesDir, 'bin', platform === 'win32' ? 'lakekey.cmd' : 'lakekey')];
  return [process.env.LAKEKEY_NODE || 'node', join(deps.appRoot, 'dist', 'main', 'cli', 'lakekey.js')];
}

// The real entry: only inside Electron's main process.
if (process.versions.electron && (process as { type?: string }).type === 'browser') {
  void (async () => {
    const electron = (await import('electron')) as unknown as ElectronModule;
    const { default: ElectronStore } = await import('electron-store');
    const { electronStoreOptions } = await import('./settings-store.js');
    const root = electron.app.getAppPath();
    await start(electron, {
      openStore: (dir) => new ElectronStore(electronStoreOptions(dir)),
      appRoot: root,
      resourcesDir: electron.app.isPackaged ? process.resourcesPath : join(root, 'build'),
    });
  })().catch((err: unknown) => {
    process.stderr.write(gate(`lakekey tray: ${asLakekeyError(err).message}`) + '\n');
    process.exit(1);
  });
}
