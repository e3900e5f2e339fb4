// Setup from a fresh clone of the public repository (issue 20, item 8): a copy of this checkout's
// tracked files in a temporary folder with no ../shared beside it, as anyone cloning gets.
// - The test set-up reuses a cached lakeFS build without any source tarball, and a re-run has
//   nothing to do.
// - With no cache and no tarball it downloads lakeFS's source at the pinned commit; where that is
//   unreachable (a proxy that refuses, so nothing is ever downloaded here) it fails fast, naming
//   what to set.
// - `npm run setup` (the app and the CLI) installs no test peer: it runs against stand-in
//   apt-get, dpkg-query, npm, go and curl that record what they were asked.
// The real cache (LAKEKEY_TEST_CACHE, as the runner passes it) is only read: nothing is rebuilt.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { REPO, run } from '../helpers/cli.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';

const CACHE = process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test');
const pin = readFileSync(join(REPO, 'scripts', 'lakefs-pin.env'), 'utf8');
const LAKEFS_COMMIT = /^LAKEFS_COMMIT=(\S+)$/m.exec(pin)?.[1] ?? '';
const LAKEFS_VERSION = /^LAKEFS_VERSION=(\S+)$/m.exec(pin)?.[1] ?? '';

/** What only the test set-up installs (scripts/setup-test.sh); the app set-up must install none of it. */
const TEST_ONLY_PACKAGES = [
  'chromium',
  'gnome-keyring',
  'gcr',
  'dbus',
  'dbus-x11',
  'libsecret-tools',
  'awscli',
  'python3-boto3',
  'python3-venv',
  'xvfb',
  'bsdutils',
  'stress-ng',
  'fish',
  'shellcheck',
  'strace',
  'keyutils',
  'default-jdk-headless',
  'maven',
];

/**
 * What a clone holds, copied to <tmp>/lakekey with nothing beside it: the checkout's tracked files as
 * they are in the working tree, and new files not ignored (what the next commit would add).
 */
function freshClone(t: { after(fn: () => void): void }): string {
  const parent = mkdtempSync(join(tmpdir(), 'lakekey-clone-'));
  t.after(() => rmSync(parent, { recursive: true, force: true }));
  const clone = join(parent, 'lakekey');
  const files = execFileSync('git', ['-C', REPO, 'ls-files', '-z', '--cached', '--others', '--exclude-standard'], { encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  assert.ok(files.includes('scripts/setup.sh'), `git ls-files in ${REPO} lists no scripts/setup.sh`);
  for (const f of files) {
    if (!existsSync(join(REPO, f))) continue; // deleted in the working tree, not yet committed
    mkdirSync(dirname(join(clone, f)), { recursive: true });
    cpSync(join(REPO, f), join(clone, f));
  }
  assert.ok(!existsSync(join(parent, 'shared')));
  return clone;
}

/**
 * A forward proxy that refuses everything (HTTP 403) and records what was asked: with it as the
 * proxy, curl fails at once and nothing is downloaded, on any network.
 */
async function refusingProxy(t: { after(fn: () => Promise<void>): void }) {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(`${req.method} ${req.url}`);
    res.writeHead(403, { connection: 'close' }).end();
  });
  server.on('connect', (req, socket) => {
    asked.push(`CONNECT ${req.url}`);
    socket.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
  });
  const listening = await listenOnLoopback(server);
  t.after(() => listening.close());
  return { url: `http://127.0.0.1:${listening.port}`, asked };
}

/** This process's environment with no lakeFS source given, and every download going to `proxy`. */
function setupEnv(proxy: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['LAKEKEY_LAKEFS_TARBALL', 'no_proxy', 'NO_PROXY', 'all_proxy', 'ALL_PROXY']) delete env[k];
  return { ...env, LAKEKEY_TEST_CACHE: CACHE, https_proxy: proxy, HTTPS_PROXY: proxy, http_proxy: proxy, HTTP_PROXY: proxy, ...extra };
}

/**
 * Stand-ins that record each call in <dir>/calls: apt-get (marks what it installs as installed),
 * dpkg-query (answers from that list), sudo (runs its command), npm (`ci` makes node_modules),
 * go, curl, mvn and javac (refuse: nothing is built or downloaded).
 */
function stubs(t: { after(fn: () => void): void }, preinstalled: string[] = []): { bin: string; calls: () => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-setup-stubs-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, 'bin');
  mkdirSync(bin);
  writeFileSync(join(dir, 'installed'), preinstalled.map((p) => `${p}\n`).join(''));
  const log = `printf '%s\\n' "$(basename "$0") $*" >> ${JSON.stringify(join(dir, 'calls'))}`;
  const installed = JSON.stringify(join(dir, 'installed'));
  const scripts: Record<string, string> = {
    'apt-get': `${log}\nif [ "$1" = install ]; then for a in "$@"; do case "$a" in -*|install) ;; *) echo "$a" >> ${installed} ;; esac; done; fi`,
    'dpkg-query': `for a in "$@"; do p="$a"; done\nif grep -qx "$p" ${installed}; then printf 'install ok installed'; else exit 1; fi`,
    sudo: `exec "$@"`,
    npm: `${log}\nif [ "$1" = ci ] || [ "$1" = install ]; then mkdir -p node_modules/.bin; fi`,
    go: `${log}\nexit 1`,
    curl: `${log}\nexit 1`,
    mvn: `${log}\nexit 1`,
    javac: `${log}\nexit 1`,
  };
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  }
  const callsFile = join(dir, 'calls');
  return { bin, calls: () => (existsSync(callsFile) ? readFileSync(callsFile, 'utf8').trim().split('\n').filter(Boolean) : []) };
}

test('a clone with no ../shared beside it: the test set-up reuses the cached lakeFS, with no tarball, and a re-run has nothing to do', async (t) => {
  const lakefsDir = join(CACHE, `lakefs-${LAKEFS_VERSION}-src`);
  assert.ok(
    existsSync(join(lakefsDir, 'lakefs')) && existsSync(join(lakefsDir, 'lakectl')),
    `no cached lakeFS build in ${lakefsDir}: run \`npm run setup:test\` first`,
  );
  const clone = freshClone(t);
  const proxy = await refusingProxy(t);

  const lakefs = await run('bash', ['scripts/setup-lakefs.sh'], { cwd: clone, env: setupEnv(proxy.url), timeoutMs: 20_000 });
  assert.equal(lakefs.code, 0, lakefs.stdout + lakefs.stderr);
  assert.ok(lakefs.stdout.includes(`lakeFS ${LAKEFS_VERSION}: built already, in ${lakefsDir}`), lakefs.stdout);
  assert.deepEqual(proxy.asked, [], 'nothing was downloaded');

  // The whole test set-up, twice (as every `npm test` runs it): no install, no build, no download,
  // and one line saying so. apt-get, go, curl, mvn and javac are stand-ins that would record any call.
  const { bin, calls } = stubs(t);
  const env = setupEnv(proxy.url, { PATH: `${bin}:${process.env.PATH}` });
  // dpkg-query is the real one: the stand-in would say nothing is installed.
  rmSync(join(bin, 'dpkg-query'));
  for (let i = 0; i < 2; i++) {
    const r = await run('bash', ['scripts/setup-test.sh'], { cwd: clone, env, timeoutMs: 20_000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^test set-up: nothing to do \(/m, r.stdout);
    assert.ok(r.ms < 10_000, `a set-up with nothing to do took ${r.ms} ms`);
  }
  assert.deepEqual(calls(), []);
  assert.deepEqual(proxy.asked, []);
});

test('no cached lakeFS and no tarball: it downloads the pinned commit, and where that fails says what to set, at once', async (t) => {
  const clone = freshClone(t);
  const proxy = await refusingProxy(t);
  const emptyCache = mkdtempSync(join(tmpdir(), 'lakekey-empty-cache-'));
  t.after(() => rmSync(emptyCache, { recursive: true, force: true }));

  const r = await run('bash', ['scripts/setup-lakefs.sh'], { cwd: clone, env: setupEnv(proxy.url, { LAKEKEY_TEST_CACHE: emptyCache }), timeoutMs: 20_000 });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  // It went for lakeFS's public archive (through the proxy, which refused).
  assert.deepEqual(proxy.asked, ['CONNECT github.com:443']);
  assert.ok(r.stdout.includes(`https://github.com/treeverse/lakeFS/archive/${LAKEFS_COMMIT}.tar.gz`), r.stdout);
  // One message naming the commit and what to set, and where the tarball may go instead.
  assert.match(r.stderr, /^setup-lakefs: could not download lakeFS's source from /m, r.stderr);
  for (const needle of ['LAKEKEY_LAKEFS_TARBALL', LAKEFS_COMMIT, `shared/peers/lakefs/lakefs-${LAKEFS_VERSION}-src.tar.gz`, 'npm run setup:test']) {
    assert.ok(r.stderr.includes(needle), `the message names ${needle}:\n${r.stderr}`);
  }
  assert.ok(r.ms < 10_000, `it took ${r.ms} ms to give up`);
  assert.deepEqual(readdirSync(emptyCache), [], 'nothing half-built is left in the cache');

  // A tarball that is not there is refused by name, before any download.
  const missing = join(emptyCache, 'nope.tar.gz');
  const r2 = await run('bash', ['scripts/setup-lakefs.sh'], {
    cwd: clone,
    env: setupEnv(proxy.url, { LAKEKEY_TEST_CACHE: emptyCache, LAKEKEY_LAKEFS_TARBALL: missing }),
    timeoutMs: 20_000,
  });
  assert.equal(r2.code, 1, r2.stdout + r2.stderr);
  assert.ok(r2.stderr.includes(`LAKEKEY_LAKEFS_TARBALL is set to ${missing}, which is not a file`), r2.stderr);
  assert.equal(proxy.asked.length, 1, 'no second download');
});

test('`npm run setup` (the app and the CLI) installs no test peer, and a re-run has nothing to do', async (t) => {
  const clone = freshClone(t);
  const proxy = await refusingProxy(t);
  const { bin, calls } = stubs(t);
  // The real cache: where the system's Node is older than 22 it holds the Node setup links.
  const env = setupEnv(proxy.url, { PATH: `${bin}:${process.env.PATH}` });

  const first = await run('bash', ['scripts/setup.sh'], { cwd: clone, env, timeoutMs: 20_000 });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  const installs = calls().filter((c) => c.startsWith('apt-get install'));
  assert.equal(installs.length, 1, calls().join('\n'));
  const asked = installs[0]
    .split(' ')
    .slice(2)
    .filter((a) => !a.startsWith('-'));
  assert.deepEqual(
    asked.filter((p) => TEST_ONLY_PACKAGES.includes(p)),
    [],
    `the app set-up installs test packages: ${installs[0]}`,
  );
  assert.deepEqual(asked.sort(), ['build-essential', 'libsecret-1-dev', 'python3'], 'what `npm ci` needs to build keytar');
  assert.ok(
    calls().some((c) => /^npm ci\b/.test(c)),
    calls().join('\n'),
  );
  assert.deepEqual(
    calls().filter((c) => /^(go|curl|mvn|javac) /.test(c)),
    [],
    'no MinIO, actionlint, lakeFS or Java build, no download',
  );
  assert.deepEqual(proxy.asked, []);
  assert.ok(first.stdout.includes('npm run setup:test'), `it says where the test peers come from:\n${first.stdout}`);

  const before = calls().length;
  const again = await run('bash', ['scripts/setup.sh'], { cwd: clone, env, timeoutMs: 20_000 });
  assert.equal(again.code, 0, again.stdout + again.stderr);
  assert.match(again.stdout, /^setup: nothing to do \(/m, again.stdout);
  assert.deepEqual(calls().slice(before), [], 'a re-run installs nothing');
  assert.ok(again.ms < 10_000, `a set-up with nothing to do took ${again.ms} ms`);
});
