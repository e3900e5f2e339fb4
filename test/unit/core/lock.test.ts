import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireLock, fileLocks, lockPath, removeIfSame, withLock } from '../../../main/core/lock.js';
import type { LockHolder } from '../../../main/core/ports.js';

test('the lock excludes a second holder until released', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-lock-'));
  const order: string[] = [];
  await Promise.all([
    withLock(dir, 'p', { waitMs: 5000 }, async () => {
      order.push('a-in');
      await new Promise((r) => setTimeout(r, 150));
      order.push('a-out');
    }),
    (async () => {
      await new Promise((r) => setTimeout(r, 20));
      await withLock(dir, 'p', { waitMs: 5000 }, async () => void order.push('b-in'));
    })(),
  ]);
  assert.deepEqual(order, ['a-in', 'a-out', 'b-in']);
  assert.equal(existsSync(lockPath(dir, 'p')), false);
});

test('a lock left by a dead process is taken over at once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-lock-'));
  const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout.toString();
  mkdirSync(join(dir, 'locks'));
  writeFileSync(lockPath(dir, 'p'), JSON.stringify({ pid: Number(dead), host: hostname(), since: Date.now() }));
  const t0 = Date.now();
  const lock = await acquireLock(dir, 'p', { waitMs: 2000 });
  assert.ok(Date.now() - t0 < 1000);
  lock.release();
});

test('a live holder makes a waiter time out with LOCK_TIMEOUT', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-lock-'));
  const held = await acquireLock(dir, 'p', { waitMs: 100 });
  await assert.rejects(acquireLock(dir, 'p', { waitMs: 200 }), { code: 'LOCK_TIMEOUT' });
  held.release();
});

test('takeover removes only the lock it judged stale: a fresh lock created meanwhile survives (atomic rename + inode check)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-lock-race-'));
  const file = join(dir, 'p.lock');
  writeFileSync(file, JSON.stringify({ pid: 999999, host: 'gone', since: 0 }));
  const judged = statSync(file);
  // Between the judgement and the removal, the stale holder's file goes and a fresh lock appears.
  unlinkSync(file);
  writeFileSync(file, JSON.stringify({ pid: process.pid, host: 'here', since: Date.now() }));
  assert.equal(removeIfSame(file, judged), false, 'reports that it removed nothing');
  assert.match(readFileSync(file, 'utf8'), /"host":"here"/, 'the fresh lock is still there');
  assert.deepEqual(readdirSync(dir), ['p.lock'], 'no claim file left behind');
  // The file it judged is removed.
  const now = statSync(file);
  assert.equal(removeIfSame(file, now), true);
  assert.deepEqual(readdirSync(dir), []);
});

test('a waiter is told at once who holds the lock and what it does (a renewal that turned into a login says so); a free lock tells nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-lock-'));
  const locks = fileLocks(dir);
  const told: LockHolder[] = [];
  await locks.withLock('free', { waitMs: 1000, onWait: (h) => told.push(h) }, async () => undefined);
  assert.equal(told.length, 0, 'nobody waited');
  let release!: () => void;
  const holding = locks.withLock('p', { waitMs: 1000, purpose: 'renewal' }, async () => {
    locks.mark('p', 'login');
    await new Promise<void>((r) => (release = r));
  });
  while (!release) await new Promise((r) => setTimeout(r, 5));
  const waiter = withLock(dir, 'p', { waitMs: 10_000, onWait: (h) => told.push(h) }, async () => 'in');
  while (!told.length) await new Promise((r) => setTimeout(r, 5));
  assert.equal(told.length, 1);
  assert.deepEqual([told[0].pid, told[0].purpose], [process.pid, 'login']);
  release();
  await holding;
  assert.equal(await waiter, 'in');
  assert.equal(told.length, 1, 'told once');
});
