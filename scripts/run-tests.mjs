// Runs the test suite (or the bench) inside a private D-Bus session with an unlocked
// gnome-keyring and a temporary HOME, so tests use the real Secret Service without touching
// the user's keychain. A missing test peer is a failure, never a skip.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..');
const bench = process.argv.includes('--bench');
const only = process.argv.slice(2).filter((a) => !a.startsWith('--'));

const required = ['dbus-run-session', 'gnome-keyring-daemon', '/usr/bin/chromium', '/usr/bin/aws', '/usr/bin/python3'];
const missing = required.filter((tool) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0);
if (missing.length) {
  console.error(`missing test peers: ${missing.join(', ')} — run \`npm run setup\` first.`);
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

const home = mkdtempSync(join(tmpdir(), 'lakekey-test-home-'));
for (const d of ['.cache', '.local/share/keyrings', '.config']) mkdirSync(join(home, d), { recursive: true });
// Node's usual report goes to the terminal (spec on a TTY, TAP otherwise); a second TAP copy goes
// to a file in the temp HOME, read at the end for one summary line.
const tapFile = join(home, 'report.tap');
const reporters = [`--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`, '--test-reporter-destination=stdout', '--test-reporter=tap', `--test-reporter-destination=${tapFile}`];
const nodeArgs = bench ? files : ['--test', '--test-concurrency=1', '--test-timeout=600000', ...reporters, ...files];
const inner = `eval "$(printf lakekey-test | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null && exec "$0" "$@"`;
const env = {
  ...process.env,
  LAKEKEY_TEST_CACHE: process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test'),
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  HOME: home, XDG_CONFIG_HOME: join(home, '.config'), LAKEKEY_REPO: root };
delete env.DBUS_SESSION_BUS_ADDRESS;
delete env.DISPLAY;
delete env.WAYLAND_DISPLAY;
const result = spawnSync('dbus-run-session', ['--', 'sh', '-c', inner, process.execPath, ...nodeArgs], { stdio: 'inherit', env, cwd: root });
if (!bench) console.log(summaryLine());
rmSync(home, { recursive: true, force: true });
process.exit(result.status ?? 1);

/** `N passed, N failed, N skipped` from the run's final TAP counts (cancelled counts as failed, todo as skipped). */
function summaryLine() {
  const tap = existsSync(tapFile) ? readFileSync(tapFile, 'utf8') : '';
  const count = (key) => Number([...tap.matchAll(new RegExp(`^# ${key} (\\d+)$`, 'gm'))].at(-1)?.[1] ?? NaN);
  if (Number.isNaN(count('pass'))) return `test summary: no report (the runner exited with ${result.status ?? result.signal}) — see the output above`;
  return `${count('pass')} passed, ${count('fail') + count('cancelled')} failed, ${count('skipped') + count('todo')} skipped`;
}
