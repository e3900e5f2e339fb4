// The standalone executable trusts nothing in the folder it is started in (security round 3,
// HIGH): `credential_process` runs in whatever folder the user's `aws` runs in, completion runs
// `lakekey __complete` wherever TAB is pressed, so a cloned repository (or a shared folder such as
// /tmp) must not be able to configure lakekey or run code through it. A compiled bun executable
// autoloads .env, bunfig.toml (whose `preload` runs code), tsconfig.json and package.json unless
// the build turns that off. Here all of them, plus a node_modules with packages lakekey uses, are
// planted in the working folder, in a folder another user owns, and beside a copy of the
// executable; the commands that start from such places run, and nothing planted is used: no code
// ran, no variable took effect, no request reached the planted settings' issuer, nothing in the
// planted folder changed, and the output is exactly what a clean folder gives.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { updateSettings } from '../../main/core/config/settings-write.js';
import { parseProfile } from '../../main/core/config/settings.js';
import { CLI, run, walkFiles, type CliResult } from '../helpers/cli.js';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import { vault } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';

const root = mkdtempSync(join(tmpdir(), 'lakekey-workdir-'));
chmodSync(root, 0o755); // the other user's folder below must be reachable for the test's own runs
const marker = join(root, 'planted-code-ran');
const name = `workdir-${process.pid}`;
const genuineDir = join(root, 'genuine-settings');
const evilDir = join(root, 'planted-settings');
let tripwire: { url: string; hits: () => number; close: () => Promise<void> };
let idp: Idp;

/** A server standing for the planted settings' issuer and STS: any request to it is a failure. */
async function startTripwire() {
  let hits = 0;
  const server = http.createServer((_req, res) => {
    hits++;
    res.writeHead(500).end();
  });
  const l = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${l.port}`, hits: () => hits, close: () => l.close() };
}

/** Every file lakekey (or bun) could pick up from a folder, written into `dir`. */
function plant(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const js = `require('fs').writeFileSync(${JSON.stringify(marker)}, String(process.argv)); module.exports = {};`;
  writeFileSync(join(dir, 'x.js'), js);
  writeFileSync(join(dir, 'bunfig.toml'), 'preload = ["./x.js"]\nsmol = true\n[define]\n"process.env.LAKEKEY_CONFIG_DIR" = "\'/nonexistent\'"\n');
  const browser = `sh -c 'echo browser > ${marker}'`;
  for (const env of ['.env', '.env.local', '.env.production']) {
    writeFileSync(
      join(dir, env),
      `LAKEKEY_CONFIG_DIR=${evilDir}\nLAKEKEY_BROWSER="${browser}"\nBUN_OPTIONS="--preload ./x.js"\nNODE_OPTIONS="--require ./x.js"\n`,
    );
  }
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'planted', type: 'commonjs', imports: { '#x': './x.js' }, main: 'x.js' }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { baseUrl: '.', paths: { '*': ['./x.js'] } } }));
  for (const pkg of ['@napi-rs/keyring', 'openid-client', 'undici', '@aws-sdk/client-sts', 'conf']) {
    const p = join(dir, 'node_modules', ...pkg.split('/'));
    mkdirSync(p, { recursive: true });
    writeFileSync(join(p, 'package.json'), JSON.stringify({ name: pkg, main: 'index.js' }));
    writeFileSync(join(p, 'index.js'), js);
  }
}

/** A digest of every file under `dir` (names and contents), to show nothing there changed. */
function digest(dir: string): string {
  const h = createHash('sha256');
  for (const f of walkFiles(dir).sort()) h.update(f).update('\0').update(readFileSync(f)).update('\0');
  return h.digest('hex');
}

const env = () => {
  const e: NodeJS.ProcessEnv = { ...process.env, LAKEKEY_CONFIG_DIR: genuineDir };
  for (const k of ['LAKEKEY_BROWSER', 'DISPLAY', 'WAYLAND_DISPLAY', 'BUN_OPTIONS', 'NODE_OPTIONS']) delete e[k];
  return e;
};

const COMMANDS: Array<{ what: string; args: string[]; until?: RegExp }> = [
  { what: 'credential-process (a cache hit)', args: ['credential-process', name] },
  { what: '__complete (TAB)', args: ['__complete', 'bash', '2', 'lakekey', 'credential-process', ''] },
  { what: 'env', args: ['env', name] },
  // No browser in the genuine environment: the login prints its link and waits (stopped then); a
  // planted LAKEKEY_BROWSER would have been started, and planted settings would have asked the tripwire.
  { what: 'login', args: ['login', name], until: /on a remote machine/ },
];

let clean: Map<string, CliResult>;

/** Runs one command; one with `until` is stopped (SIGTERM) once its stderr shows that. */
function runCommand(exe: string, c: (typeof COMMANDS)[number], cwd: string): Promise<CliResult> {
  return run(exe, c.args, {
    env: env(),
    cwd,
    onSpawn: (child) => {
      let err = '';
      child.stderr?.on('data', (d: Buffer) => {
        err += d;
        if (c.until?.test(err)) child.kill('SIGTERM');
      });
    },
  });
}

before(async () => {
  tripwire = await startTripwire();
  idp = await startIdp();
  await updateSettings(genuineDir, (s) => {
    s.profiles[name] = parseProfile(name, { issuer: idp.issuer, clientId: idp.clientId, s3: { stsEndpoint: 'http://127.0.0.1:9' } });
  });
  await updateSettings(evilDir, (s) => {
    s.profiles[name] = parseProfile(name, { issuer: tripwire.url, clientId: 'planted', s3: { stsEndpoint: tripwire.url } });
  });
  const creds = { accessKeyId: 'AKGENUINE', secretAccessKey: 's'.repeat(40), sessionToken: 't'.repeat(200), expiresAt: Date.now() + 3 * 3600_000 };
  await vault.write(name, { v: 1, updatedAt: Date.now(), idp: { subject: 'alice', refreshToken: 'r'.repeat(43) }, s3: creds });
  // What each command says from a folder with nothing in it.
  const empty = join(root, 'empty');
  mkdirSync(empty);
  clean = new Map();
  for (const c of COMMANDS) clean.set(c.what, await runCommand(CLI, c, empty));
  assert.equal(JSON.parse(clean.get(COMMANDS[0].what)!.stdout).AccessKeyId, 'AKGENUINE', 'the clean run is a cache hit');
  assert.match(clean.get('login')!.stderr, /open http:\/\/127\.0\.0\.1:\d+\/callback\//, 'the clean login had no browser to start');
});

after(async () => {
  await vault.remove(name).catch(() => undefined);
  await tripwire?.close();
  await idp?.stop();
});

/** Runs every command with `exe` from `cwd` and checks nothing planted was used. */
async function nothingPlantedIsUsed(where: string, exe: string, cwd: string, planted: string): Promise<void> {
  const before = digest(planted);
  for (const c of COMMANDS) {
    const r = await runCommand(exe, c, cwd);
    const want = clean.get(c.what)!;
    assert.equal(
      existsSync(marker),
      false,
      `${where}, ${c.what}: planted code or a planted browser ran (${existsSync(marker) ? readFileSync(marker, 'utf8') : ''})`,
    );
    assert.equal(tripwire.hits(), 0, `${where}, ${c.what}: the planted settings' issuer was asked`);
    assert.equal(r.code, want.code, `${where}, ${c.what}: exit ${r.code}, clean ${want.code}: ${r.stderr}`);
    // The login's link (a random path) differs from run to run; everything else must not.
    const same = (s: string) => s.replace(/127\.0\.0\.1:\d+\/callback\/[0-9a-f]+/g, 'LINK');
    if (c.args[0] === 'credential-process') assert.equal(JSON.parse(r.stdout).AccessKeyId, 'AKGENUINE', `${where}: the genuine credentials`);
    else assert.equal(same(r.stdout), same(want.stdout), `${where}, ${c.what}: output differs from a clean folder's`);
    assert.equal(same(r.stderr), same(want.stderr), `${where}, ${c.what}: messages differ from a clean folder's`);
  }
  assert.equal(digest(planted), before, `${where}: something in the planted folder changed`);
}

test('a cloned repository as the working folder: .env, bunfig.toml, package.json, tsconfig.json and node_modules are ignored', async () => {
  const repo = join(root, 'repo');
  plant(repo);
  await nothingPlantedIsUsed('working folder', CLI, repo, repo);
});

test('a folder another user owns as the working folder is ignored the same way', async (t) => {
  if (process.getuid?.() !== 0) {
    if (process.env.CI) assert.fail('this test needs root to make a folder another user owns');
    return t.skip('needs root to make a folder another user owns');
  }
  const shared = join(root, 'other-users');
  plant(shared);
  for (const f of [shared, ...walkFiles(shared)]) chownSync(f, 65534, 65534);
  await nothingPlantedIsUsed("another user's folder", CLI, shared, shared);
});

test('files beside the executable are ignored too (run from a clean folder)', async () => {
  const beside = join(root, 'bin');
  plant(beside);
  const exe = join(beside, 'lakekey');
  copyFileSync(CLI, exe);
  chmodSync(exe, 0o755);
  const away = join(root, 'away');
  mkdirSync(away);
  await nothingPlantedIsUsed('beside the executable', exe, away, beside);
  await nothingPlantedIsUsed('beside the executable, run from there', exe, beside, beside);
});
