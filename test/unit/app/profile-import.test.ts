// "Import profiles…" in the settings window and the tray menu: the two IPC channels over the real
// handlers (through the same `invoke` wrapper the app registers, request shapes checked), a real
// settings file in a temporary folder, and team files written for real; the file is what an
// injected `pickImportFile` answers, as the open-file dialog would. Then the tray shell over the
// stubbed electron: the dialog it opens, and the menu item that starts an import in the window.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { createHandlers } from '../../../main/app/handlers.js';
import { invoke } from '../../../main/app/ipc-main.js';
import { settingsStore } from '../../../main/app/settings-store.js';
import { SETTINGS_URL } from '../../../main/app/window-security.js';
import { composeCore } from '../../../main/core/compose.js';
import { parseProfile, readSettings } from '../../../main/core/config/settings.js';
import { Vault } from '../../../main/core/keychain/vault.js';
import { silentLogger } from '../../../main/core/log.js';
import { API_CHANNELS, EVENT_CHANNELS, type Channel, type ImportOutcome, type ImportPlanView, type Outcome } from '../../../main/ipc.js';
import { electronStub } from '../../helpers/electron-stub.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { openConf, startTray } from '../../helpers/tray-app.js';

const WORK = { issuer: 'https://idp.example.com', clientId: 'lakekey', s3: { stsEndpoint: 'https://minio.example.com' } };
const LAKE = { issuer: 'https://idp.example.com', clientId: 'lakekey', lakefs: { endpoint: 'https://lakefs.example.com' } };
/** The team's version of "work": a longer session than yours. */
const TEAM_WORK = { ...WORK, s3: { ...WORK.s3, durationSeconds: 7200 } };

/** A settings folder with `profiles`, the real handlers over it, and the file the next "dialog" answers. */
function world(profiles: Record<string, unknown> = { work: WORK }, opts: { picker?: boolean } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'lk-import-'));
  const dir = join(root, 'cfg');
  const settings = settingsStore(openConf, dir);
  settings.update((s) => {
    for (const [name, raw] of Object.entries(profiles)) s.profiles[name] = parseProfile(name, raw);
  });
  const w = { root, dir, picks: 0, changed: 0, next: undefined as string | undefined };
  const handlers = createHandlers({
    settings,
    ctx: composeCore({}, { dir, vault: new Vault(new MemoryStore()), log: silentLogger, notice: () => {} }),
    login: async () => {},
    clipboard: { writeText: () => {} },
    cliCommand: () => ['lakekey'],
    changed: () => void w.changed++,
    ...(opts.picker === false
      ? {}
      : {
          pickImportFile: async () => {
            w.picks++;
            return w.next;
          },
        }),
  });
  const ipc = <C extends Channel>(channel: C, request: unknown) => invoke(handlers, channel, request);
  /** A team file in the temporary folder; `body` is the file's text, or its profiles as JSON. */
  const team = (file: string, body: string | Record<string, unknown>) => {
    const path = join(root, file);
    writeFileSync(path, typeof body === 'string' ? body : JSON.stringify({ profiles: body }));
    return path;
  };
  return Object.assign(w, { handlers, ipc, team, settings: () => readSettings(dir) });
}

function value<T>(o: Outcome<T>): T {
  assert.ok(o.ok, `expected an answer, got ${JSON.stringify(o)}`);
  return o.value;
}

function error<T>(o: Outcome<T>) {
  assert.ok(!o.ok, `expected an error, got ${JSON.stringify(o)}`);
  return o.error;
}

test('pick: the plan of the picked file, profile by profile, by its base name; nothing written yet', async () => {
  const w = world({ work: WORK, lake: LAKE });
  w.next = w.team('team.json', { work: TEAM_WORK, lake: LAKE, fresh: { ...LAKE, clientId: 'other' } });
  const before = JSON.stringify(w.settings().profiles);
  const answer = await w.ipc(API_CHANNELS.pickImport, null);
  const plan = value(answer) as ImportPlanView;
  assert.equal(w.picks, 1);
  assert.deepEqual(plan, {
    file: 'team.json',
    entries: [
      { name: 'work', kind: 'differs', says: 'differs: s3.durationSeconds 3600 → 7200' },
      { name: 'lake', kind: 'same', says: 'the same as yours' },
      { name: 'fresh', kind: 'new', says: 'new' },
    ],
  });
  assert.ok(!JSON.stringify(answer).includes(w.root), 'the path stays in main');
  assert.equal(JSON.stringify(w.settings().profiles), before);
  assert.equal(w.changed, 0);
});

test('apply: new profiles added, yours that differ kept; with force replaced; then nothing to change', async () => {
  const w = world();
  w.next = w.team(
    'team.yaml',
    'profiles:\n  work:\n    issuer: https://idp.example.com\n    clientId: lakekey\n    s3:\n      stsEndpoint: https://minio.example.com\n      durationSeconds: 7200\n  lake:\n    issuer: https://idp.example.com\n    clientId: lakekey\n    lakefs:\n      endpoint: https://lakefs.example.com\n',
  );
  assert.deepEqual(
    (value(await w.ipc(API_CHANNELS.pickImport, null)) as ImportPlanView).entries.map((e) => e.kind),
    ['differs', 'new'],
    'YAML by its extension',
  );

  assert.deepEqual(value(await w.ipc(API_CHANNELS.applyImport, { force: false })), { added: ['lake'], replaced: [], kept: ['work'] } satisfies ImportOutcome);
  assert.equal(w.settings().profiles.lake.lakefs?.endpoint, 'https://lakefs.example.com');
  assert.equal(w.settings().profiles.work.s3?.durationSeconds, 3600, 'yours kept');
  assert.equal(w.changed, 1, 'the tray re-plans and the window hears of it');

  // The same file, read and planned again: "lake" is the same now, "work" still differs.
  assert.deepEqual(value(await w.ipc(API_CHANNELS.applyImport, { force: true })), { added: [], replaced: ['work'], kept: [] });
  assert.equal(w.settings().profiles.work.s3?.durationSeconds, 7200, 'replaced');
  assert.equal(w.changed, 2);

  assert.deepEqual(value(await w.ipc(API_CHANNELS.applyImport, { force: true })), { added: [], replaced: [], kept: [] });
  assert.equal(w.changed, 2, 'nothing written, nothing to tell');
  assert.equal(w.picks, 1, 'apply never opens the dialog: it imports the file main picked');
});

test('apply reads the file again: what it holds now is imported, and a file gone since is a clear error', async () => {
  const w = world();
  const file = w.team('team.json', { lake: LAKE });
  w.next = file;
  value(await w.ipc(API_CHANNELS.pickImport, null));
  w.team('team.json', { lake: LAKE, other: { ...LAKE, clientId: 'other' } });
  assert.deepEqual(value(await w.ipc(API_CHANNELS.applyImport, { force: false })), { added: ['lake', 'other'], replaced: [], kept: [] });
  rmSync(file);
  const gone = error(await w.ipc(API_CHANNELS.applyImport, { force: false }));
  assert.equal(gone.code, 'CONFIG');
  assert.match(gone.message, /^cannot read team\.json \(ENOENT/);
  assert.match(gone.hint ?? '', /pick it again/);
});

test('a file with a secret is refused, its value never answered; a pick that fails leaves nothing to apply', async () => {
  const w = world();
  w.next = w.team('good.json', { lake: LAKE });
  value(await w.ipc(API_CHANNELS.pickImport, null));
  w.next = w.team('secret.json', { s: { ...LAKE, clientSecret: 'super-secret-value-123' } });
  const answer = await w.ipc(API_CHANNELS.pickImport, null);
  const refused = error(answer);
  assert.equal(refused.code, 'CONFIG');
  assert.equal(refused.message, 'secret.json holds what looks like a secret (s.clientSecret); lakekey never imports secrets');
  assert.match(refused.hint ?? '', /keeps a client secret in the keychain/);
  assert.doesNotMatch(JSON.stringify(answer), /super-secret-value-123/);
  // Not the good file picked before it: the window's plan is gone, so is main's.
  const none = error(await w.ipc(API_CHANNELS.applyImport, { force: true }));
  assert.equal(none.code, 'USAGE');
  assert.equal(w.settings().profiles.lake, undefined);
  assert.equal(w.changed, 0);
});

test('files that are not settings files: each said, by its base name, as the CLI says it', async () => {
  const w = world();
  for (const [file, body, words] of [
    ['broken.json', '{ not json', /^broken\.json is not valid JSON \(/],
    ['list.yml', 'just: text\n', /^list\.yml has no "profiles" object$/],
    [
      'bad.json',
      { plain: { issuer: 'http://idp.example.com', clientId: 'c' } },
      /^bad\.json has 1 profile lakekey cannot use, so nothing was imported:\n {2}.*profile "plain".*https/,
    ],
  ] as const) {
    w.next = w.team(file, body);
    const e = error(await w.ipc(API_CHANNELS.pickImport, null));
    assert.equal(e.code, 'CONFIG', file);
    assert.match(e.message, words);
  }
});

test('apply with no file picked: a clear error, nothing written', async () => {
  const w = world();
  const e = error(await w.ipc(API_CHANNELS.applyImport, { force: false }));
  assert.deepEqual(e, { code: 'USAGE', message: 'no file to import: pick one first', hint: 'Choose "Import profiles…" and pick a team\'s settings file.' });
  assert.deepEqual(Object.keys(w.settings().profiles), ['work']);
});

test('a cancelled dialog answers null and leaves the file picked before it', async () => {
  const w = world();
  w.next = w.team('team.json', { lake: LAKE });
  value(await w.ipc(API_CHANNELS.pickImport, null));
  w.next = undefined;
  assert.equal(value(await w.ipc(API_CHANNELS.pickImport, null)), null);
  assert.deepEqual(value(await w.ipc(API_CHANNELS.applyImport, { force: false })), { added: ['lake'], replaced: [], kept: [] });
});

test('the window names no file: apply takes only { force }, and without a picker there is nothing to pick', async () => {
  const w = world();
  w.next = w.team('team.json', { lake: LAKE });
  value(await w.ipc(API_CHANNELS.pickImport, null));
  for (const request of [{ force: 'yes' }, { force: true, file: '/etc/passwd' }, null, { path: w.next }]) {
    assert.match(error(await w.ipc(API_CHANNELS.applyImport, request)).message, /^malformed request on profiles:import-apply$/, JSON.stringify(request));
  }
  assert.equal(error(await w.ipc(API_CHANNELS.pickImport, { file: w.next })).code, 'USAGE');
  assert.equal(w.settings().profiles.lake, undefined);

  const headless = world({}, { picker: false });
  assert.match(error(await headless.ipc(API_CHANNELS.pickImport, null)).message, /offered by the tray app only/);
});

test("the tray: Electron's open-file dialog for .json/.yaml/.yml, over the window; the menu item opens the window and starts the import there", async () => {
  const stub = electronStub();
  const { app, dir } = await startTray(stub.electron, { work: WORK });
  const trusted = { senderFrame: { url: SETTINGS_URL, parent: null } };
  const ipc = async (channel: string, request: unknown) => (await stub.handlers.get(channel)!(trusted, request)) as Outcome<unknown>;
  try {
    assert.equal(stub.windows.length, 0, 'profiles exist: no window at start');
    // Cancelled.
    assert.equal(value(await ipc(API_CHANNELS.pickImport, null)), null);
    assert.equal(stub.openDialogs.length, 1);
    assert.equal(stub.openDialogs[0].parented, false, 'no window open: a dialog of its own');
    assert.deepEqual(stub.openDialogs[0].options.properties, ['openFile']);
    assert.deepEqual(stub.openDialogs[0].options.filters, [{ name: 'lakekey settings (JSON or YAML)', extensions: ['json', 'yaml', 'yml'] }]);

    // The tray menu's item: the settings window opens and is told to start the import.
    const item = (stub.trays[0].menu as { template: Array<{ label?: string; click?(): void }> }).template.find((i) => i.label === 'Import profiles…');
    assert.ok(item?.click, 'the menu has "Import profiles…"');
    item.click();
    for (
      const deadline = Date.now() + 5000;
      !stub.windows[0]?.webContents.sent.includes(EVENT_CHANNELS.onImportRequested);
      await new Promise((r) => setTimeout(r, 10))
    ) {
      if (Date.now() > deadline) assert.fail('the window was not told to import');
    }
    assert.equal(stub.windows[0].shown, true);

    // The window asks: the dialog is the window's now; the plan, then the import, written to the settings file.
    const root = mkdtempSync(join(tmpdir(), 'lk-import-tray-'));
    stub.openDialogAnswer = join(root, 'team.json');
    writeFileSync(stub.openDialogAnswer, JSON.stringify({ profiles: { lake: LAKE } }));
    assert.deepEqual(value(await ipc(API_CHANNELS.pickImport, null)), { file: 'team.json', entries: [{ name: 'lake', kind: 'new', says: 'new' }] });
    assert.equal(stub.openDialogs.at(-1)?.parented, true);
    assert.deepEqual(value(await ipc(API_CHANNELS.applyImport, { force: false })), { added: ['lake'], replaced: [], kept: [] });
    assert.equal(readSettings(dir).profiles.lake.lakefs?.endpoint, 'https://lakefs.example.com');
    await app.refreshMenu();
    assert.ok(
      (stub.trays[0].menu as { template: Array<{ label?: string }> }).template.some((i) => i.label === 'lake — log in needed'),
      'the menu shows the imported profile',
    );
  } finally {
    await app.quit();
  }
});
