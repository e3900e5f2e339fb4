// The Linux kernel keyring as a keychain (kernel-keyring.ts), against the real kernel keyring:
// this user's persistent keyring, which every process of the user shares. Each test's items are
// named under a prefix of its own (process id and a random tag), and the file removes whatever
// is left under its prefix at the end, so parallel test files and other users of this uid meet
// nothing of ours.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { LakekeyError } from '../../main/core/errors.js';
import { KERNEL_USER_KEY_MAX_BYTES, kernelMaxItemBytes } from '../../main/core/keychain/keychain-choice.js';
import { kernelError, kernelKeyringBackend } from '../../main/core/keychain/kernel-keyring.js';
import type { SecretRecord } from '../../main/core/keychain/record.js';
import { KEYCHAIN_SERVICE } from '../../main/core/keychain/keychain-store.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { REPO } from '../helpers/cli.js';

const PREFIX = `kt${process.pid}-${randomBytes(3).toString('hex')}`;
let n = 0;
const account = (what: string) => `${PREFIX}-${++n}-${what}`;
const store = osKeychainStore({ keychain: 'kernel', timeoutMs: 10_000 });

after(async () => {
  for (const a of (await store.list!(PREFIX)) ?? []) await store.delete(a);
  assert.deepEqual(await store.list!(PREFIX), [], 'nothing of this file is left in the kernel keyring');
});

/** Runs a shell script with keyctl in a session keyring of its own, as another process of this user would. */
function keyctl(script: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync('keyctl', ['session', '-', 'sh', '-c', script, 'sh', ...args], { encoding: 'utf8', env: { PATH: process.env.PATH, LC_ALL: 'C' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function record(tag: string, padBytes = 0): SecretRecord {
  return {
    v: 1,
    updatedAt: 1_700_000_000_000,
    idp: { subject: 'alice', refreshToken: `rt-${tag}`, idToken: `id-${tag}-${'x'.repeat(padBytes)}`, email: 'ä@example.com' },
    s3: { accessKeyId: `AK${tag}`, secretAccessKey: 's'.repeat(40), sessionToken: `st-${tag}`, expiresAt: 1_700_003_600_000 },
  };
}

test('round trip: a secret written is read back whole, replaced in place, and UTF-8 survives', async () => {
  const a = account('roundtrip');
  assert.equal(await store.get(a), null, 'a missing item is null');
  await store.set(a, 'first ä😀 value');
  assert.equal(await store.get(a), 'first ä😀 value');
  await store.set(a, 'second');
  assert.equal(await store.get(a), 'second');
  assert.deepEqual(await store.list!(a), [a], 'replaced, not added beside');
  assert.equal(await store.delete(a), true);
  assert.equal(await store.get(a), null);
  assert.equal(await store.delete(a), false, 'deleting what is not there says so');
});

test('items live in the persistent keyring, possessor-only, where a new process (a new SSH session) finds them', async () => {
  const a = account('where');
  await store.set(a, 'kept across sessions');
  const description = `${KEYCHAIN_SERVICE}:${a}`;
  // A process with its own session keyring, as a later login has: it reaches the item only through the persistent keyring.
  const found = keyctl('p=$(keyctl get_persistent @s) && k=$(keyctl search "$p" user "$1") && keyctl rdescribe "$k" && keyctl pipe "$k"', description);
  assert.equal(found.code, 0, found.stderr);
  const [describe, payload] = found.stdout.split('\n');
  assert.equal(payload, 'kept across sessions');
  const [type, , , perm] = describe.split(';');
  assert.equal(type, 'user');
  assert.match(perm, /^3f..0000$/, `no group or other access: ${perm}`);
  assert.equal((parseInt(perm, 16) >> 16) & 0x02, 0, 'a process of the user that does not possess it cannot read it');
  // Not in the user or session keyring: only where the persistent keyring's lifetime applies.
  assert.notEqual(keyctl('keyctl search @u user "$1"', description).code, 0);
  await store.delete(a);
  assert.notEqual(keyctl('p=$(keyctl get_persistent @s) && keyctl search "$p" user "$1"', description).code, 0, 'deleted for everyone');
});

test('list(prefix) names exactly the accounts under the prefix', async () => {
  const base = account('list');
  const names = [`${base}`, `${base}#a1b2c3d4.0`, `${base}#a1b2c3d4.1`, `${base}/client-secret`];
  for (const name of names) await store.set(name, `secret of ${name}`);
  assert.deepEqual((await store.list!(base))?.sort(), [...names].sort());
  assert.deepEqual((await store.list!(`${base}#`))?.sort(), names.slice(1, 3).sort());
  assert.deepEqual(await store.list!(`${base}-nothing`), []);
  for (const name of names) await store.delete(name);
  assert.deepEqual(await store.list!(base), []);
});

test('maxItemBytes is honest: an item that size is stored whole, one byte more is split by the vault', async () => {
  const limit = store.maxItemBytes;
  assert.equal(limit, kernelMaxItemBytes());
  assert.ok(limit <= KERNEL_USER_KEY_MAX_BYTES && limit > 4096, `${limit}`);
  assert.equal(osKeychainStore({ keychain: 'kernel', maxItemBytes: 1 << 20 }).maxItemBytes, limit, "an imposed limit never exceeds the kernel's");
  assert.equal(osKeychainStore({ keychain: 'kernel', maxItemBytes: 2560 }).maxItemBytes, 2560);
  const vault = new Vault(store);
  const name = account('limit');
  const base = Buffer.byteLength(JSON.stringify(record('L')));
  const exact = record('L', limit - base);
  assert.equal(Buffer.byteLength(JSON.stringify(exact)), limit);
  await vault.write(name, exact);
  assert.equal(Buffer.byteLength((await store.get(name)) ?? ''), limit, 'one item, no manifest');
  assert.deepEqual(await vault.read(name), exact);
  const over = record('L', limit - base + 1);
  await vault.write(name, over);
  assert.match((await store.get(name)) ?? '', /^\{"lakekeyChunks":2,/, 'split in two');
  assert.deepEqual(await vault.read(name), over);
  await vault.remove(name);
  assert.deepEqual(await store.list!(name), []);
});

test('a chunked record goes through the vault: split, reassembled, replaced, swept, removed', async () => {
  // Small items, so a record splits into several without nearing the user's key quota.
  const small = osKeychainStore({ keychain: 'kernel', timeoutMs: 10_000, maxItemBytes: 2048 });
  const vault = new Vault(small);
  const name = account('chunks');
  const one = record('one', 6000);
  await vault.write(name, one);
  const head = JSON.parse((await small.get(name))!) as { lakekeyChunks: number; gen: string };
  assert.ok(head.lakekeyChunks >= 3, `${head.lakekeyChunks} chunks`);
  assert.deepEqual(await vault.read(name), one);
  await small.set(`${name}#deadbeef.0`, 'fragment of a write that died');
  const two = record('two', 5000);
  await vault.write(name, two);
  assert.deepEqual(await vault.read(name), two);
  assert.equal(await small.get(`${name}#${head.gen}.0`), null, 'the previous generation is gone');
  assert.equal(await small.get(`${name}#deadbeef.0`), null, "a crashed write's chunk is swept");
  const now = JSON.parse((await small.get(name))!) as { lakekeyChunks: number };
  assert.equal((await small.list!(`${name}#`))?.length, now.lakekeyChunks);
  await vault.remove(name);
  assert.deepEqual(await small.list!(name), []);
  assert.equal((await vault.read(name)).idp, undefined, 'removed: an empty record');
});

test('concurrent writers: one item stays one whole value; writers of different items all land', async () => {
  const a = account('race');
  const values = Array.from({ length: 12 }, (_, i) => `writer ${i}: ${String(i).repeat(200 * (i + 1))}`);
  await Promise.all(values.map((v) => store.set(a, v)));
  const final = await store.get(a);
  assert.ok(final !== null && values.includes(final), "the last writer's whole value, never a mix");
  assert.deepEqual(await store.list!(a), [a], 'one item, not one per writer');
  const many = Array.from({ length: 12 }, (_, i) => `${a}-${i}`);
  await Promise.all(many.map((m) => store.set(m, `value of ${m}`)));
  assert.deepEqual(
    await Promise.all(many.map((m) => store.get(m))),
    many.map((m) => `value of ${m}`),
  );
  await Promise.all([a, ...many].map((m) => store.delete(m)));
});

test('readers racing a chunked writer always see one whole record', async () => {
  const vault = new Vault(osKeychainStore({ keychain: 'kernel', timeoutMs: 10_000, maxItemBytes: 2048 }));
  const name = account('readers');
  await vault.write(name, record('w0', 3000));
  let writing = true;
  const writer = (async () => {
    // Writes as a renewal makes them, a moment apart (the vault's readers retry a miss, a few times).
    for (let i = 1; i <= 8; i++) {
      await vault.write(name, record(`w${i}`, 3000));
      await new Promise((r) => setTimeout(r, 30));
    }
    writing = false;
  })();
  let reads = 0;
  while (writing) {
    const r = await vault.read(name);
    assert.equal(r.idp?.refreshToken?.slice(3), r.s3?.accessKeyId?.slice(2), 'fields from one generation');
    reads++;
  }
  await writer;
  assert.ok(reads >= 1);
  await vault.remove(name);
});

test('secrets cross to keyctl on stdin and stdout only, never in a command line', async (t) => {
  if (spawnSync('strace', ['-V']).status !== 0) assert.fail('strace is a test peer (npm run setup:test)');
  const a = account('argv');
  const secret = `argv-secret-${randomBytes(12).toString('hex')}`;
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-kr-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const script = join(dir, 'write.mjs');
  const helper = join(REPO, 'dist', 'test', 'helpers', 'os-keychain.js');
  writeFileSync(
    script,
    `const { osKeychainStore } = await import(${JSON.stringify(helper)}); const s = osKeychainStore({ keychain: 'kernel' }); await s.set(process.argv[2], process.env.SECRET); process.stdout.write(await s.get(process.argv[2]));`,
  );
  const traced = spawnSync('strace', ['-f', '-qq', '-e', 'trace=execve', '-s', '65536', process.execPath, script, a], {
    encoding: 'utf8',
    env: { ...process.env, SECRET: secret },
  });
  t.after(() => store.delete(a));
  assert.equal(traced.status, 0, traced.stderr);
  assert.equal(traced.stdout, secret, 'written and read back');
  // Every program started, with its whole command line (strace shows no environments without -v).
  const execs = traced.stderr.split('\n').filter((l) => l.includes('execve('));
  assert.ok(execs.filter((l) => l.includes('keyctl')).length >= 4, `keyctl was run for the write and the read: ${execs.join('\n')}`);
  for (const line of execs) assert.ok(!line.includes(secret), `a secret in: ${line.slice(0, 200)}`);
});

test('no keyctl: exit 4 saying to install keyutils', async () => {
  const backend = kernelKeyringBackend({ path: '/nonexistent', systemDirs: [] });
  await assert.rejects(backend.getPassword(KEYCHAIN_SERVICE, 'x'), (err: LakekeyError) => {
    assert.equal(err.exitCode, 4);
    assert.match(err.message, /keyctl command is not installed/);
    assert.match(err.hint ?? '', /apt install keyutils/);
    return true;
  });
});

test('a keyctl in the working folder is never run, whatever relative entries PATH has', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-kr-cwd-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'bin'));
  for (const file of [join(dir, 'keyctl'), join(dir, 'bin', 'keyctl')]) {
    writeFileSync(file, '#!/bin/sh\necho planted > planted\n');
    chmodSync(file, 0o755);
  }
  const cwd = process.cwd();
  process.chdir(dir);
  try {
    const backend = kernelKeyringBackend({ path: '.::bin', systemDirs: [] });
    await assert.rejects(backend.getPassword(KEYCHAIN_SERVICE, 'x'), /keyctl command is not installed/);
  } finally {
    process.chdir(cwd);
  }
  assert.equal(existsSync(join(dir, 'planted')), false);
});

test("a kernel that blocks the key calls (a container's seccomp profile): exit 4 naming the cause", async (t) => {
  // This machine's kernel allows them, so keyctl answers as it does under Docker's default profile.
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-kr-eperm-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'keyctl'), '#!/bin/sh\necho "keyctl_join_session_keyring: Operation not permitted" >&2\nexit 1\n');
  chmodSync(join(dir, 'keyctl'), 0o755);
  const backend = kernelKeyringBackend({ path: dir, systemDirs: [] });
  await assert.rejects(backend.setPassword(KEYCHAIN_SERVICE, 'x', 'secret'), (err: LakekeyError) => {
    assert.equal(err.exitCode, 4);
    assert.match(err.message, /not usable here.*Operation not permitted/);
    assert.match(err.hint ?? '', /seccomp/);
    return true;
  });
});

test("keyctl's refusals become exit 4 with the fix: quota, no persistent keyrings, anything else", () => {
  const quota = kernelError('write', 'work', 'keyctl_add: Disk quota exceeded');
  assert.equal(quota.exitCode, 4);
  assert.match(quota.message, /quota is used up/);
  assert.match(quota.hint ?? '', /maxbytes/);
  const unsupported = kernelError('read', 'work', 'keyctl_get_persistent: Operation not supported');
  assert.equal(unsupported.exitCode, 4);
  assert.match(unsupported.hint ?? '', /CONFIG_PERSISTENT_KEYRINGS/);
  const missing = kernelError('read', 'work', 'keyctl_join_session_keyring: Function not implemented');
  assert.equal(missing.exitCode, 4);
  assert.match(missing.hint ?? '', /CONFIG_KEYS, or a container/);
  const other = kernelError('read', 'work', 'keyctl_search: Bad message');
  assert.equal(other.exitCode, 4);
  assert.match(other.message, /refused to read "work" \(keyctl_search: Bad message\)/);
});

test('an item larger than a kernel key is refused with words, not sent', async () => {
  await assert.rejects(
    store.set(account('huge'), 'x'.repeat(KERNEL_USER_KEY_MAX_BYTES + 1)),
    (err: LakekeyError) => err.exitCode === 4 && /cannot hold an item/.test(err.message),
  );
});
