// Lint: typescript-eslint's recommended rules, two typed rules about promises, plus the layer rules of DESIGN §7. Each layer gets
// one complete `no-restricted-imports` / `no-restricted-syntax` setting (in flat config a later
// block replaces an earlier rule's options, it does not merge them); test/unit/lint-layers.test.ts
// proves each rule fails on a violation and passes on the real tree.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const NAMED_EXPORTS = { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' };
const RAW_IPC_MESSAGE = 'raw ipcMain/ipcRenderer only in the IPC modules (main/app/ipc-main.ts, main/preload/*).';
// Any identifier: `import { ipcMain }`, `electron.ipcMain` and destructuring alike.
const RAW_IPC = { selector: 'Identifier[name=/^ipc(Main|Renderer)$/]', message: RAW_IPC_MESSAGE };
// The preload speaks ipcRenderer; ipcMain belongs to the main process's IPC module alone.
// Main-to-window events too: `win.webContents.send(...)` only through ipc-main.ts's sendEvent.
const RAW_SEND = {
  selector: "CallExpression[callee.property.name=/^(send|sendSync|postMessage)$/][callee.object.property.name='webContents']",
  message: 'main→window events only through sendEvent in main/app/ipc-main.ts.',
};
const RAW_IPC_MAIN = { selector: 'Identifier[name="ipcMain"]', message: 'raw ipcMain only in main/app/ipc-main.ts.' };

const nodeBuiltins = (message) => ({
  paths: builtinModules.filter((m) => !m.startsWith('_')).map((name) => ({ name, message })),
  patterns: [{ group: ['node:*'], message }],
});

const layer = (files, { paths = [], patterns = [] }, { ignores, rawIpc = false, syntax = [] } = {}) => ({
  files,
  ...(ignores ? { ignores } : {}),
  rules: {
    'no-restricted-imports': ['error', { paths, patterns }],
    'no-restricted-syntax': [
      'error',
      NAMED_EXPORTS,
      ...(rawIpc === true ? [] : rawIpc === 'renderer' ? [RAW_IPC_MAIN, RAW_SEND] : [RAW_IPC, RAW_SEND]),
      ...syntax,
    ],
  },
});

const HOSTS = 'main/core must not import a host or the UI (main/app, main/cli, main/preload, renderer).';
const RENDERER_NODE = 'The renderer is a web page: no Node builtins (DESIGN §7).';
const RENDERER_MAIN =
  'The renderer imports only main/ipc.ts (types), its own files and Node-free shared modules (main/shared) — never main/core, main/app, main/cli or main/preload.';
const SHARED =
  'main/shared is Node-free and layer-free: core, both hosts and the renderer import it, so it imports no Node module, no electron and no main/core, main/app, main/cli, main/preload or renderer file.';
const IPC_NODE = 'main/ipc.ts is loaded by the renderer and the preload: it imports no Node module, no electron and no main/* layer.';
const renderer = nodeBuiltins(RENDERER_NODE);

// The CLI writes through main/cli/output.ts alone, which knows which streams to flush at exit.
const STDIO = {
  selector: "MemberExpression[object.name='process'][property.name=/^(stdout|stderr)$/]",
  message: 'The CLI writes through main/cli/output.ts (say, writeErr, streamOut, writeOut): it flushes, at exit, the streams that were written to.',
};
const COMPOSE = 'main/core/compose.ts';
const KEYCHAIN_ADAPTER = 'main/core/keychain/keychain-backends.ts';
const LINUX_CLIENT_FILES = 'main/core/keychain/secret-service/**/*.ts';
const USE_CASES = 'main/core/usecases/**/*.ts';
const ENVIRONMENT_MESSAGE =
  'Only main/core/compose.ts reads the environment or the platform: take them as an argument (compose.ts, or the host, hands them over).';
const ENVIRONMENT_NAMES = '/^(env|platform|versions)$/';
// Every spelling: process.env, process['env'], globalThis.process.env, const { env } = process,
// and (in core()'s import rules) import { env } from 'node:process'.
const ENVIRONMENT = [
  `MemberExpression[object.name='process'][property.name=${ENVIRONMENT_NAMES}]`,
  `MemberExpression[object.name='process'][property.value=${ENVIRONMENT_NAMES}]`,
  `MemberExpression[object.property.name='process'][property.name=${ENVIRONMENT_NAMES}]`,
  `VariableDeclarator[init.name='process'] > ObjectPattern > Property[key.name=${ENVIRONMENT_NAMES}]`,
].map((selector) => ({ selector, message: ENVIRONMENT_MESSAGE }));
const LINUX_CLIENT = {
  group: ['**/secret-service/*', 'secret-service/*', './secret-service/*'],
  message: 'Only the keychain adapter (main/core/keychain/keychain-backends.ts) imports the Linux Secret Service client (keychain/secret-service/).',
};
const CLI_IMPORTS = {
  paths: [{ name: 'electron', message: 'The CLI never loads Electron.' }],
  patterns: [{ group: ['**/app/**'], message: 'main/app and main/cli are two hosts: they never import each other (share through main/core).' }, LINUX_CLIENT],
};
// The modules that implement a port (compose.ts picks them): a use case gets them from the Context.
const ADAPTER_MODULES = [
  'compose',
  'keychain/keychain-store',
  'keychain/keychain-backends',
  'keychain/keychain-vault',
  'keychain/kernel-keyring',
  'keychain/keyring-module',
  'login/browser',
  'login/loopback',
  'net/http',
  'net/proxy',
  'net/peer-uid',
  'net/sock-diag',
  'lock',
  'log',
  'renewal-failures',
];
const ADAPTERS_MESSAGE = 'A use case imports ports (main/core/ports.ts) and pure functions, never an adapter: it gets the adapter from the Context.';
const ADAPTERS = { group: ADAPTER_MODULES.map((m) => (m.includes('/') ? `**/${m}.js` : `../${m}.js`)), message: ADAPTERS_MESSAGE };
// The same two rules for `await import(...)`, which no-restricted-imports does not see.
// (esquery's regular expressions cannot hold a "/": \x2F is one.)
const LINUX_CLIENT_LOADED = { selector: 'ImportExpression[source.value=/(^|\\x2F)secret-service\\x2F/]', message: LINUX_CLIENT.message };
const ADAPTER_LOADED = {
  selector: `ImportExpression[source.value=/^\\.\\.\\x2F(${ADAPTER_MODULES.map((m) => m.replace('/', '\\x2F')).join('|')})\\.js$/]`,
  message: ADAPTERS_MESSAGE,
};
/** The core's import rules: never electron, a host or the UI; per folder, the Linux client and the adapters. */
function core({ linuxClient = false, adapters = false, environment = false }) {
  return {
    paths: [
      { name: 'electron', message: 'main/core is plain Node: it never imports electron (DESIGN §7).' },
      { name: 'electron-store', message: 'main/core reads settings through conf-compatible files, not electron-store.' },
      ...(environment ? ['node:process', 'process'].map((name) => ({ name, importNames: ['env', 'platform', 'versions'], message: ENVIRONMENT_MESSAGE })) : []),
    ],
    patterns: [
      { group: ['**/app/**', '**/cli/**', '**/preload/**', '**/renderer/**'], message: HOSTS },
      ...(linuxClient ? [LINUX_CLIENT] : []),
      ...(adapters ? [ADAPTERS] : []),
    ],
  };
}
const ipc = nodeBuiltins(IPC_NODE);
const shared = nodeBuiltins(SHARED);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'renderer/dist/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', NAMED_EXPORTS],
    },
  },
  // Typed rules: a promise nobody awaits or handles (a rejection that would be lost, or a step that
  // runs after the caller moved on), and a promise where a boolean or a void callback is expected.
  {
    files: ['main/**/*.ts', 'test/**/*.ts', 'renderer/src/**/*.ts'],
    languageOptions: { parserOptions: { project: ['./tsconfig.json', './tsconfig.renderer.json'], tsconfigRootDir: import.meta.dirname } },
    rules: {
      // node:test's test(), describe() and hooks return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] },
          ],
        },
      ],
      '@typescript-eslint/no-misused-promises': 'error',
    },
  },
  // Inside the core, per folder (README "Architecture"): compose.ts alone reads the environment
  // and the platform; only the keychain adapter (keychain-backends.ts) imports the Linux client;
  // the use cases import ports and pure functions, never an adapter. Each file matches exactly
  // one of these blocks, which carries the whole core rule set for it.
  layer(['main/core/**/*.ts'], core({ linuxClient: true, environment: true }), {
    ignores: [COMPOSE, KEYCHAIN_ADAPTER, LINUX_CLIENT_FILES, USE_CASES],
    syntax: [...ENVIRONMENT, LINUX_CLIENT_LOADED],
  }),
  layer([COMPOSE], core({ linuxClient: true }), { syntax: [LINUX_CLIENT_LOADED] }),
  layer([KEYCHAIN_ADAPTER, LINUX_CLIENT_FILES], core({ environment: true }), { syntax: [...ENVIRONMENT] }),
  layer([USE_CASES], core({ linuxClient: true, adapters: true, environment: true }), { syntax: [...ENVIRONMENT, LINUX_CLIENT_LOADED, ADAPTER_LOADED] }),
  layer(
    ['main/app/**/*.ts'],
    {
      patterns: [
        { group: ['**/cli/**'], message: 'main/app and main/cli are two hosts: they never import each other (share through main/core).' },
        LINUX_CLIENT,
      ],
    },
    { ignores: ['main/app/ipc-main.ts'] },
  ),
  layer(
    ['main/app/ipc-main.ts'],
    {
      patterns: [{ group: ['**/cli/**'], message: 'main/app and main/cli are two hosts: they never import each other (share through main/core).' }],
    },
    { rawIpc: true },
  ),
  layer(['main/cli/**/*.ts'], CLI_IMPORTS, { ignores: ['main/cli/output.ts'], syntax: [STDIO] }),
  layer(['main/cli/output.ts'], CLI_IMPORTS),
  layer(['main/preload/**/*.ts'], {}, { rawIpc: 'renderer' }),
  layer(['main/ipc.ts'], {
    paths: [...ipc.paths, { name: 'electron', message: IPC_NODE }],
    patterns: [...ipc.patterns, { group: ['./core/**', './app/**', './cli/**', './preload/**'], message: IPC_NODE }],
  }),
  layer(['main/shared/**/*.ts'], {
    paths: [...shared.paths, { name: 'electron', message: SHARED }],
    patterns: [
      ...shared.patterns,
      {
        group: [
          '../core/**',
          '../app/**',
          '../cli/**',
          '../preload/**',
          '../ipc.js',
          '../../renderer/**',
          '**/main/core/**',
          '**/main/app/**',
          '**/main/cli/**',
        ],
        message: SHARED,
      },
    ],
  }),
  layer(['renderer/src/**/*.ts'], {
    paths: [...renderer.paths, { name: 'electron', message: RENDERER_NODE }],
    patterns: [
      ...renderer.patterns,
      { group: ['**/main/core/**', '**/main/app/**', '**/main/cli/**', '**/main/preload/**', '../core/**', '../app/**', '../cli/**'], message: RENDERER_MAIN },
    ],
  }),
  { files: ['eslint.config.js'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
