// The vendored lakeFS contracts must be exactly the shared ones whenever those are present.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { lakekeyRepo } from '../peers/openapi.js';

test('test/contracts/lakefs matches shared/contracts/lakefs', (t) => {
  const shared = join(lakekeyRepo(), '..', 'shared', 'contracts', 'lakefs');
  if (!existsSync(shared)) {
    // In CI a missing peer is a failure; locally the test is reported as skipped, never as passed.
    assert.ok(!process.env.CI, `CI runs with shared/ beside the checkout, and ${shared} is missing`);
    t.skip(`no shared/ beside this checkout (${shared}): nothing compared`);
    return;
  }
  for (const name of ['swagger.yml', 'authentication.yml', 'authorization.yml']) {
    assert.equal(
      readFileSync(join(lakekeyRepo(), 'test', 'contracts', 'lakefs', name), 'utf8'),
      readFileSync(join(shared, name), 'utf8'),
      `${name} drifted: copy it again from shared/`,
    );
  }
});
