// The headless composition for tests: the core's own composeCore, so every port but two is the
// production one — the real bounded fetch against real in-process peers (test/peers/idp.ts's
// oidc-provider, tiny HTTP servers a test starts), real file locks in a temp settings folder,
// the real loopback receiver. The two that differ:
// - the keychain is an in-memory SecretStore, faithful to the port (get/set/delete/list, an
//   item size limit) — NOT the OS keychain; tests of the keychain itself use the real Secret
//   Service (test/unit/core/vault.test.ts, the e2e suites);
// - the browser drives headless chromium in this process (test/helpers/browser.ts) through the
//   IdP's real login and consent pages, and notices are collected instead of printed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeCore, type CoreOverrides } from '../../main/core/compose.js';
import { silentLogger } from '../../main/core/log.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { driveLogin } from './browser.js';
import type { Context, SecretStore } from '../../main/core/ports.js';

export class MemoryStore implements SecretStore {
  readonly items = new Map<string, string>();
  constructor(readonly maxItemBytes = Infinity) {}
  async get(account: string): Promise<string | null> {
    return this.items.get(account) ?? null;
  }
  async set(account: string, secret: string): Promise<void> {
    if (Buffer.byteLength(secret) > this.maxItemBytes) throw new Error(`item ${account} is larger than ${this.maxItemBytes} bytes`);
    this.items.set(account, secret);
  }
  async delete(account: string): Promise<boolean> {
    return this.items.delete(account);
  }
  async list(prefix: string): Promise<string[]> {
    return [...this.items.keys()].filter((a) => a.startsWith(prefix));
  }
}

export interface Headless {
  ctx: Context;
  store: MemoryStore;
  /** Every notice the use cases gave the person at the keyboard. */
  notices: string[];
}

/** A composed Context in a fresh settings folder; `overrides` replace any port. */
export function composeHeadless(overrides: CoreOverrides = {}): Headless {
  const store = new MemoryStore();
  const notices: string[] = [];
  const dir = join(mkdtempSync(join(tmpdir(), 'lakekey-headless-')), 'cfg');
  // One timeout for every request (a busy machine must not trip the shorter early-renewal one;
  // the tests of that one set it).
  const env: NodeJS.ProcessEnv = { LAKEKEY_HTTP_TIMEOUT_SECONDS: '5', LAKEKEY_EARLY_RENEWAL_TIMEOUT_SECONDS: '5' };
  const ctx = composeCore(env, {
    dir,
    vault: new Vault(store),
    log: silentLogger,
    browser: { available: () => true, open: async (url) => void (await driveLogin(url)) },
    notice: (text) => void notices.push(text),
    ...overrides,
  });
  return { ctx, store, notices };
}
