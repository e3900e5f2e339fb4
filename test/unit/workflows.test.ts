// .github/workflows/*.yml, linted by actionlint (built by `npm run setup:test` from the Go module
// proxy) with shellcheck for every `run:` script: any finding fails, with actionlint's report.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';

const ACTIONLINT_VERSION = 'v1.7.12'; // keep in sync with scripts/setup-test.sh
const cache = process.env.LAKEKEY_TEST_CACHE ?? join(homedir(), '.cache', 'lakekey-test');
const ACTIONLINT = join(cache, `actionlint-${ACTIONLINT_VERSION}`, 'actionlint');
const dir = join(REPO, '.github', 'workflows');

test('actionlint (with shellcheck) finds nothing in .github/workflows', () => {
  assert.ok(existsSync(ACTIONLINT), `${ACTIONLINT} is missing: run \`npm run setup:test\``);
  const shellcheck = spawnSync('sh', ['-c', 'command -v shellcheck']).stdout.toString().trim();
  assert.ok(shellcheck, 'shellcheck is missing: run `npm run setup:test` (it installs the Debian package)');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.yml'))
    .map((f) => join(dir, f));
  assert.ok(files.length > 0, 'no workflow to lint');
  const r = spawnSync(ACTIONLINT, ['-shellcheck', shellcheck, ...files], { cwd: REPO, encoding: 'utf8' });
  assert.equal(r.status, 0, `actionlint found problems:\n${r.stdout}${r.stderr}`);
});

test('actionlint does report a broken workflow (so the check above is live)', () => {
  assert.ok(existsSync(ACTIONLINT), `${ACTIONLINT} is missing: run \`npm run setup:test\``);
  const r = spawnSync(ACTIONLINT, ['-'], {
    input: 'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ github.nope }}\n',
    encoding: 'utf8',
  });
  assert.equal(r.status, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /nope/);
});
