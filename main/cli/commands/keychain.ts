// `lakekey keychain [os|kernel]`: where secrets are kept, and the explicit choice of the Linux
// kernel keyring for a machine without a desktop (keychain-choice.ts). Choosing the kernel
// keyring checks first that it works here, so a container that blocks it, or a machine without
// keyctl, is told now rather than at the next login.
import { limitsFromEnv } from '../../core/config/env-limits.js';
import { usageError } from '../../core/errors.js';
import { chooseKeychain, KEYCHAIN_ENV, kernelKeyringMeaning, type KeychainChoice, type KeychainKind } from '../../core/keychain/keychain-choice.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import { readSettings, settingsPath } from '../../core/config/settings.js';
import { updateSettings } from '../../core/config/settings-write.js';
import { keychainBackends } from '../../core/keychain/keychain-backends.js';
import { keychainStore } from '../../core/keychain/keychain-store.js';
import type { Args } from '../args.js';
import { say, warn } from '../output.js';
import { print } from '../render.js';
import { writableSettingsDir } from './profile.js';

const NAMES: Record<KeychainKind, string> = {
  os: process.platform === 'linux' ? 'the OS keychain (the Secret Service: GNOME Keyring, KWallet)' : 'the OS keychain',
  kernel: 'the Linux kernel keyring (your persistent keyring)',
};

export async function keychainCommand(a: Args): Promise<number> {
  const wanted = a.positionals[0];
  if (wanted === undefined) return show();
  if (wanted !== 'os' && wanted !== 'kernel') {
    throw usageError(`\`lakekey keychain\` takes os or kernel, not ${JSON.stringify(wanted)}`, a.hint());
  }
  return choose(wanted);
}

function show(): number {
  const dir = checkedSettingsDir(process.env, process.platform);
  const choice = chooseKeychain(process.env, readSettings(dir).keychain, process.platform);
  print(`${choice.kind}: ${NAMES[choice.kind]}, ${source(choice, dir)}.`);
  if (choice.kind === 'kernel') print(`${kernelKeyringMeaning().replace(/^s/, 'S')}.`);
  return 0;
}

async function choose(kind: KeychainKind): Promise<number> {
  const dir = writableSettingsDir();
  // Refused where it cannot be (not Linux), before anything is checked or written.
  chooseKeychain({}, kind, process.platform);
  if (kind === 'kernel') {
    // One read through the store the CLI will use: keyctl present, the key system calls allowed,
    // the persistent keyring there. A failure is its exit 4 with the fix; nothing is saved.
    const limits = limitsFromEnv(process.env);
    const backend = keychainBackends(process.platform, process.env);
    await keychainStore({
      platform: process.platform,
      backend,
      keychain: 'kernel',
      timeoutMs: limits.keychainTimeoutMs,
      busyTimeoutMs: limits.keychainBusyTimeoutMs,
    }).get('#lakekey-probe');
  }
  const before = readSettings(dir).keychain ?? 'os';
  await updateSettings(dir, (s) => {
    if (kind === 'kernel') s.keychain = 'kernel';
    else delete s.keychain;
  });
  if (before === kind) say(`lakekey: secrets are kept in ${NAMES[kind]} already.\n`);
  else {
    say(`lakekey: secrets are now kept in ${NAMES[kind]}${kind === 'kernel' ? `: ${kernelKeyringMeaning()}` : ''}.\n`);
    say(`lakekey: sessions kept in ${NAMES[before]} stay there: log in again for each profile (\`lakekey login NAME\`; \`--device\` over SSH).\n`);
  }
  const env = process.env[KEYCHAIN_ENV];
  if (env && env !== kind) warn(`${KEYCHAIN_ENV}=${env} is set in this environment, and wins over the setting.`);
  return 0;
}

function source(choice: KeychainChoice, dir: string): string {
  if (choice.from === 'env') return `chosen by ${KEYCHAIN_ENV}=${choice.kind}`;
  if (choice.from === 'settings') return `chosen in ${settingsPath(dir)}`;
  return 'the default';
}
