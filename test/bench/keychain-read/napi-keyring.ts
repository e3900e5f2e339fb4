// A bench entry, compiled by test/bench/keychain.bench.ts with bun (the flags of build:cli): reads
// one item through @napi-rs/keyring pinned to the Secret Service store (never its silent fallback
// to the kernel keyring), prints its secret, exits. Exit 3: no such item. The addon is
// keyring.node beside the executable, loaded by absolute path as the standalone build loads it
// (main/core/keychain/keyring-module.ts).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { printItem } from './print-item.js';

interface Binding {
  AsyncEntry: new (service: string, account: string, options: { linux: { store: 'secret-service' } }) => { getPassword(): Promise<string | null> };
}
const keyring = createRequire(import.meta.url)(join(dirname(process.execPath), 'keyring.node')) as Binding;

printItem((service, account) => new keyring.AsyncEntry(service, account, { linux: { store: 'secret-service' } }).getPassword());
