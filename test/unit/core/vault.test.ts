// The Vault's chunking (main/core/keychain/vault.ts) against the in-memory store: a record larger
// than one item is split and reassembled, the head item (a manifest) is written last and is the
// commit, a crash at any step leaves the old record readable, and callers running at once never
// see a mix. The same Vault over the real Secret Service: test/integration/vault-secret-service.test.ts.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileLocks } from '../../../main/core/lock.js';
import type { SecretRecord } from '../../../main/core/keychain/record.js';
import { WINDOWS_MAX_ITEM_BYTES } from '../../../main/core/keychain/keychain-store.js';
import { splitUtf8, Vault } from '../../../main/core/keychain/vault.js';
import type { SecretStore } from '../../../main/core/ports.js';
import { MemoryStore } from '../../helpers/memory-store.js';

function bigRecord(tag: string): SecretRecord {
  return {
    v: 1,
    updatedAt: 1_900_000_000_000,
    idp: { subject: 'alice', refreshToken: `rt-${tag}`, idToken: `id-${tag}-${'x'.repeat(1500)}`, email: 'ä@example.com' },
    s3: { accessKeyId: `AK${tag}`, secretAccessKey: 's'.repeat(40), sessionToken: `st-${tag}-${'ü'.repeat(1800)}`, expiresAt: 1_900_000_360_000 },
  };
}

const smallRecord = (tag: string): SecretRecord => ({ v: 1, updatedAt: 1, idp: { subject: 'alice', refreshToken: `rt-${tag}` } });

interface Manifest {
  lakekeyChunks: number;
  gen: string;
}

async function manifestOf(store: MemoryStore, profile: string): Promise<Manifest> {
  const head = await store.get(profile);
  assert.ok(head?.startsWith('{"lakekeyChunks"'), `the head of ${profile} is a manifest: ${head?.slice(0, 40)}`);
  return JSON.parse(head!) as Manifest;
}

const chunksOf = (store: MemoryStore, profile: string) => [...store.items.keys()].filter((a) => a.startsWith(`${profile}#`)).sort();

test('splitUtf8 never cuts a multi-byte character', () => {
  const parts = splitUtf8('aé😀'.repeat(100), 7);
  assert.equal(parts.join(''), 'aé😀'.repeat(100));
  for (const p of parts) assert.ok(Buffer.byteLength(p) <= 7);
  assert.deepEqual(splitUtf8('', 7), ['']);
});

test('a record that fits one item is stored whole, under the profile name', async () => {
  const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES);
  const vault = new Vault(store);
  await vault.write('dev', smallRecord('one'));
  assert.deepEqual([...store.items.keys()], ['dev']);
  assert.deepEqual(JSON.parse(store.items.get('dev')!), smallRecord('one'));
  assert.deepEqual(await vault.read('dev'), smallRecord('one'));
});

test('a record larger than an item is split into chunks within the limit and read back exactly', async () => {
  const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES); // refuses any item over the limit, as Windows does
  const vault = new Vault(store);
  const record = bigRecord('one');
  assert.ok(Buffer.byteLength(JSON.stringify(record)) > 2 * WINDOWS_MAX_ITEM_BYTES, 'the record needs three items or more');
  await vault.write('dev', record);
  const m = await manifestOf(store, 'dev');
  assert.ok(m.lakekeyChunks >= 3);
  assert.deepEqual(chunksOf(store, 'dev'), Array.from({ length: m.lakekeyChunks }, (_, i) => `dev#${m.gen}.${i}`).sort());
  for (const [account, value] of store.items) assert.ok(Buffer.byteLength(value) <= WINDOWS_MAX_ITEM_BYTES, account);
  assert.deepEqual(await vault.read('dev'), record);
});

test('the head is the commit: every new chunk is written before it, the old generation deleted only after it', async () => {
  const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES);
  const vault = new Vault(store);
  await vault.write('dev', bigRecord('one'));
  const old = await manifestOf(store, 'dev');
  store.writes.length = 0;
  await vault.write('dev', bigRecord('two'));
  const now = await manifestOf(store, 'dev');
  assert.notEqual(now.gen, old.gen, 'a fresh generation');
  const head = store.writes.indexOf('set dev');
  assert.ok(head > 0, store.writes.join('\n'));
  const at = (prefix: string) => store.writes.flatMap((w, i) => (w.startsWith(prefix) ? [i] : []));
  assert.equal(at(`set dev#${now.gen}.`).length, now.lakekeyChunks);
  assert.ok(
    at(`set dev#${now.gen}.`).every((i) => i < head),
    'new chunks before the head',
  );
  assert.equal(at(`delete dev#${old.gen}.`).length, old.lakekeyChunks);
  assert.ok(
    at(`delete dev#${old.gen}.`).every((i) => i > head),
    'old chunks after the head',
  );
  assert.deepEqual(chunksOf(store, 'dev'), Array.from({ length: now.lakekeyChunks }, (_, i) => `dev#${now.gen}.${i}`).sort());
});

for (const [step, crashOn] of [
  ['the first new chunk', (account: string, oldGen: string) => account.includes('#') && !account.includes(oldGen) && account.endsWith('.0')],
  ['a later new chunk', (account: string, oldGen: string) => account.includes('#') && !account.includes(oldGen) && account.endsWith('.1')],
  ['the head', (account: string) => account === 'dev'],
] as const) {
  test(`a write that crashes at ${step} leaves the old record readable, and the next write sweeps what it left`, async () => {
    const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES);
    await new Vault(store).write('dev', bigRecord('one'));
    const old = await manifestOf(store, 'dev');
    store.failSet = (account) => crashOn(account, old.gen);
    await assert.rejects(new Vault(store).write('dev', bigRecord('two')), /crashed before writing/);
    store.failSet = undefined;
    assert.deepEqual(await new Vault(store).read('dev'), bigRecord('one'), 'the next process reads the old record');
    await new Vault(store).write('dev', bigRecord('three'));
    const now = await manifestOf(store, 'dev');
    assert.deepEqual(
      chunksOf(store, 'dev'),
      Array.from({ length: now.lakekeyChunks }, (_, i) => `dev#${now.gen}.${i}`).sort(),
      'only the live generation is left',
    );
    assert.deepEqual(await new Vault(store).read('dev'), bigRecord('three'));
  });
}

test('a store that cannot list still deletes the previous generation by name', async () => {
  const memory = new MemoryStore(WINDOWS_MAX_ITEM_BYTES);
  const store: SecretStore = { maxItemBytes: memory.maxItemBytes, get: (a) => memory.get(a), set: (a, s) => memory.set(a, s), delete: (a) => memory.delete(a) };
  const vault = new Vault(store);
  await vault.write('dev', bigRecord('one'));
  await vault.write('dev', bigRecord('two'));
  const now = await manifestOf(memory, 'dev');
  assert.deepEqual(chunksOf(memory, 'dev'), Array.from({ length: now.lakekeyChunks }, (_, i) => `dev#${now.gen}.${i}`).sort());
  await vault.write('dev', smallRecord('small again'));
  assert.deepEqual([...memory.items.keys()], ['dev'], 'a record that fits again leaves no chunks behind');
});

test('a record whose chunk is lost or altered is a damaged keychain item, with the way out', async () => {
  for (const damage of ['lost', 'altered'] as const) {
    const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES);
    const vault = new Vault(store);
    await vault.write('dev', bigRecord('one'));
    const chunk = chunksOf(store, 'dev')[1];
    if (damage === 'lost') store.items.delete(chunk);
    else store.items.set(chunk, `${store.items.get(chunk)!.slice(0, -1)}#`); // same length, one character changed
    await assert.rejects(vault.read('dev'), (err: Error & { code?: string; hint?: string }) => {
      assert.equal(err.code, 'KEYCHAIN_UNAVAILABLE', damage);
      assert.match(err.message, /keychain item for profile "dev" is damaged/);
      assert.match(err.hint ?? '', /lakekey logout dev.*lakekey login dev/);
      return true;
    });
  }
});

test('remove deletes the head and its chunks; the client secret is an item of its own', async () => {
  const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES);
  const vault = new Vault(store);
  await vault.write('dev', bigRecord('one'));
  await vault.writeClientSecret('dev', 'client secret');
  assert.equal(await vault.readClientSecret('dev'), 'client secret');
  await vault.remove('dev');
  assert.deepEqual([...store.items.keys()], ['dev/client-secret']);
  assert.equal((await vault.read('dev')).idp, undefined);
  await vault.writeClientSecret('dev', undefined);
  assert.equal(store.items.size, 0);
});

test('readers racing a writer always see one whole record', async () => {
  const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES, { interleave: true });
  const vault = new Vault(store);
  await vault.write('dev', bigRecord('w0'));
  const seen = new Set<string>();
  let writing = true;
  const writer = (async () => {
    for (let i = 1; i <= 30; i++) await vault.write('dev', bigRecord(`w${i}`));
    writing = false;
  })();
  const reader = async () => {
    while (writing) {
      const r = await new Vault(store).read('dev');
      assert.equal(r.idp?.refreshToken?.slice(3), r.s3?.accessKeyId.slice(2), 'fields from one generation');
      seen.add(r.s3!.accessKeyId);
    }
  };
  await Promise.all([writer, reader(), reader(), reader()]);
  assert.ok(seen.size > 1, `the readers saw the record change (${seen.size})`);
  assert.deepEqual(await vault.read('dev'), bigRecord('w30'));
});

test("concurrent writes to different profiles never touch each other's items (a profile named like a prefix of another included)", async () => {
  const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES, { interleave: true });
  const names = ['dev', 'dev.2', 'dev-x', 'prod', 'p'];
  for (let round = 1; round <= 4; round++) await Promise.all(names.map((n) => new Vault(store).write(n, bigRecord(`${n}-${round}`))));
  for (const n of names) {
    assert.deepEqual(await new Vault(store).read(n), bigRecord(`${n}-4`), n);
    const m = await manifestOf(store, n);
    assert.equal(chunksOf(store, n).length, m.lakekeyChunks, `${n}: only its live chunks`);
  }
});

test('writes to one profile are safe only one at a time: the profile lock the use cases hold serialises them', async () => {
  // Unserialised, two split writes sweep each other's chunks (each deletes every generation but its
  // own), so the Vault relies on its callers: login, renewal and logout write under the profile lock.
  const unlocked = new MemoryStore(WINDOWS_MAX_ITEM_BYTES, { interleave: true });
  await Promise.all(['a', 'b'].map((tag) => new Vault(unlocked).write('dev', bigRecord(tag))));
  await assert.rejects(new Vault(unlocked).read('dev'), /is damaged/, 'without the lock the record is lost (why the lock is needed)');

  const store = new MemoryStore(WINDOWS_MAX_ITEM_BYTES, { interleave: true });
  const locks = fileLocks(join(mkdtempSync(join(tmpdir(), 'lakekey-vault-')), 'cfg'));
  const tags = ['a', 'b', 'c', 'd'];
  await Promise.all(tags.map((tag) => locks.withLock('dev', { waitMs: 10_000, pollMs: 5 }, () => new Vault(store).write('dev', bigRecord(tag)))));
  const record = await new Vault(store).read('dev');
  assert.ok(
    tags.some((tag) => JSON.stringify(record) === JSON.stringify(bigRecord(tag))),
    'one whole record of those written',
  );
  const m = await manifestOf(store, 'dev');
  assert.equal(chunksOf(store, 'dev').length, m.lakekeyChunks, 'only the live chunks are left');
});
