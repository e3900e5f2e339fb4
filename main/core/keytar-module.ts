// Where the keychain addon comes from. Under Node it is the keytar package. In the standalone
// executable (`npm run build:cli`) it is keytar.node beside the executable, loaded by its
// absolute path: never extracted to a temporary folder where another local user could plant it.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** True inside the executable built by scripts/build-cli.mjs (the build defines this global). */
declare const LAKEKEY_STANDALONE: boolean | undefined;

export function isStandalone(): boolean {
  return typeof LAKEKEY_STANDALONE !== 'undefined' && LAKEKEY_STANDALONE === true;
}

/** The addon's path in the standalone build: beside the (symlink-resolved) executable. */
export function standaloneAddonPath(): string {
  return join(dirname(process.execPath), 'keytar.node');
}

export async function importKeytar(): Promise<unknown> {
  if (isStandalone()) return createRequire(import.meta.url)(standaloneAddonPath());
  return import('keytar');
}
