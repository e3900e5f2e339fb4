// aws-vault 7.2.0, the peer users would pick instead, built once from the Go module proxy and
// cached (its version list is refused there, so: download the module, copy it, build).
import { execFileSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

export function awsVault(): string {
  const cache = process.env.LAKEKEY_TEST_CACHE ?? join(homedir(), '.cache', 'lakekey-test');
  const bin = join(cache, 'aws-vault-7.2.0');
  if (existsSync(bin)) return bin;
  const info = JSON.parse(execFileSync('go', ['mod', 'download', '-json', 'github.com/99designs/aws-vault/v7@v7.2.0'], { encoding: 'utf8' })) as {
    Dir: string;
  };
  const src = mkdtempSync(join(tmpdir(), 'aws-vault-src-'));
  cpSync(info.Dir, src, { recursive: true });
  execFileSync('chmod', ['-R', 'u+w', src]);
  mkdirSync(cache, { recursive: true });
  execFileSync('go', ['build', '-o', bin, '.'], { cwd: src, stdio: 'inherit' });
  chmodSync(bin, 0o755);
  rmSync(src, { recursive: true, force: true });
  return bin;
}
