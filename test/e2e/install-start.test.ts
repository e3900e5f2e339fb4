// `npm start` where the Electron binary was never downloaded (this machine; an offline laptop):
// the real `npm start` ends in lakekey's short message — what is missing, how to get it — with
// exit 2, before any build, and not in electron's download attempt and stack trace.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { REPO, run } from '../helpers/cli.js';

const electronDir = dirname(createRequire(join(REPO, 'package.json')).resolve('electron/package.json'));

test('npm start without the Electron binary: exit 2 and a message saying what is missing and how to get it', async (t) => {
  // This is the state of every machine `npm run setup` made; a machine that has the binary
  // cannot show this path, so there the test says so instead of passing.
  assert.ok(
    !existsSync(join(electronDir, 'path.txt')),
    'the Electron binary is installed here, so this path cannot be shown: run on a machine set up by `npm run setup`',
  );
  const r = await run('npm', ['start', '--silent'], { env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: undefined }, timeoutMs: 60_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /^lakekey: cannot start the tray app: the Electron \d+\.\d+\.\d+ binary is missing \(.+electron\)\.$/m);
  assert.match(r.stderr, /node node_modules\/electron\/install\.js/);
  assert.match(r.stderr, /ELECTRON_OVERRIDE_DIST_PATH/);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace');
  assert.doesNotMatch(r.stdout + r.stderr, /Downloading Electron/);
  t.diagnostic(r.stderr.split('\n')[0]);
});

test('ELECTRON_OVERRIDE_DIST_PATH at a folder without Electron: the message names that folder', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'lakekey-no-electron-'));
  const r = await run('npm', ['start', '--silent'], { env: { ...process.env, ELECTRON_OVERRIDE_DIST_PATH: empty }, timeoutMs: 60_000 });
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(`(${join(empty, 'electron')})`), r.stderr);
});
