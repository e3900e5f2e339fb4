// The tray logs in with a profile's own browser (issue 24), through the shell over a stubbed
// `electron` (as test/unit/app does) with the real parts behind it: oidc-provider, Debian
// Chromium driven by playwright as the profile's `--browser`, the core's login. Electron's
// shell.openExternal (the desktop's default browser) is not used for such a profile; it still is
// for a profile without one.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { REPO } from '../../helpers/cli.js';
import { electronStub } from '../../helpers/electron-stub.js';
import { BROWSER_COMMAND } from '../../helpers/world.js';
import { startIdp } from '../../peers/idp.js';
import { startTray } from '../../helpers/tray-app.js';

const idp = await startIdp();
after(() => idp.stop());

test("the tray's Login opens the profile's --browser (the real Chromium driver), not Electron's default browser", async () => {
  const stub = electronStub({ appPath: REPO });
  // No LAKEKEY_BROWSER: without the profile's browser, the shell's openExternal would be asked.
  const { app, vault } = await startTray(stub.electron, { work: { issuer: idp.issuer, clientId: idp.clientId, browser: `${BROWSER_COMMAND} {url}` } });
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
