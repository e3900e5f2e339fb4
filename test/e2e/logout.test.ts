// `lakekey logout` says only what happened at the identity provider: revoked (the refresh token
// is dead there), not offered (no revocation endpoint, as with Dex: the token stays valid until
// it expires — and it does), or failed (exit 5). In every case the session is forgotten here.
// Real IdP (oidc-provider, with and without revocation), real browser, real keychain.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { discover, refresh } from '../../main/core/oidc.js';
import { keychainStore, Vault } from '../../main/core/vault.js';
import { securityBox } from '../helpers/security-world.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';

const vault = new Vault(keychainStore({ timeoutMs: 10_000 }));
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
  assert.match(r.stderr, /the session was revoked at the identity provider/);
  assert.equal((await vault.read(box.name)).idp, undefined);
  await assert.rejects(refresh(await discover({ issuer: idp.issuer, clientId: idp.clientId }), refreshToken), /invalid_grant/);
});

test('an IdP without revocation (Dex): no claim of a revocation, says the token stays valid — and it does', async () => {
  const { idp, box, refreshToken } = await loggedIn(false);
  const r = await box.cli(['logout', box.name]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /revoked/);
  assert.match(r.stderr, /offers no token revocation, so the refresh token stays valid there until it expires/);
  assert.equal((await vault.read(box.name)).idp, undefined, 'forgotten here');
  const tokens = await refresh(await discover({ issuer: idp.issuer, clientId: idp.clientId }), refreshToken);
  assert.ok(tokens.accessToken, 'what the message said: the IdP still honours the token');
});

test('revocation that fails: exit 5, says so, and the session is still forgotten here', async () => {
  const { idp, box } = await loggedIn(true);
  idp.setDown(true);
  try {
    const r = await box.cli(['logout', box.name]);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /logged out of profile "[^"]+" on this computer, but revoking the session at the identity provider failed/);
    assert.match(r.stderr, /may stay valid at the identity provider until it expires/);
    assert.equal((await vault.read(box.name)).idp, undefined, 'forgotten here all the same');
  } finally {
    idp.setDown(false);
  }
});
