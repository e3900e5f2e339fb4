// The CLI's composition: the core's composeCore with what differs for a terminal — notices on
// stderr, the controlling terminal for instructions the AWS CLI would swallow, and the way to
// ask a running tray to run a login.
import { openSync, writeSync } from 'node:fs';
import { composeCore } from '../core/compose.js';
import { gate } from '../core/text-gate.js';
import { say } from './output.js';
import type { Vault } from '../core/keychain/vault.js';
import type { Clock, Context } from '../core/ports.js';

export function compose(dir: string, env: NodeJS.ProcessEnv = process.env, vault?: Vault, clock?: Clock): Context {
  return composeCore(env, {
    dir,
    ...(vault ? { vault } : {}),
    ...(clock ? { clock } : {}),
    notice: (text) => say(text + '\n'),
    terminal: controllingTerminal(),
    askTray: async (profile, timeoutMs) => {
      const { requestLoginViaTray } = await import('../core/login/login-broker.js');
      return requestLoginViaTray(dir, profile, timeoutMs, process.platform);
    },
  });
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
