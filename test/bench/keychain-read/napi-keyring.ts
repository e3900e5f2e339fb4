// A bench entry, compiled by test/bench/keychain.bench.ts with bun (the flags of build:cli): reads
// one item through @napi-rs/keyring pinned to the Secret Service store (never its silent fallback
// to the kernel keyring), prints its secret, exits. Exit 3: no such item. The addon is
// keyring.node beside the executable, loaded by absolute path as the standalone build loads it
// (main/core/keychain/keyring-module.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

interface Binding {
  AsyncEntry: new (service: string, account: string, options: { linux: { store: 'secret-service' } }) => { getPassword(): Promise<string | null> };
}
const keyring = createRequire(import.meta.url)(join(dirname(process.execPath), 'keyring.node')) as Binding;

// bun's --bytecode compiles CommonJS: no top-level await.
async function main(service: string, account: string): Promise<void> {
  const value = await new keyring.AsyncEntry(service, account, { linux: { store: 'secret-service' } }).getPassword();
  if (value === null) {
    process.stderr.write(`no item with service=${service} username=${account}\n`);
    process.exit(3);
  }
  process.stdout.write(value);
  process.exit(0);
}
main(process.argv[2], process.argv[3]).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
