// Runs the test suite (or the bench). Every test file runs in a world of its own: a private
// D-Bus session with its own unlocked gnome-keyring and its own temporary HOME, so files can run
// side by side (`LAKEKEY_TEST_JOBS`, default: the CPU count, at most 3) without sharing a keychain,
// a lakectl cache or a keyring daemon another file stops on purpose. Tests use the real Secret
// Service without touching the user's keychain. A missing test peer is a failure, never a skip.
//
//   node scripts/run-tests.mjs [substring...]   files whose path contains a substring (default: all)
//     --test-name-pattern=RE                    (repeatable) only the tests whose name matches, as with node --test
//   node scripts/run-tests.mjs --bench [word]   the benchmarks (whose path contains a word), one after another,
//                                               each in its own world, output as it comes
//
// Each file's report is printed whole when the file ends (so parallel files never interleave),
// and the run ends with one line: `N passed, N failed, N skipped`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { clearTimeout, setTimeout } from 'node:timers';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
// Run straight from a shell on a system Node older than 22, re-run on the Node setup provides
// (node_modules/.bin/node, what npm scripts use): the keychain addon is built for that one.
const localNode = join(root, 'node_modules', '.bin', 'node');
if (Number(process.versions.node.split('.')[0]) < 22 && existsSync(localNode)) {
  process.exit(spawnSync(localNode, process.argv.slice(1), { stdio: 'inherit' }).status ?? 1);
}
const bench = process.argv.includes('--bench');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const namePatterns = process.argv.slice(2).filter((a) => a.startsWith('--test-name-pattern='));
const cache = process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test');
/** A file still running after this is killed and counted as failed (a hung peer must not hang CI). */
// A file that runs past this is killed; `npm run test:long` holds hour-long runs, so it gets longer.
const FILE_DEADLINE_MS = Number(process.env.LAKEKEY_TEST_FILE_DEADLINE_MS) || (process.env.LAKEKEY_LONG === '1' ? 90 : 20) * 60_000;

const required = ['dbus-run-session', 'gnome-keyring-daemon', 'keyctl', '/usr/bin/chromium', '/usr/bin/aws', '/usr/bin/python3'];
const missing = required.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length) {
  console.error(`missing test peers: ${missing.join(', ')} — run \`npm run setup:test\` first.`);
  process.exit(1);
}

function findTests(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? findTests(join(dir, e.name)) : e.name.endsWith(bench ? '.bench.js' : '.test.js') ? [join(dir, e.name)] : [],
  );
}
let files = findTests(join(root, 'dist', 'test')).sort();
// test/long/ (Keycloak: minutes of JVM start) runs only under `npm run test:long`.
if (process.env.LAKEKEY_LONG !== '1') files = files.filter((f) => !f.includes(`${join('dist', 'test', 'long')}/`));
if (only.length) files = files.filter((f) => only.some((o) => f.includes(o)));
if (!files.length) {
  console.error('no test files found under dist/test — did the build run?');
  process.exit(1);
}

const baseEnv = {
  ...process.env,
  LAKEKEY_TEST_CACHE: cache,
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  LAKEKEY_REPO: root,
};
delete baseEnv.DBUS_SESSION_BUS_ADDRESS;
delete baseEnv.DISPLAY;
delete baseEnv.WAYLAND_DISPLAY;
// Inside the file's own D-Bus session: start and unlock its keyring, wait (up to 10 s) until it
// owns org.freedesktop.secrets on the bus (it registers a moment after it returns, and a call
// in that moment would meet D-Bus activation instead), then run node.
const secretsOwned =
  'i=0; until dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; do i=$((i+1)); [ $i -gt 200 ] && break; sleep 0.05; done';
const inner = `eval "$(printf lakekey-test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null && ${secretsOwned}; exec "$0" "$@"`;

/** A fresh HOME with the folders the peers expect; removed when its file ends. */
function freshHome() {
  const home = mkdtempSync(join(tmpdir(), 'lakekey-test-home-'));
  for (const d of ['.cache', '.local/share/keyrings', '.config']) mkdirSync(join(home, d), { recursive: true });
  return home;
}

if (bench) {
  // One after another (a bench shares the machine with nothing of ours), each in its own world:
  // `node a.js b.js` would run a.js alone.
  const failed = [];
  for (const file of files) {
    const home = freshHome();
    const env = { ...baseEnv, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
    console.log(`# ${relative(join(root, 'dist', 'test'), file)}`);
    const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', inner, process.execPath, file], { stdio: 'inherit', env, cwd: root });
    rmSync(home, { recursive: true, force: true });
    if (result.status !== 0) failed.push(`${relative(join(root, 'dist', 'test'), file)} (${result.status ?? result.signal})`);
  }
  if (failed.length) console.error(`failed: ${failed.join(', ')}`);
  process.exit(failed.length ? 1 : 0);
}

// Longest files first, from the last run's timings (a fresh machine falls back to file size), so
// the slow ones never start last and the run ends when the longest file does.
const timingsFile = join(cache, 'test-durations.json');
let timings = {};
try {
  timings = JSON.parse(readFileSync(timingsFile, 'utf8'));
} catch {
  /* first run on this machine */
}
const key = (f) => relative(join(root, 'dist', 'test'), f);
const weight = (f) => timings[key(f)] ?? statSync(f).size;
files.sort((a, b) => weight(b) - weight(a));

const jobs = Math.max(1, Number(process.env.LAKEKEY_TEST_JOBS) || Math.min(availableParallelism(), 3));
const color = process.stdout.isTTY;
const totals = { pass: 0, fail: 0, skipped: 0 };
const failedFiles = [];
const t0 = Date.now();
let next = 0;

/** Runs one test file in its own D-Bus session, keyring and HOME; resolves with its counts. */
function runFile(file) {
  return new Promise((done) => {
    const home = freshHome();
    const tapFile = join(home, 'report.tap');
    const env = { ...baseEnv, HOME: home, XDG_CONFIG_HOME: join(home, '.config') };
    // Node's report goes to a buffer (spec on a TTY, TAP otherwise); a TAP copy goes to a file
    // read for the counts. --test-force-exit ends the file once its tests and after-hooks are
    // done, so a timer a failed test left running cannot hold the file to its deadline.
    const args = [
      '--test',
      '--test-force-exit',
      '--test-timeout=600000',
      `--test-reporter=${color ? 'spec' : 'tap'}`,
      '--test-reporter-destination=stdout',
      '--test-reporter=tap',
      `--test-reporter-destination=${tapFile}`,
      ...namePatterns,
      file,
    ];
    const child = spawn('dbus-run-session', ['--', 'sh', '-c', inner, process.execPath, ...args], {
      env,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    const started = Date.now();
    let killed = false;
    const deadline = setTimeout(() => {
      killed = true;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
    }, FILE_DEADLINE_MS);
    child.on('close', (code, signal) => {
      clearTimeout(deadline);
      const ms = Date.now() - started;
      const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
      rmSync(home, { recursive: true, force: true });
      const count = (k) => Number([...tap.matchAll(new RegExp(`^# ${k} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? NaN);
      let counts = { pass: count('pass'), fail: count('fail') + count('cancelled'), skipped: count('skipped') + count('todo') };
      if (Number.isNaN(counts.pass))
        counts = { pass: 0, fail: 1, skipped: 0 }; // no report at all: the file itself failed
      else if ((code !== 0 || killed) && counts.fail === 0) counts.fail = 1; // exited non-zero with every test green
      const why = killed ? ` — killed after ${FILE_DEADLINE_MS / 60_000} min` : code !== 0 ? ` — exited with ${code ?? signal}` : '';
      done({ file, ms, counts, output, why });
    });
  });
}

function report({ file, ms, counts, output, why }) {
  const name = key(file);
  const line = `── ${name}: ${counts.pass} passed, ${counts.fail} failed, ${counts.skipped} skipped, ${(ms / 1000).toFixed(1)} s${why}`;
  process.stdout.write(`${output.trimEnd()}\n${line}\n\n`);
  totals.pass += counts.pass;
  totals.fail += counts.fail;
  totals.skipped += counts.skipped;
  if (counts.fail) failedFiles.push(name);
  timings[name] = ms;
}

async function worker() {
  while (next < files.length) {
    const file = files[next++];
    report(await runFile(file));
  }
}

console.log(`running ${files.length} test files, ${jobs} at a time, each with its own keyring and HOME`);
await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
try {
  mkdirSync(cache, { recursive: true });
  writeFileSync(timingsFile, JSON.stringify(timings, null, 1));
} catch {
  /* timings are an optimisation */
}
if (failedFiles.length) console.log(`failed in: ${failedFiles.join(', ')}`);
console.log(`${files.length} files in ${((Date.now() - t0) / 1000).toFixed(0)} s, ${jobs} at a time`);
console.log(`${totals.pass} passed, ${totals.fail} failed, ${totals.skipped} skipped`);
process.exit(failedFiles.length ? 1 : 0);
