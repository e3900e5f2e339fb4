// The settings window in real Chromium, driven through the REAL main-side IPC handlers
// (test/helpers/settings-window-page.ts: the built renderer served with the app's headers, and
// `window.lakekey` forwarded to the handlers of main/app/handlers.ts through the same `invoke`
// wrapper the app registers). Behind them: the real test IdP, the real keychain
// (gnome-keyring), a real browser login.
import assert from 'node:assert/strict';
import { composeCore } from '../../main/core/compose.js';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Conf from 'conf';
import type { Page } from 'playwright-core';
import { createHandlers, type HandlerDeps } from '../../main/app/handlers.js';
import { settingsStore, type ConfLike } from '../../main/app/settings-store.js';
import { singleFlight } from '../../main/core/single-flight.js';
import { systemBrowser } from '../../main/core/login/browser.js';
import { silentLogger } from '../../main/core/log.js';
import { login } from '../../main/core/usecases/session.js';
import { getProfile, readSettings } from '../../main/core/config/settings.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { EVENT_CHANNELS, type LakekeyApi } from '../../main/ipc.js';
import { CLI, REPO } from '../helpers/cli.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';
import { openWindowPage, type WindowPage } from '../helpers/settings-window-page.js';
import { freePort } from '../helpers/peer-process.js'; // bound, then closed: nothing listens there

const ARTIFACTS = join(REPO, 'test-artifacts', 'settings-window');
import { ProfileVault } from '../helpers/profile-vault.js';

let idp: Idp;
let win: WindowPage;
let page: Page;
let dir: string;
let vault: Vault;
const clipboard: string[] = [];
/** What the next open-file dialog answers ("Import profiles…"): a path, or undefined when cancelled. */
let importFile: string | undefined;

async function shot(name: string): Promise<void> {
  // The window's own size: the page does not scroll, its content area does.
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  idp = await startIdp();
  dir = join(mkdtempSync(join(tmpdir(), 'lk-window-')), 'cfg');
  vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
  const settings = settingsStore((d) => new Conf({ cwd: d, configName: 'config', projectName: 'lakekey', configFileMode: 0o600 }) as unknown as ConfLike, dir);
  const ctx = composeCore(process.env, {
    dir,
    // lakekey gets the keychain item by item; the test reads it as each profile sees its record.
    vault: new Vault(osKeychainStore({ timeoutMs: 10_000 })),
    log: silentLogger,
    browser: systemBrowser({ LAKEKEY_BROWSER: BROWSER_COMMAND }, process.platform),
    notice: () => {},
  });
  const logins = singleFlight((name: string) => login(ctx, name, getProfile(settings.read(), name)).then(() => undefined));
  const deps: HandlerDeps = {
    settings,
    ctx,
    // "Log in as someone else" asks the IdP to let the user choose (the tray runs it as one login too).
    login: (name, opts) =>
      opts?.selectAccount ? login(ctx, name, getProfile(settings.read(), name), { selectAccount: true }).then(() => undefined) : logins.run(name),
    clipboard: { writeText: (t) => void clipboard.push(t) },
    cliCommand: () => [CLI],
    probeTimeoutMs: 2000,
    // Where the tray's credentials endpoint would be (this window has no tray behind it).
    endpoint: () => ({ port: 43210, tokenFile: join(dir, 'endpoint-tray.token') }),
    // The tray's open-file dialog: the file the test put there.
    pickImportFile: async () => importFile,
  };
  win = await openWindowPage(createHandlers(deps));
  page = win.page;
});

after(async () => {
  await win?.close();
  await idp?.stop();
});

test('first launch shows the empty state and serves the page with the strict CSP', async () => {
  const response = await page.goto(win.url);
  assert.match(
    response?.headers()['content-security-policy'] ?? '',
    /default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'none'; img-src 'self' data:/,
  );
  await page.getByRole('heading', { name: 'No profiles yet' }).waitFor();
  // The CSP really holds in Chromium: an injected inline script does not run.
  const ran = await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.__inline = 1';
    document.body.append(s);
    return (window as unknown as { __inline?: number }).__inline === 1;
  });
  assert.equal(ran, false);
  assert.equal(await page.evaluate(() => typeof (window as unknown as { require?: unknown }).require), 'undefined');
  await shot('01-empty');
});

test('bad input shows field errors, from the window and from the core in main', async () => {
  await page.getByRole('button', { name: 'Add your first profile' }).click();
  await page.getByLabel('Profile name').fill('bad name!');
  await page.getByLabel('Issuer URL').fill('http://idp.example.com');
  await page.getByLabel('Client id').fill('');
  await page.getByLabel('Renew before expiry (seconds)').fill('30');
  await page.getByLabel('S3 credentials (AWS STS, MinIO)').check();
  await page.getByLabel('Session length (seconds)').fill('100');
  await page.getByRole('button', { name: 'Add profile', exact: true }).last().click();
  const error = (id: string) => page.locator(`#f-${id}-error`).textContent();
  assert.match((await error('name')) ?? '', /letters, digits/);
  assert.match((await error('issuer')) ?? '', /must use https/i);
  assert.match((await error('clientId')) ?? '', /Required/);
  assert.match((await error('refreshBeforeSeconds')) ?? '', /60 to 43200/);
  assert.match((await error('s3DurationSeconds')) ?? '', /900 to 43200/);
  assert.match((await error('s3RoleArn')) ?? '', /role/);
  assert.equal(await page.getByLabel('Issuer URL').getAttribute('aria-invalid'), 'true');
  await shot('02-validation-errors');
  // Main validates again with the core (the page's checks are only a first pass).
  const viaMain = await page.evaluate(async () => {
    const d = await (window as unknown as { lakekey: LakekeyApi }).lakekey.profileDefaults(null);
    if (!d.ok) throw new Error('defaults');
    return (window as unknown as { lakekey: LakekeyApi }).lakekey.saveProfile({
      name: 'x',
      draft: { ...d.value, issuer: 'http://evil.example.com', clientId: 'c' },
    });
  });
  assert.deepEqual(viaMain.ok && !viaMain.value.ok && viaMain.value.errors.map((e: { field: string }) => e.field), ['issuer']);
});

test('Check runs OIDC discovery against the real IdP and probes STS', async () => {
  await page.getByLabel('Profile name').fill('dev');
  await page.getByLabel('Issuer URL').fill(idp.issuer);
  await page.getByLabel('Client id').fill(idp.clientId);
  await page.getByLabel('Renew before expiry (seconds)').fill('1200');
  const sts = `http://127.0.0.1:${await freePort()}`; // nothing listens: refused
  await page.getByLabel('STS endpoint').fill(sts);
  await page.getByLabel('Session length (seconds)').fill('3600');
  await page.getByRole('button', { name: 'Check' }).click();
  // Each check in words: what, where, what was found, what to do — not `failed: unreachable: fetch failed`.
  const ok = page.locator('.check.ok[data-check="Identity provider"]');
  await ok.waitFor();
  assert.match(
    (await ok.locator('.check-says').textContent()) ?? '',
    new RegExp(
      `^Discovery works: issuer ${idp.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, \\d+ signing keys?; it can revoke sessions at logout(, device login is available)?\\.$`,
    ),
  );
  const fail = page.locator('.check.fail[data-check=STS]');
  await fail.waitFor();
  assert.equal(await fail.locator('code').textContent(), sts);
  assert.equal(await fail.locator('.check-says').textContent(), `Nothing answers at ${new URL(sts).host}: the connection was refused.`);
  assert.equal(await fail.locator('.check-fix').textContent(), 'What to do: Check the address and the port, and that the STS service is running.');
  assert.doesNotMatch((await page.locator('.check-results').textContent()) ?? '', /fetch failed|unreachable:/);
  await shot('03-check');
});

test('save, see the status, log in through the real IdP, copy snippets, log out', async () => {
  // This profile is login-only (no STS behind it here): untick S3 and save.
  await page.getByLabel('S3 credentials (AWS STS, MinIO)').uncheck();
  await page.getByRole('button', { name: 'Add profile', exact: true }).last().click();
  await page.getByRole('heading', { name: 'dev', exact: true }).waitFor();
  assert.match((await page.locator('.facts').textContent()) ?? '', /Not signed in/);
  assert.match((await page.locator('pre[data-snippet=shell]').textContent()) ?? '', /^eval "\$\(lakekey env dev\)"$/);
  await shot('04-profile-signed-out');

  await page.getByRole('button', { name: 'Log in', exact: true }).click();
  await page.locator('.facts', { hasText: 'Signed in as alice@example.com' }).waitFor({ timeout: 90_000 });
  assert.equal(idp.counts.codeGrants, 1);
  assert.match((await page.locator('.facts').textContent()) ?? '', /silently, before expiry/);
  await shot('05-signed-in');

  // The window never received a secret, though the keychain now holds them.
  const record = await vault.read('dev');
  assert.ok(record.idp?.refreshToken && record.idp.idToken);
  for (const secret of [record.idp.refreshToken, record.idp.idToken]) {
    assert.ok(!win.answers.some((a) => a.includes(secret)), 'a secret reached the renderer');
  }

  // A profile with S3 shows its ~/.aws/config snippet with the credential_process line.
  await page.evaluate(async (issuer) => {
    const d = await (window as unknown as { lakekey: LakekeyApi }).lakekey.profileDefaults(null);
    if (!d.ok) throw new Error('defaults');
    await (window as unknown as { lakekey: LakekeyApi }).lakekey.saveProfile({
      name: 'minio',
      draft: { ...d.value, issuer, clientId: 'lakekey', s3Enabled: true, s3StsEndpoint: 'http://127.0.0.1:9000' },
    });
  }, idp.issuer);
  await page.reload();
  await page.locator('button[data-profile=minio]').click();
  await page.getByRole('heading', { name: 'minio', exact: true }).waitFor();
  const aws = (await page.locator('pre[data-snippet=awsConfig]').textContent()) ?? '';
  assert.match(
    aws,
    /^\[profile minio\]\ncredential_process = .*\/dist\/cli\/lakekey"? credential-process minio\nregion = us-east-1\nendpoint_url = http:\/\/127\.0\.0\.1:9000\n$/,
  );
  await page.locator('figure', { hasText: '~/.aws/config' }).getByRole('button', { name: 'Copy' }).click();
  await page.locator('#toast', { hasText: 'Copied' }).waitFor();
  assert.equal(clipboard.at(-1), aws);
  await shot('06-s3-profile-snippets');
  // minio names dev's issuer, client and scopes: dev's login signed it in too (one sign-in per IdP).
  const minioFacts = (await page.locator('.facts').textContent()) ?? '';
  assert.match(minioFacts, /Signed in as alice@example\.com \(sign-in shared with dev\)/);
  assert.match(minioFacts, /Sign-in\s*shared with dev \(the same identity provider, client and scopes\): one login and one logout for all/);

  // Log in as someone else: the IdP is asked to let the user choose (prompt=login here: oidc-provider refuses select_account).
  await page.locator('button[data-profile=dev]').click();
  const asked = idp.authorizationRequests.length;
  await page.getByRole('button', { name: 'Log in as someone else' }).click();
  await page.locator('#toast', { hasText: 'choose the account' }).waitFor();
  await page.locator('#toast', { hasText: 'Logged in as alice@example.com.' }).waitFor({ timeout: 90_000 });
  assert.ok(
    idp.authorizationRequests.slice(asked).some((r) => r.prompt === 'login consent'),
    JSON.stringify(idp.authorizationRequests.slice(asked).map((r) => r.prompt)),
  );

  await shot('06b-dev-shared');
  // Logging dev out logs minio out too: the button says so before the click.
  await page.getByRole('button', { name: 'Log out (also minio)' }).click();
  await page.locator('.facts', { hasText: 'Not signed in' }).waitFor();
  assert.equal((await vault.read('dev')).idp, undefined);

  // Edit: the form opens with the saved values; Remove drops the profile and its keychain item.
  await page.getByRole('button', { name: 'Edit' }).click();
  assert.equal(await page.getByLabel('Issuer URL').inputValue(), idp.issuer);
  await shot('07-edit');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('button[data-profile=minio]').click();
  await page.getByRole('button', { name: 'Remove' }).click();
  await page.locator('button[data-profile=minio]').waitFor({ state: 'detached' });
  assert.deepEqual(
    win.cspViolations.filter((v) => !/__inline|inline script/i.test(v)),
    [],
    'no CSP violations from the app itself',
  );
});

test('the credentials endpoint checkbox: saved as "endpoint": true, shown ticked on edit, cleared; its snippet names the token file, never a token', async () => {
  await page.locator('#add-profile').click();
  await page.getByLabel('Profile name').fill('spark');
  await page.getByLabel('Issuer URL').fill(idp.issuer);
  await page.getByLabel('Client id').fill(idp.clientId);
  const box = page.getByLabel("Serve from the tray's credentials endpoint");
  assert.equal(await box.isVisible(), false, 'part of the S3 settings: hidden without them');
  await page.getByLabel('S3 credentials (AWS STS, MinIO)').check();
  assert.equal(await box.isChecked(), false, 'off by default');
  assert.match(
    (await page.locator('#f-endpointEnabled-help').textContent()) ?? '',
    /While the tray runs, AWS SDKs and Spark\/JVM jobs fetch these credentials from it/,
  );
  await page.getByLabel('STS endpoint').fill('http://127.0.0.1:9000');
  await box.check();
  await shot('08-endpoint-checkbox');
  await page.getByRole('button', { name: 'Add profile', exact: true }).last().click();
  await page.getByRole('heading', { name: 'spark', exact: true }).waitFor();
  assert.equal(readSettings(dir).profiles.spark.endpoint, true);

  // The "Use it" section: the shell line, and the two variables for a Spark/JVM job.
  const snippet = page.locator('pre[data-snippet=endpoint]');
  await snippet.waitFor();
  const text = (await snippet.textContent()) ?? '';
  assert.match(text, /^eval "\$\(lakekey env spark --server\)"$/m);
  assert.match(text, /^AWS_CONTAINER_CREDENTIALS_FULL_URI=http:\/\/127\.0\.0\.1:43210\/v1\/credentials\/spark$/m);
  assert.ok(text.includes(`AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=${join(dir, 'endpoint-tray.token')}\n`));
  assert.doesNotMatch(text, /AWS_CONTAINER_AUTHORIZATION_TOKEN=/);
  // And where to look when a client gets nothing: doctor, named for this profile.
  assert.match(
    (await page.locator('#endpoint-doctor').textContent()) ?? '',
    /^Not working\? In a terminal, lakekey doctor spark says whether the endpoint runs and serves this profile, and whether your AWS CLI and boto3 are new enough for its token file \(older ones: run the job under lakekey exec spark --server -- COMMAND\)\.$/,
  );
  await page.locator('figure', { hasText: 'Credentials endpoint' }).getByRole('button', { name: 'Copy' }).click();
  await page.locator('#toast', { hasText: 'Copied' }).waitFor();
  assert.equal(clipboard.at(-1), text);
  await shot('09-endpoint-snippet');

  // Edit shows it ticked; unticked and saved, the setting and the snippet are gone.
  await page.getByRole('button', { name: 'Edit' }).click();
  assert.equal(await page.getByLabel("Serve from the tray's credentials endpoint").isChecked(), true);
  await page.getByLabel("Serve from the tray's credentials endpoint").uncheck();
  await page.getByRole('button', { name: 'Save changes' }).click();
  await page.getByRole('heading', { name: 'spark', exact: true }).waitFor();
  await page.locator('pre[data-snippet=shell]').waitFor();
  assert.equal(readSettings(dir).profiles.spark.endpoint, undefined);
  assert.equal(await page.locator('pre[data-snippet=endpoint]').count(), 0);
  assert.equal(await page.locator('#endpoint-doctor').count(), 0);
  await page.getByRole('button', { name: 'Edit' }).click();
  assert.equal(await page.getByLabel("Serve from the tray's credentials endpoint").isChecked(), false);
  await page.getByRole('button', { name: 'Cancel' }).click();
});

test("Import profiles…: main's dialog picks a team's file, the window shows the plan, imports the new, then replaces the differing on request", async () => {
  const teamDir = mkdtempSync(join(tmpdir(), 'lk-window-team-'));
  const mine = readSettings(dir).profiles;
  const team = (name: string, profiles: Record<string, unknown>) => {
    const file = join(teamDir, name);
    writeFileSync(file, JSON.stringify({ profiles }));
    return file;
  };
  const file = team('team.json', {
    dev: mine.dev, // the same as yours
    spark: { ...mine.spark, s3: { ...mine.spark.s3, region: 'eu-west-1' } },
    lake: { issuer: idp.issuer, clientId: idp.clientId, lakefs: { endpoint: 'https://lakefs.example.com' } },
  });
  await page.getByRole('heading', { name: 'spark', exact: true }).waitFor();

  // Cancelled: nothing changes.
  importFile = undefined;
  await page.getByRole('button', { name: 'Import profiles…' }).click();
  await page.getByRole('button', { name: 'Import profiles…' }).and(page.locator(':enabled')).waitFor();
  assert.equal(await page.locator('.import').count(), 0);
  await page.getByRole('heading', { name: 'spark', exact: true }).waitFor();

  // A file with a secret: refused in words, no plan.
  importFile = team('secret.json', { s: { issuer: idp.issuer, clientId: 'c', clientSecret: 'super-secret-value-123' } });
  await page.getByRole('button', { name: 'Import profiles…' }).click();
  await page.locator('#toast.error', { hasText: 'secret.json holds what looks like a secret (s.clientSecret); lakekey never imports secrets' }).waitFor();
  assert.equal(await page.locator('.import').count(), 0);

  // The team's file: one row per profile with its mark and words.
  importFile = file;
  await page.getByRole('button', { name: 'Import profiles…' }).click();
  await page.getByRole('heading', { name: 'Import profiles from team.json' }).waitFor();
  const row = (name: string) => page.locator(`li[data-import="${name}"]`);
  assert.deepEqual(await page.locator('li[data-import]').evaluateAll((rows) => rows.map((r) => [r.getAttribute('data-kind'), r.textContent])), [
    ['same', '=devthe same as yours'],
    ['differs', '~sparkdiffers: s3.region us-east-1 → eu-west-1'],
    ['new', '+lakenew'],
  ]);
  assert.equal(await row('spark').locator('.import-says').textContent(), 'differs: s3.region us-east-1 → eu-west-1');
  await shot('10-import-plan');

  await page.getByRole('button', { name: 'Import new profiles' }).click();
  const result = page.locator('#import-result');
  await result.filter({ hasText: 'Added' }).waitFor();
  assert.equal(
    await result.textContent(),
    'Added "lake". Next: log in. Kept "spark", which differs from the file: choose “Import and replace differing” to overwrite it.',
  );
  await page.locator('button[data-profile=lake]').waitFor();
  assert.equal(readSettings(dir).profiles.lake.lakefs?.endpoint, 'https://lakefs.example.com');
  assert.equal(readSettings(dir).profiles.spark.s3?.region, 'us-east-1', 'yours kept');
  await shot('11-import-added');

  await page.getByRole('button', { name: 'Import and replace differing' }).click();
  await result.filter({ hasText: 'Replaced' }).waitFor();
  assert.equal(await result.textContent(), 'Replaced "spark": what was made with the old settings is renewed on next use.');
  assert.equal(readSettings(dir).profiles.spark.s3?.region, 'eu-west-1');
  await page.getByRole('button', { name: 'Done' }).click();
  await page.getByRole('heading', { name: 'spark', exact: true }).waitFor();

  // The tray menu's item: the window is told, and starts the import itself.
  await win.emit(EVENT_CHANNELS.onImportRequested);
  await page.getByRole('heading', { name: 'Import profiles from team.json' }).waitFor();
  assert.equal(await page.getByRole('button', { name: 'Import new profiles' }).isDisabled(), true, 'nothing new any more');
  assert.equal(await page.getByRole('button', { name: 'Import and replace differing' }).count(), 0, 'nothing differs any more');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('heading', { name: 'spark', exact: true }).waitFor();

  // The window never saw where the file is, nor the secret.
  assert.ok(!win.answers.some((a) => a.includes(teamDir) || a.includes('super-secret-value-123')));
});
