// The CLI hands interactive logins to a running tray: credential-process processes with no
// browser of their own ask the tray's login broker, which runs one real login for all of them.
import assert from 'node:assert/strict';
import { composeCore } from '../../main/core/compose.js';
import { after, before, test } from 'node:test';
import { systemBrowser } from '../../main/core/login/browser.js';
import { startLoginBroker } from '../../main/core/login/login-broker.js';
import { silentLogger } from '../../main/core/log.js';
import { login } from '../../main/core/usecases/session.js';
import { getProfile, readSettings } from '../../main/core/config/settings.js';
import { BROWSER_COMMAND, readRecord, sandbox, startPeers, items, type Peers } from '../helpers/world.js';

let peers: Peers;
before(async () => {
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
});

test('with a tray listening, 4 credential-process runs get one login through the tray', async () => {
  const box = await sandbox(peers); // the CLI processes have no browser and no desktop
  let trayLogins = 0;
  // The tray side, as main/app wires it: the real core login with the tray's own browser.
  const ctx = composeCore(process.env, {
    dir: box.dir,
    vault: items,
    log: silentLogger,
    browser: systemBrowser({ LAKEKEY_BROWSER: BROWSER_COMMAND }, process.platform),
    notice: () => {},
  });
  const broker = await startLoginBroker({
    platform: process.platform,
    dir: box.dir,
    login: async (name) => {
      trayLogins++;
      await login(ctx, name, getProfile(readSettings(box.dir), name));
    },
  });
  try {
    const before = { ...peers.idp.counts };
    const results = await Promise.all(Array.from({ length: 4 }, () => box.cli(['credential-process', box.name])));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(new Set(results.map((r) => r.stdout)).size, 1, 'all print the same credentials');
    assert.equal(trayLogins, 1, 'the broker ran one login for everyone');
    assert.equal(peers.idp.counts.authorizations - before.authorizations, 1);
    assert.equal(JSON.parse(results[0].stdout).AccessKeyId, (await readRecord(box.name)).s3?.accessKeyId);
  } finally {
    await broker.close();
  }
  // With the tray gone, the same CLI falls back to its own rules: no browser here, so exit 3.
  const record = await readRecord(box.name);
  await items.write(box.name, { v: 1, updatedAt: Date.now() });
  if (record.session) await items.remove(record.session); // the sign-in it was bound to, which it would use again
  const alone = await box.cli(['credential-process', box.name]);
  assert.equal(alone.code, 3, alone.stderr);
  assert.ok(record.idp);
});
