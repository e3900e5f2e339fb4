// The layer rule of DESIGN §7 is a lint check: nothing under main/core may import electron.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { REPO } from '../helpers/cli.js';

test('main/core may not import electron or a host; main/app may', async () => {
  const eslint = new ESLint({ cwd: REPO });
  const code = "import { app } from 'electron';\nexport const x = app;\n";
  const [core] = await eslint.lintText(code, { filePath: join(REPO, 'main/core/probe.ts') });
  assert.ok(core.messages.some((m) => m.ruleId === 'no-restricted-imports' && /never imports electron/.test(m.message)));
  const [host] = await eslint.lintText("import { run } from '../cli/commands.js';\nexport const y = run;\n", { filePath: join(REPO, 'main/core/probe.ts') });
  assert.ok(host.messages.some((m) => m.ruleId === 'no-restricted-imports'));
  const [app] = await eslint.lintText(code, { filePath: join(REPO, 'main/app/probe.ts') });
  assert.ok(!app.messages.some((m) => m.ruleId === 'no-restricted-imports'));
});
