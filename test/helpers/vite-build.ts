// The vite builds the app ships (the settings window and the preload bundle), as `npm run build`
// made them before the tests ran. Tests never rebuild them: files run side by side, and a build
// empties renderer/dist under another file's browser. A missing or stale artifact fails loudly.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO } from './cli.js';

export const RENDERER_DIST = join(REPO, 'renderer', 'dist');
export const PRELOAD_BUNDLE = join(REPO, 'dist', 'preload', 'preload.cjs');

function newestSource(dir: string): number {
  return Math.max(
    0,
    ...readdirSync(dir, { withFileTypes: true }).map((e) => (e.isDirectory() ? newestSource(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs)),
  );
}

/** Resolves when both artifacts exist and are newer than their sources; else says to build. */
export async function shippedArtifacts(): Promise<void> {
  const artifacts = [join(RENDERER_DIST, 'index.html'), PRELOAD_BUNDLE];
  const missing = artifacts.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`not built: ${missing.join(', ')} — run \`npm run build\` first (npm test does)`);
  const sources = Math.max(
    newestSource(join(REPO, 'renderer', 'src')),
    statSync(join(REPO, 'renderer', 'index.html')).mtimeMs,
    newestSource(join(REPO, 'main', 'preload')),
  );
  const stale = artifacts.filter((f) => statSync(f).mtimeMs < sources);
  if (stale.length) throw new Error(`older than their sources: ${stale.join(', ')} — run \`npm run build\` again`);
}
