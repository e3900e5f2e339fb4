// Before each build: remove the compiled main/ and test/ trees, so a file deleted from the
// source cannot live on in dist/ (a stale test would still run). dist/cli (the executable) stays.
import { rmSync } from 'node:fs';
import { join } from 'node:path';

for (const dir of ['main', 'test', 'preload', 'renderer']) rmSync(join(import.meta.dirname, '..', 'dist', dir), { recursive: true, force: true });
