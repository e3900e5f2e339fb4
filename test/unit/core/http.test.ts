import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { isNetworkError } from '../../../main/core/errors.js';
import { fetchWithin } from '../../helpers/net.js';

test('a connection reset right after accept ends in a timeout error instead of a dropped promise', async () => {
  const server = createServer();
  server.on('connection', (socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  server.unref(); // nothing but our own timer may keep this process alive
  const t0 = Date.now();
  const err = await fetchWithin(300)(url).then(
    () => assert.fail('must not resolve'),
    (e: unknown) => e,
  );
  assert.ok(isNetworkError(err), `a network error, got ${String(err)}`);
  assert.ok(Date.now() - t0 < 2000);
  server.close();
});

/** A server that closes the connection under the first `drops` requests it reads, and answers the rest. */
async function dropping(drops: number): Promise<{ url: string; seen: () => number; close: () => void }> {
  let seen = 0;
  const server = createServer((req, res) => {
    seen++;
    if (seen <= drops) return void req.socket.destroy();
    req.resume();
    req.on('end', () => res.end(`answer ${seen}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, seen: () => seen, close: () => server.close() };
}

test('a request whose connection drops before any answer (the stale keep-alive race) is sent once more', async () => {
  const server = await dropping(1);
  try {
    const res = await fetchWithin(5000)(server.url, { method: 'POST', body: new URLSearchParams({ grant_type: 'authorization_code', code: 'c' }) });
    assert.equal(await res.text(), 'answer 2');
    assert.equal(server.seen(), 2, 'the first attempt reached the server and was dropped; the second was answered');
  } finally {
    server.close();
  }
});

test('the retry happens once: a server that always drops the connection ends in a network error after two attempts', async () => {
  const server = await dropping(Infinity);
  try {
    const err = await fetchWithin(5000)(server.url, { method: 'POST', body: 'a=b' }).then(
      () => assert.fail('must not resolve'),
      (e: unknown) => e,
    );
    assert.ok(isNetworkError(err), `a network error, got ${String(err)}`);
    assert.equal(server.seen(), 2);
  } finally {
    server.close();
  }
});

test('a body that can be read only once (a stream) is not sent again', async () => {
  const server = await dropping(1);
  try {
    const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode('a=b')), c.close()) });
    const err = await fetchWithin(5000)(server.url, { method: 'POST', body, duplex: 'half' } as RequestInit).then(
      () => assert.fail('must not resolve'),
      (e: unknown) => e,
    );
    assert.ok(isNetworkError(err), `a network error, got ${String(err)}`);
    assert.equal(server.seen(), 1);
  } finally {
    server.close();
  }
});
