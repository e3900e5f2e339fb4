// The settings window in each state a user meets, in real Chromium at the window's real size:
// signed in, expiring, renewal failing, signed out — and in dark mode. Behind it: the real
// handlers and the real keychain (records written as a login would leave them), and the
// scheduler's view of a failing renewal given as data. It shows time left per profile in the
// list, updates itself when main sends profiles:changed (no reload), keeps a form being edited,
// and its toast never covers a field. Screenshots: test-artifacts/window-states/.
import assert from 'node:assert/strict';
import { composeCore } from '../../main/core/compose.js';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Conf from 'conf';
import type { Page } from 'playwright-core';
import { createHandlers, type HandlerDeps } from '../../main/app/handlers.js';
import { defaultDraft, validateDraft } from '../../main/app/profile-form.js';
import type { ProfileSchedule } from '../../main/app/scheduler.js';
import { settingsStore, type ConfLike, type SettingsStore } from '../../main/app/settings-store.js';
import { sayValidity } from '../../main/shared/duration.js';
import { silentLogger } from '../../main/core/log.js';
import type { SecretRecord } from '../../main/core/keychain/record.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { EVENT_CHANNELS } from '../../main/ipc.js';
import { CLI, REPO } from '../helpers/cli.js';
import { MIN_WINDOW_SIZE, openWindowPage, WINDOW_SIZE, type WindowPage } from '../helpers/settings-window-page.js';
import { ProfileVault } from '../helpers/profile-vault.js';

const ARTIFACTS = join(REPO, 'test-artifacts', 'window-states');
// Stand-ins with the shape of real secrets: they must never reach the page.
const FAKE = {
  refresh: 'rt-never-in-the-window-1b7e',
  access: 'ASIAFAKEKEYFORTHETEST',
  secret: 'secret-never-in-the-window-9c2d',
  session: 'session-never-in-the-window-4f0a',
};

let settings: SettingsStore;
let vault: Vault;
let deps: HandlerDeps;
const schedules = new Map<string, ProfileSchedule>();
const opened: WindowPage[] = [];
let light: WindowPage;
let page: Page;

function signedIn(email: string, s3SecondsLeft: number, lakefsSecondsLeft?: number): SecretRecord {
  const now = Date.now();
  return {
    v: 1,
    updatedAt: now,
    idp: { subject: email.split('@')[0], email, refreshToken: FAKE.refresh },
    s3: { accessKeyId: FAKE.access, secretAccessKey: FAKE.secret, sessionToken: FAKE.session, expiresAt: now + s3SecondsLeft * 1000 },
    ...(lakefsSecondsLeft ? { lakefs: { token: FAKE.session, expiresAt: now + lakefsSecondsLeft * 1000 } } : {}),
  };
}

async function shot(p: Page, name: string): Promise<void> {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

async function open(opts: Parameters<typeof openWindowPage>[1] = {}): Promise<WindowPage> {
  const w = await openWindowPage(createHandlers(deps), opts);
  opened.push(w);
  await w.page.goto(w.url);
  await w.page.locator('button[data-profile=broken]').waitFor();
  return w;
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-states-')), 'cfg');
  vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
  settings = settingsStore((d) => new Conf({ cwd: d, configName: 'config', projectName: 'lakekey', configFileMode: 0o600 }) as unknown as ConfLike, dir);
  const draft = {
    ...defaultDraft(),
    issuer: 'https://login.example.com/realms/data',
    clientId: 'lakekey',
    s3Enabled: true,
    s3StsEndpoint: 'https://minio.example.com',
  };
  const profile = (over: object = {}) => {
    const r = validateDraft('x', { ...draft, ...over }, { existing: [] });
    assert.ok(r.ok, JSON.stringify(r));
    return r.profile;
  };
  settings.update((s) => {
    s.profiles.work = profile({ lakefsEnabled: true, lakefsEndpoint: 'https://lakefs.example.com' });
    s.profiles.soon = profile();
    s.profiles.broken = profile();
    s.profiles.plain = profile({ s3Enabled: false });
  });
  await vault.write('work', signedIn('alice@example.com', 50 * 60, 3 * 3600));
  await vault.write('soon', signedIn('bob@example.com', 8 * 60));
  await vault.write('broken', signedIn('carol@example.com', 45 * 60));
  await vault.remove('plain');
  schedules.set('broken', {
    loginRequired: false,
    failures: 3,
    noticePending: false,
    renewing: false,
    lastError: { code: 'IDP_UNREACHABLE', message: 'the identity provider is unreachable during refresh at https://login.example.com/realms/data' },
  });
  const ctx = composeCore(process.env, {
    dir,
    // lakekey gets the keychain item by item; the test reads it as each profile sees its record.
    vault: new Vault(osKeychainStore({ timeoutMs: 10_000 })),
    log: silentLogger,
    browser: { available: () => false, open: async () => assert.fail('no browser here') },
    notice: () => {},
  });
  deps = {
    settings,
    ctx,
    login: async () => assert.fail('no login in this test'),
    schedule: (name) => schedules.get(name),
    clipboard: { writeText: () => undefined },
    cliCommand: () => [CLI],
  };
  light = await open();
  page = light.page;
});

after(async () => {
  for (const w of opened) await w.close();
  for (const name of ['work', 'soon', 'broken', 'plain']) await vault.remove(name).catch(() => undefined);
});

const expiry = async (name: string) => {
  const r = await vault.read(name);
  return r.s3!.expiresAt;
};

test("the list shows each profile's state and time left, in the words the tray uses", async () => {
  const line = (name: string) => page.locator(`[data-time="${name}"]`).textContent();
  // The time that runs out first: S3 for work (50 min) rather than lakeFS (3 h).
  const says = async (name: string) => {
    const text = (await line(name)) ?? '';
    // describe() and this test read the clock a moment apart: the minute may just have turned.
    const at = await expiry(name);
    assert.ok([sayValidity(at, Date.now()), sayValidity(at, Date.now() - 60_000)].includes(text), `${name}: ${text}`);
  };
  await says('work');
  await says('soon');
  await says('broken');
  assert.equal(await line('plain'), 'Not signed in');
  const badges = await page.locator('.profile-list .badge').allTextContents();
  assert.deepEqual(badges, ['Problem', 'Not signed in', 'Renewing soon', 'OK']);

  await page.locator('button[data-profile=work]').click();
  await page.getByRole('heading', { name: 'work', exact: true }).waitFor();
  // sayDuration rounds to the minute; a slow machine may have let one pass.
  assert.match(
    (await page.locator('.facts').textContent()) ?? '',
    /S3 credentialsvalid (50|49) min, until \d\d:\d\d locallakeFS tokenvalid (3 h|2 h 59 min), until \d\d:\d\d local/,
  );
  await shot(page, '01-signed-in');
  await page.locator('button[data-profile=soon]').click();
  await page.getByRole('heading', { name: 'soon', exact: true }).waitFor();
  assert.match((await page.locator('.facts').textContent()) ?? '', /S3 credentialsvalid (8|7) min, until/);
  await shot(page, '02-expiring');
  await page.locator('button[data-profile=broken]').click();
  await page.getByRole('heading', { name: 'broken', exact: true }).waitFor();
  assert.match(
    (await page.locator('.facts').textContent()) ?? '',
    /renewal failing: the identity provider is unreachable.*failing now; lakekey keeps retrying/,
  );
  await shot(page, '03-error');
  for (const secret of Object.values(FAKE)) assert.ok(!light.answers.some((a) => a.includes(secret)), 'a secret reached the window');
});

test('updates itself: profiles:changed from main changes the list without a reload', async () => {
  await page.evaluate(() => ((window as unknown as { __sameDocument: boolean }).__sameDocument = true));
  await page.locator('button[data-profile=plain]').click();
  await page.locator('.facts', { hasText: 'Not signed in' }).waitFor();
  // The CLI logs in meanwhile (the keychain changes behind the window's back), then main says so.
  await vault.write('plain', signedIn('dave@example.com', 3600));
  await light.emit(EVENT_CHANNELS.onProfilesChanged);
  await page.locator('[data-time="plain"]', { hasText: /^valid / }).waitFor();
  await page.locator('.facts', { hasText: 'Signed in as dave@example.com' }).waitFor();
  assert.equal(await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument), true, 'the page was not reloaded');

  // A form being edited is kept: only the list follows.
  await page.locator('button[data-profile=plain]').click();
  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Client id').fill('edited-by-hand');
  await vault.remove('plain');
  await light.emit(EVENT_CHANNELS.onProfilesChanged);
  await page.locator('[data-time="plain"]', { hasText: 'Not signed in' }).waitFor();
  assert.equal(await page.getByLabel('Client id').inputValue(), 'edited-by-hand');
  await page.getByRole('button', { name: 'Cancel' }).click();
});

/** Boxes that overlap: the toast against the visible part of every form control (clipped by the scrolling content area). */
async function coveredFields(p: Page): Promise<string[]> {
  return p.evaluate(() => {
    const toast = document.getElementById('toast')!.getBoundingClientRect();
    const clip = document.getElementById('detail')!.getBoundingClientRect();
    const out: string[] = [];
    for (const el of document.querySelectorAll<HTMLElement>('input, select, textarea, button')) {
      const r = el.getBoundingClientRect();
      const top = Math.max(r.top, clip.top),
        bottom = Math.min(r.bottom, clip.bottom, innerHeight);
      const left = Math.max(r.left, clip.left),
        right = Math.min(r.right, clip.right, innerWidth);
      if (el.closest('#detail') === null || bottom <= top || right <= left) continue; // not shown
      if (top < toast.bottom && bottom > toast.top && left < toast.right && right > toast.left) out.push(el.id || el.textContent || el.tagName);
    }
    return out;
  });
}

test("the toast never covers a field, at the window's real size and at its smallest", async () => {
  for (const [size, viewport] of [
    ['real', WINDOW_SIZE],
    ['smallest', MIN_WINDOW_SIZE],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.locator('button[data-profile=work]').click();
    await page.getByRole('heading', { name: 'work', exact: true }).waitFor();
    await page.locator('figure', { hasText: '~/.aws/config' }).getByRole('button', { name: 'Copy' }).click();
    await page.locator('#toast.visible', { hasText: 'Copied' }).waitFor();
    await page.getByRole('button', { name: 'Edit' }).click();
    await page.getByLabel('Issuer URL').waitFor();
    const inputs = await page.locator('#detail input').count();
    assert.ok(inputs > 10, 'the form is open');
    // Every scroll position of the form: top, middle, bottom.
    for (const at of [0, 0.5, 1]) {
      await page.evaluate((f) => {
        const d = document.getElementById('detail')!;
        d.scrollTop = (d.scrollHeight - d.clientHeight) * f;
      }, at);
      assert.deepEqual(await coveredFields(page), [], `${size} size, scrolled ${at * 100} %`);
    }
    if (size === 'smallest') await shot(page, '04-form-with-toast-smallest');
    await page.getByRole('button', { name: 'Cancel' }).click();
  }
  await page.setViewportSize(WINDOW_SIZE);
});

test('dark mode: dark background, light text, every state readable', async () => {
  const dark = await open({ colorScheme: 'dark' });
  const colors = await dark.page.evaluate(() => {
    const cs = getComputedStyle(document.body);
    const detail = getComputedStyle(document.querySelector('.badge')!);
    return { bg: getComputedStyle(document.documentElement).backgroundColor, text: cs.color, badge: detail.color };
  });
  const lum = (rgb: string) => {
    const [r, g, b] = (rgb.match(/\d+/g) ?? []).map(Number).map((c) => (c / 255 <= 0.04045 ? c / 255 / 12.92 : ((c / 255 + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const contrast = (a: string, b: string) => {
    const [x, y] = [lum(a), lum(b)].sort((m, n) => n - m);
    return (x + 0.05) / (y + 0.05);
  };
  assert.ok(lum(colors.bg) < 0.05, `dark background, got ${colors.bg}`);
  assert.ok(contrast(colors.text, colors.bg) >= 7, `text contrast ${contrast(colors.text, colors.bg)}`);
  assert.ok(contrast(colors.badge, colors.bg) >= 4.5, `badge contrast ${contrast(colors.badge, colors.bg)}`);
  await dark.page.locator('button[data-profile=work]').click();
  await dark.page.getByRole('heading', { name: 'work', exact: true }).waitFor();
  await shot(dark.page, '05-dark-signed-in');
  await dark.page.locator('button[data-profile=broken]').click();
  await dark.page.getByRole('heading', { name: 'broken', exact: true }).waitFor();
  await shot(dark.page, '06-dark-error');
});
