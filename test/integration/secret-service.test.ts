// lakekey's Secret Service client (main/core/keychain/secret-service/secret-service.ts) against the real gnome-keyring of
// this file's session, with keytar (libsecret) as the independent second reader and writer: the
// items earlier, keytar-based versions of lakekey stored are read as they are (nobody logs in
// again), and keytar reads what the client writes (a downgrade loses nothing either).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, test } from 'node:test';
import { KEYCHAIN_SERVICE } from '../../main/core/keychain/keychain-store.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { secretServiceBackend } from '../../main/core/keychain/secret-service/secret-service.js';

interface Keytar {
  getPassword(s: string, a: string): Promise<string | null>;
  setPassword(s: string, a: string, p: string): Promise<void>;
  deletePassword(s: string, a: string): Promise<boolean>;
  findCredentials(s: string): Promise<Array<{ account: string; password: string }>>;
}
const keytar = await import('keytar').then((m) => ((m as { default?: Keytar }).default ?? m) as Keytar);
const ours = secretServiceBackend(process.env);
const tag = `compat-${process.pid}`;

after(async () => {
  for (const { account } of await keytar.findCredentials(KEYCHAIN_SERVICE)) if (account.startsWith(tag)) await keytar.deletePassword(KEYCHAIN_SERVICE, account);
});

/** The items secret-tool (libsecret's own CLI) lists for an account: a third opinion on what is stored. */
function secretToolItems(account: string): string {
  return execFileSync('secret-tool', ['search', '--all', 'service', KEYCHAIN_SERVICE, 'account', account], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

test('an item keytar stored is read, replaced in place and deleted by the client', async () => {
  const account = `${tag}-a`;
  await keytar.setPassword(KEYCHAIN_SERVICE, account, 'stored by keytar: ü ✓');
  assert.equal(await ours.getPassword(KEYCHAIN_SERVICE, account), 'stored by keytar: ü ✓');
  await ours.setPassword(KEYCHAIN_SERVICE, account, 'replaced');
  assert.equal(await keytar.getPassword(KEYCHAIN_SERVICE, account), 'replaced');
  assert.equal((secretToolItems(account).match(/^\[/gm) ?? []).length, 1, 'replaced, not duplicated');
  assert.equal(await ours.deletePassword(KEYCHAIN_SERVICE, account), true);
  assert.equal(await ours.deletePassword(KEYCHAIN_SERVICE, account), false, 'nothing left to delete');
  assert.equal(await keytar.getPassword(KEYCHAIN_SERVICE, account), null);
});

test('an item the client stores looks to keytar and secret-tool exactly like one keytar made', async () => {
  const account = `${tag}-b`;
  await ours.setPassword(KEYCHAIN_SERVICE, account, 'stored by lakekey');
  assert.equal(await keytar.getPassword(KEYCHAIN_SERVICE, account), 'stored by lakekey');
  const listed = secretToolItems(account);
  assert.match(listed, new RegExp(`label = ${KEYCHAIN_SERVICE}/${account}`));
  assert.match(listed, /schema = org\.freedesktop\.Secret\.Generic/);
  assert.ok((await keytar.findCredentials(KEYCHAIN_SERVICE)).some((c) => c.account === account));
  assert.ok((await ours.findCredentials!(KEYCHAIN_SERVICE)).some((c) => c.account === account));
  assert.equal(await ours.getPassword(KEYCHAIN_SERVICE, `${tag}-missing`), null, 'a missing item is null');
});

test('a whole session record written by the keytar-era vault layout is read through the Vault (split into chunks too)', async () => {
  // The vault's item layout is unchanged: a head item, and for a record over the store's limit,
  // chunks under "<profile>#<gen>.<i>". Written here by keytar, item by item, as the old build did.
  const profile = `${tag}-rec`;
  const record = { v: 1, updatedAt: 1, idp: { subject: 'alice', refreshToken: 'r'.repeat(3000) } };
  const text = JSON.stringify(record);
  const { createHash } = await import('node:crypto');
  const parts = [text.slice(0, 2000), text.slice(2000)];
  for (const [i, p] of parts.entries()) await keytar.setPassword(KEYCHAIN_SERVICE, `${profile}#0a0b0c0d.${i}`, p);
  await keytar.setPassword(
    KEYCHAIN_SERVICE,
    profile,
    JSON.stringify({ lakekeyChunks: 2, gen: '0a0b0c0d', sha256: createHash('sha256').update(text).digest('hex') }),
  );
  const vault = new Vault(osKeychainStore({ timeoutMs: 10_000, maxItemBytes: 2560 }));
  assert.deepEqual(await vault.read(profile), record);
  await vault.remove(profile);
  assert.deepEqual(
    (await keytar.findCredentials(KEYCHAIN_SERVICE)).filter((c) => c.account.startsWith(profile)),
    [],
    'head and chunks removed',
  );
});

test('a large secret (256 KiB, many socket reads) and many calls in parallel come back intact', async () => {
  const big = 'x'.repeat(256 * 1024);
  await ours.setPassword(KEYCHAIN_SERVICE, `${tag}-big`, big);
  assert.equal(await ours.getPassword(KEYCHAIN_SERVICE, `${tag}-big`), big);
  assert.equal(await keytar.getPassword(KEYCHAIN_SERVICE, `${tag}-big`), big);
  const accounts = Array.from({ length: 20 }, (_, i) => `${tag}-p${i}`);
  await Promise.all(accounts.map((a) => ours.setPassword(KEYCHAIN_SERVICE, a, `value of ${a}`)));
  const read = await Promise.all(accounts.map((a) => ours.getPassword(KEYCHAIN_SERVICE, a)));
  assert.deepEqual(
    read,
    accounts.map((a) => `value of ${a}`),
  );
});

test('the unlocked keyring is reported unlocked', async () => {
  assert.equal(await ours.locked!(), false);
});
