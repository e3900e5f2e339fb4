// The suite wherever the checkout lives (security issue 19, item 6). CI may clone into any
// folder, and a user may clone under a private (0700) home; the tests that act as another local
// user (uid 65534) must still pass there, though that user can reach neither the checkout nor
// the Node under ~/.cache, and so must those that run as root without its file-mode override.
// This builds the case (a built checkout under a fresh 0700 folder) and runs those tests from it
// with the checkout's own runner.
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO, run } from '../helpers/cli.js';
import { canActAsOtherUser, runAsOtherUser } from '../helpers/other-user.js';

// The tests that run something under setpriv, by file (as run-tests.mjs selects files: a path
// substring) and name. cli-ux's runs the CLI as the other user; faults' two run it as root
// without the capabilities that override file modes (root still owns the checkout, so they need
// no copy, and they are here to keep it so). Only these cases run (run-tests passes
// --test-name-pattern on): a few seconds, where cli-ux and faults whole take ~30 s and minutes.
// login-hijack's other-user case belongs here too once that test runs its attacker through
// ../helpers/other-user.ts (its whole file takes ~65 s).
const SETPRIV_TESTS = [
  { file: 'dist/test/e2e/cli-ux.test.js', names: ['an unwritable settings folder and ~/.aws (EACCES)'] },
  {
    file: 'dist/test/reliability/faults.test.js',
    names: [
      'settings file unreadable (mode 000, run without the root override capabilities)',
      'lock folder unwritable (mode 000 folder, run without the root override capabilities)',
    ],
  },
  {
    file: 'dist/test/security/login-hijack.test.js',
    names: ["another local user (uid 65534) sees only an unreadable page on the browser's command line, is refused outright and cannot stop the login"],
  },
];
const NAMES = SETPRIV_TESTS.flatMap((f) => f.names);

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

test('from a built checkout under a 0700 folder, the tests that use setpriv pass', async (t) => {
  if (!canActAsOtherUser(t)) return;
  // mkdtemp makes the folder 0700 and root's: what a clone under /root or a `mktemp -d` meets.
  const priv = mkdtempSync(join(tmpdir(), 'lakekey-private-'));
  try {
    assert.equal(statSync(priv).mode & 0o777, 0o700);
    const checkout = join(priv, 'lakekey');
    mkdirSync(checkout);
    // What a fresh clone holds once built, as far as running the tests goes: its runner, its
    // package.json ("type": "module") and the built dist/ (tests and the `lakekey` executable),
    // copied so that they are reachable only through the private folder. node_modules is a link
    // to this checkout's: nothing the other user runs comes from it, and the Node that runs the
    // tests (setup's, under ~/.cache) is already out of that user's reach.
    for (const entry of ['package.json', 'scripts', 'dist']) cpSync(join(REPO, entry), join(checkout, entry), { recursive: true });
    symlinkSync(join(REPO, 'node_modules'), join(checkout, 'node_modules'));
    const cli = join(checkout, 'dist', 'cli', 'lakekey');
    const reach = await runAsOtherUser('/usr/bin/test', ['-x', cli]);
    assert.equal(reach.code, 1, 'the other user cannot reach the private checkout (else this test proves nothing)');

    const env = { ...process.env };
    // `node --test` tells this file it is its child (NODE_TEST_CONTEXT), and the inner runner's
    // own `node --test` runs would inherit that and report to us instead of running their files.
    // LAKEKEY_REPO goes too: the inner runner names its own checkout.
    delete env.NODE_TEST_CONTEXT;
    delete env.LAKEKEY_REPO;
    const args = [...SETPRIV_TESTS.map((f) => f.file), ...NAMES.map((n) => `--test-name-pattern=^${escape(n)}$`)];
    const r = await run(process.execPath, [join(checkout, 'scripts', 'run-tests.mjs'), ...args], { env, timeoutMs: 5 * 60_000 });
    const out = `${r.stdout}\n${r.stderr}`;
    const totals = /^(\d+) passed, (\d+) failed, (\d+) skipped$/m.exec(r.stdout);
    assert.ok(totals, `run-tests ended without its totals line:\n${out}`);
    const [passed, failed, skipped] = totals.slice(1).map(Number);
    // Each case ran and passed (a renamed case would match nothing and pass vacuously).
    assert.ok(failed === 0 && skipped === 0 && passed === NAMES.length, `from ${checkout}: ${totals[0]}\n${out}`);
    assert.equal(r.code, 0, out);
    for (const n of NAMES) assert.match(r.stdout, new RegExp(`^\\s*ok \\d+ - ${escape(n)}$`, 'm'));
  } finally {
    rmSync(priv, { recursive: true, force: true });
  }
});
