// `npm run test:electron`: the real app on the real Electron binary, through playwright's
// Electron support. It opens the settings window (first launch, no profile), adds a profile
// through the form, logs in against the test IdP through the system-browser path
// (LAKEKEY_BROWSER drives Chromium through the IdP's pages), and reads the tray menu's state
// through the app's test hook (LAKEKEY_TEST_HOOK=1: globalThis.__lakekeyTestHook.menu()).
// It needs the Electron binary, which this development machine lacks: here it is type-checked
// by `npm run build`; release.yml runs it on each OS runner. Run with a keyring and a display
// (Linux: xvfb-run and a D-Bus session with an unlocked gnome-keyring).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { REPO } from '../helpers/cli.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';

/** The menu model the test hook returns (plain JSON). */
interface MenuModel {
  state: string;
  items: { label?: string; enabled?: boolean }[];
}

let idp: Idp;
let app: ElectronApplication;
let window: Page;

before(async () => {
  idp = await startIdp();
  const electronBinary = createRequire(join(REPO, 'package.json'))('electron') as string;
  app = await _electron.launch({
    executablePath: electronBinary,
    args: [REPO],
    cwd: REPO,
    env: {
      ...process.env,
      LAKEKEY_TEST_HOOK: '1',
      LAKEKEY_CONFIG_DIR: join(mkdtempSync(join(tmpdir(), 'lakekey-smoke-')), 'cfg'),
      LAKEKEY_BROWSER: BROWSER_COMMAND,
    } as Record<string, string>,
    timeout: 120_000,
  });
  window = await app.firstWindow({ timeout: 120_000 });
});
after(async () => {
  await app?.close();
  await idp?.stop();
});

const menu = () => app.evaluate(() => (globalThis as unknown as { __lakekeyTestHook: { menu(): MenuModel } }).__lakekeyTestHook.menu());

test('first launch opens the settings window, and the tray shows no profile yet', async () => {
  await window.getByRole('button', { name: 'Add your first profile' }).waitFor({ timeout: 60_000 });
  const m = await menu();
  assert.ok(!m.items.some((i) => i.label?.includes('smoke')), JSON.stringify(m));
});

test('add a profile, log in through the system browser, and the tray menu shows it signed in', async () => {
  await window.getByRole('button', { name: 'Add your first profile' }).click();
  await window.getByLabel('Profile name').fill('smoke');
  await window.getByLabel('Issuer URL').fill(idp.issuer);
  await window.getByLabel('Client id').fill(idp.clientId);
  await window.getByLabel('S3 credentials (AWS STS, MinIO)').uncheck();
  await window.getByRole('button', { name: 'Add profile', exact: true }).last().click();
  await window.getByRole('heading', { name: 'smoke', exact: true }).waitFor();
  await window.getByRole('button', { name: 'Log in', exact: true }).click();
  await window.locator('.facts', { hasText: 'Signed in as alice@example.com' }).waitFor({ timeout: 120_000 });
  assert.equal(idp.counts.codeGrants, 1);
  // The tray follows: the profile is listed, and nothing needs attention.
  const deadline = Date.now() + 30_000;
  let m = await menu();
  while (m.state !== 'ok' && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    m = await menu();
  }
  assert.equal(m.state, 'ok', JSON.stringify(m));
  assert.ok(
    m.items.some((i) => i.label?.includes('smoke')),
    JSON.stringify(m),
  );
});
