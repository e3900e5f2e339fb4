// A bench entry, compiled by test/bench/keychain.bench.ts with bun (the flags of build:cli): reads
// one Secret Service item through lakekey's own D-Bus client, prints its secret, exits. Exit 3:
// no such item.
import { secretServiceBackend } from '../../../main/core/keychain/secret-service/secret-service.js';

// bun's --bytecode compiles CommonJS: no top-level await.
async function main(service: string, account: string): Promise<void> {
  const value = await secretServiceBackend(process.env).getPassword(service, account);
  if (value === null) {
    process.stderr.write(`no item with service=${service} account=${account}\n`);
    process.exit(3);
  }
  process.stdout.write(value);
  process.exit(0);
}
main(process.argv[2], process.argv[3]).catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
