// DESIGN §5: a credential-process cache hit parses arguments, reads settings, reads one keychain
// item, checks the expiry and prints. It must not load openid-client, the AWS SDK or conf.
// The trace needs Node's module hooks (--import), so this one runs the Node entry, which the
// standalone executable is bundled from.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { updateSettings } from '../../main/core/config/settings-write.js';
import { parseProfile } from '../../main/core/config/settings.js';
import { NODE_CLI, REPO, run } from '../helpers/cli.js';
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
