// The tray logs in with a profile's own browser (issue 24), through the shell over a stubbed
// `electron` (as test/unit/app does) with the real parts behind it: oidc-provider, Debian
// Chromium driven by playwright as the profile's `--browser`, the core's login. Electron's
// shell.openExternal (the desktop's default browser) is not used for such a profile; it still is
// for a profile without one.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Conf from 'conf';
import { start } from '../../../main/app/main.js';
import { settingsStore, type ConfLike } from '../../../main/app/settings-store.js';
import { parseProfile } from '../../../main/core/config/settings.js';
import { Vault } from '../../../main/core/keychain/vault.js';
import { REPO } from '../../helpers/cli.js';
import { electronStub } from '../../helpers/electron-stub.js';
import { MemoryStore } from '../../helpers/memory-store.js';
import { BROWSER_COMMAND } from '../../helpers/world.js';
import { startIdp } from '../../peers/idp.js';

const openConf = (dir: string) =>
  new Conf({ cwd: dir, configName: 'config', projectName: 'lakekey', configFileMode: 0o600, clearInvalidConfig: false }) as unknown as ConfLike;
const idp = await startIdp();
after(() => idp.stop());

test("the tray's Login opens the profile's --browser (the real Chromium driver), not Electron's default browser", async () => {
  const stub = electronStub({ appPath: REPO });
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-app-')), 'cfg');
  settingsStore(openConf, dir).update((s) => {
    s.profiles.work = parseProfile('work', { issuer: idp.issuer, clientId: idp.clientId, browser: `${BROWSER_COMMAND} {url}` });
  });
  const vault = new Vault(new MemoryStore());
  // No LAKEKEY_BROWSER: without the profile's browser, the shell's openExternal would be asked.
  const app = await start(stub.electron, {
    openStore: openConf,
    appRoot: REPO,
    resourcesDir: join(REPO, 'build'),
    env: { LAKEKEY_CONFIG_DIR: dir },
    vault,
    platform: 'linux',
  });
  assert.ok(app);
  try {
    // A shell that was asked fails the test at once (nothing would drive that page: the login would wait out its timeout).
    let settled = false;
    const running = app.dispatch({ type: 'login', profile: 'work' }).finally(() => (settled = true));
    while (!settled) {
      assert.deepEqual(stub.opened, [], "Electron's openExternal was not asked");
      await Promise.race([running, new Promise((r) => setTimeout(r, 20))]);
    }
    await running;
    assert.equal((await vault.read('work')).idp?.subject, 'alice', "logged in through the profile's browser");
    assert.deepEqual(stub.opened, [], "Electron's openExternal was not asked");
  } finally {
    await app.quit();
  }
});
