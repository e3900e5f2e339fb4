// composeCore: the ports it builds carry what the environment says (limits, proxies), and the
// clock it is given is the one the locks wait on.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { composeCore } from '../../../main/core/compose.js';
import { LakekeyError } from '../../../main/core/errors.js';
import { limitsFromEnv } from '../../../main/core/config/env-limits.js';
import { silentLogger } from '../../../main/core/log.js';
import { Vault } from '../../../main/core/keychain/vault.js';
import { MemoryStore } from '../../helpers/memory-store.js';

const base = () => ({ dir: join(mkdtempSync(join(tmpdir(), 'lakekey-compose-')), 'cfg'), log: silentLogger, vault: new Vault(new MemoryStore()) });

test('limits come from the environment once; unset or nonsense values fall back to the defaults', () => {
  const defaults = { httpTimeoutMs: 10_000, earlyRenewalTimeoutMs: 2_000, renewalCooldownMs: 60_000 };
  assert.deepEqual(limitsFromEnv({}), defaults);
  assert.deepEqual(limitsFromEnv({ LAKEKEY_HTTP_TIMEOUT_SECONDS: 'soon', LAKEKEY_KEYCHAIN_TIMEOUT_MS: '-3', LAKEKEY_RENEWAL_COOLDOWN_SECONDS: '0' }), defaults);
  assert.deepEqual(
    limitsFromEnv({
      LAKEKEY_HTTP_TIMEOUT_SECONDS: '3',
      LAKEKEY_EARLY_RENEWAL_TIMEOUT_SECONDS: '0.5',
      LAKEKEY_RENEWAL_COOLDOWN_SECONDS: '5',
      LAKEKEY_KEYCHAIN_TIMEOUT_MS: '700',
      LAKEKEY_KEYCHAIN_BUSY_TIMEOUT_MS: '9000',
      LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES: '2560',
    }),
    {
      httpTimeoutMs: 3000,
      earlyRenewalTimeoutMs: 500,
      renewalCooldownMs: 5000,
      keychainTimeoutMs: 700,
      keychainBusyTimeoutMs: 9000,
      keychainMaxItemBytes: 2560,
    },
  );
  // The short timeout is never longer than the full one.
  assert.equal(limitsFromEnv({ LAKEKEY_HTTP_TIMEOUT_SECONDS: '1' }).earlyRenewalTimeoutMs, 1000);
});

test("the composed fetch is bounded by the environment's HTTP timeout", async () => {
  const server = createServer(() => {
    /* never answers */
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const ctx = composeCore({ LAKEKEY_HTTP_TIMEOUT_SECONDS: '1' }, base());
    assert.equal(ctx.limits.httpTimeoutMs, 1000);
    const err = await ctx.fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`).then(
      () => assert.fail('must not answer'),
      (e: unknown) => e as Error,
    );
    assert.match(String((err as { cause?: unknown }).cause ?? err), /no answer within 1 s/);
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

test("the proxy port asks the OS only when no proxy variable is set, and a variable's choice wins", async () => {
  const system = async () => 'http://pac-proxy.example:3128';
  assert.equal(await composeCore({}, { ...base(), systemProxy: system }).proxy('https://idp.example.com/'), 'http://pac-proxy.example:3128');
  assert.equal(
    await composeCore({ HTTPS_PROXY: 'http://env-proxy.example:8080' }, { ...base(), systemProxy: system }).proxy('https://idp.example.com/'),
    'http://env-proxy.example:8080',
  );
  // NO_PROXY alone is an explicit choice too: the OS is not asked.
  assert.equal(await composeCore({ NO_PROXY: 'idp.example.com' }, { ...base(), systemProxy: system }).proxy('https://idp.example.com/'), undefined);
  assert.equal(await composeCore({}, base()).proxy('https://idp.example.com/'), undefined);
});

test('the locks wait on the composed clock: once it passes the deadline, a held lock is given up on', async () => {
  // Each reading of this clock is five minutes later, so a second taker's hour-long wait is over
  // after a dozen looks; on the wall clock it would outlast the test runner's timeout.
  let t = 0;
  const ctx = composeCore({}, { ...base(), clock: { now: () => (t += 300_000) } });
  let inner: unknown;
  await ctx.locks.withLock('p', { waitMs: 10_000 }, async () => {
    inner = await ctx.locks.withLock('p', { waitMs: 3_600_000 }, async () => 'got it').catch((e: unknown) => e);
  });
  assert.ok(inner instanceof LakekeyError && inner.code === 'LOCK_TIMEOUT', String(inner));
  assert.equal(await ctx.locks.withLock('p', { waitMs: 10_000 }, async () => 'free again'), 'free again');
});
