// Builds the CLI's Context once: the keychain vault, the redacting logger, the browser,
// the clock and the notice channel (stderr).
import { openSync, writeSync } from 'node:fs';
import { systemBrowser } from '../core/browser.js';
import { createLogger } from '../core/log.js';
import { gate } from '../core/text-gate.js';
import type { Context } from '../core/session.js';
import { keytarStore, Vault } from '../core/vault.js';

export function compose(dir: string, env: NodeJS.ProcessEnv = process.env, vault?: Vault): Context {
  return {
    dir,
    vault: vault ?? new Vault(keytarStore()),
    log: createLogger({ dir, debug: Boolean(env.LAKEKEY_DEBUG) }),
    browser: systemBrowser(env),
    now: () => Date.now(),
    notice: (text) => process.stderr.write(gate(text) + '\n'),
    terminal: controllingTerminal(),
    askTray: async (profile, timeoutMs) => {
      const { requestLoginViaTray } = await import('../core/login-broker.js');
      return requestLoginViaTray(dir, profile, timeoutMs);
    },
  };
}

/** The controlling terminal, if this process has one (the AWS CLI captures our stderr). */
function controllingTerminal(): ((text: string) => void) | undefined {
  if (process.platform === 'win32') return undefined;
  let fd: number;
  try {
    fd = openSync('/dev/tty', 'w');
  } catch {
    return undefined;
  }
  return (text) => {
    try {
      writeSync(fd, gate(text) + '\n');
    } catch {
      /* the terminal went away */
    }
  };
}
