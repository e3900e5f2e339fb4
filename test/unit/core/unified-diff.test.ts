// `lakekey configure-aws --dry-run` prints unifiedDiff's output: it must be a patch that the real
// tools accept and that turns the file into exactly what the real edit writes. Each case runs
// `git apply --check`, then `patch` itself, on a copy of the file.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyProfileSettings } from '../../../main/core/config/aws-config.js';
import { unifiedDiff } from '../../../main/core/config/unified-diff.js';

const USER = '# company defaults\n[default]\nregion = eu-west-1\noutput = json\n\n[profile other]\nregion = ap-south-1\n';
const WIRED = [
  { key: 'credential_process', value: '"/opt/lakekey" credential-process dev' },
  { key: 'region', value: 'us-east-1' },
];

const CASES: Array<{ name: string; before: string; after: string }> = [
  { name: 'a new profile appended after existing ones', before: USER, after: applyProfileSettings(USER, 'wired', WIRED) },
  { name: 'a profile changed in the middle', before: USER, after: USER.replace('output = json', 'output = text\ncli_pager =') },
  { name: 'a line removed', before: USER, after: USER.replace('output = json\n', '') },
  { name: 'an empty file', before: '', after: applyProfileSettings('', 'wired', WIRED) },
  { name: 'a file without a final newline', before: USER.trimEnd(), after: applyProfileSettings(USER.trimEnd(), 'wired', WIRED) },
  { name: 'a change on the first line', before: USER, after: USER.replace('# company defaults', '# ours') },
];

for (const c of CASES) {
  test(`unifiedDiff: git apply and patch accept the diff for ${c.name}`, () => {
    assert.notEqual(c.before, c.after);
    const dir = mkdtempSync(join(tmpdir(), 'lakekey-diff-'));
    try {
      const diff = unifiedDiff(c.before, c.after, 'config') + '\n';
      writeFileSync(join(dir, 'config'), c.before);
      writeFileSync(join(dir, 'change.diff'), diff);
      execFileSync('git', ['apply', '-p0', '--check', 'change.diff'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      execFileSync('patch', ['--quiet', '--force', 'config', 'change.diff'], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
      assert.equal(readFileSync(join(dir, 'config'), 'utf8'), c.after, diff);
    } catch (err) {
      const e = err as { stderr?: Buffer; stdout?: Buffer };
      assert.fail(`${String(err)}\n${e.stdout ?? ''}${e.stderr ?? ''}\n${unifiedDiff(c.before, c.after, 'config')}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('unifiedDiff: the header counts the context lines it prints', () => {
  const diff = unifiedDiff('1\n2\n3\n4\n5\n6\n7\n8\n', '1\n2\n3\n4\nX\n6\n7\n8\n', 'f');
  assert.equal(diff, ['--- f', '+++ f', '@@ -2,7 +2,7 @@', ' 2', ' 3', ' 4', '-5', '+X', ' 6', ' 7', ' 8'].join('\n'));
});
