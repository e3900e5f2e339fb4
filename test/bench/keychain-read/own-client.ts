// A bench entry, compiled by test/bench/keychain.bench.ts with bun (the flags of build:cli): reads
// one Secret Service item through lakekey's own D-Bus client, prints its secret, exits. Exit 3:
// no such item.
import { printItem } from './print-item.js';
import { secretServiceBackend } from '../../../main/core/keychain/secret-service/secret-service.js';

printItem((service, account) => secretServiceBackend(process.env).getPassword(service, account));
