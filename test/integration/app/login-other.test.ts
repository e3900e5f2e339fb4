// The tray's "Log in as someone else" (issue 24), through the shell over a stubbed `electron`
// (as test/unit/app does) with the real parts behind it: oidc-provider, Debian chromium driven
// by playwright, the core's login. The item asks the IdP for another account, and a login as
// another user logs the previous one out (revoked at the IdP) and says so in a notification.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { discover, refresh } from '../../../main/core/login/oidc.js';
import { driveLogin } from '../../helpers/browser.js';
import { REPO } from '../../helpers/cli.js';
import { electronStub } from '../../helpers/electron-stub.js';
import { launchUrlOf } from '../../helpers/launch-url.js';
import { DEFAULT_USERS, startIdp } from '../../peers/idp.js';
import { idpHttp } from '../../helpers/net.js';
import { startTray } from '../../helpers/tray-app.js';

const idp = await startIdp({ users: [...DEFAULT_USERS, { sub: 'bob', login: 'bob@example.com', name: 'Bob Example', policy: 'readwrite' }] });
after(() => idp.stop());

async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 30_000; !done(); await new Promise((r) => setTimeout(r, 20))) {
    if (Date.now() > deadline) assert.fail('timed out');
  }
}

test('the menu\'s "Log in as someone else" asks the IdP for another account; bob replaces alice, whose session is revoked, and a notification says so', async () => {
  const stub = electronStub({ appPath: REPO });
  const { app, vault } = await startTray(stub.electron, { work: { issuer: idp.issuer, clientId: idp.clientId } });
  try {
    /** Runs a menu action whose login opens the (stubbed) browser, and signs in there as `user`. */
    const loginAs = async (action: 'login' | 'login-other', user: string) => {
      const opened = stub.opened.length;
      const from = idp.authorizationRequests.length;
      const running = app.dispatch({ type: action, profile: 'work' });
      await until(() => stub.opened.length > opened);
      await driveLogin(launchUrlOf(stub.opened.at(-1)!), { user });
      await running;
      return idp.authorizationRequests.slice(from);
    };
    const first = await loginAs('login', 'alice@example.com');
    assert.ok(
      first.every((r) => r.prompt === 'consent'),
      'the plain login asks for no other account',
    );
    const alice = (await vault.read('work')).idp;
    assert.equal(alice?.subject, 'alice');
    assert.ok(alice?.refreshToken);

    const menu = (stub.trays[0].menu as { template: Array<{ label?: string }> }).template.map((i) => i.label?.trim());
    assert.ok(menu.includes('Log in as someone else…'), menu.join(' | '));

    const other = await loginAs('login-other', 'bob@example.com');
    assert.equal(other.at(-1)?.prompt, 'login consent', 'the browser was asked for another account (prompt=login: this IdP has no select_account)');
    assert.equal((await vault.read('work')).idp?.subject, 'bob');
    const note = stub.notifications.find((n) => /previous session/.test(n.body));
    assert.ok(note, JSON.stringify(stub.notifications.map((n) => n.body)));
    assert.match(
      note.body,
      /^Logged in to profile "work" as bob@example\.com; the previous session of alice@example\.com was logged out: revoked at the identity provider\.$/,
    );
    await assert.rejects(refresh(await discover({ issuer: idp.issuer, clientId: idp.clientId }, undefined, idpHttp()), alice.refreshToken), /invalid_grant/);
  } finally {
    await app.quit();
  }
});
