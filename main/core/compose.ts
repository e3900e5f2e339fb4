// The one composition root of the core: both hosts (CLI: main/cli/compose.ts, tray:
// main/app/main.ts) and the headless tests (test/helpers/compose-headless.ts) build their
// Context here, each passing only what differs for them. The only module of the core that reads
// the environment or the platform (lint-enforced): it picks the adapters behind each port — the
// keychain backend (keychain-backends.ts), the browser, the loopback receiver and its uid check,
// file locks, the logger, the bounded fetch and the proxy resolver — and hands the rest of the
// core their settings as values.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { systemBrowser } from './login/browser.js';
import { detectWsl, type WslInfo } from './login/wsl.js';
import { limitsFromEnv } from './config/env-limits.js';
import { chosenKeychain } from './keychain/keychain-choice.js';
import { keychainVault } from './keychain/keychain-vault.js';
import { boundedFetch } from './net/http.js';
import { systemClock } from './clock.js';
import { armFault } from './fault.js';
import { fileLocks } from './lock.js';
import { fileRenewalFailures } from './renewal-failures.js';
import { createLogger } from './log.js';
import { startLoopback } from './login/loopback.js';
import { kernelPeer } from './net/peer-uid.js';
import type { BunFfi } from './net/sock-diag.js';
import { settingsDir } from './config/paths.js';
import { proxyResolver } from './net/proxy.js';
import { registerSecret } from './redact.js';
import { readSettings } from './config/settings.js';
import type { Context, Ports, SystemProxyResolver } from './ports.js';

export interface CoreOverrides extends Partial<Omit<Context, keyof Ports>>, Partial<Ports> {
  /** The OS's proxy answer (the tray: Electron's resolveProxy); proxy variables still win. */
  systemProxy?: SystemProxyResolver;
}

export function composeCore(env: NodeJS.ProcessEnv, o: CoreOverrides = {}): Context {
  const platform = process.platform;
  armFault(env.LAKEKEY_FAULT);
  // The AWS SDK warns on stderr about Node versions it will drop; credential_process output stays ours.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dir = o.dir ?? settingsDir(env, platform);
  const clock = o.clock ?? systemClock;
  const limits = o.limits ?? limitsFromEnv(env);
  const proxy = o.proxy ?? proxyResolver(env, o.systemProxy);
  const log = o.log ?? createLogger({ dir, debug: Boolean(env.LAKEKEY_DEBUG) });
  // The keychain (LAKEKEY_KEYCHAIN, else the settings' "keychain"), decided at its first use.
  const vault = o.vault ?? keychainVault(limits, () => chosenKeychain(env, readSettings(dir).keychain, platform), { platform, env });
  const ctx: Context = {
    dir,
    vault,
    log,
    browser: o.browser ?? systemBrowser(env, platform, () => wsl(env, platform)),
    notice: o.notice ?? ((text) => log.info('notice', { text })),
    clock,
    limits,
    proxy,
    fetch: o.fetch ?? boundedFetch(limits.httpTimeoutMs, proxy),
    locks: o.locks ?? fileLocks(dir, () => clock.now()),
    failures: o.failures ?? fileRenewalFailures(dir),
    loopback: o.loopback ?? startLoopback,
    peer: o.peer ?? kernelPeer(platform, bunFfi),
    secrets: o.secrets ?? { register: registerSecret },
    profiles: o.profiles ?? (() => readSettings(dir).profiles),
  };
  if (o.terminal) ctx.terminal = o.terminal;
  if (o.askTray) ctx.askTray = o.askTray;
  return ctx;
}

let wslFacts: { info: WslInfo | undefined } | undefined;

/** WSL, read once (only when a browser is about to open, or doctor asks): never on the hot path. */
export function wsl(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): WslInfo | undefined {
  if (platform !== 'linux') return undefined;
  if (!wslFacts) {
    let procVersion: string | undefined;
    try {
      procVersion = readFileSync('/proc/version', 'utf8');
    } catch {
      /* not Linux's /proc */
    }
    const interop = existsSync('/proc/sys/fs/binfmt_misc/WSLInterop') || existsSync('/proc/sys/fs/binfmt_misc/WSLInterop-late');
    wslFacts = { info: detectWsl({ env, ...(procVersion === undefined ? {} : { procVersion }), interop }) };
  }
  return wslFacts.info;
}

/**
 * For doctor: WSL, and the Windows user's .wslconfig (found through %USERPROFILE%, asked of
 * Windows with `wslvar`, else `cmd.exe`, bounded to 3 s each, and converted with `wslpath -u`).
 */
export async function wslNetwork(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): Promise<{ info: WslInfo; wslconfig: { path: string; text?: string; problem?: string } } | undefined> {
  const info = wsl(env, platform);
  if (!info) return undefined;
  const ask = (cmd: string, args: string[]) =>
    new Promise<string>((resolve) =>
      execFile(cmd, args, { timeout: 3000, encoding: 'utf8', windowsHide: true }, (err, out) => resolve(err ? '' : out.trim().replace(/\r/g, ''))),
    );
  const windowsHome = info.interop ? (await ask('wslvar', ['USERPROFILE'])) || (await ask('cmd.exe', ['/d', '/c', 'echo %USERPROFILE%'])) : '';
  const home = windowsHome && !windowsHome.includes('%') ? await ask('wslpath', ['-u', windowsHome]) : '';
  if (!home) return { info, wslconfig: { path: '.wslconfig', problem: "could not find the Windows user's folder to read .wslconfig" } };
  const path = join(home, '.wslconfig');
  try {
    return { info, wslconfig: { path, text: readFileSync(path, 'utf8') } };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return { info, wslconfig: code === 'ENOENT' ? { path } : { path, problem: `could not read ${path} (${code ?? 'error'})` } };
  }
}

/** bun:ffi when running under bun (the `lakekey` executable); Node has no such module. */
function bunFfi(): BunFfi | undefined {
  if (!process.versions.bun) return undefined;
  // Bun's builtins are reachable synchronously this way (an `import` of bun:ffi would not compile for Node).
  const builtin = (process as unknown as { getBuiltinModule?(id: string): unknown }).getBuiltinModule;
  return builtin?.('bun:ffi') as BunFfi | undefined;
}
