// The layer rules of DESIGN §7, and the core's per-folder rules (README "Architecture"), are lint
// checks (eslint.config.js). For every layer and folder a probe file is
// linted through ESLint's API with the project's own config, at a path inside that layer
// (lintText with filePath: the config applies exactly as to a file there, without writing into
// the shared tree): each forbidden import must be reported by the layer rule, each allowed one
// must not, and the real tree must have no layer violation at all.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';
import { REPO } from '../helpers/cli.js';

const LAYER_RULES = new Set(['no-restricted-imports', 'no-restricted-syntax']);
// The probes sit at paths no tsconfig lists: without the typed rules (test/unit/lint-typed.test.ts
// has those), which need a file of the project.
const eslint = new ESLint({
  cwd: REPO,
  overrideConfig: {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: null } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

/** The layer-rule messages ESLint reports for `code` placed at `file` (repo-relative). */
async function layerMessages(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(REPO, file) });
  const fatal = result.messages.filter((m) => m.fatal);
  assert.deepEqual(fatal, [], `probe did not parse at ${file}`);
  return result.messages.filter((m) => m.ruleId !== null && LAYER_RULES.has(m.ruleId) && !/named exports/i.test(m.message)).map((m) => m.message);
}

const importing = (spec: string, name = 'x') => `import { ${name} } from '${spec}';\nexport const probe = ${name};\n`;

interface Case {
  file: string;
  code: string;
  because: RegExp;
}

const VIOLATIONS: Case[] = [
  // main/core: never electron, a host, the preload or the renderer.
  { file: 'main/core/probe.ts', code: importing('electron', 'app'), because: /never imports electron/ },
  { file: 'main/core/probe.ts', code: importing('electron-store', 'Store'), because: /electron-store/ },
  { file: 'main/core/probe.ts', code: importing('../app/handlers.js', 'createHandlers'), because: /must not import a host/ },
  { file: 'main/core/probe.ts', code: importing('../cli/commands.js', 'run'), because: /must not import a host/ },
  { file: 'main/core/probe.ts', code: importing('../preload/api.js', 'buildApi'), because: /must not import a host/ },
  { file: 'main/core/probe.ts', code: importing('../../renderer/src/validate.js', 'checkDraft'), because: /must not import a host/ },
  // renderer: no Node builtin (either spelling), no electron, no main layer.
  { file: 'renderer/src/probe.ts', code: importing('node:fs', 'readFileSync'), because: /no Node builtins/ },
  { file: 'renderer/src/probe.ts', code: importing('fs', 'readFileSync'), because: /no Node builtins/ },
  { file: 'renderer/src/probe.ts', code: importing('node:fs/promises', 'readFile'), because: /no Node builtins/ },
  { file: 'renderer/src/probe.ts', code: importing('child_process', 'spawn'), because: /no Node builtins/ },
  { file: 'renderer/src/probe.ts', code: importing('electron', 'ipcRenderer'), because: /no Node builtins|ipcRenderer/ },
  { file: 'renderer/src/probe.ts', code: importing('../../main/core/errors.js', 'LakekeyError'), because: /never main\/core/ },
  {
    file: 'renderer/src/probe.ts',
    code: `import type { Profile } from '../../main/core/config/settings.js';
\nexport type P = Profile;\n`,
    because: /never main\/core/,
  },
  { file: 'renderer/src/probe.ts', code: importing('../../main/app/handlers.js', 'createHandlers'), because: /never main\/core/ },
  { file: 'renderer/src/probe.ts', code: importing('../../main/cli/commands.js', 'run'), because: /never main\/core/ },
  { file: 'renderer/src/probe.ts', code: importing('../../main/preload/api.js', 'buildApi'), because: /never main\/core/ },
  // main/app and main/cli never import each other.
  { file: 'main/app/probe.ts', code: importing('../cli/commands.js', 'run'), because: /two hosts/ },
  { file: 'main/app/ipc-main.ts', code: importing('../cli/output.js', 'print'), because: /two hosts/ },
  { file: 'main/cli/probe.ts', code: importing('../app/handlers.js', 'createHandlers'), because: /two hosts/ },
  { file: 'main/cli/probe.ts', code: importing('electron', 'app'), because: /never loads Electron/ },
  // Raw ipcMain/ipcRenderer only in main/app/ipc-main.ts and main/preload/*.
  { file: 'main/app/probe.ts', code: importing('electron', 'ipcMain'), because: /raw ipcMain/ },
  { file: 'main/app/probe.ts', code: `import * as electron from 'electron';\nexport const probe = electron.ipcMain;\n`, because: /raw ipcMain/ },
  {
    file: 'main/app/main.ts',
    code: `export function probe(e: { ipcMain: unknown }) {\n  const { ipcMain } = e;\n  return ipcMain;\n}\n`,
    because: /raw ipcMain/,
  },
  { file: 'main/app/probe.ts', code: importing('electron', 'ipcRenderer'), because: /raw ipcMain/ },
  {
    file: 'main/app/main.ts',
    code: `export function probe(win: { webContents: { send(c: string): void } }) {\n  win.webContents.send('profiles:changed');\n}\n`,
    because: /only through sendEvent/,
  },
  { file: 'main/preload/probe.ts', code: importing('electron', 'ipcMain'), because: /raw ipcMain only in main\/app\/ipc-main\.ts/ },
  { file: 'main/core/probe.ts', code: `export function probe(e: { ipcMain: unknown }) {\n  return e.ipcMain;\n}\n`, because: /raw ipcMain/ },
  { file: 'main/cli/probe.ts', code: `export function probe(e: { ipcMain: unknown }) {\n  return e.ipcMain;\n}\n`, because: /raw ipcMain/ },
  // main/shared: Node-free and layer-free, for core, both hosts and the renderer.
  { file: 'main/shared/probe.ts', code: importing('node:fs', 'readFileSync'), because: /main\/shared is Node-free/ },
  { file: 'main/shared/probe.ts', code: importing('os', 'homedir'), because: /main\/shared is Node-free/ },
  { file: 'main/shared/probe.ts', code: importing('electron', 'app'), because: /main\/shared is Node-free/ },
  { file: 'main/shared/probe.ts', code: importing('../core/errors.js', 'LakekeyError'), because: /main\/shared is Node-free/ },
  { file: 'main/shared/probe.ts', code: importing('../app/handlers.js', 'createHandlers'), because: /main\/shared is Node-free/ },
  { file: 'main/shared/probe.ts', code: importing('../cli/commands.js', 'run'), because: /main\/shared is Node-free/ },
  { file: 'main/shared/probe.ts', code: importing('../../renderer/src/validate.js', 'checkDraft'), because: /main\/shared is Node-free/ },
  // Inside the core: only compose.ts reads the environment or the platform.
  { file: 'main/core/config/probe.ts', code: `export const probe = process.env.HOME;\n`, because: /Only main\/core\/compose\.ts reads the environment/ },
  { file: 'main/core/net/probe.ts', code: `export const probe = process.platform;\n`, because: /Only main\/core\/compose\.ts reads the environment/ },
  { file: 'main/core/net/probe.ts', code: `export const probe = process.versions.bun;\n`, because: /Only main\/core\/compose\.ts reads the environment/ },
  {
    file: 'main/core/usecases/probe.ts',
    code: `export function probe() {\n  const { env } = process;\n  return process.env ?? env;\n}\n`,
    because: /Only main\/core\/compose\.ts reads the environment/,
  },
  { file: 'main/core/config/probe.ts', code: `export const probe = process['env'];\n`, because: /Only main\/core\/compose\.ts reads the environment/ },
  {
    file: 'main/core/login/probe.ts',
    code: `export const probe = globalThis.process.platform;\n`,
    because: /Only main\/core\/compose\.ts reads the environment/,
  },
  {
    file: 'main/core/exchange/probe.ts',
    code: `export function probe() {\n  const { env } = process;\n  return env;\n}\n`,
    because: /Only main\/core\/compose\.ts reads the environment/,
  },
  { file: 'main/core/net/probe.ts', code: importing('node:process', 'env'), because: /Only main\/core\/compose\.ts reads the environment/ },
  { file: 'main/core/usecases/probe.ts', code: importing('process', 'platform'), because: /Only main\/core\/compose\.ts reads the environment/ },
  {
    file: 'main/core/keychain/keychain-backends.ts',
    code: `export const probe = process.platform;\n`,
    because: /Only main\/core\/compose\.ts reads the environment/,
  },
  // Only the keychain adapter imports the Linux Secret Service client, statically or not.
  { file: 'main/core/keychain/probe.ts', code: importing('./secret-service/secret-service.js', 'secretServiceBackend'), because: /Only the keychain adapter/ },
  {
    file: 'main/core/keychain/keychain-store.ts',
    code: `export const probe = () => import('./secret-service/dbus.js');\n`,
    because: /Only the keychain adapter/,
  },
  {
    file: 'main/core/compose.ts',
    code: importing('./keychain/secret-service/secret-service.js', 'secretServiceBackend'),
    because: /Only the keychain adapter/,
  },
  { file: 'main/cli/probe.ts', code: importing('../core/keychain/secret-service/dbus.js', 'Bus'), because: /Only the keychain adapter/ },
  { file: 'main/app/probe.ts', code: importing('../core/keychain/secret-service/dbus.js', 'Bus'), because: /Only the keychain adapter/ },
  // The use cases import ports and pure functions, never an adapter (statically or not).
  { file: 'main/core/usecases/probe.ts', code: importing('../lock.js', 'fileLocks'), because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: importing('../log.js', 'createLogger'), because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: importing('../renewal-failures.js', 'readRenewalFailure'), because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: importing('../compose.js', 'composeCore'), because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: importing('../login/loopback.js', 'startLoopback'), because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: importing('../net/http.js', 'boundedFetch'), because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: importing('../keychain/keychain-store.js', 'keychainStore'), because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: `export const probe = () => import('../login/browser.js');\n`, because: /never an adapter/ },
  { file: 'main/core/usecases/probe.ts', code: `export const probe = () => import('../keychain/kernel-keyring.js');\n`, because: /never an adapter/ },
  // The CLI writes through main/cli/output.ts alone (it flushes, at exit, what was written to).
  { file: 'main/cli/probe.ts', code: `export const probe = () => process.stdout.write('x');\n`, because: /writes through main\/cli\/output\.ts/ },
  { file: 'main/cli/commands/probe.ts', code: `export const probe = () => process.stderr.isTTY;\n`, because: /writes through main\/cli\/output\.ts/ },
  // main/ipc.ts is loaded by the renderer and the preload: no Node, no electron, no main layer.
  { file: 'main/ipc.ts', code: importing('node:path', 'join'), because: /imports no Node module/ },
  { file: 'main/ipc.ts', code: importing('path', 'join'), because: /imports no Node module/ },
  { file: 'main/ipc.ts', code: importing('electron', 'app'), because: /imports no Node module/ },
  { file: 'main/ipc.ts', code: importing('./core/errors.js', 'LakekeyError'), because: /imports no Node module/ },
];

const ALLOWED: Case[] = [
  { file: 'main/core/probe.ts', code: importing('node:fs', 'readFileSync'), because: /core is plain Node/ },
  { file: 'main/core/probe.ts', code: importing('./errors.js', 'LakekeyError'), because: /core imports core/ },
  { file: 'main/app/probe.ts', code: importing('electron', 'app'), because: /the tray is Electron/ },
  { file: 'main/app/probe.ts', code: importing('../core/errors.js', 'LakekeyError'), because: /hosts import core/ },
  {
    file: 'main/app/ipc-main.ts',
    code: `export function probe(e: { ipcMain: unknown }) {\n  const { ipcMain } = e;\n  return ipcMain;\n}\n`,
    because: /the IPC module/,
  },
  { file: 'main/preload/probe.ts', code: importing('electron', 'ipcRenderer'), because: /the preload/ },
  { file: 'main/cli/probe.ts', code: importing('../core/usecases/session.js', 'login'), because: /hosts import core/ },
  {
    file: 'renderer/src/probe.ts',
    code: `import type { ProfileDraft } from '../../main/ipc.js';
\nexport type D = ProfileDraft;\n`,
    because: /the IPC contract/,
  },
  { file: 'renderer/src/probe.ts', code: importing('./validate.js', 'checkDraft'), because: /its own files/ },
  { file: 'main/ipc.ts', code: `export const probe = 1;\n`, because: /no imports/ },
  { file: 'renderer/src/probe.ts', code: importing('../../main/shared/limits.js', 'LIMITS'), because: /shared modules/ },
  { file: 'main/core/probe.ts', code: importing('../shared/freshness.js', 'isFresh'), because: /core imports shared/ },
  { file: 'main/app/probe.ts', code: importing('../shared/profile-kinds.js', 'kinds'), because: /hosts import shared/ },
  { file: 'main/shared/probe.ts', code: importing('./limits.js', 'LIMITS'), because: /shared imports shared/ },
  {
    file: 'main/core/compose.ts',
    code: `export const probe = [process.env, process.platform, process.versions.bun];\n`,
    because: /compose reads the environment/,
  },
  {
    file: 'main/core/keychain/keychain-backends.ts',
    code: `export const probe = () => import('./secret-service/secret-service.js');\n`,
    because: /the keychain adapter loads the Linux client/,
  },
  { file: 'main/core/keychain/secret-service/probe.ts', code: importing('./dbus.js', 'Bus'), because: /the Linux client is one room/ },
  { file: 'main/core/usecases/probe.ts', code: `import type { Context } from '../ports.js';\nexport type P = Context;\n`, because: /use cases import ports/ },
  { file: 'main/core/usecases/probe.ts', code: importing('../keychain/minted-with.js', 'currentS3'), because: /use cases import pure functions/ },
  { file: 'main/core/usecases/probe.ts', code: `export const probe = () => import('../login/oidc.js');\n`, because: /use cases load protocol modules/ },
  { file: 'main/core/login/probe.ts', code: importing('../net/http.js', 'boundedFetch'), because: /adapters may use adapters/ },
  { file: 'main/cli/output.ts', code: `export const probe = () => process.stdout.write('x');\n`, because: /output.ts owns the streams/ },
];

for (const c of VIOLATIONS) {
  test(`lint refuses in ${c.file}: ${c.code.split('\n').find((l) => l.trim())}`, async () => {
    const messages = await layerMessages(c.file, c.code);
    assert.ok(
      messages.some((m) => c.because.test(m)),
      `expected a layer error matching ${c.because}, got ${JSON.stringify(messages)}`,
    );
  });
}

for (const c of ALLOWED) {
  test(`lint allows in ${c.file} (${c.because.source}): ${c.code.split('\n').find((l) => l.trim())}`, async () => {
    assert.deepEqual(await layerMessages(c.file, c.code), []);
  });
}

test('lint refuses a default export anywhere (named exports only)', async () => {
  for (const file of ['main/core/probe.ts', 'main/cli/probe.ts', 'renderer/src/probe.ts']) {
    const [result] = await eslint.lintText(`export default 1;\n`, { filePath: join(REPO, file) });
    assert.ok(
      result.messages.some((m) => m.ruleId === 'no-restricted-syntax' && /Use named exports/.test(m.message)),
      `${file}: ${JSON.stringify(result.messages)}`,
    );
  }
});

test('the real tree breaks no layer rule', async () => {
  const results = await eslint.lintFiles(['main/**/*.ts', 'renderer/src/**/*.ts']);
  assert.ok(results.length > 20, `linted only ${results.length} files`);
  const violations = results.flatMap((r) =>
    r.messages.filter((m) => m.ruleId !== null && LAYER_RULES.has(m.ruleId)).map((m) => `${r.filePath}:${m.line} ${m.message}`),
  );
  assert.deepEqual(violations, []);
});
