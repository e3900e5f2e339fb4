// Whether the module at `moduleUrl` (its import.meta.url) is the script node was started with,
// for helpers that are both imported by tests and run as commands (LAKEKEY_BROWSER and the like).
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export function isMain(moduleUrl: string): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return moduleUrl === pathToFileURL(realpathSync(script)).href;
  } catch {
    return false;
  }
}
