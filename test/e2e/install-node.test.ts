// A supported Node for development and the tests (package.json `engines`): where the system's is
// older, `npm run setup` provides Node 24 and links it as node_modules/.bin/node, which npm puts
// first on PATH for every script. So the runner, everything it spawns with process.execPath,
// and any `node` a test or script starts by name, run on it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, run } from '../helpers/cli.js';

const major = (version: string) => Number(/^v?(\d+)\./.exec(version)?.[1]);
const FIX = 'run `npm run setup` (it links Node 24 as node_modules/.bin/node) and start the tests with `npm test`';

test('the suite runs on Node 22 or later', () => {
  assert.ok(major(process.version) >= 22, `the tests run on Node ${process.version}: ${FIX}`);
});

test('a `node` started by name from the suite is Node 22 or later too', async () => {
  const r = await run('node', ['-p', 'process.version']);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(major(r.stdout) >= 22, `\`node\` on PATH is ${r.stdout.trim()}: ${FIX}`);
});

test('engines says which Node, and the package lock agrees', () => {
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8'));
  assert.equal(pkg.engines.node, '^22.13.0 || >=24');
  assert.deepEqual(lock.packages[''].engines, pkg.engines);
});
