// The headless composition for tests: the core's own composeCore, so every port but two is the
// production one — the real bounded fetch against real in-process peers (test/peers/idp.ts's
// oidc-provider, tiny HTTP servers a test starts), real file locks in a temp settings folder,
// the real loopback receiver. The two that differ:
// - the keychain is the in-memory SecretStore (test/helpers/memory-store.ts) — NOT the OS
//   keychain; tests of the keychain itself use the real Secret Service (test/integration, the
//   e2e suites);
// - the browser drives headless chromium in this process (test/helpers/browser.ts) through the
//   IdP's real login and consent pages, and notices are collected instead of printed.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { composeCore, type CoreOverrides } from '../../main/core/compose.js';
import { silentLogger } from '../../main/core/log.js';
import { Vault } from '../../main/core/keychain/vault.js';
import { ProfileVault } from './profile-vault.js';
import { driveLogin } from './browser.js';
import type { Context } from '../../main/core/ports.js';
import { MemoryStore } from './memory-store.js';

export interface Headless {
  ctx: Context;
  store: MemoryStore;
  /** Every notice the use cases gave the person at the keyboard. */
  notices: string[];
  /** The same keychain, read as each profile sees its record (profile-vault.ts). */
  view: ProfileVault;
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
  return { ctx, store, notices, view: new ProfileVault(store) };
}
