// The npm route to a `lakekey` on PATH: `npm run pack:cli` makes the tarball, `npm install -g`
// from it into a private prefix, and the installed command — with no Node on its PATH — logs in
// against the test IdP (real browser, real keychain) and answers `credential_process` for the
// real AWS CLI.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import { REPO, run } from '../helpers/cli.js';
import { sandbox, startPeers, vault, type Peers } from '../helpers/world.js';

let peers: Peers;
let prefix: string;
let installed: string;
before(async () => {
  const pack = await run(process.execPath, [join(REPO, 'scripts', 'pack-cli.mjs')]);
  assert.equal(pack.code, 0, pack.stderr);
  const tarball = /pack:cli: wrote (\S+\.tgz)/.exec(pack.stdout)?.[1];
  assert.ok(tarball, pack.stdout);
  prefix = mkdtempSync(join(tmpdir(), 'lakekey-npm-prefix-'));
  // An absolute path: npm reads `dist/x.tgz` as a GitHub shorthand. No registry is needed.
  const install = await run('npm', ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--offline', tarball], { timeoutMs: 300_000 });
  assert.equal(install.code, 0, install.stderr);
  installed = join(prefix, 'bin', 'lakekey');
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
});

test('npm install -g from the tarball puts the standalone executable on the prefix bin, alone (no addon on Linux)', () => {
  const real = realpathSync(installed);
  assert.ok(readlinkSync(installed).endsWith(join('lakekey', 'lakekey')), readlinkSync(installed));
  assert.deepEqual(
    readdirSync(dirname(real)).filter((f) => f.endsWith('.node')),
    [],
  );
});

test('the installed lakekey runs with no Node on PATH: --version, login, status, credential-process for the AWS CLI', async () => {
  const box = await sandbox(peers, { browser: true });
  // PATH is the prefix's bin alone (it holds only lakekey): no Node to be found. The test browser
  // and the AWS CLI are started by absolute path.
  const env = { ...box.env, PATH: join(prefix, 'bin') };
  const version = await run(installed, ['--version'], { env });
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^lakekey \d+\.\d+\.\d+\n$/);
  const login = await run(installed, ['login', box.name], { env });
  assert.equal(login.code, 0, login.stderr);
  const status = await run(installed, ['status', '--json'], { env });
  assert.equal(status.code, 0, status.stderr);
  assert.equal(JSON.parse(status.stdout)[0].email, 'alice@example.com');
  const conf = await run(installed, ['configure-aws', box.name], { env });
  assert.equal(conf.code, 0, conf.stderr);
  // The AWS CLI runs the credential_process line configure-aws wrote (the installed file's path).
  const exported = await run('/usr/bin/aws', ['configure', 'export-credentials', '--profile', box.name], { env: { ...env, LAKEKEY_BROWSER: undefined } });
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(JSON.parse(exported.stdout).AccessKeyId, /^[A-Z0-9]{16,}$/);
  await vault.remove(box.name);
});
