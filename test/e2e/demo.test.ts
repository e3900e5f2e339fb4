// `npm run demo` must keep working: it brings up every peer and a profile that doctor passes.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDemo } from '../demo/demo.js';
import { runCli } from '../helpers/cli.js';

test('the demo starts every peer and writes a profile that passes doctor (before login)', async () => {
  const demo = await startDemo(mkdtempSync(join(tmpdir(), 'lakekey-demo-')));
  try {
    const doctor = await runCli(['doctor', 'demo'], { env: { ...process.env, ...demo.env } });
    for (const check of ['settings', 'keychain', 'identity provider', 'clock', 'STS', 'AWS config', 'lakeFS']) {
      assert.match(doctor.stdout, new RegExp(`^ok .*${check}`, 'm'), doctor.stdout);
    }
    assert.match(doctor.stdout, /^FAIL {2}demo: session: not logged in\n\s+fix: Run `lakekey login demo`/m);
  } finally {
    await demo.stop();
  }
});
