// Running something as another local user (uid/gid 65534, `nobody`) from a test, wherever the
// checkout lives. The checkout may sit under a private folder (a 0700 home such as /root, or a
// `mktemp -d`), and so may the Node that runs the tests (setup's Node is under ~/.cache): the
// other uid can reach neither. So what that uid must run is first copied to a folder it can
// reach, and run from there; nothing in the checkout or the home is opened up.
//
//   import { canActAsOtherUser, reachableCli, reachableCopy, reachableNode, runAsOtherUser } from '../helpers/other-user.js';
//
//   if (!canActAsOtherUser(t)) return;                   // not root: fails in CI, skips elsewhere
//   await runAsOtherUser(reachableCli(), ['profile', 'list'], { env });     // the `lakekey` executable
//   const [hijacker] = reachableCopy([join(REPO, 'dist/test/helpers/hijacker.js'), join(REPO, 'dist/test/helpers/is-main.js')]);
//   await runAsOtherUser(reachableNode(), [hijacker, 'steal', dir]);    // a script, on the tests' Node
//
// reachableCopy copies files side by side into one folder (by base name), so a script's
// `./sibling.js` imports keep working when the siblings are copied with it; the folder holds a
// package.json saying `"type": "module"`, as the checkout's does, so the copied .js files stay
// ES modules. The folder (root-owned, 0755 under /tmp, files 0755 or 0644: readable, never
// writable, by the other uid) is made once per test process and removed when it exits.
// Everything runs under setpriv with the other uid's own ids and no supplementary groups.
//
// Why copy even the executable: setpriv (util-linux 2.38) still holds root's capabilities when
// it execs, so an unreachable command may well start, and then fail on whatever it opens by
// path: a script, or the CLI's own path (configure-aws resolves it to write into the AWS
// config). A copy the other uid can reach fails neither way, whatever starts it.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { TestContext } from 'node:test';
import { CLI, run, type CliResult, type RunOptions } from './cli.js';

/** uid and gid of `nobody`: the other local user. */
export const OTHER_UID = 65534;
/** setpriv's options to become the other user (put before the command). */
export const AS_OTHER_USER = [`--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups'];

let folder: string | undefined;
/** Copies made so far in this process: original path → copy. */
const copies = new Map<string, string>();

function reachableFolder(): string {
  if (folder) return folder;
  // /tmp itself, not os.tmpdir(): TMPDIR may point into a private home too.
  const dir = mkdtempSync(join('/tmp', 'lakekey-other-user-'));
  chmodSync(dir, 0o755);
  writeFileSync(join(dir, 'package.json'), '{ "type": "module" }\n', { mode: 0o644 });
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  folder = dir;
  return dir;
}

/**
 * Copies of `paths` (files) the other user can read and run, in the order given. Executables
 * stay executable. Copied once per process; a base name already taken by another file throws.
 */
export function reachableCopy(paths: string[]): string[] {
  const dir = reachableFolder();
  return paths.map((path) => {
    const known = copies.get(path);
    if (known) return known;
    const name = basename(path);
    if (name === 'package.json' || [...copies.values()].some((c) => basename(c) === name)) {
      throw new Error(`reachableCopy: ${name} is already taken in ${dir}; copy ${path} under another name`);
    }
    const copy = join(dir, name);
    copyFileSync(path, copy);
    chmodSync(copy, statSync(path).mode & 0o111 ? 0o755 : 0o644);
    copies.set(path, copy);
    return copy;
  });
}

/** The Node running the tests, copied where the other user can run it. */
export function reachableNode(): string {
  return reachableCopy([process.execPath])[0]!;
}

/** The standalone `lakekey` executable (dist/cli), copied where the other user can run it. */
export function reachableCli(): string {
  return reachableCopy([CLI])[0]!;
}

/** `cmd args` as the other user (setpriv). `cmd` must be reachable by it: see reachableCopy. */
export function runAsOtherUser(cmd: string, args: string[], opts: RunOptions = {}): Promise<CliResult> {
  return run('setpriv', [...AS_OTHER_USER, '--', cmd, ...args], opts);
}

/**
 * Whether this process can act as another user (only root can switch users). When it cannot,
 * the test fails in CI (which runs as root, so a skip there would hide a lost test) and is
 * skipped elsewhere: `if (!canActAsOtherUser(t)) return;`.
 */
export function canActAsOtherUser(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI) assert.fail('this test needs root to act as another local user (setpriv)');
  t.skip('needs root to act as another local user');
  return false;
}
