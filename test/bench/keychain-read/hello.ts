// A bench entry, compiled by test/bench/keychain.bench.ts with bun (the flags of build:cli): the
// runtime's floor, a bun executable that only prints.
process.stdout.write('hello\n');
