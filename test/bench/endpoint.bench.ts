// `npm run bench`: the credentials endpoint, side by side and alternating round by round (so
// machine noise hits all alike):
// 1. a warm request to the endpoint (`lakekey serve`, the standalone executable; a new connection
//    per request, as SDKs' container providers open one per refresh) against a warm
//    `credential-process` cache hit and aws-vault 7.2.0's `export`: p50 and p99.
//    Targets: endpoint p50 <= 2 ms, p99 <= 10 ms.
// 2. what users feel: `aws s3 ls` (AWS CLI v2) against MinIO with static keys, through
//    `credential_process`, and through the endpoint, as ratios to static keys.
//    Target: through the endpoint within 2 % of static keys.
import { execFileSync, spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { CLI } from '../helpers/cli.js';
import { awsVault } from '../helpers/go-peer.js';
import { sandbox, startPeers } from '../helpers/world.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 30);
const AWS_V2 = '/usr/bin/aws';

const peers = await startPeers();
const box = await sandbox(peers, { browser: true });
const login = await box.cli(['login', box.name]);
if (login.code !== 0) throw new Error(`login failed: ${login.stderr}`);
delete box.env.LAKEKEY_BROWSER;
const wired = await box.cli(['configure-aws', box.name]);
if (wired.code !== 0) throw new Error(`configure-aws failed: ${wired.stderr}`);

// The endpoint, as a user starts it.
const server: ChildProcessWithoutNullStreams = spawn(CLI, ['serve', box.name, '--format', 'json'], { env: box.env });
let printed = '';
server.stdout.on('data', (d) => (printed += d));
await new Promise<void>((resolve, reject) => {
  server.stderr.on('data', (d: Buffer) => /serving credentials/.test(d.toString()) && resolve());
  server.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
});
const vars = JSON.parse(printed) as Record<string, string>;
const uri = new URL(vars.AWS_CONTAINER_CREDENTIALS_FULL_URI);
const token = (await import('node:fs')).readFileSync(vars.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8');

/** One request on a fresh connection; resolves with its time in ms. */
function ask(): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = request({ host: '127.0.0.1', port: uri.port, path: uri.pathname, headers: { Authorization: token }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - t0) / 1e6) : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end();
  });
}

function spawnMs(cmd: string, args: string[], env: NodeJS.ProcessEnv): number {
  const t0 = process.hrtime.bigint();
  const p = spawnSync(cmd, args, { env, encoding: 'utf8' });
  if (p.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${p.status}): ${p.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

// aws-vault, with a static key of its own in the same Secret Service.
const av = awsVault();
const avConfig = join(box.dir, 'aws-vault-config');
writeFileSync(avConfig, `[profile ${box.name}]\nregion=us-east-1\n`);
const avEnv = { ...process.env, AWS_VAULT_BACKEND: 'secret-service', AWS_VAULT_SECRET_SERVICE_COLLECTION_NAME: 'login', AWS_CONFIG_FILE: avConfig };
execFileSync(av, ['add', '--env', box.name], {
  env: { ...avEnv, AWS_ACCESS_KEY_ID: 'AKIABENCHBENCHBENCH0', AWS_SECRET_ACCESS_KEY: 's'.repeat(40) },
  stdio: ['ignore', 'ignore', 'inherit'],
});

const q = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const warm = { endpoint: [] as number[], cp: [] as number[], av: [] as number[] };
for (let i = 0; i < 5; i++) await ask();
for (let i = 0; i < RUNS; i++) {
  const steps: Array<() => Promise<void>> = [
    async () => void warm.endpoint.push(await ask()),
    async () => void warm.cp.push(spawnMs(CLI, ['credential-process', box.name], box.env)),
    async () => void warm.av.push(spawnMs(av, ['export', '--format=json', '--no-session', box.name], avEnv)),
  ];
  for (const step of i % 2 ? steps.reverse() : steps) await step();
}
// Many more endpoint requests for a stable p99 (they cost little).
for (let i = 0; i < RUNS * 10; i++) warm.endpoint.push(await ask());

// `aws s3 ls` three ways.
const record = JSON.parse((await box.cli(['credential-process', box.name])).stdout) as { AccessKeyId: string; SecretAccessKey: string; SessionToken: string };
// The sandbox's environment (its settings folder, the test's Secret Service), with no AWS keys or profile of its own.
const clean: NodeJS.ProcessEnv = { ...box.env, AWS_EC2_METADATA_DISABLED: 'true', AWS_REGION: 'us-east-1', AWS_SHARED_CREDENTIALS_FILE: '/dev/null' };
for (const k of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'AWS_PROFILE']) delete clean[k];
const ls = ['s3', 'ls', `s3://${peers.bucket}`, '--endpoint-url', peers.minio.endpoint];
const ways: Record<string, NodeJS.ProcessEnv> = {
  'static keys': {
    ...clean,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_ACCESS_KEY_ID: record.AccessKeyId,
    AWS_SECRET_ACCESS_KEY: record.SecretAccessKey,
    AWS_SESSION_TOKEN: record.SessionToken,
  },
  credential_process: { ...clean, AWS_CONFIG_FILE: box.awsConfig, AWS_PROFILE: box.name },
  endpoint: {
    ...clean,
    AWS_CONFIG_FILE: '/dev/null',
    AWS_CONTAINER_CREDENTIALS_FULL_URI: vars.AWS_CONTAINER_CREDENTIALS_FULL_URI,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
  },
};
const lsTimes: Record<string, number[]> = Object.fromEntries(Object.keys(ways).map((k) => [k, []]));
for (const env of Object.values(ways)) spawnMs(AWS_V2, ls, env); // warm
const lsRuns = Math.max(10, Math.floor(RUNS / 2));
for (let i = 0; i < lsRuns; i++) {
  const order = i % 2 ? Object.keys(ways).reverse() : Object.keys(ways);
  for (const k of order) lsTimes[k].push(spawnMs(AWS_V2, ls, ways[k]));
}

server.kill('SIGTERM');
spawnSync(av, ['remove', '--force', box.name], { env: avEnv });
await peers.stop();

const ms = (x: number) => `${x.toFixed(2).padStart(8)} ms`;
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} on this machine`,
);
console.log(`warm credentials, alternating, ${RUNS} rounds (endpoint: ${warm.endpoint.length} requests, a new connection each):`);
const avP50 = q(warm.av, 0.5);
for (const [label, xs] of [
  ['endpoint (lakekey serve)', warm.endpoint],
  ['credential-process cache hit', warm.cp],
  ['aws-vault 7.2.0 export', warm.av],
] as const) {
  console.log(`  ${label.padEnd(30)} p50 ${ms(q(xs, 0.5))}  p99 ${ms(q(xs, 0.99))}  ${(q(xs, 0.5) / avP50).toFixed(2)}x aws-vault`);
}
console.log(`endpoint p50 ${q(warm.endpoint, 0.5).toFixed(2)} ms (target <= 2), p99 ${q(warm.endpoint, 0.99).toFixed(2)} ms (target <= 10)`);
console.log(`aws s3 ls against MinIO (AWS CLI v2), median of ${lsRuns} alternating runs:`);
const base = q(lsTimes['static keys'], 0.5);
for (const [k, xs] of Object.entries(lsTimes)) console.log(`  ${k.padEnd(20)} ${ms(q(xs, 0.5))}  ${(q(xs, 0.5) / base).toFixed(3)}x static keys`);
console.log(`through the endpoint / static keys = ${(q(lsTimes.endpoint, 0.5) / base).toFixed(3)} (target <= 1.02)`);
