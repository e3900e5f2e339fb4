// Run under bun (by test/integration/peer-uid.test.ts): asks the kernel over netlink who owns
// each client socket named on the command line (`clientPort:serverPort`…) and prints the answers
// as one JSON array, `null` where the netlink lookup gave none (and lakekey would read the table).
import { sockDiagLookup, type BunFfi } from '../../main/core/net/sock-diag.js';

const ffi = process.versions.bun ? ((process as unknown as { getBuiltinModule(id: string): unknown }).getBuiltinModule('bun:ffi') as BunFfi) : undefined;
const lookup = ffi && sockDiagLookup(ffi);
if (!lookup) {
  process.stderr.write('peer-probe: the netlink lookup is not available here (not bun on glibc Linux)\n');
  process.exit(3);
}
const answers = process.argv.slice(2).map((pair) => {
  const [client, server] = pair.split(':').map(Number);
  return lookup(client!, server!) ?? null;
});
process.stdout.write(JSON.stringify(answers) + '\n');
