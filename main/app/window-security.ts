// The settings window's security settings (Electron's security checklist), as pure data and
// small functions so a test asserts exactly what the app uses: the BrowserWindow options, the
// Content-Security-Policy, the sender check for IPC, which URLs may be opened externally, and
// the guards wired onto the window's webContents.
import type { BrowserWindowConstructorOptions } from 'electron';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isLaunchPageName } from '../core/login/launch-page.js';
import { isSecureUrl } from '../shared/secure-url.js';

/** The renderer is served from this privileged custom scheme (never file://, never http). */
export const APP_SCHEME = 'lakekey';
export const APP_HOST = 'settings';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const SETTINGS_URL = `${APP_ORIGIN}/index.html`;

export const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'none'",
  "img-src 'self' data:",
  "font-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Headers for every renderer file (the CSP is also in the page's meta tag). */
export function securityHeaders(): Record<string, string> {
  return {
    'Content-Security-Policy': CSP,
    'X-Content-Type-Options': 'nosniff',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Referrer-Policy': 'no-referrer',
  };
}

/** The settings window: hardened; its background matches the page's light or dark theme, so opening it does not flash. */
export function settingsWindowOptions(preloadPath: string, dark = false): BrowserWindowConstructorOptions {
  return {
    width: 980,
    height: 720,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'lakekey settings',
    autoHideMenuBar: true,
    backgroundColor: dark ? '#15181d' : '#f6f7f9',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      enableBlinkFeatures: '',
      webviewTag: false,
      navigateOnDragDrop: false,
      spellcheck: false,
      devTools: process.env.LAKEKEY_DEVTOOLS === '1',
      safeDialogs: true,
    },
  };
}

/** IPC is answered only for the settings page itself, in the top frame. */
export function isTrustedSender(frameUrl: string | undefined, expectedOrigin = APP_ORIGIN): boolean {
  if (!frameUrl) return false;
  try {
    const url = new URL(frameUrl);
    return url.origin === expectedOrigin || `${url.protocol}//${url.host}` === expectedOrigin;
  } catch {
    return false;
  }
}

/**
 * shell.openExternal only for https or loopback http URLs on the origin of a configured issuer
 * (an IdP's account page), or the core's login launcher: the private launch page it writes in the
 * settings folder `launchDir` (launch-page.ts), or a loopback launch path.
 */
export function externalUrlAllowed(target: string, issuers: string[], launchDir?: string): boolean {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'file:') {
    if (!launchDir || url.host) return false;
    let file: string;
    try {
      file = fileURLToPath(url);
    } catch {
      return false;
    }
    return dirname(file) === resolve(launchDir) && isLaunchPageName(basename(file));
  }
  const secure = isSecureUrl(url);
  if (!secure) return false;
  if (url.protocol === 'http:' && /^\/callback\/[0-9a-f]{32}$/.test(url.pathname) && url.hostname === '127.0.0.1') return true;
  return issuers.some((i) => {
    try {
      return new URL(i).origin === url.origin;
    } catch {
      return false;
    }
  });
}

/** The slice of WebContents the guards use (a stub implements it in tests). */
export interface GuardableContents {
  on(event: 'will-navigate' | 'will-redirect', listener: (event: { preventDefault(): void }, url: string) => void): unknown;
  on(event: 'will-attach-webview', listener: (event: { preventDefault(): void }) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
  session: {
    setPermissionRequestHandler(handler: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | null): void;
    setPermissionCheckHandler(handler: ((wc: unknown, permission: string) => boolean) | null): void;
  };
}

/** Navigation, new windows, webviews and every permission: denied. */
export function hardenContents(contents: GuardableContents): void {
  contents.on('will-navigate', (event, url) => {
    if (url !== SETTINGS_URL) event.preventDefault();
  });
  contents.on('will-redirect', (event) => event.preventDefault());
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.session.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  contents.session.setPermissionCheckHandler(() => false);
}
