// Runs the vite builds the app ships (the settings window and the preload bundle), once per test
// process, so the tests always exercise fresh artifacts: the same commands as `npm run build`.
import { join } from 'node:path';
import { REPO } from '../../helpers/cli.js';

let built: Promise<void> | undefined;

export const RENDERER_DIST = join(REPO, 'renderer', 'dist');
export const PRELOAD_BUNDLE = join(REPO, 'dist', 'preload', 'preload.cjs');

export function buildRendererAndPreload(): Promise<void> {
  built ??= (async () => {
    const { build } = await import('vite');
    const configFile = join(REPO, 'renderer', 'vite.config.ts');
    await build({ configFile, logLevel: 'warn' });
    await build({ configFile, mode: 'preload', logLevel: 'warn' });
  })();
  return built;
}
