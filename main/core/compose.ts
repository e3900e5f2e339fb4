// The one composition root of the core: both hosts (CLI: main/cli/compose.ts, tray:
// main/app/main.ts) and the headless tests (test/helpers/compose-headless.ts) build their
// Context here, each passing only what differs for them.
import { systemBrowser } from './login/browser.js';
import { limitsFromEnv } from './config/env-limits.js';
import { chosenKeychain } from './keychain/keychain-choice.js';
import { keychainVault } from './keychain/keychain-vault.js';
import { boundedFetch } from './net/http.js';
import { fileLocks } from './lock.js';
import { createLogger } from './log.js';
import { startLoopback } from './login/loopback.js';
import { settingsDir } from './config/paths.js';
import { proxyResolver } from './net/proxy.js';
import { registerSecret } from './redact.js';
import { readSettings } from './config/settings.js';
import type { Clock, Context, Ports, SystemProxyResolver } from './ports.js';

/** The wall clock: the one place the core reads it. */
export const systemClock: Clock = { now: () => Date.now() };

export interface CoreOverrides extends Partial<Omit<Context, keyof Ports>>, Partial<Ports> {
  /** The OS's proxy answer (the tray: Electron's resolveProxy); proxy variables still win. */
  systemProxy?: SystemProxyResolver;
}

export function composeCore(env: NodeJS.ProcessEnv, o: CoreOverrides = {}): Context {
  const dir = o.dir ?? settingsDir(env);
  const clock = o.clock ?? systemClock;
  const limits = o.limits ?? limitsFromEnv(env);
  const proxy = o.proxy ?? proxyResolver(env, o.systemProxy);
  const log = o.log ?? createLogger({ dir, debug: Boolean(env.LAKEKEY_DEBUG) });
  // The keychain (LAKEKEY_KEYCHAIN, else the settings' "keychain"), decided at its first use.
  const vault = o.vault ?? keychainVault(limits, () => chosenKeychain(env, readSettings(dir).keychain));
  const ctx: Context = {
    dir,
    vault,
    log,
    browser: o.browser ?? systemBrowser(env),
    notice: o.notice ?? ((text) => log.info('notice', { text })),
    clock,
    limits,
    proxy,
    fetch: o.fetch ?? boundedFetch(limits.httpTimeoutMs, proxy),
    locks: o.locks ?? fileLocks(dir, () => clock.now()),
    loopback: o.loopback ?? startLoopback,
    secrets: o.secrets ?? { register: registerSecret },
  };
  if (o.terminal) ctx.terminal = o.terminal;
  if (o.askTray) ctx.askTray = o.askTray;
  return ctx;
}
