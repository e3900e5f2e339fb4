// IdPs that give installed apps a client secret and require it (Google's "Desktop app" clients):
// `profile add --client-secret -` reads it from stdin into the keychain — never the settings
// file, the command line or any output — and every token-endpoint call (login, revocation)
// sends it. Real IdP (oidc-provider with client_secret_post), real browser, real keychain.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ProfileVault } from '../helpers/profile-vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { securityBox } from '../helpers/security-world.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';

const SECRET = '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789';
let idp: Idp;
const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
before(async () => {
  idp = await startIdp({ clientSecret: SECRET });
});
after(() => idp?.stop());

test('--client-secret - keeps the secret in the keychain and sends it on login and revocation', async () => {
  const box = await securityBox(idp.issuer, idp.clientId, [], BROWSER_COMMAND);
  // Without the secret the IdP refuses the code exchange: the test IdP really requires it.
  const refused = await box.cli(['login', box.name, '--timeout', '60']);
  assert.equal(refused.code, 5, refused.stderr);
  assert.match(refused.stderr, /invalid_client/);

  const add = await box.cli(
    ['profile', 'add', box.name, '--issuer', idp.issuer, '--client-id', idp.clientId, '--client-secret', '-', '--force'],
    {},
    `${SECRET}\n`,
  );
  assert.equal(add.code, 0, add.stderr);
  assert.equal(await vault.readClientSecret(box.name), SECRET, 'in the keychain');
  const settings = readFileSync(join(box.dir, 'config.json'), 'utf8');
  assert.ok(!settings.includes(SECRET), 'not in the settings file');
  assert.match(settings, /"clientSecret": ?true/);
  const show = await box.cli(['profile', 'show', box.name]);
  assert.match(show.stdout, /client secret\s+in the keychain/);
  assert.ok(!show.stdout.includes(SECRET));

  const login = await box.cli(['login', box.name]);
  assert.equal(login.code, 0, login.stderr);
  assert.equal((await vault.read(box.name)).idp?.subject, 'alice');
  const logout = await box.cli(['logout', box.name]);
  assert.equal(logout.code, 0, logout.stderr);
  assert.match(logout.stderr, /revoked at the identity provider/, 'the revocation authenticated with the secret');
  for (const out of [add, show, login, logout]) assert.ok(!`${out.stdout}${out.stderr}`.includes(SECRET), 'never printed');

  const remove = await box.cli(['profile', 'remove', box.name]);
  assert.equal(remove.code, 0, remove.stderr);
  assert.equal(await vault.readClientSecret(box.name), null, 'profile remove drops the secret too');
});

test('a profile that needs a client secret the keychain lacks says how to store it (exit 2)', async () => {
  const box = await securityBox(idp.issuer, idp.clientId, [], BROWSER_COMMAND);
  const add = await box.cli(
    ['profile', 'add', box.name, '--issuer', idp.issuer, '--client-id', idp.clientId, '--client-secret', '-', '--force'],
    {},
    `${SECRET}\n`,
  );
  assert.equal(add.code, 0, add.stderr);
  await vault.writeClientSecret(box.name, undefined);
  const login = await box.cli(['login', box.name]);
  assert.equal(login.code, 2, login.stderr);
  assert.match(login.stderr, /needs a client secret, and the keychain holds none/);
  assert.match(login.stderr, /--client-secret -/);
});
