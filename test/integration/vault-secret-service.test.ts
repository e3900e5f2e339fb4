// The Vault over the real keychain: the Secret Service (gnome-keyring in the test D-Bus session)
// with a Windows-sized item limit imposed, so records are split as on Windows. The chunking rules
// themselves are unit-tested against the in-memory store (test/unit/core/vault.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WINDOWS_MAX_ITEM_BYTES } from '../../main/core/keychain/keychain-store.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import type { SecretRecord } from '../../main/core/keychain/record.js';

function bigRecord(tag: string): SecretRecord {
  return {
    v: 1,
    updatedAt: Date.now(),
    idp: { subject: 'alice', refreshToken: `rt-${tag}`, idToken: `id-${tag}-${'x'.repeat(1500)}`, email: 'ä@example.com' },
    s3: { accessKeyId: `AK${tag}`, secretAccessKey: 's'.repeat(40), sessionToken: `st-${tag}-${'y'.repeat(1800)}`, expiresAt: Date.now() + 3600_000 },
  };
}

test('records larger than a Windows item are split and reassembled, and old chunks are removed', async () => {
  const store = osKeychainStore({ maxItemBytes: WINDOWS_MAX_ITEM_BYTES });
  const vault = new Vault(store);
  const name = `split-${process.pid}`;
  const one = bigRecord('one');
  await vault.write(name, one);
  const head = await store.get(name);
  assert.ok(head && head.length < 200 && head.startsWith('{"lakekeyChunks"'), 'head item is a small manifest');
  assert.deepEqual(await vault.read(name), one);
  const firstGen = JSON.parse(head).gen;
  await vault.write(name, bigRecord('two'));
  assert.equal((await vault.read(name)).s3?.accessKeyId, 'AKtwo');
  assert.equal(await store.get(`${name}#${firstGen}.0`), null, 'previous generation deleted');
  await vault.remove(name);
  assert.equal(await store.get(name), null);
  assert.equal((await vault.read(name)).idp, undefined);
});

test('readers racing a writer always see one whole record', async () => {
  const vault = new Vault(osKeychainStore({ maxItemBytes: WINDOWS_MAX_ITEM_BYTES }));
  const name = `race-${process.pid}`;
  await vault.write(name, bigRecord('w0'));
  const seen = new Set<string>();
  let writing = true;
  const writer = (async () => {
    for (let i = 1; i <= 15; i++) await vault.write(name, bigRecord(`w${i}`));
    writing = false;
  })();
  while (writing) {
    const r = await vault.read(name);
    assert.equal(r.idp?.refreshToken?.slice(3), r.s3?.accessKeyId?.slice(2), 'fields from one generation');
    seen.add(r.s3!.accessKeyId);
  }
  await writer;
  assert.ok(seen.size >= 1);
  await vault.remove(name);
});

test('a split write sweeps chunk items a crashed write left behind', async () => {
  const store = osKeychainStore({ maxItemBytes: WINDOWS_MAX_ITEM_BYTES });
  const vault = new Vault(store);
  const name = `sweep-${process.pid}`;
  await vault.write(name, bigRecord('one'));
  await store.set(`${name}#deadbeef.0`, 'fragment of a write that died');
  await vault.write(name, bigRecord('two'));
  assert.equal(await store.get(`${name}#deadbeef.0`), null);
  assert.equal((await store.list!(`${name}#`))?.length, JSON.parse((await store.get(name))!).lakekeyChunks);
  assert.equal((await vault.read(name)).s3?.accessKeyId, 'AKtwo');
  await vault.remove(name);
});
