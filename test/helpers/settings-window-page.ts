// The settings window in real Chromium for the e2e tests: the built renderer (renderer/dist)
// served from a loopback server with the app's headers, and `window.lakekey` built as the preload
// builds it (main/preload/api.ts) over a test transport: invocations go through the REAL
// main-side `invoke` wrapper to the handlers given; events come from `emit(channel)`, which
// reaches the page's listeners the way webContents.send reaches the preload's.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { invoke } from '../../main/app/ipc-main.js';
import { rendererFile } from '../../main/app/renderer-files.js';
import { settingsWindowOptions } from '../../main/app/window-security.js';
import { API_CHANNELS, EVENT_CHANNELS, type Channel, type EventChannel, type IpcHandlers } from '../../main/ipc.js';
import { CHROMIUM_PATH } from './browser.js';
import { shippedArtifacts, RENDERER_DIST } from './vite-build.js';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** The window's real size (settingsWindowOptions) and its smallest. */
const OPTIONS = settingsWindowOptions('unused');
export const WINDOW_SIZE = { width: OPTIONS.width!, height: OPTIONS.height! };
export const MIN_WINDOW_SIZE = { width: OPTIONS.minWidth!, height: OPTIONS.minHeight! };

export interface WindowPage {
  page: Page;
  context: BrowserContext;
  url: string;
  /** Every answer the page received (JSON), to check for secrets. */
  answers: string[];
  cspViolations: string[];
  /** Main → window event, as webContents.send delivers it. */
  emit(channel: EventChannel): Promise<void>;
  close(): Promise<void>;
}

export async function openWindowPage(
  handlers: IpcHandlers,
  opts: { colorScheme?: 'light' | 'dark'; viewport?: { width: number; height: number } } = {},
): Promise<WindowPage> {
  await shippedArtifacts();
  const server: Server = createServer((req, res) => {
    void rendererFile(RENDERER_DIST, new URL(req.url ?? '/', 'http://x').pathname).then((a) => {
      res.writeHead(a.status, a.headers);
      res.end(a.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const context = await browser.newContext({ viewport: opts.viewport ?? WINDOW_SIZE, colorScheme: opts.colorScheme ?? 'light' });
  const page = await context.newPage();
  const answers: string[] = [];
  const cspViolations: string[] = [];
  page.on('dialog', (d) => void d.accept());
  page.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) cspViolations.push(m.text());
  });
  // The test transport: the page's window.lakekey → this process's real handlers, sender checked.
  await page.exposeBinding('__lakekeyInvoke', async (source, channel: Channel, request: unknown) => {
    if (new URL(source.frame.url()).origin !== origin || source.frame.parentFrame() !== null) {
      return { ok: false, error: { code: 'FORBIDDEN', message: 'refused' } };
    }
    const outcome = await invoke(handlers, channel, request);
    answers.push(JSON.stringify(outcome));
    return outcome;
  });
  // The same API the preload builds from API_CHANNELS and EVENT_CHANNELS.
  await page.addInitScript(
    ({ channels, events }: { channels: Record<string, string>; events: Record<string, string> }) => {
      const w = window as unknown as { __lakekeyInvoke: (c: string, r: unknown) => Promise<unknown> };
      const listeners = new Map<string, Set<() => void>>();
      const api: Record<string, unknown> = Object.fromEntries(Object.entries(channels).map(([m, c]) => [m, (r: unknown) => w.__lakekeyInvoke(c, r ?? null)]));
      for (const [m, c] of Object.entries(events)) {
        api[m] = (listener: () => void) => {
          const set = listeners.get(c) ?? new Set();
          listeners.set(c, set);
          const forward = () => listener();
          set.add(forward);
          return () => set.delete(forward);
        };
      }
      Object.defineProperty(window, 'lakekey', { value: Object.freeze(api) });
      // What webContents.send(channel) does through the preload's ipcRenderer.on.
      Object.defineProperty(window, '__lakekeyDeliver', { value: (c: string) => listeners.get(c)?.forEach((l) => l()) });
    },
    { channels: API_CHANNELS as unknown as Record<string, string>, events: EVENT_CHANNELS as unknown as Record<string, string> },
  );
  return {
    page,
    context,
    url: `${origin}/index.html`,
    answers,
    cspViolations,
    emit: (channel) => page.evaluate((c) => (window as unknown as { __lakekeyDeliver: (c: string) => void }).__lakekeyDeliver(c), channel),
    close: async () => {
      await browser.close();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
