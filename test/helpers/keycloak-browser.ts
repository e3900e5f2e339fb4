// Test browser for Keycloak (LAKEKEY_BROWSER in test/long/keycloak.test.ts): drives headless Debian
// chromium through Keycloak's own login form (#username, #password, #kc-login) and, when Keycloak
// asks, its consent page, as a person would. The oidc-provider pages are test/helpers/browser.ts's.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { isMain } from './is-main.js';

const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
// Keycloak is slow on a loaded 2-core machine (a JVM beside everything else).
const TIMEOUT_MS = 180_000;
const SETTLE_MS = 1_000;

export interface KeycloakDriveResult {
  finalUrl: string;
  finalText: string;
  /** Forms this run submitted: login, consent. */
  submitted: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Kind = 'login' | 'consent' | 'code' | 'error' | 'other';

/** Classifies the current document once and marks a form page as handled (so it is submitted once). */
function look(page: Page): Promise<{ ready: boolean; kind: Kind; claimed: boolean }> {
  return page.evaluate(() => {
    const marker = window as unknown as { __lakekeyKcHandled?: boolean };
    const ready = document.readyState === 'complete';
    let kind: Kind = 'other';
    if (document.querySelector('#username') && document.querySelector('#password')) kind = 'login';
    else if (document.querySelector('[name=accept]')) kind = 'consent';
    else if (document.querySelector('#device-user-code')) kind = 'code';
    else if (document.querySelector('#kc-error-message, .kc-feedback-text, .pf-m-danger')) kind = 'error';
    const claimed = ready && (kind === 'login' || kind === 'consent') && !marker.__lakekeyKcHandled;
    if (claimed) marker.__lakekeyKcHandled = true;
    return { ready, kind, claimed };
  });
}

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

class DriveError extends Error {}

/**
 * Opens `url` in a fresh headless chromium profile and signs in as LAKEKEY_TEST_KC_USER with
 * LAKEKEY_TEST_KC_PASSWORD (a throwaway test password), accepting consent if asked. A code login
 * ends on lakekey's loopback page (not Keycloak's origin); a device login (`device`) on Keycloak's
 * "device login successful" page. Anything else — a Keycloak error page, a second login form
 * (password refused), a timeout — is an error carrying the page text.
 */
export async function driveKeycloakLogin(url: string, opts: { device?: boolean; user?: string; password?: string } = {}): Promise<KeycloakDriveResult> {
  const user = opts.user ?? process.env.LAKEKEY_TEST_KC_USER;
  const password = opts.password ?? process.env.LAKEKEY_TEST_KC_PASSWORD;
  if (!user || !password) throw new DriveError('LAKEKEY_TEST_KC_USER and LAKEKEY_TEST_KC_PASSWORD must be set');
  const keycloakOrigin = new URL(url).origin;
  const profile = mkdtempSync(join(tmpdir(), 'lakekey-kc-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
  const submitted: string[] = [];
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    let lastNavigationAt = Date.now();
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) lastNavigationAt = Date.now();
    });
    const idpOrigins = new Set<string>();
    const deadline = Date.now() + TIMEOUT_MS;
    await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS }).catch(() => undefined);
    while (Date.now() < deadline) {
      try {
        const { ready, kind, claimed } = await look(page);
        if (claimed) {
          idpOrigins.add(new URL(page.url()).origin);
          if (kind === 'login') {
            if (submitted.includes('login'))
              throw new DriveError(`Keycloak showed its login form again (password refused?): ${(await page.innerText('body')).slice(0, 500)}`);
            await page.fill('#username', user);
            await page.fill('#password', password);
            await page.click('#kc-login', { noWaitAfter: true });
          } else {
            await page.click('[name=accept]', { noWaitAfter: true });
          }
          submitted.push(kind);
          lastNavigationAt = Date.now();
        } else if (ready && (kind === 'error' || kind === 'code' || kind === 'other') && Date.now() - lastNavigationAt >= SETTLE_MS) {
          const finalUrl = page.url();
          const finalText = await page.innerText('body').catch(() => '');
          const final = new URL(finalUrl);
          if (opts.device) {
            if (final.origin === keycloakOrigin && kind === 'other' && /device login successful|you may close/i.test(finalText))
              return { finalUrl, finalText, submitted };
          } else if (isLoopback(final) && final.origin !== keycloakOrigin && !idpOrigins.has(final.origin)) {
            return { finalUrl, finalText, submitted };
          }
          throw new DriveError(`browser settled on ${final.origin}${final.pathname} (${kind}): ${finalText.slice(0, 500)}`);
        }
      } catch (err) {
        const transient = err instanceof Error && !(err instanceof DriveError) && /context was destroyed|navigat|frame was detached/i.test(err.message);
        if (!transient) throw err;
      }
      await sleep(100);
    }
    throw new DriveError(`Keycloak browser login timed out after ${TIMEOUT_MS / 1000} s at ${page.url()}`);
  } finally {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}

// Run as `node keycloak-browser.js <URL>` (how lakekey launches LAKEKEY_BROWSER).
if (isMain(import.meta.url)) {
  const url = process.argv[process.argv.length - 1];
  if (process.argv.length < 3 || !/^(https?:\/\/|file:\/\/\/)/.test(url)) {
    process.stderr.write('usage: keycloak-browser.js <URL>\n');
    process.exit(1);
  }
  driveKeycloakLogin(url).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`lakekey Keycloak test browser: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
