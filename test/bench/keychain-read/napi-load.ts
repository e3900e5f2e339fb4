// A bench entry, compiled by test/bench/keychain.bench.ts with bun (the flags of build:cli): loads
// @napi-rs/keyring's keyring.node from beside the executable and reads nothing — the addon's own
// share of (b), apart from its Secret Service round trips.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const keyring = createRequire(import.meta.url)(join(dirname(process.execPath), 'keyring.node')) as { AsyncEntry?: unknown };
process.stdout.write(typeof keyring.AsyncEntry === 'function' ? 'loaded\n' : 'no AsyncEntry\n');
