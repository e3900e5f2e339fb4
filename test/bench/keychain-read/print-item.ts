// What both bench entries do around their one read: print the item's secret and exit 0, exit 3
// when there is no such item, exit 1 on any error. (bun's --bytecode compiles CommonJS: no top-level await.)
export function printItem(read: (service: string, account: string) => Promise<string | null>): void {
  const [service, account] = [process.argv[2], process.argv[3]];
  read(service, account)
    .then((value) => {
      if (value === null) {
        process.stderr.write(`no item with service=${service} account=${account}\n`);
        process.exit(3);
      }
      process.stdout.write(value);
      process.exit(0);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    });
}
