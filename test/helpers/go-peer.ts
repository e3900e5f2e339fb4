// The peers users would pick instead of lakekey (aws-vault, granted), built once from the Go module
// proxy and cached under the tests' cache. Some version lists are refused there, so: download the
// exact module version, copy it out of the read-only module cache, build it.
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

/** The executable built from `module@version`'s package `pkg`, cached as `name`. */
export function goPeer(name: string, module: string, version: string, pkg = '.'): string {
  const cache = process.env.LAKEKEY_TEST_CACHE ?? join(homedir(), '.cache', 'lakekey-test');
  const bin = join(cache, name);
  if (existsSync(bin)) return bin;
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `${module}@${version}`], { encoding: 'utf8' })) as { Dir: string };
  const src = mkdtempSync(join(tmpdir(), `${name}-src-`));
  cpSync(info.Dir, src, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', src]);
  mkdirSync(cache, { recursive: true });
  execFileSync('go', ['build', '-o', bin, pkg], { cwd: src, stdio: 'inherit' });
  chmodSync(bin, 0o755);
  rmSync(src, { recursive: true, force: true });
  return bin;
}

/** aws-vault 7.2.0 (99designs; the maintained ByteNess fork is not served by the proxy here). */
export function awsVault(): string {
  return goPeer('aws-vault-7.2.0', 'github.com/99designs/aws-vault/v7', 'v7.2.0');
}

export const GRANTED_VERSION = '0.38.0';

/** granted (common-fate; the fwdcloudsec fork is not served by the proxy here). */
export function granted(): string {
  return goPeer(`granted-${GRANTED_VERSION}`, 'github.com/common-fate/granted', `v${GRANTED_VERSION}`, './cmd/granted');
}
