// Logging in as another account (issue 24): `lakekey login NAME --select-account --login-hint U`
// reaches the IdP's authorization endpoint as OIDC `prompt` and `login_hint`, and a login that
// signs in another user replaces the stored session cleanly — the previous user's refresh token is
// revoked at the IdP first, and lakekey says so. Real IdP (oidc-provider, which publishes no
// prompt_values_supported and refuses select_account), real browser, real keychain.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { discover, refresh } from '../../main/core/login/oidc.js';
import { ProfileVault } from '../helpers/profile-vault.js';
import { idpHttp } from '../helpers/net.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { securityBox, type Box } from '../helpers/security-world.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { DEFAULT_USERS, startIdp, type Idp } from '../peers/idp.js';

const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
const BOB = { sub: 'bob', login: 'bob@example.com', name: 'Bob Example', policy: 'readwrite' };
let idp: Idp;
before(async () => {
  idp = await startIdp({ users: [...DEFAULT_USERS, BOB] });
});
after(async () => {
  await idp?.stop();
});

/** The authorization requests the IdP received while `run` ran (lakekey's probe and the browser's own). */
async function authorizationsDuring<T>(run: () => Promise<T>): Promise<{ result: T; requests: Array<Record<string, string>> }> {
  const from = idp.authorizationRequests.length;
  const result = await run();
  return { result, requests: idp.authorizationRequests.slice(from) };
}

async function aliceLoggedIn(): Promise<{ box: Box; aliceToken: string }> {
  const box = await securityBox(idp.issuer, idp.clientId, [], BROWSER_COMMAND);
  const { result: login, requests } = await authorizationsDuring(() => box.cli(['login', box.name], { LAKEKEY_TEST_USER: 'alice@example.com' }));
  assert.equal(login.code, 0, login.stderr);
  assert.ok(requests.length >= 1, 'the IdP saw the authorization request');
  for (const r of requests) {
    assert.equal(r.prompt, 'consent', 'a plain login asks for no account choice');
    assert.equal(r.login_hint, undefined);
  }
  const record = await vault.read(box.name);
  assert.equal(record.idp?.subject, 'alice');
  assert.ok(record.idp?.refreshToken);
  return { box, aliceToken: record.idp.refreshToken };
}

test('--select-account and --login-hint reach the IdP (prompt=login where it refuses select_account); logging in as bob logs alice out first and revokes her refresh token', async () => {
  const { box, aliceToken } = await aliceLoggedIn();
  const { result: login, requests } = await authorizationsDuring(() =>
    box.cli(['login', box.name, '--select-account', '--login-hint', 'bob@example.com'], { LAKEKEY_TEST_USER: 'bob@example.com' }),
  );
  assert.equal(login.code, 0, login.stderr);
  // oidc-provider publishes no prompt_values_supported: lakekey's probe tries select_account, which
  // it refuses, and the login goes on with prompt=login (sign in again) — the browser's request.
  assert.equal(requests[0].prompt, 'select_account consent', 'the probe tries select_account first');
  const browserRequest = requests.at(-1)!;
  assert.ok(requests.length >= 3, `probe, probe again, the browser: ${requests.length}`);
  assert.equal(browserRequest.prompt, 'login consent');
  for (const r of requests) assert.equal(r.login_hint, 'bob@example.com');
  assert.match(
    login.stderr,
    new RegExp(
      `logged in to profile "${box.name}" as bob@example.com; the previous session of alice@example.com was logged out: revoked at the identity provider\\.`,
    ),
  );
  assert.match(login.stderr, /Logged in to profile .* as bob@example.com\./);
  const record = await vault.read(box.name);
  assert.equal(record.idp?.subject, 'bob');
  assert.equal(record.idp?.email, 'bob@example.com');
  assert.ok(idp.presented.includes(aliceToken), "alice's refresh token was presented for revocation");
  const config = await discover({ issuer: idp.issuer, clientId: idp.clientId }, undefined, idpHttp());
  await assert.rejects(refresh(config, aliceToken), /invalid_grant/, "alice's session is dead at the IdP");
  assert.ok(record.idp?.refreshToken);
  const bobs = await refresh(config, record.idp.refreshToken);
  assert.equal(bobs.claims?.sub, 'bob', "bob's session lives");

  // Logging in again as the same user replaces nothing and says nothing about it.
  const again = await box.cli(['login', box.name], { LAKEKEY_TEST_USER: 'bob@example.com' });
  assert.equal(again.code, 0, again.stderr);
  assert.doesNotMatch(again.stderr, /previous session/);
});

test('bad account flags: a control character in --login-hint, or --device with --select-account, is exit 2 naming the flag, before any request', async () => {
  const box = await securityBox(idp.issuer, idp.clientId);
  const before = idp.authorizationRequests.length;
  const hint = await box.cli(['login', box.name, '--login-hint', 'bob\u0007@example.com']);
  assert.equal(hint.code, 2);
  assert.match(hint.stderr, /--login-hint takes an account name/);
  const device = await box.cli(['login', box.name, '--device', '--select-account']);
  assert.equal(device.code, 2);
  assert.match(device.stderr, /--select-account is for the browser login; with --device you choose the account on the device/);
  assert.equal(idp.authorizationRequests.length, before);
});
