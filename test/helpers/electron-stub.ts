// A stand-in for the `electron` module, for the thin shell's wiring tests (main/app/main.ts takes
// the module as a parameter). It records what the app asks of Electron and lets a test drive
// events; it implements only what main.ts uses.
import { EventEmitter } from 'node:events';
import type { ElectronModule } from '../../main/app/electron-types.js';

export interface StubFrame {
  url: string;
  parent: unknown;
}

export class StubWebContents extends EventEmitter {
  /** Events main sent to the page (webContents.send). */
  readonly sent: string[] = [];
  destroyed = false;
  windowOpenHandler: ((d: { url: string }) => { action: string }) | undefined;
  permissionRequestHandler: ((wc: unknown, permission: string, cb: (granted: boolean) => void) => void) | null = null;
  permissionCheckHandler: ((wc: unknown, permission: string) => boolean) | null = null;
  readonly session = {
    setPermissionRequestHandler: (h: StubWebContents['permissionRequestHandler']) => (this.permissionRequestHandler = h),
    setPermissionCheckHandler: (h: StubWebContents['permissionCheckHandler']) => (this.permissionCheckHandler = h),
  };
  send(channel: string): void {
    this.sent.push(channel);
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  setWindowOpenHandler(h: (d: { url: string }) => { action: string }): void {
    this.windowOpenHandler = h;
  }
  /** Emits a navigation attempt; answers whether the app prevented it. */
  tryNavigate(url: string, event: 'will-navigate' | 'will-redirect' = 'will-navigate'): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, url);
    return prevented;
  }
}

export interface ElectronStub {
  electron: ElectronModule;
  app: EventEmitter & {
    quitCalled: number;
    lockAvailable: boolean;
    dockHidden: boolean;
    /** What app.setLoginItemSettings was last given (macOS and Windows), as getLoginItemSettings answers it. */
    loginItem: { openAtLogin: boolean; path?: string; args?: string[] };
  };
  windows: Array<{ options: Record<string, unknown>; url?: string; shown: boolean; webContents: StubWebContents }>;
  trays: Array<{ image: unknown; menu: unknown; tooltip: string; destroyed: boolean; emitter: EventEmitter }>;
  handlers: Map<string, (event: { senderFrame: StubFrame | null }, request: unknown) => Promise<unknown>>;
  protocolHandlers: Map<string, (request: Request) => Promise<Response>>;
  privilegedSchemes: unknown[];
  clipboard: string[];
  opened: string[];
  notifications: Array<{ title: string; body: string; emitter: EventEmitter }>;
  powerMonitor: EventEmitter & { idleState: 'active' | 'idle' | 'locked' | 'unknown' };
  /** The OS theme the app sees. */
  nativeTheme: { shouldUseDarkColors: boolean };
  /** What session.resolveProxy answers (Chromium's PAC-style result). */
  proxyAnswer: string;
  /** The file the next open-file dialog answers (dialog.showOpenDialog); undefined: the user cancels. */
  openDialogAnswer: string | undefined;
  /** Every open-file dialog shown: its options, and whether it was attached to a window. */
  openDialogs: Array<{ options: Record<string, unknown>; parented: boolean }>;
  /** Fires web-contents-created for a new contents (as Electron does for every window). */
  createContents(): StubWebContents;
}

export function electronStub(opts: { lockAvailable?: boolean; appPath?: string; packaged?: boolean } = {}): ElectronStub {
  const app = Object.assign(new EventEmitter(), {
    quitCalled: 0,
    lockAvailable: opts.lockAvailable ?? true,
    dockHidden: false,
    loginItem: { openAtLogin: false } as ElectronStub['app']['loginItem'],
  });
  const stub: ElectronStub = {
    electron: undefined as unknown as ElectronModule,
    proxyAnswer: 'DIRECT',
    openDialogAnswer: undefined,
    openDialogs: [],
    nativeTheme: { shouldUseDarkColors: false },
    app,
    windows: [],
    trays: [],
    handlers: new Map(),
    protocolHandlers: new Map(),
    privilegedSchemes: [],
    clipboard: [],
    opened: [],
    notifications: [],
    powerMonitor: Object.assign(new EventEmitter(), { idleState: 'active' as const }),
    createContents() {
      const contents = new StubWebContents();
      app.emit('web-contents-created', {}, contents);
      return contents;
    },
  };

  const appApi = Object.assign(app, {
    isPackaged: opts.packaged ?? false,
    requestSingleInstanceLock: () => app.lockAvailable,
    quit: () => {
      app.quitCalled += 1;
    },
    whenReady: () => Promise.resolve(),
    getAppPath: () => opts.appPath ?? process.cwd(),
    dock: { hide: () => (app.dockHidden = true) },
    getLoginItemSettings: () => ({ openAtLogin: app.loginItem.openAtLogin }),
    setLoginItemSettings: (s: { openAtLogin: boolean; path?: string; args?: string[] }) => (app.loginItem = { ...s }),
  });

  class BrowserWindow {
    readonly webContents: StubWebContents;
    private readonly emitter = new EventEmitter();
    private record: ElectronStub['windows'][number];
    private destroyed = false;
    constructor(options: Record<string, unknown>) {
      this.webContents = stub.createContents();
      this.record = { options, shown: false, webContents: this.webContents };
      stub.windows.push(this.record);
    }
    async loadURL(url: string) {
      this.record.url = url;
      this.emitter.emit('ready-to-show');
    }
    once(event: string, fn: () => void) {
      this.emitter.once(event, fn);
      return this;
    }
    on(event: string, fn: () => void) {
      this.emitter.on(event, fn);
      return this;
    }
    show() {
      this.record.shown = true;
    }
    focus() {}
    isDestroyed() {
      return this.destroyed;
    }
    close() {
      this.destroyed = true;
      this.webContents.destroyed = true;
      this.emitter.emit('closed');
    }
  }

  class Tray {
    private readonly record: ElectronStub['trays'][number];
    constructor(image: unknown) {
      this.record = { image, menu: undefined, tooltip: '', destroyed: false, emitter: new EventEmitter() };
      stub.trays.push(this.record);
    }
    setContextMenu(menu: unknown) {
      this.record.menu = menu;
    }
    setToolTip(t: string) {
      this.record.tooltip = t;
    }
    setImage(image: unknown) {
      this.record.image = image;
    }
    on(event: string, fn: () => void) {
      this.record.emitter.on(event, fn);
      return this;
    }
    destroy() {
      this.record.destroyed = true;
    }
  }

  class Notification {
    private readonly emitter = new EventEmitter();
    static isSupported() {
      return true;
    }
    constructor(private readonly opts: { title: string; body: string }) {}
    on(event: string, fn: () => void) {
      this.emitter.on(event, fn);
      return this;
    }
    show() {
      stub.notifications.push({ title: this.opts.title, body: this.opts.body, emitter: this.emitter });
    }
  }

  const powerMonitor = Object.assign(stub.powerMonitor, { getSystemIdleState: () => stub.powerMonitor.idleState });

  stub.electron = {
    app: appApi,
    BrowserWindow,
    Tray,
    Menu: { buildFromTemplate: (template: unknown[]) => ({ template }) },
    ipcMain: {
      handle: (channel: string, fn: ElectronStub['handlers'] extends Map<string, infer F> ? F : never) => {
        if (stub.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
        stub.handlers.set(channel, fn);
      },
      removeHandler: (channel: string) => stub.handlers.delete(channel),
    },
    shell: { openExternal: async (url: string) => void stub.opened.push(url) },
    clipboard: { writeText: (text: string) => void stub.clipboard.push(text) },
    dialog: {
      // Electron's two forms: (options) and (window, options).
      showOpenDialog: async (...args: unknown[]) => {
        const options = args.at(-1) as Record<string, unknown>;
        stub.openDialogs.push({ options, parented: args.length === 2 });
        const file = stub.openDialogAnswer;
        return file === undefined ? { canceled: true, filePaths: [] } : { canceled: false, filePaths: [file] };
      },
    },
    powerMonitor,
    Notification,
    nativeTheme: stub.nativeTheme,
    nativeImage: { createFromPath: (path: string) => ({ path, setTemplateImage() {} }) },
    session: {
      // The OS proxy answer for every URL: no proxy (tests set proxyAnswer to simulate one).
      defaultSession: { resolveProxy: async () => stub.proxyAnswer },
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown[]) => void stub.privilegedSchemes.push(...schemes),
      handle: (scheme: string, fn: (r: Request) => Promise<Response>) => void stub.protocolHandlers.set(scheme, fn),
    },
  } as unknown as ElectronModule;
  return stub;
}
