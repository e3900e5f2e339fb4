// The tray app's entry (DESIGN §6), shaped like menubar: `start(electron, deps)` normalises the
// options once, builds the parts (settings, core context, scheduler, IPC handlers) in
// `compose()`, and hands them to a `TrayApp` — a small lifecycle object with one method per
// thing the tray does (ready, refreshMenu, dispatch, showSettings, quit) that emits its lifecycle
// events. The decisions live in pure modules (menu-model, scheduler, profile-view, server-checks in core,
// install-cli, window-security, handlers); this file wires them to Electron. Tests run it against
// test/helpers/electron-stub.ts; the real entry at the bottom passes `await import('electron')`
// and electron-store.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { BrowserWindow as BrowserWindowType, OpenDialogOptions, Tray as TrayType } from 'electron';
import { systemBrowser } from '../core/login/browser.js';
import { asLakekeyError, LakekeyError } from '../core/errors.js';
import { createLogger } from '../core/log.js';
import { gate, gateLine } from '../core/text-gate.js';
import { startLoginBroker, type LoginBroker } from '../core/login/login-broker.js';
import { settingsDir } from '../core/config/paths.js';
import {
  currentS3Credentials,
  statusOf,
  fromContext,
  login,
  logout,
  sayLogout,
  type Context,
  type LoginOptions,
  type LogoutOptions,
} from '../core/usecases/session.js';
import { serveProfiles } from '../core/endpoint/serve.js';
import { proxyFromPacResult } from '../core/net/proxy.js';
import { getProfile, type Profile } from '../core/config/settings.js';
import { composeCore } from '../core/compose.js';
import type { Vault } from '../core/keychain/vault.js';
import { ENDPOINT_AFTER_LOGOUT, EVENT_CHANNELS, type ProfileView } from '../ipc.js';
import type { ElectronModule } from './electron-types.js';
import { createHandlers, endpointShellLine, listViews, snippets, type HandlerDeps } from './handlers.js';
import { bundledCli, installCli } from './install-cli.js';
import { registerHandlers, sendEvent } from './ipc-main.js';
import { buildMenuModel, menuSnapshot, type MenuAction, type MenuModel, type MenuSnapshot, type TrayState } from './menu-model.js';
import { scheduleInput, viewsAt } from './profile-view.js';
import { rendererFile } from './renderer-files.js';
import { mayOpenBrowser, Scheduler, type Notice, type Presence } from './scheduler.js';
import { settingsStore, type OpenStore, type SettingsStore } from './settings-store.js';
import { singleFlight } from '../core/single-flight.js';
import { renderMenu, trayIconFile } from './tray.js';
import { startAtLogin, trayCommand, type StartAtLogin } from './start-at-login.js';
import { endpointProfiles, TRAY_ENDPOINT_OWNER, TrayEndpoint, type RunningEndpoint } from './tray-endpoint.js';
import {
  APP_SCHEME,
  externalUrlAllowed,
  hardenContents,
  isTrustedSender,
  SETTINGS_URL,
  settingsWindowOptions,
  type GuardableContents,
} from './window-security.js';
import type { Browser, Logger, SystemProxyResolver } from '../core/ports.js';

/** The user counts as away after this long without input. */
export const IDLE_THRESHOLD_SECONDS = 300;

export interface StartDeps {
  /** Opens the settings file: electron-store in the app, conf in tests. */
  openStore: OpenStore;
  /** Folder holding dist/ and renderer/dist (app.getAppPath()). */
  appRoot: string;
  /** Folder holding tray icons and the bundled CLI (process.resourcesPath when packaged). */
  resourcesDir: string;
  env?: NodeJS.ProcessEnv;
  vault?: Vault;
  platform?: NodeJS.Platform;
  /** HOME for "Install command-line tool" (os.homedir()). */
  home?: string;
  /** The system folder "Install command-line tool" tries first (/usr/local/bin). */
  systemBin?: string;
}

/** StartDeps with every default applied, once. */
interface Options extends Required<Omit<StartDeps, 'vault' | 'systemBin'>> {
  vault?: Vault;
  systemBin?: string;
  /** Offer "Install command-line tool": a packaged app whose bundled executable exists (in a dev tree, build/bin holds only the packaged wrapper). */
  installable: boolean;
}

/** What the tray app tells whoever listens (tests, the test hook). */
export interface TrayEvents {
  ready: [];
  'menu-changed': [MenuModel];
  'window-created': [];
  'window-closed': [];
}

/** The test hook the Electron smoke test reads (only with LAKEKEY_TEST_HOOK=1). */
export interface TestHook {
  menu(): MenuSnapshot | undefined;
}

declare global {
  var __lakekeyTestHook: TestHook | undefined;
}

/** Starts the tray. Resolves with undefined when another instance already runs (this one quits). */
export async function start(electron: ElectronModule, deps: StartDeps): Promise<TrayApp | undefined> {
  const { app, protocol } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return undefined;
  }
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, corsEnabled: true } }]);
  // Every webContents, whoever creates it: no navigation, no new windows, no permissions.
  app.on('web-contents-created', (_event, contents) => hardenContents(contents as unknown as GuardableContents));
  await app.whenReady();
  const tray = new TrayApp(electron, normalise(electron, deps));
  await tray.ready();
  return tray;
}

function normalise(electron: ElectronModule, deps: StartDeps): Options {
  const platform = deps.platform ?? process.platform;
  return {
    openStore: deps.openStore,
    appRoot: deps.appRoot,
    resourcesDir: deps.resourcesDir,
    env: deps.env ?? process.env,
    platform,
    home: deps.home ?? homedir(),
    ...(deps.vault ? { vault: deps.vault } : {}),
    ...(deps.systemBin ? { systemBin: deps.systemBin } : {}),
    installable: electron.app.isPackaged && existsSync(bundledCli(deps.resourcesDir, platform)),
  };
}

/** What the tray's browser needs of Electron: which pages it may open, and the desktop's default browser. */
interface TrayShell {
  allowed(url: string): boolean;
  openExternal(url: string): Promise<void>;
}

/** The tray's parts that need no Electron object: settings, the core's context, the login single-flight. */
function compose(opts: Options, shell: TrayShell, systemProxy: SystemProxyResolver) {
  const dir = settingsDir(opts.env, opts.platform);
  const settings = settingsStore(opts.openStore, dir);
  const log = createLogger({ dir, debug: Boolean(opts.env.LAKEKEY_DEBUG) });
  // The profile's --browser, else LAKEKEY_BROWSER (both run as the CLI runs them), else
  // Electron's shell (the desktop's default browser); every one only on an allowed page.
  const system = systemBrowser(opts.env, opts.platform);
  const custom = Boolean(opts.env.LAKEKEY_BROWSER?.trim());
  const browser: Browser = {
    available: (command) => (command || custom ? system.available(command) : true),
    async open(url, command) {
      if (!shell.allowed(url)) throw new LakekeyError('INTERNAL', 'refused to open a URL that is not a login page of a configured issuer');
      await (command || custom ? system.open(url, command) : shell.openExternal(url));
    },
  };
  // The core's one composition root; the tray adds its browser, its notices (the log: the menu
  // and notifications say what matters) and the OS proxy settings (PAC included).
  const ctx = composeCore(opts.env, {
    dir,
    log,
    browser,
    ...(opts.vault ? { vault: opts.vault } : {}),
    notice: (text) => log.info('notice', { text }),
    systemProxy,
  });
  const inflight = new Set<string>();
  // What the run that starts a profile's login asked for (another account); a caller who asks
  // while one runs joins it, as every caller does: one login per profile.
  const asked = new Map<string, LoginOptions>();
  const flight = singleFlight(async (name: string) => {
    inflight.add(name);
    const opts = asked.get(name) ?? {};
    asked.delete(name);
    try {
      await login(ctx, name, getProfile(settings.read(), name), opts);
    } finally {
      inflight.delete(name);
    }
  });
  const logins = {
    run(name: string, opts: LoginOptions = {}): Promise<void> {
      if (!inflight.has(name) && !asked.has(name)) asked.set(name, opts);
      return flight.run(name);
    },
  };
  return { dir, settings, log, ctx, logins, loggingIn: (name: string) => inflight.has(name) };
}

export class TrayApp extends EventEmitter<TrayEvents> {
  readonly dir: string;
  readonly scheduler: Scheduler;
  readonly handlers: ReturnType<typeof createHandlers>;
  /** The credentials endpoint for the profiles that enable it, for the tray's life. */
  readonly endpoint: TrayEndpoint;
  /** Starting the tray at login: the menu's toggle and the window's switch. */
  readonly startAtLogin: StartAtLogin;
  private readonly settings: SettingsStore;
  private readonly log: Logger;
  private readonly ctx: Context;
  private readonly logins: { run(name: string, opts?: LoginOptions): Promise<void> };
  private readonly handlerDeps: HandlerDeps;
  private tray: TrayType | undefined;
  private iconState: TrayState | undefined;
  private model: MenuModel | undefined;
  /** The views the menu was last built from, to say its times again each minute. */
  private views: ProfileView[] = [];
  /** At each minute, the menu's "valid 59 min" is said again (from the views above: no keychain read). */
  private menuTimer: NodeJS.Timeout | undefined;
  private window: BrowserWindowType | undefined;
  /** While the window is open, a timer at the next minute so the times it shows stay true. */
  private minuteTimer: NodeJS.Timeout | undefined;
  private broker: LoginBroker | undefined;
  private quitting = false;

  constructor(
    private readonly electron: ElectronModule,
    private readonly opts: Options,
  ) {
    super();
    const parts = compose(
      opts,
      { allowed: (url) => externalUrlAllowed(url, this.issuers(), this.dir), openExternal: (url) => electron.shell.openExternal(url) },
      // Asked only at request time, after app.whenReady(), when the session exists.
      async (url) => proxyFromPacResult(await electron.session.defaultSession.resolveProxy(url)),
    );
    ({ dir: this.dir, settings: this.settings, log: this.log, ctx: this.ctx, logins: this.logins } = parts);
    this.scheduler = new Scheduler({
      clock: { now: () => this.ctx.clock.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) },
      random: Math.random,
      load: () => this.scheduleInputs(),
      // The scheduler owns the timing (it fires a little before the refresh window, with jitter).
      refresh: async (name) => {
        await currentS3Credentials(fromContext(this.ctx), name, getProfile(this.settings.read(), name), { interactive: false, force: true });
      },
      login: (name) => this.login(name),
      presence: () => this.presence(),
      notify: (n) => this.notify(n),
      changed: () => this.changed(),
    });
    this.endpoint = new TrayEndpoint({
      enabled: () => endpointProfiles(this.safeProfiles()),
      start: (names) => this.startEndpoint(names),
      say: (text) => this.notify({ title: 'lakekey credentials endpoint', body: text }),
    });
    this.startAtLogin = startAtLogin({
      platform: opts.platform,
      app: electron.app,
      env: opts.env,
      home: opts.home,
      argv: () => trayCommand(electron.app.isPackaged, process.execPath, opts.appRoot, opts.env),
    });
    this.handlerDeps = {
      startAtLogin: this.startAtLogin,
      settings: this.settings,
      ctx: this.ctx,
      login: (name, opts) => this.login(name, opts),
      loggingIn: parts.loggingIn,
      refresh: (name) => this.scheduler.refreshNow(name),
      schedule: (name) => this.scheduler.schedule(name),
      changed: () => {
        void this.scheduler.update();
        void this.endpoint.sync();
      },
      networkOnline: () => void this.scheduler.networkChanged(),
      clipboard: electron.clipboard,
      cliCommand: () => cliCommand(electron.app.isPackaged, opts, opts.platform),
      logout: async (name, profile, opts) => (await this.logout(name, profile, opts)).result,
      endpoint: () => this.endpoint.place(),
      pickImportFile: () => this.pickImportFile(),
    };
    this.handlers = createHandlers(this.handlerDeps);
  }

  /** After app.whenReady(): tray, IPC, the renderer's scheme, the broker, the OS events; first launch opens Settings. */
  async ready(): Promise<void> {
    const { app, powerMonitor, protocol, Tray } = this.electron;
    if (this.opts.platform === 'darwin') app.dock?.hide();
    registerHandlers(this.electron as unknown as Parameters<typeof registerHandlers>[0], this.handlers, (url) => isTrustedSender(url));
    const rendererRoot = join(this.opts.appRoot, 'renderer', 'dist');
    protocol.handle(APP_SCHEME, async (request) => {
      const url = new URL(request.url);
      const answer = await rendererFile(rendererRoot, url.host === 'settings' ? url.pathname : '/__nothing__');
      return new Response(new Uint8Array(answer.body), { status: answer.status, headers: answer.headers });
    });
    this.iconState = 'ok';
    this.tray = new Tray(this.icon('ok'));
    this.broker = await this.startBroker();

    app.on('second-instance', () => void this.showSettings());
    // The tray lives on when the settings window closes.
    app.on('window-all-closed', () => undefined);
    app.on('before-quit', () => {
      this.scheduler.stop();
      void this.broker?.close();
      // Its registry files go at once (synchronously), whatever is left of the process's life.
      void this.endpoint.close();
    });
    // After sleep the network has usually changed too: re-plan, then retry failing renewals promptly.
    powerMonitor.on('resume', () => void this.scheduler.resume().then(() => this.scheduler.networkChanged()));
    for (const event of ['unlock-screen', 'user-did-become-active'] as const) powerMonitor.on(event as 'unlock-screen', () => this.scheduler.presenceChanged());
    this.settings.onChange(() => {
      void this.scheduler.update();
      void this.endpoint.sync();
    });
    this.tray.on('click', () => void this.refreshMenu());
    if (this.opts.env.LAKEKEY_TEST_HOOK === '1') {
      globalThis.__lakekeyTestHook = { menu: () => (this.model ? menuSnapshot(this.model, trayIconFile(this.model.state, this.opts.platform)) : undefined) };
    }

    await this.scheduler.update();
    await this.endpoint.sync();
    await this.refreshMenu();
    if (!Object.keys(this.safeProfiles()).length) await this.showSettings();
    this.emit('ready');
  }

  async refreshMenu(): Promise<void> {
    if (!this.tray) return;
    this.views = await listViews(this.handlerDeps);
    this.renderMenu(this.views);
  }

  private renderMenu(views: ProfileView[]): void {
    if (!this.tray || this.quitting) return;
    const model = buildMenuModel(views, { installCli: this.opts.installable, startAtLogin: this.loginItemOn() });
    this.model = model;
    this.tray.setContextMenu(renderMenu(this.electron.Menu, model, (action) => void this.dispatch(action)));
    this.tray.setToolTip(model.tooltip);
    if (model.state !== this.iconState) {
      this.iconState = model.state;
      this.tray.setImage(this.icon(model.state));
    }
    this.emit('menu-changed', model);
    clearTimeout(this.menuTimer);
    this.menuTimer = setTimeout(() => this.renderMenu(viewsAt(this.views, Date.now())), 60_000 - (Date.now() % 60_000));
    this.menuTimer.unref();
  }

  async dispatch(action: MenuAction): Promise<void> {
    try {
      switch (action.type) {
        case 'settings':
          return await this.showSettings();
        case 'import':
          // The window asks main to pick the file (profiles:import-pick) and shows the plan.
          await this.showSettings();
          return sendEvent(this.window?.webContents, EVENT_CHANNELS.onImportRequested);
        case 'quit':
          return await this.quit();
        case 'install-cli':
          return await this.installCli();
        case 'start-at-login':
          this.startAtLogin.set(!this.startAtLogin.enabled());
          return this.changed();
        case 'login':
          // An explicit click: the user is at the machine.
          await this.login(action.profile);
          break;
        case 'login-other':
          // The IdP asks which account (prompt=select_account, or login where it offers no choice).
          await this.login(action.profile, { selectAccount: true });
          break;
        case 'refresh':
          await this.scheduler.refreshNow(action.profile);
          break;
        case 'logout': {
          // Said honestly: a revocation that failed is reported, not passed over.
          const profile = this.profile(action.profile);
          const { result, wasServed } = await this.logout(action.profile, profile);
          const words = sayLogout(action.profile, profile, result);
          // Jobs may be asking the endpoint for it: the user hears what the logout means for them.
          if (wasServed) this.notify({ title: 'lakekey', body: `${words} ${ENDPOINT_AFTER_LOGOUT}` });
          break;
        }
        case 'copy-credential-process': {
          const s = snippets(this.handlerDeps, action.profile, this.profile(action.profile));
          this.copy(s.awsConfig.split('\n').find((l) => l.startsWith('credential_process')) ?? '');
          break;
        }
        case 'copy-env':
          this.copy(snippets(this.handlerDeps, action.profile, this.profile(action.profile)).shell);
          break;
        case 'copy-endpoint-env':
          this.copy(endpointShellLine(action.profile));
          break;
      }
      await this.scheduler.update();
    } catch (err) {
      this.reportError(err);
    }
  }

  async showSettings(): Promise<void> {
    if (this.window && !this.window.isDestroyed()) {
      this.window.show();
      this.window.focus();
      return;
    }
    const w = new this.electron.BrowserWindow(
      settingsWindowOptions(join(this.opts.appRoot, 'dist', 'preload', 'preload.cjs'), this.electron.nativeTheme.shouldUseDarkColors),
    );
    this.window = w;
    w.once('ready-to-show', () => w.show());
    w.on('closed', () => {
      this.window = undefined;
      clearTimeout(this.minuteTimer);
      this.minuteTimer = undefined;
      this.emit('window-closed');
    });
    this.emit('window-created');
    await w.loadURL(SETTINGS_URL);
    this.tickEveryMinute();
  }

  async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    this.scheduler.stop();
    clearTimeout(this.minuteTimer);
    clearTimeout(this.menuTimer);
    await this.broker?.close();
    await this.endpoint.close();
    this.tray?.destroy();
    if (globalThis.__lakekeyTestHook) globalThis.__lakekeyTestHook = undefined;
    this.electron.app.quit();
  }

  // ---- glue --------------------------------------------------------------------------------------

  /** Every interactive login (menu, window, notification, CLI via the broker): one per profile; the tray shows it running. */
  private login(name: string, opts: Pick<LoginOptions, 'selectAccount'> = {}): Promise<void> {
    // A login that signed in someone else says that the previous user was logged out.
    const running = this.logins.run(name, { ...opts, onReplaced: (text) => this.notify({ title: 'lakekey', body: text.replace(/^lakekey: l/, 'L') }) });
    this.changed();
    return running;
  }

  /** Whether the tray starts at login, for the menu; a failure to tell leaves the item out rather than the menu. */
  private loginItemOn(): boolean | undefined {
    try {
      return this.startAtLogin.enabled();
    } catch (err) {
      this.log.warn('start-at-login.read', { error: asLakekeyError(err).message });
      return undefined;
    }
  }

  /** Sessions, settings or the scheduler's view changed: the menu and the window follow. */
  private changed(): void {
    void this.refreshMenu();
    sendEvent(this.window?.webContents, EVENT_CHANNELS.onProfilesChanged);
  }

  /** The window says "valid 59 min": tell it when the minute turns, while it is open. */
  private tickEveryMinute(): void {
    clearTimeout(this.minuteTimer);
    this.minuteTimer = setTimeout(
      () => {
        sendEvent(this.window?.webContents, EVENT_CHANNELS.onProfilesChanged);
        if (this.window && !this.window.isDestroyed()) this.tickEveryMinute();
      },
      60_000 - (Date.now() % 60_000),
    );
    this.minuteTimer.unref();
  }

  /** "Import profiles…": the desktop's open-file dialog for a team's settings file, over the settings window when it is open. */
  private async pickImportFile(): Promise<string | undefined> {
    const options: OpenDialogOptions = {
      title: 'Import profiles',
      buttonLabel: 'Import',
      properties: ['openFile'],
      filters: [{ name: 'lakekey settings (JSON or YAML)', extensions: ['json', 'yaml', 'yml'] }],
    };
    const parent = this.window && !this.window.isDestroyed() ? this.window : undefined;
    const picked = await (parent ? this.electron.dialog.showOpenDialog(parent, options) : this.electron.dialog.showOpenDialog(options));
    return picked.canceled ? undefined : picked.filePaths[0];
  }

  private async installCli(): Promise<void> {
    const { platform, resourcesDir, home, systemBin } = this.opts;
    const r = await installCli({ platform, resourcesDir, home, path: this.opts.env.PATH ?? '', ...(systemBin ? { systemBin } : {}) });
    this.log.info('install-cli', { ok: r.ok });
    this.notify({ title: r.ok ? 'lakekey command installed' : 'lakekey command not installed', body: `${r.message}${r.hint ? ` ${r.hint}` : ''}` });
  }

  /** Every logout the tray runs (menu, window, rename, remove): the endpoint withholds the profile meanwhile. */
  private logout(name: string, profile: Profile, opts: LogoutOptions = {}) {
    return this.endpoint.withholding(name, () => logout(this.ctx, name, profile, opts));
  }

  /** The core's endpoint, registered as the tray's; the scheduler renews, so it does not renew ahead. */
  private async startEndpoint(names: string[]): Promise<RunningEndpoint> {
    const served = await serveProfiles(this.ctx, names, {
      profile: (name) => this.servedProfile(name),
      renewAhead: false,
      say: (text) => {
        this.log.warn('endpoint.notice');
        this.notify({ title: 'lakekey credentials endpoint', body: text.charAt(0).toUpperCase() + text.slice(1) });
      },
      dir: this.dir,
      register: { owner: TRAY_ENDPOINT_OWNER },
    });
    this.log.info('endpoint.started', { port: served.endpoint.port, profiles: names.length });
    return {
      place: { port: served.endpoint.port, tokenFile: served.record!.tokenFile },
      served: () => served.endpoint.profiles(),
      serveOnly: (wanted) => served.serveOnly(wanted),
      close: () => served.close(),
    };
  }

  /** A served profile's settings at the time of a request: turned off in the file and not yet followed, it is not served. */
  private servedProfile(name: string): Profile {
    const profile = this.profile(name);
    if (!profile.endpoint) {
      void this.endpoint.sync();
      throw new LakekeyError('CONFIG', `the tray's credentials endpoint is turned off for profile "${name}"`, {
        hint: `Turn it on in the profile's settings, or with \`lakekey profile set ${name} --endpoint\`.`,
      });
    }
    return profile;
  }

  private async startBroker(): Promise<LoginBroker | undefined> {
    try {
      return await startLoginBroker({
        dir: this.dir,
        platform: process.platform,
        login: async (name) => {
          // A CLI asked. Never open a browser for nobody: a cron job's `aws` call on a locked screen gets exit 3.
          if (!mayOpenBrowser(this.presence())) {
            throw new LakekeyError('LOGIN_REQUIRED', 'the screen is locked or nobody is at the computer, so the tray did not open a browser', {
              hint: `Run \`lakekey login ${name}\` when you are back.`,
            });
          }
          this.profile(name);
          await this.login(name);
          await this.scheduler.update();
        },
      });
    } catch (err) {
      this.log.warn('broker.failed', { code: asLakekeyError(err).code });
      return undefined;
    }
  }

  private async scheduleInputs() {
    const out = [];
    for (const [name, profile] of Object.entries(this.safeProfiles())) {
      try {
        out.push(scheduleInput(name, profile, await statusOf(this.ctx, name, profile)));
      } catch {
        out.push(scheduleInput(name, profile, undefined));
      }
    }
    return out;
  }

  private notify(n: Pick<Notice, 'title' | 'body'> & { profile?: string; actionable?: boolean }): void {
    const { Notification } = this.electron;
    if (!Notification.isSupported()) return;
    const note = new Notification({ title: gateLine(n.title), body: gate(n.body), silent: !n.actionable });
    if (n.actionable && n.profile) {
      const profile = n.profile;
      note.on(
        'click',
        () =>
          void this.scheduler.renew(profile).then(
            () => this.refreshMenu(),
            (err: unknown) => this.reportError(err),
          ),
      );
    }
    note.show();
  }

  private reportError(err: unknown): void {
    const e = asLakekeyError(err);
    this.log.warn('tray.action-failed', { code: e.code });
    this.notify({ title: 'lakekey', body: `${e.message}${e.hint ? `. ${e.hint}` : ''}` });
  }

  private icon(state: TrayState) {
    const image = this.electron.nativeImage.createFromPath(join(this.opts.resourcesDir, 'tray', trayIconFile(state, this.opts.platform)));
    if (this.opts.platform === 'darwin') image.setTemplateImage(true);
    return image;
  }

  private presence(): Presence {
    return this.electron.powerMonitor.getSystemIdleState(IDLE_THRESHOLD_SECONDS);
  }

  /** Copies `text` from a menu item; a clipboard that refuses is told, not lost. */
  private copy(text: string): void {
    Promise.resolve(this.electron.clipboard.writeText(text)).catch((err: unknown) => {
      this.log.warn('clipboard.failed', { code: asLakekeyError(err).code });
      this.ctx.notice('lakekey could not copy to the clipboard. Open the settings window and copy it from there.');
    });
  }

  private profile(name: string) {
    return getProfile(this.settings.read(), name);
  }

  private issuers(): string[] {
    return Object.values(this.safeProfiles()).map((p) => p.issuer);
  }

  private safeProfiles() {
    try {
      return this.settings.read().profiles;
    } catch (err) {
      this.log.warn('settings.unreadable', { code: asLakekeyError(err).code });
      return {};
    }
  }
}

/** The command line that runs the lakekey CLI from this installation: the bundled executable when packaged. */
export function cliCommand(packaged: boolean, deps: Pick<StartDeps, 'appRoot' | 'resourcesDir'>, platform: NodeJS.Platform): string[] {
  if (packaged) return [bundledCli(deps.resourcesDir, platform)];
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
