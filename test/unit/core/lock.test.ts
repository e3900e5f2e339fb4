import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { acquireLock, lockPath, withLock } from '../../../main/core/lock.js';

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
