// Lint: typescript-eslint's recommended rules plus the layer rules of DESIGN §7.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const noElectron = {
  paths: [
    { name: 'electron', message: 'main/core is plain Node: it never imports electron (DESIGN §7).' },
    { name: 'electron-store', message: 'main/core reads settings through conf-compatible files, not electron-store.' },
  ],
  patterns: [{ group: ['**/app/**', '**/cli/**'], message: 'main/core must not import a host (main/app, main/cli).' }],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'renderer/dist/**', 'test-artifacts/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-syntax': ['error', { selector: 'ExportDefaultDeclaration', message: 'Use named exports.' }],
    },
  },
  { files: ['main/core/**/*.ts'], rules: { 'no-restricted-imports': ['error', noElectron] } },
  {
    files: ['main/cli/**/*.ts'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'The CLI never loads Electron.' }] }] },
  },
  { files: ['eslint.config.js'], rules: { 'no-restricted-syntax': 'off' } },
  {
    files: ['**/*.js', '**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly' } },
  },
);
