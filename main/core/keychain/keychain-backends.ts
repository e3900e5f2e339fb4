// Which program keeps the secrets of each keychain kind on this platform: the one place that picks
// a keychain backend (composeCore and the credential-process hot path build their store with it).
// "os" — Linux: the Secret Service over D-Bus (secret-service/, imported nowhere else); macOS and
// Windows: @napi-rs/keyring. "kernel" — the Linux kernel keyring (kernel-keyring.ts). Each is
// loaded only when first used, once per process.
import { LakekeyError, errorText } from '../errors.js';
import type { KeychainBackend } from '../ports.js';
import type { KeychainKind } from './keychain-choice.js';
import { keyringBackend } from './keyring-module.js';

export function keychainBackends(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): (kind: KeychainKind) => Promise<KeychainBackend> {
  const loaded = new Map<KeychainKind, Promise<KeychainBackend>>();
  return (kind) => {
    let backend = loaded.get(kind);
    if (!backend) {
      backend =
        kind === 'kernel'
          ? import('./kernel-keyring.js').then((m) => m.kernelKeyringBackend({ path: env.PATH ?? '' }))
          : platform === 'linux'
            ? import('./secret-service/secret-service.js').then((m) => m.secretServiceBackend(env))
            : keyringBackend(platform).catch((err: unknown) => {
                throw new LakekeyError('KEYCHAIN_UNAVAILABLE', `the keychain module could not be loaded: ${errorText(err)}`, {
                  hint: 'Reinstall lakekey: keyring.node must sit beside the lakekey executable (or @napi-rs/keyring be installed for this platform).',
                  cause: err,
                });
              });
      loaded.set(kind, backend);
    }
    return backend;
  };
}
