import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { boundedFetch } from '../../../main/core/http.js';
import { isNetworkError } from '../../../main/core/errors.js';

test('a connection reset right after accept ends in a timeout error instead of a dropped promise', async () => {
  const server = createServer();
  server.on('connection', (socket) => socket.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  server.unref(); // nothing but our own timer may keep this process alive
  const t0 = Date.now();
  const err = await boundedFetch(300)(url).then(
    () => assert.fail('must not resolve'),
    (e: unknown) => e,
  );
  assert.ok(isNetworkError(err), `a network error, got ${String(err)}`);
  assert.ok(Date.now() - t0 < 2000);
  server.close();
});
