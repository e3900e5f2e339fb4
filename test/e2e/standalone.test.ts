// The standalone executable (`npm run build:cli`) as users get it: it runs with no Node on PATH,
// answers a credential-process cache hit from the real keychain over D-Bus, and loads no native
// addon on Linux (nothing extracted to, or opened from, a folder another local user could plant).
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { updateSettings } from '../../main/core/config/settings-write.js';
import { parseProfile } from '../../main/core/config/settings.js';
import { CLI, NODE_CLI, REPO, run } from '../helpers/cli.js';
import { vault } from '../helpers/world.js';

const EXE = CLI;

async function cacheHitWorld(tag: string) {
  assert.ok(existsSync(EXE), `${EXE} is missing: run \`npm run build:cli\` first`);
  const root = mkdtempSync(join(tmpdir(), `lakekey-standalone-${tag}-`));
  const dir = join(root, 'cfg');
  const name = `standalone-${tag}-${process.pid}`;
  await updateSettings(dir, (s) => {
    s.profiles[name] = parseProfile(name, { issuer: 'http://127.0.0.1:9', clientId: 'x', s3: { stsEndpoint: 'http://127.0.0.1:9' } });
  });
  const creds = { accessKeyId: 'AKSTANDALONE', secretAccessKey: 's'.repeat(40), sessionToken: 't'.repeat(200), expiresAt: Date.now() + 3 * 3600_000 };
  await vault.write(name, { v: 1, updatedAt: Date.now(), idp: { subject: 'alice', refreshToken: 'r'.repeat(43) }, s3: creds });
  // PATH has no node (an empty folder); TMPDIR is a private folder we can inspect afterwards.
  const emptyBin = join(root, 'bin');
  const tmp = join(root, 'tmp');
  mkdirSync(emptyBin);
  mkdirSync(tmp);
  const env = { ...process.env, PATH: emptyBin, TMPDIR: tmp, LAKEKEY_CONFIG_DIR: dir };
  return { root, name, env, tmp };
}

test('the standalone executable answers a cache hit with no Node on PATH, extracting nothing', async () => {
  const w = await cacheHitWorld('hit');
  const r = await run(EXE, ['credential-process', w.name], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.Version, 1);
  assert.equal(out.AccessKeyId, 'AKSTANDALONE');
  assert.deepEqual(readdirSync(w.tmp), [], 'nothing written to TMPDIR (no addon extracted there)');
  await vault.remove(w.name);
});

test('on Linux the executable loads no addon: a planted keytar.node or keyring.node is never opened, and the keychain is reached over D-Bus', async () => {
  // The Linux build speaks D-Bus to the Secret Service itself, so there is no native addon for
  // another local user to plant: files with the old and new addon names in TMPDIR, the working
  // folder and beside a copy of the executable are never opened, and the cache hit still works.
  const w = await cacheHitWorld('plant');
  const lonely = join(w.root, 'lonely');
  mkdirSync(lonely);
  copyFileSync(EXE, join(lonely, 'lakekey'));
  const { chmodSync } = await import('node:fs');
  chmodSync(join(lonely, 'lakekey'), 0o755);
  for (const dir of [w.tmp, w.root, lonely]) for (const f of ['keytar.node', 'keyring.node']) writeFileSync(join(dir, f), 'not an addon');
  const traceFile = join(w.root, 'trace.txt');
  const r = await run('/usr/bin/strace', ['-f', '-e', 'trace=openat,open,connect', '-o', traceFile, join(lonely, 'lakekey'), 'credential-process', w.name], {
    env: w.env,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).AccessKeyId, 'AKSTANDALONE');
  const trace = readFileSync(traceFile, 'utf8');
  assert.match(trace, /connect\(\d+, \{sa_family=AF_UNIX, sun_path=/, 'the trace saw the connection to the session bus (so it is live)');
  assert.doesNotMatch(trace, /\.node"/, 'no addon file was opened');
  await vault.remove(w.name);
});

test('the standalone executable prints its usage with no Node on PATH', async () => {
  const w = await cacheHitWorld('help');
  const r = await run(EXE, ['--help'], { env: w.env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /lakekey profile add/);
  await vault.remove(w.name);
});

test('configure-aws run from the standalone executable writes its own path as credential_process', async () => {
  const w = await cacheHitWorld('cfg');
  const awsConfig = join(w.root, 'aws-config');
  const r = await run(EXE, ['configure-aws', w.name], { env: { ...w.env, AWS_CONFIG_FILE: awsConfig } });
  assert.equal(r.code, 0, r.stderr);
  const { readFileSync, realpathSync } = await import('node:fs');
  const text = readFileSync(awsConfig, 'utf8');
  assert.ok(text.includes(`credential_process = "${realpathSync(EXE)}" credential-process ${w.name}\n`), text);
  await vault.remove(w.name);
});

test('the Node entry, for development, still answers the same cache hit', async () => {
  // The rest of the suite runs the executable; this keeps `node dist/main/cli/lakekey.js` honest.
  const w = await cacheHitWorld('node');
  const r = await run(process.execPath, [NODE_CLI, 'credential-process', w.name], { env: { ...w.env, PATH: process.env.PATH } });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).AccessKeyId, 'AKSTANDALONE');
  await vault.remove(w.name);
});

test('through a symlink (as `Install command-line tool` makes), it answers and writes its real path', async () => {
  const w = await cacheHitWorld('link');
  const { realpathSync, readFileSync, symlinkSync } = await import('node:fs');
  const link = join(w.root, 'bin', 'lakekey');
  symlinkSync(EXE, link);
  const hit = await run(link, ['credential-process', w.name], { env: w.env });
  assert.equal(hit.code, 0, hit.stderr);
  assert.equal(JSON.parse(hit.stdout).AccessKeyId, 'AKSTANDALONE');
  const awsConfig = join(w.root, 'aws-config');
  const r = await run(link, ['configure-aws', w.name], { env: { ...w.env, AWS_CONFIG_FILE: awsConfig } });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(readFileSync(awsConfig, 'utf8').includes(`credential_process = "${realpathSync(EXE)}" credential-process ${w.name}\n`));
  await vault.remove(w.name);
});

test('a cache hit never reads NODE_EXTRA_CA_CERTS (it pays nothing for a CA bundle it does not need)', async () => {
  // Watched with strace rather than timed: the file is named in the environment and must not
  // be opened by any thread of the executable during a cache hit.
  const w = await cacheHitWorld('ca');
  const { copyFileSync: copy, readFileSync } = await import('node:fs');
  const ca = join(w.root, 'extra-ca.pem');
  copy('/etc/ssl/certs/ca-certificates.crt', ca);
  const traceFile = join(w.root, 'trace.txt');
  const r = await run('/usr/bin/strace', ['-f', '-e', 'trace=openat,open,connect', '-o', traceFile, EXE, 'credential-process', w.name], {
    env: { ...w.env, NODE_EXTRA_CA_CERTS: ca },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(r.stdout).AccessKeyId, 'AKSTANDALONE');
  const trace = readFileSync(traceFile, 'utf8');
  assert.match(trace, /connect\(\d+, \{sa_family=AF_UNIX, sun_path=/, 'the trace saw the connection to the session bus (so it is live)');
  assert.ok(!trace.includes(ca), 'NODE_EXTRA_CA_CERTS was opened on a cache hit');
  await vault.remove(w.name);
});

test("--version says package.json's version, from the executable and from the Node entry", async () => {
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  const exe = await run(CLI, ['--version'], { env: { PATH: '/nonexistent' } });
  const node = await run(process.execPath, [NODE_CLI, '--version']);
  assert.equal(exe.code, 0, exe.stderr);
  assert.equal(exe.stdout.trim(), `lakekey ${version}`);
  assert.equal(node.stdout.trim(), `lakekey ${version}`);
});

test("the executable's runtime (Bun) passes the HTTP and D-Bus tests too: the retry of a dropped connection, the wire format, a hostile bus, the Secret Service against keytar and over a tray's lifetime", async () => {
  // Node and Bun differ where these files reach: fetch words a dropped connection differently
  // (UND_ERR_SOCKET vs ECONNRESET), and the D-Bus client uses Bun.connect on Bun, node:net on
  // Node. The standalone executable runs on Bun, so the same test files run under `bun test`.
  const bun = join(REPO, 'node_modules', '.bin', 'bun');
  const files = ['unit/core/http.test.js', 'unit/core/dbus.test.js', 'unit/core/dbus-hostile-bus.test.js', 'integration/secret-service.test.js'].map((f) =>
    join(REPO, 'dist', 'test', f),
  );
  const out = await run(bun, ['test', ...files]);
  const all = out.stdout + out.stderr;
  assert.equal(out.code, 0, all);
  assert.match(all, /\b36 pass\b/, all);
  assert.match(all, /\b0 fail\b/, all);
  // On its own, after the others: it replaces this file's keyring daemon on purpose.
  const lifecycle = await run(bun, ['test', join(REPO, 'dist', 'test', 'integration', 'secret-service-lifecycle.test.js')]);
  const words = lifecycle.stdout + lifecycle.stderr;
  assert.equal(lifecycle.code, 0, words);
  assert.match(words, /\b3 pass\b/, words);
  assert.match(words, /\b0 fail\b/, words);
});
