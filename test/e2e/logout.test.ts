// `lakekey logout` says only what happened at the identity provider: revoked (the refresh token
// is dead there), not offered (no revocation endpoint, as with Dex: the token stays valid until
// it expires — and it does), or failed (exit 5). In every case the session is forgotten here.
// Real IdP (oidc-provider, with and without revocation), real browser, real keychain.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { discover, refresh } from '../../main/core/login/oidc.js';
import { ProfileVault } from '../helpers/profile-vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { securityBox } from '../helpers/security-world.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';
import { idpHttp } from '../helpers/net.js';

const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
const idps: Idp[] = [];
after(async () => {
  for (const idp of idps) await idp.stop();
});

async function loggedIn(revocation: boolean) {
  const idp = await startIdp({ revocation });
  idps.push(idp);
  const box = await securityBox(idp.issuer, idp.clientId, [], BROWSER_COMMAND);
  const login = await box.cli(['login', box.name]);
  assert.equal(login.code, 0, login.stderr);
  const refreshToken = (await vault.read(box.name)).idp?.refreshToken;
  assert.ok(refreshToken);
  return { idp, box, refreshToken };
}

test('an IdP with revocation: "revoked", and the refresh token is dead at the IdP', async () => {
  const { idp, box, refreshToken } = await loggedIn(true);
  const r = await box.cli(['logout', box.name]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /the session was revoked at the identity provider\. Removed the session in the keychain\./);
  assert.equal((await vault.read(box.name)).idp, undefined);
  await assert.rejects(refresh(await discover({ issuer: idp.issuer, clientId: idp.clientId }, undefined, idpHttp()), refreshToken), /invalid_grant/);
});

test('an IdP without revocation (Dex): no claim of a revocation, says the token stays valid — and it does', async () => {
  const { idp, box, refreshToken } = await loggedIn(false);
  const r = await box.cli(['logout', box.name]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /revoked/);
  assert.match(r.stderr, /offers no token revocation, so the refresh token stays valid there until it expires/);
  assert.equal((await vault.read(box.name)).idp, undefined, 'forgotten here');
  const tokens = await refresh(await discover({ issuer: idp.issuer, clientId: idp.clientId }, undefined, idpHttp()), refreshToken);
  assert.ok(tokens.accessToken, 'what the message said: the IdP still honours the token');
});

test('revocation that fails: exit 5, says so, and the session is still forgotten here', async () => {
  const { idp, box } = await loggedIn(true);
  idp.setDown(true);
  try {
    const r = await box.cli(['logout', box.name]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stderr,
      /logged out of profile "[^"]+" on this computer \(removed the session in the keychain\), but revoking the session at the identity provider failed/,
    );
    assert.match(r.stderr, /may stay valid at the identity provider until it expires/);
    assert.equal((await vault.read(box.name)).idp, undefined, 'forgotten here all the same');
  } finally {
    idp.setDown(false);
  }
});

// Issue 20: a session belongs to the IdP that made it. After `profile set --issuer`, the old
// refresh token is never sent to the new IdP (it is that IdP's secret, and useless there), the
// session reads as needing a login, and logout revokes at the IdP the session came from.
describe('after the profile moves to another identity provider', () => {
  async function moved() {
    const { idp: old, box, refreshToken } = await loggedIn(true);
    const next = await startIdp({ revocation: true });
    idps.push(next);
    const set = await box.cli(['profile', 'set', box.name, '--issuer', next.issuer, '--client-id', next.clientId]);
    assert.equal(set.code, 0, set.stderr);
    assert.ok(
      set.stderr.includes(`run \`lakekey login ${box.name}\` again (it revokes the old session at ${old.issuer}; \`lakekey logout ${box.name}\` ends it now)`),
      set.stderr,
    );
    return { old, next, box, refreshToken };
  }

  test('status says the session was made before the change; --check exits 3 and the refresh token goes nowhere', async () => {
    const { old, next, box, refreshToken } = await moved();
    const check = await box.cli(['status', '--check', box.name]);
    assert.equal(check.code, 3, check.stderr);
    assert.match(check.stderr, /was logged in before --issuer changed/);
    const status = await box.cli(['status', box.name]);
    assert.match(status.stdout, /made before --issuer changed: log in/);
    assert.match(status.stdout, /needs login/);
    assert.ok(!next.presented.includes(refreshToken), 'the old refresh token never reached the new IdP');
    assert.equal(old.counts.refreshGrants, 0);
  });

  test('logout revokes at the IdP the session came from, and says so', async () => {
    const { old, next, box, refreshToken } = await moved();
    const r = await box.cli(['logout', box.name]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(old.presented.includes(refreshToken), 'revoked where it was made');
    assert.match(r.stderr, new RegExp(`the session was revoked at ${old.issuer.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, where it was made`));
    assert.ok(!next.presented.includes(refreshToken), 'the old refresh token never reached the new IdP');
    await assert.rejects(refresh(await discover({ issuer: old.issuer, clientId: old.clientId }, undefined, idpHttp()), refreshToken), /invalid_grant/);
  });

  test('a login at the new IdP revokes the old session first-hand and says so', async () => {
    const { old, box, refreshToken } = await moved();
    const r = await box.cli(['login', box.name]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /the session made before --issuer changed was revoked at /);
    await assert.rejects(refresh(await discover({ issuer: old.issuer, clientId: old.clientId }, undefined, idpHttp()), refreshToken), /invalid_grant/);
    const record = await vault.read(box.name);
    assert.notEqual(record.idp?.refreshToken, refreshToken);
    const check = await box.cli(['status', '--check', box.name]);
    assert.equal(check.code, 0, check.stderr);
  });
});
