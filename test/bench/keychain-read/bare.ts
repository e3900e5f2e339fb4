// A bench entry (test/bench/credential-process.bench.ts): the barest bun executable, compiled with
// build:cli's flags, that writes its line straight to fd 1 as lakekey's cache hit does — without
// the process.stdout stream, whose creation alone costs a bun executable a few milliseconds.
import { writeSync } from 'node:fs';

writeSync(1, 'hello\n');
