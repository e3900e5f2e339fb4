// Test browser (LAKEKEY_BROWSER): drives headless Debian chromium through the test IdP's login and consent pages.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { isMain } from './is-main.js';
import { launchUrlOf } from './launch-url.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const TIMEOUT_MS = 60_000;
/** A page counts as settled after this long without a main-frame navigation. */
const SETTLE_MS = 500;

export interface DriveResult {
  /** URL of the page the browser settled on. */
  finalUrl: string;
  finalTitle: string;
  finalText: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function isLoopback(url: URL): boolean {
  return url.hostname === '127.0.0.1' || url.hostname === 'localhost' || url.hostname === '[::1]';
}

/** A failure of the login itself (as opposed to a transient "page navigated away mid-query" error). */
class DriveError extends Error {}

interface Snapshot {
  ready: boolean;
  kind: 'login' | 'consent' | 'device' | 'other';
  /** True once per document: the caller owns acting on this login/consent page. */
  claimed: boolean;
  /** The page declares a meta refresh, so it is about to move on however long it waits. */
  refreshes: boolean;
}

/**
 * Looks at the current document in one evaluation (so the answer is about a single document) and marks an
 * IdP form page as handled, so a slow navigation can never make us submit the same page twice.
 */
function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => {
    const marker = window as unknown as { __lakekeyTestHandled?: boolean };
    const ready = document.readyState === 'complete';
    let kind: 'login' | 'consent' | 'device' | 'other' = 'other';
    if (document.querySelector('input[name=login]')) kind = 'login';
    else if (location.pathname.startsWith('/device') && document.querySelector('button[autofocus]')) kind = 'device';
    else if (location.pathname.startsWith('/interaction/') && document.querySelector('form button[type=submit]')) kind = 'consent';
    const claimed = ready && kind !== 'other' && !marker.__lakekeyTestHandled;
    if (claimed) marker.__lakekeyTestHandled = true;
    const refreshes = document.querySelector('meta[http-equiv="refresh" i]') !== null;
    return { ready, kind, claimed, refreshes };
  });
}

/**
 * Opens `url` in a fresh headless chromium profile, signs in as LAKEKEY_TEST_USER (default alice@example.com),
 * approves consent, and follows redirects until the tab settles on a loopback page that is not an IdP page.
 * Rejects if it settles anywhere else or after 60 s.
 */
export async function driveLogin(
  url: string,
  opts: {
    device?: boolean;
    cookies?: Array<{ name: string; value: string; url: string }>;
    /** Sign in as this IdP login instead of LAKEKEY_TEST_USER. */
    user?: string;
    /**
     * Stop as soon as the tab requests a URL starting with this, and return that URL as the final one
     * (playwright cannot hold back a request that is the target of a redirect, so it is still sent).
     */
    intercept?: string;
    /**
     * Open this URL in a second tab of the same browser once the first reached the IdP's login
     * page (a user reloading the one-time link, or clicking the printed one too); the page it
     * shows is logged (LAKEKEY_TEST_BROWSER_LOG) and the tab closed, then the login goes on.
     */
    openAgain?: string;
  } = {},
): Promise<DriveResult> {
  const user = opts.user ?? (process.env.LAKEKEY_TEST_USER || 'alice@example.com');
  const profile = mkdtempSync(join(tmpdir(), 'lakekey-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
  try {
    if (opts.cookies?.length) await context.addCookies(opts.cookies);
    const page = context.pages()[0] ?? (await context.newPage());
    const prefix = opts.intercept;
    let intercepted: string | undefined;
    if (prefix) page.on('request', (r) => void (r.url().startsWith(prefix) && (intercepted ??= r.url())));
    let lastNavigationAt = Date.now();
    const navigating = () => (lastNavigationAt = Date.now());
    page.on('framenavigated', (frame) => {
      if (frame === page.mainFrame()) navigating();
    });
    page.on('request', (request) => {
      if (request.isNavigationRequest() && request.frame() === page.mainFrame()) navigating();
    });

    const idpOrigins = new Set<string>();
    let submissions = 0;
    let openedAgain = false;
    const deadline = Date.now() + TIMEOUT_MS;

    // goto can be interrupted by a client-side redirect; the loop below copes with whatever page we end on.
    await page.goto(url, { waitUntil: 'load', timeout: TIMEOUT_MS }).catch(() => undefined);

    while (Date.now() < deadline) {
      if (intercepted) return { finalUrl: intercepted, finalTitle: '', finalText: '' };
      try {
        const { ready, kind, claimed, refreshes } = await snapshot(page);
        if (claimed) {
          submissions += 1;
          if (submissions > 8) throw new DriveError(`too many IdP forms (login refused?): ${await page.innerText('body')}`);
          idpOrigins.add(new URL(page.url()).origin);
          if (kind === 'login' && opts.openAgain && !openedAgain) {
            openedAgain = true;
            const tab = await context.newPage();
            await tab.goto(opts.openAgain, { waitUntil: 'load', timeout: TIMEOUT_MS });
            logPage({ finalUrl: tab.url(), finalTitle: await tab.title(), finalText: await tab.innerText('body').catch(() => '') });
            await tab.close();
          }
          if (kind === 'login') {
            await page.fill('input[name=login]', user);
            await page.fill('input[name=password]', 'pw');
          }
          // The device confirmation page has Continue (autofocus) and Abort buttons.
          await page.click(kind === 'device' ? 'button[autofocus]' : 'form button[type=submit]', { noWaitAfter: true });
          navigating();
        } else if (ready && kind === 'other' && !refreshes && Date.now() - lastNavigationAt >= SETTLE_MS) {
          const finalUrl = page.url();
          const result: DriveResult = {
            finalUrl,
            finalTitle: await page.title(),
            finalText: await page.innerText('body').catch(() => ''),
          };
          logPage(result);
          const final = new URL(finalUrl);
          // A device login ends on the IdP's own success page; a code login on our loopback page.
          if (opts.device ? /Sign-in Success/.test(result.finalText) : isLoopback(final) && !idpOrigins.has(final.origin)) return result;
          throw new DriveError(`browser settled on a non-callback page ${final.origin}${final.pathname}: ${result.finalText.slice(0, 500)}`);
        }
      } catch (err) {
        // Execution contexts vanish when a navigation starts mid-query: look again. Anything else is real.
        const transient = err instanceof Error && !(err instanceof DriveError) && /context was destroyed|navigat|frame was detached/i.test(err.message);
        if (!transient) throw err;
      }
      await sleep(50);
    }
    throw new Error(`browser login timed out after ${TIMEOUT_MS / 1000} s at ${page.url()}`);
  } finally {
    await context.close().catch(() => undefined);
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Appends the settled page as one JSON line to LAKEKEY_TEST_BROWSER_LOG, when set. */
function logPage(result: DriveResult): void {
  const file = process.env.LAKEKEY_TEST_BROWSER_LOG;
  if (!file) return;
  const url = new URL(result.finalUrl);
  const line = { url: `${url.origin}${url.pathname}`, title: result.finalTitle, text: result.finalText };
  appendFileSync(file, `${JSON.stringify(line)}\n`);
}

// Run as `node browser.js [--open-again] <URL>`: the URL is the last argument. With --open-again
// the one-time link behind it is opened a second time in another tab (see driveLogin's openAgain).
if (isMain(import.meta.url)) {
  const url = process.argv[process.argv.length - 1];
  if (process.argv.length < 3 || !/^(https?:\/\/|file:\/\/\/)/.test(url)) {
    process.stderr.write('usage: browser.js [--open-again] <URL>\n');
    process.exit(1);
  }
  driveLogin(url, process.argv.includes('--open-again') ? { openAgain: launchUrlOf(url) } : {}).then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`lakekey test browser: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
