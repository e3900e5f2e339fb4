// Files, folders and pipes another local user could use against lakekey (SECURITY.md, round 2):
// a settings folder others can list is tightened; one another user owns is refused; profile
// names that differ only by case (one Credential Manager item on Windows) are refused; the
// Windows broker pipe's name cannot be guessed; renaming a profile in the settings window
// revokes the old session as `logout` does. Real CLI, real keychain, real IdP and browser.
import assert from 'node:assert/strict';
import { composeCore } from '../../main/core/compose.js';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Conf from 'conf';
import { createHandlers } from '../../main/app/handlers.js';
import { defaultDraft } from '../../main/app/profile-form.js';
import { settingsStore, type ConfLike } from '../../main/app/settings-store.js';
import { systemBrowser } from '../../main/core/login/browser.js';
import { brokerEndpoint } from '../../main/core/login/login-broker.js';
import { silentLogger } from '../../main/core/log.js';
import { discover, refresh } from '../../main/core/login/oidc.js';
import { login, readStored } from '../../main/core/usecases/session.js';
import { getProfile } from '../../main/core/config/settings.js';
import { ProfileVault } from '../helpers/profile-vault.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { CLI, runCli } from '../helpers/cli.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';
import { idpHttp } from '../helpers/net.js';

let idp: Idp;
const items = new Vault(osKeychainStore({ timeoutMs: 10_000 }));
/** The keychain as each profile sees its record (profile-vault.ts); lakekey itself gets `items`. */
const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
before(async () => {
  idp = await startIdp();
});
after(() => idp?.stop());

function configDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'lakekey-files-')), 'cfg');
}
const cli = (dir: string, args: string[]) => runCli(args, { env: { ...process.env, LAKEKEY_CONFIG_DIR: dir } });

test('a settings folder others can list is made private (0700) on every CLI start', async () => {
  const dir = configDir();
  mkdirSync(dir, { mode: 0o755 });
  chmodSync(dir, 0o755);
  const r = await cli(dir, ['status']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(statSync(dir).mode & 0o777, 0o700);
  chmodSync(dir, 0o711);
  await cli(dir, ['credential-process', 'none']);
  assert.equal(statSync(dir).mode & 0o777, 0o700, 'the hot path checks too');
});

test('a settings folder owned by another user is refused with exit 2 (LAKEKEY_CONFIG_DIR too)', async (t) => {
  if (process.getuid?.() !== 0) {
    if (process.env.CI) assert.fail('this test needs root to give a folder to another user');
    return t.skip('needs root to give a folder to another user');
  }
  const dir = configDir();
  mkdirSync(dir);
  chmodSync(dir, 0o777);
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ version: 1, profiles: {} }));
  chownSync(dir, 65534, 65534);
  for (const args of [['status'], ['credential-process', 'x'], ['profile', 'list']]) {
    const r = await cli(dir, args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /belongs to another user \(uid 65534\)/);
    assert.match(r.stderr, /LAKEKEY_CONFIG_DIR/);
  }
  assert.equal(statSync(dir).mode & 0o777, 0o777, "another user's folder is not touched");
});

test('profile names that differ only by case are refused (one Credential Manager item on Windows)', async () => {
  const dir = configDir();
  const add = (name: string) =>
    cli(dir, ['profile', 'add', name, '--issuer', idp.issuer, '--client-id', idp.clientId, '--lakefs-endpoint', 'http://127.0.0.1:9']);
  assert.equal((await add('Work')).code, 0);
  const second = await add('work');
  assert.equal(second.code, 2, second.stderr);
  assert.match(second.stderr, /"Work" and "work" differ only in upper\/lower case/);
  // A file edited by hand to hold both is refused too.
  const file = join(dir, 'config.json');
  const settings = JSON.parse(readFileSync(file, 'utf8')) as { profiles: Record<string, unknown> };
  settings.profiles.WORK = settings.profiles.Work;
  writeFileSync(file, JSON.stringify(settings));
  const status = await cli(dir, ['status']);
  assert.equal(status.code, 2, status.stderr);
  assert.match(status.stderr, /differ only in upper\/lower case/);
});

test("the Windows broker pipe is named after the run's secret, not the folder: nobody can squat it in advance", () => {
  const dir = 'C:\\Users\\alice\\AppData\\Roaming\\lakekey';
  const a = brokerEndpoint(dir, 'win32', 'a'.repeat(64));
  const b = brokerEndpoint(dir, 'win32', 'b'.repeat(64));
  assert.match(a, /^\\\\\.\\pipe\\lakekey-[0-9a-f]{32}$/);
  assert.notEqual(a, b, 'another run, another name');
  assert.equal(brokerEndpoint('D:\\elsewhere', 'win32', 'a'.repeat(64)), a, 'the folder does not choose the name');
});

test('renaming a profile in the settings window: the renamed profile keeps the sign-in; renamed onto other IdP settings, the old session is revoked at the IdP, as logout does', async () => {
  const dir = configDir();
  assert.equal((await cli(dir, ['profile', 'add', 'before', '--issuer', idp.issuer, '--client-id', idp.clientId])).code, 0);
  const settings = settingsStore((d) => new Conf({ cwd: d, configName: 'config', projectName: 'lakekey', configFileMode: 0o600 }) as unknown as ConfLike, dir);
  const ctx = composeCore(process.env, {
    dir,
    vault: items,
    log: silentLogger,
    browser: systemBrowser({ LAKEKEY_BROWSER: BROWSER_COMMAND }, process.platform),
    notice: () => {},
  });
  const profile = getProfile(settings.read(), 'before');
  await login(ctx, 'before', profile);
  const refreshToken = (await vault.read('before')).idp?.refreshToken;
  assert.ok(refreshToken, 'logged in with a refresh token');
  const handlers = createHandlers({ settings, ctx, login: async () => {}, clipboard: { writeText: () => {} }, cliCommand: () => [CLI] });
  const saved = await handlers['profiles:save']({
    name: 'after',
    originalName: 'before',
    draft: { ...defaultDraft(), issuer: idp.issuer, clientId: idp.clientId },
  });
  assert.deepEqual(saved, { ok: true });
  assert.equal((await vault.read('before')).idp, undefined, 'the old keychain item is gone');
  // The same issuer, client and scopes under a new name: the same sign-in, still alive (one sign-in per IdP).
  const after = await handlers['profiles:list'](null);
  assert.match(after.find((v) => v.name === 'after')?.summary ?? '', /^Signed in as alice@example\.com/);
  assert.equal((await readStored(ctx, 'after', getProfile(settings.read(), 'after'))).record.idp?.refreshToken, refreshToken, 'the same session');
  // Renamed again, onto other scopes: nobody uses the old sign-in any more, so it is revoked.
  const moved = await handlers['profiles:save']({
    name: 'elsewhere',
    originalName: 'after',
    draft: { ...defaultDraft(), issuer: idp.issuer, clientId: idp.clientId, scopes: 'openid email offline_access' },
  });
  assert.deepEqual(moved, { ok: true });
  assert.equal((await vault.read('after')).idp, undefined, 'the old keychain item is gone');
  await assert.rejects(
    refresh(await discover(profile, undefined, idpHttp()), refreshToken),
    /invalid_grant|refresh token|invalid/i,
    'the old refresh token no longer works at the IdP',
  );
});
