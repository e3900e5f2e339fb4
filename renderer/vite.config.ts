// Builds the settings window (renderer/ → renderer/dist) and, with `--mode preload`, the
// sandboxed preload (main/preload/preload.ts → dist/preload/preload.cjs, one CommonJS file whose
// only import is electron, as sandboxed preloads require).
//   vite build --config renderer/vite.config.ts
//   vite build --config renderer/vite.config.ts --mode preload
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = fileURLToPath(new URL('..', import.meta.url));

// eslint-disable-next-line no-restricted-syntax -- vite reads the config from the default export
export default defineConfig(({ mode }) =>
  mode === 'preload'
    ? {
        root: repo,
        logLevel: 'warn',
        build: {
          outDir: `${repo}dist/preload`,
          emptyOutDir: true,
          minify: false,
          sourcemap: false,
          lib: { entry: `${repo}main/preload/preload.ts`, formats: ['cjs'], fileName: () => 'preload.cjs' },
          rolldownOptions: { external: ['electron'] },
        },
      }
    : {
        root: here,
        base: './',
        logLevel: 'warn',
        build: {
          outDir: `${here}dist`,
          emptyOutDir: true,
          // No inline scripts or styles anywhere: the CSP forbids them.
          modulePreload: { polyfill: false },
          assetsInlineLimit: 0,
          cssCodeSplit: false,
          sourcemap: false,
          target: 'chrome130',
        },
      },
);
