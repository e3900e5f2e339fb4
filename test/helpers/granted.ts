// granted (common-fate/granted v0.38.0: the fwdcloudsec fork is not served by the Go module proxy
// here), the other peer users would pick instead, built once from the Go module proxy and cached,
// as aws-vault is (test/helpers/aws-vault.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export const GRANTED_VERSION = '0.38.0';

export function granted(): string {
  const cache = process.env.LAKEKEY_TEST_CACHE ?? join(homedir(), '.cache', 'lakekey-test');
  const bin = join(cache, `granted-${GRANTED_VERSION}`);
  if (existsSync(bin)) return bin;
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', `github.com/common-fate/granted@v${GRANTED_VERSION}`], { encoding: 'utf8' })) as {
    Dir: string;
  };
  const src = mkdtempSync(join(tmpdir(), 'granted-src-'));
  cpSync(info.Dir, src, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', src]);
  mkdirSync(cache, { recursive: true });
  execFileSync('go', ['build', '-o', bin, './cmd/granted'], { cwd: src, stdio: 'inherit' });
  chmodSync(bin, 0o755);
  rmSync(src, { recursive: true, force: true });
  return bin;
}
