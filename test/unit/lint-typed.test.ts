// The typed lint rules (eslint.config.js): a promise nobody awaits or handles, and a promise where a
// boolean or a void callback is expected, are lint errors in main/, renderer/ and test/; node:test's
// own calls are not (the runner awaits them). Each probe is linted in place of a real file of the
// tree (lintText with its path: the type checker sees the probe as that file's text, nothing is
// written), and the real tree has no such error.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { REPO } from '../helpers/cli.js';

const TYPED = new Set(['@typescript-eslint/no-floating-promises', '@typescript-eslint/no-misused-promises']);
// Not typescript-eslint's single-run mode (its default under CI=true), which builds the program
// from the files on disk once and so would never see a probe's text.
const eslint = new ESLint({
  cwd: REPO,
  overrideConfig: { files: ['**/*.ts'], languageOptions: { parserOptions: { disallowAutomaticSingleRunInference: true } } },
});

async function typedMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO, file) });
  assert.deepEqual(
    result.messages.filter((m) => m.fatal),
    [],
    `probe did not parse at ${file}`,
  );
  return result.messages.filter((m) => m.ruleId !== null && TYPED.has(m.ruleId)).map((m) => m.ruleId!);
}

const WORK = 'export async function work(): Promise<number> {\n  return 1;\n}\n';

const CASES: Array<{ file: string; code: string; expect: string[]; what: string }> = [
  {
    what: 'a dropped promise in the core',
    file: 'main/core/fault.ts',
    code: `${WORK}export function probe(): void {\n  work();\n}\n`,
    expect: ['@typescript-eslint/no-floating-promises'],
  },
  {
    what: 'a dropped promise in a host',
    file: 'main/cli/output.ts',
    code: `${WORK}export function probe(): void {\n  work().then(() => undefined);\n}\n`,
    expect: ['@typescript-eslint/no-floating-promises'],
  },
  {
    what: 'an async predicate (always truthy)',
    file: 'main/core/fault.ts',
    code: 'export function probe(xs: number[]): number[] {\n  return xs.filter(async (x) => x > 1);\n}\n',
    expect: ['@typescript-eslint/no-misused-promises'],
  },
  {
    what: 'an async event listener in the renderer',
    file: 'renderer/src/main.ts',
    code: "export function probe(b: HTMLButtonElement): void {\n  b.addEventListener('click', async () => {\n    await Promise.resolve();\n  });\n}\n",
    expect: ['@typescript-eslint/no-misused-promises'],
  },
  {
    what: 'a promise marked as deliberately not awaited',
    file: 'main/core/fault.ts',
    code: `${WORK}export function probe(): void {\n  void work();\n}\n`,
    expect: [],
  },
  { what: 'a handled promise', file: 'main/core/fault.ts', code: `${WORK}export function probe(): void {\n  work().catch(() => undefined);\n}\n`, expect: [] },
  {
    what: "node:test's test() and hooks",
    file: 'test/unit/core/redact.test.ts',
    code: "import { after, describe, test } from 'node:test';\ndescribe('x', () => {\n  test('y', () => {});\n});\nafter(() => {});\n",
    expect: [],
  },
];

for (const c of CASES) {
  test(`typed lint: ${c.what} ${c.expect.length ? 'is refused' : 'is allowed'}`, async () => {
    assert.deepEqual(await typedMessages(c.file, c.code), c.expect);
  });
}

test('the real tree has no dropped or misused promise', async () => {
  const results = await eslint.lintFiles(['main/**/*.ts', 'renderer/src/**/*.ts', 'test/**/*.ts']);
  assert.ok(results.length > 100, `linted only ${results.length} files`);
  const found = results.flatMap((r) => r.messages.filter((m) => m.ruleId !== null && TYPED.has(m.ruleId)).map((m) => `${r.filePath}:${m.line} ${m.ruleId}`));
  assert.deepEqual(found, []);
});
