// `npm run bench`: warm `lakekey credential-process` (a cache hit) against a baseline that only
// starts Node, loads keytar and reads the same item. Runs alternate in one go so machine noise
// hits both alike; prints both medians and their ratio. Target: ratio ≤ 1.15.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { updateSettings } from '../../main/core/settings-write.js';
import { parseProfile } from '../../main/core/settings.js';
import { keytarStore, Vault } from '../../main/core/vault.js';
import { CLI } from '../helpers/cli.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const name = `bench-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'lakekey-bench-'));
await updateSettings(dir, (s) => {
  s.profiles[name] = parseProfile(name, { issuer: 'https://idp.example.com', clientId: 'bench', s3: { stsEndpoint: 'https://sts.example.com' } });
});
const vault = new Vault(keytarStore());
await vault.write(name, {
  v: 1,
  updatedAt: Date.now(),
  idp: { subject: 'bench', refreshToken: 'r'.repeat(43), idToken: 'i'.repeat(900), idTokenExpiresAt: Date.now() + 3600_000 },
  s3: { accessKeyId: 'A'.repeat(20), secretAccessKey: 's'.repeat(40), sessionToken: 't'.repeat(800), expiresAt: Date.now() + 3 * 3600_000 },
});

const env = { ...process.env, LAKEKEY_CONFIG_DIR: dir };
const baseline = join(import.meta.dirname, 'baseline.js');
function time(args: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return ms;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Warm up the page cache and the keyring daemon.
for (let i = 0; i < 3; i++) {
  time([CLI, 'credential-process', name]);
  time([baseline, name]);
}
const ours: number[] = [];
const base: number[] = [];
for (let i = 0; i < RUNS; i++) {
  if (i % 2) {
    ours.push(time([CLI, 'credential-process', name]));
    base.push(time([baseline, name]));
  } else {
    base.push(time([baseline, name]));
    ours.push(time([CLI, 'credential-process', name]));
  }
}
await vault.remove(name);
const m1 = median(ours);
const m0 = median(base);
console.log(`credential-process, cache hit: median ${m1.toFixed(1)} ms over ${RUNS} runs`);
console.log(`baseline (node + keytar + one read): median ${m0.toFixed(1)} ms over ${RUNS} runs`);
console.log(`ratio ${(m1 / m0).toFixed(3)} (target <= 1.15)`);
