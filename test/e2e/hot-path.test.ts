// DESIGN §5: a credential-process cache hit parses arguments, reads settings, reads one keychain
// item, checks the expiry and prints. It must not load openid-client, the AWS SDK or conf.
// The module trace needs Node's module hooks (--import), so the first test runs the Node entry,
// which the standalone executable is bundled from; the second watches the executable itself from
// outside (strace): on a hit it opens the settings file and the D-Bus socket, and nothing else.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { updateSettings } from '../../main/core/config/settings-write.js';
import { parseProfile } from '../../main/core/config/settings.js';
import { CLI, NODE_CLI, REPO, run } from '../helpers/cli.js';
import { vault } from '../helpers/world.js';

const TRACE = join(REPO, 'dist', 'test', 'helpers', 'module-trace.js');
/** lakekey's modules only a renewal needs: a cache hit loading one has lost its lightness. */
const RENEWAL_ONLY =
  /\/main\/(core\/(compose|login\/|net\/|exchange\/|endpoint\/|usecases\/(renewal|login|logout|diagnose|server-checks))|cli\/(commands|compose))[./]/;

test('a cache hit loads no heavy module; a miss does (so the trace is live)', async () => {
  const root = mkdtempSync(join(tmpdir(), 'lakekey-hot-'));
  const dir = join(root, 'cfg');
  const name = `hot-${process.pid}`;
  await updateSettings(dir, (s) => {
    // An issuer nobody answers on: a miss fails fast, after loading what a renewal needs.
    s.profiles[name] = parseProfile(name, { issuer: 'http://127.0.0.1:9', clientId: 'x', s3: { stsEndpoint: 'http://127.0.0.1:9' } });
  });
  const creds = { accessKeyId: 'AKHOTPATHTEST', secretAccessKey: 's'.repeat(40), sessionToken: 't'.repeat(200), expiresAt: Date.now() + 3 * 3600_000 };
  await vault.write(name, { v: 1, updatedAt: Date.now(), idp: { subject: 'alice', refreshToken: 'r'.repeat(43) }, s3: creds });
  const trace = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean) : []);

  const hitTrace = join(root, 'hit.txt');
  const hit = await run(process.execPath, ['--import', TRACE, NODE_CLI, 'credential-process', name], {
    env: { ...process.env, LAKEKEY_CONFIG_DIR: dir, LAKEKEY_TRACE_FILE: hitTrace },
  });
  assert.equal(hit.code, 0, hit.stderr);
  assert.equal(JSON.parse(hit.stdout).AccessKeyId, 'AKHOTPATHTEST');
  assert.deepEqual(trace(hitTrace), [], 'nothing heavy on a cache hit');
  // Nor the rooms of a renewal: the composition root, login, the network, the exchanges, the endpoint.
  const own = trace(`${hitTrace}.own`);
  assert.ok(
    own.some((url) => url.endsWith('/cli/credential-process.js')),
    `the own-module trace is live: ${own.join(', ')}`,
  );
  assert.deepEqual(
    own.filter((url) => RENEWAL_ONLY.test(url)),
    [],
    'a cache hit enters no renewal room',
  );

  await vault.write(name, {
    v: 1,
    updatedAt: Date.now(),
    idp: { subject: 'alice', refreshToken: 'r'.repeat(43) },
    s3: { ...creds, expiresAt: Date.now() - 1000 },
  });
  const missTrace = join(root, 'miss.txt');
  const miss = await run(process.execPath, ['--import', TRACE, NODE_CLI, 'credential-process', name], {
    env: { ...process.env, LAKEKEY_CONFIG_DIR: dir, LAKEKEY_TRACE_FILE: missTrace },
  });
  assert.equal(miss.code, 5, miss.stderr);
  assert.ok(
    trace(missTrace).some((url) => url.includes('/openid-client/')),
    'a renewal loads openid-client (the trace works)',
  );
  assert.ok(
    trace(`${missTrace}.own`).some((url) => RENEWAL_ONLY.test(url)),
    'a renewal enters those rooms (the own-module check works)',
  );
  await vault.remove(name);
});

test('the executable: a cache hit opens the settings file and the D-Bus socket, no other file, socket or program', async () => {
  if ((await run('strace', ['-V'])).code !== 0) assert.fail('strace is a test peer (npm run setup:test)');
  const root = mkdtempSync(join(tmpdir(), 'lakekey-hot-exe-'));
  const dir = join(root, 'cfg');
  const name = `hotexe-${process.pid}`;
  await updateSettings(dir, (s) => {
    s.profiles[name] = parseProfile(name, { issuer: 'http://127.0.0.1:9', clientId: 'x', s3: { stsEndpoint: 'http://127.0.0.1:9' } });
  });
  const creds = { accessKeyId: 'AKHOTEXETEST', secretAccessKey: 's'.repeat(40), sessionToken: 't'.repeat(200), expiresAt: Date.now() + 3 * 3600_000 };
  await vault.write(name, { v: 1, updatedAt: Date.now(), idp: { subject: 'alice', refreshToken: 'r'.repeat(43) }, s3: creds });
  const traced = async (out: string) => {
    const r = await run('strace', ['-f', '-qq', '-e', 'trace=openat,socket,connect,execve', '-o', out, CLI, 'credential-process', name], {
      env: { ...process.env, LAKEKEY_CONFIG_DIR: dir },
    });
    const calls = readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => /\b(openat|socket|connect|execve)\(/.test(l) && !/ = -1 /.test(l));
    return { r, calls };
  };
  const system = /"\/(etc|proc|sys|lib|lib64|usr\/lib)\//;
  const hit = await traced(join(root, 'hit.strace'));
  assert.equal(hit.r.code, 0, hit.r.stderr);
  assert.equal(JSON.parse(hit.r.stdout).AccessKeyId, 'AKHOTEXETEST');
  const files = hit.calls.filter((l) => l.includes('openat(') && !system.test(l));
  assert.deepEqual(
    files.map((l) => /"([^"]+)"/.exec(l)?.[1]),
    [join(dir, 'config.json')],
    'the settings file is the only file a hit opens',
  );
  const sockets = hit.calls.filter((l) => l.includes('socket('));
  assert.ok(sockets.length >= 1 && sockets.every((l) => l.includes('AF_UNIX')), `only the D-Bus socket: ${sockets.join(' | ')}`);
  assert.equal(hit.calls.filter((l) => l.includes('execve(')).length, 1, 'no program but itself');

  // A miss does reach for the network (the trace is live): the IdP at 127.0.0.1:9.
  await vault.write(name, {
    v: 1,
    updatedAt: Date.now(),
    idp: { subject: 'alice', refreshToken: 'r'.repeat(43) },
    s3: { ...creds, expiresAt: Date.now() - 1000 },
  });
  const miss = await traced(join(root, 'miss.strace'));
  assert.equal(miss.r.code, 5, miss.r.stderr);
  assert.ok(
    miss.calls.some((l) => /socket\(AF_INET6?,/.test(l)),
    'a renewal opens a network socket',
  );
  assert.ok(
    miss.calls.some((l) => l.includes('openat(') && l.includes(join(dir, 'locks'))),
    'a renewal opens the profile lock (the file trace is live)',
  );
  await vault.remove(name);
});
