// Test peer: the real lakeFS OSS server (and lakectl), built from source by scripts/setup-lakefs.sh. It runs on
// 127.0.0.1 with a random port, local KV and blockstore in a fresh temp dir, stats, email and version checks off, and
// — for STS login — the remote authenticator (test/peers/authenticator.ts) and, optionally, an external auth service
// (test/peers/lakefs-auth-service.ts). Without an auth service it is stock OSS: STS login answers 501.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { lakekeyRepo } from './openapi.js';
import { freePort, stopChild } from '../helpers/peer-process.js';

/**
 * The folder scripts/setup-lakefs.sh builds into: the cache, keyed by the lakeFS version pinned in
 * scripts/lakefs-pin.env (wherever the source came from: ../shared, $LAKEKEY_LAKEFS_TARBALL or the download).
 */
export function lakefsBuildDir(): string {
  // The test harness swaps HOME for a temporary one; it passes the real cache folder on.
  const cache = process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test');
  const pinFile = join(lakekeyRepo(), 'scripts', 'lakefs-pin.env');
  const version = /^LAKEFS_VERSION=(\S+)$/m.exec(readFileSync(pinFile, 'utf8'))?.[1];
  if (!version) throw new Error(`${pinFile} has no LAKEFS_VERSION=… line`);
  return join(cache, `lakefs-${version}-src`);
}

/** Paths of the built `lakefs` and `lakectl`; throws, naming the fix, when they are missing. */
export function lakefsBinaries(): { lakefs: string; lakectl: string } {
  const dir = lakefsBuildDir();
  const bins = { lakefs: join(dir, 'lakefs'), lakectl: join(dir, 'lakectl') };
  for (const bin of Object.values(bins)) {
    if (!existsSync(bin)) throw new Error(`lakeFS is not built (no ${bin}): run \`npm run setup:test\` (scripts/setup-lakefs.sh builds it) first.`);
  }
  return bins;
}

export interface LakefsServerOptions {
  /** The remote authenticator (`auth.authentication_api.endpoint`), e.g. `http://127.0.0.1:PORT/api/v1`. */
  authenticatorUrl: string;
  /** The external auth service (`auth.api.endpoint`); without it the server is stock OSS (STS login: 501). */
  authServiceUrl?: string;
}

export interface LakefsServer {
  /** http://127.0.0.1:PORT — the server URL (API under /api/v1). */
  endpoint: string;
  apiUrl: string;
  /** Everything the server logged so far (for failure messages). */
  output(): string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 120_000;

/** Starts lakeFS on a fresh temp dir and waits until its API answers /healthcheck. */
export async function startLakefsServer(opts: LakefsServerOptions): Promise<LakefsServer> {
  const { lakefs } = lakefsBinaries();
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-lakefs-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const auth = [
    'auth:',
    `  encrypt: { secret_key: "${randomBytes(24).toString('hex')}" }`,
    `  authentication_api: { endpoint: "${opts.authenticatorUrl}" }`,
    // Lookups go to the auth service on every request, so a test that changes its users sees it at once.
    '  cache: { enabled: false }',
    ...(opts.authServiceUrl ? [`  api: { endpoint: "${opts.authServiceUrl}" }`, '  ui_config: { rbac: simplified }'] : []),
  ];
  const config = [
    `listen_address: "127.0.0.1:${port}"`,
    `logging: { level: INFO, format: text, output: "-" }`,
    `database: { type: local, local: { path: "${join(dir, 'kv')}" } }`,
    `blockstore: { type: local, local: { path: "${join(dir, 'data')}" } }`,
    `committed: { local_cache: { dir: "${join(dir, 'cache')}", size_bytes: 104857600 } }`,
    ...auth,
    'stats: { enabled: false }',
    'email_subscription: { enabled: false }',
    // No calls home: no version check, and the audit check (off for unreleased builds anyway) points nowhere.
    'security: { check_latest_version: false, audit_check_url: "http://127.0.0.1:9/" }',
    'usage_report: { enabled: false }',
    'ui: { enabled: false }',
  ].join('\n');
  const configFile = join(dir, 'lakefs.yaml');
  writeFileSync(configFile, `${config}\n`, { mode: 0o600 });

  const child = spawn(lakefs, ['run', '--config', configFile], {
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir, TMPDIR: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (d: Buffer) => {
    output += d.toString();
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const cleanup = async () => {
    await stopChild(child, 10_000);
    rmSync(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanup();
      throw new Error(`lakeFS exited during start (${child.exitCode ?? child.signalCode}):\n${output.slice(-4000)}`);
    }
    try {
      const res = await fetch(`${endpoint}/api/v1/healthcheck`, { signal: AbortSignal.timeout(2_000) });
      if (res.status === 204) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`lakeFS did not answer /api/v1/healthcheck within ${START_TIMEOUT_MS / 1000} s:\n${output.slice(-4000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { endpoint, apiUrl: `${endpoint}/api/v1`, output: () => output, stop: cleanup };
}

/** Basic auth for the auth service's admin, as lakeFS's API accepts an access key. */
export function basicAuth(accessKeyId: string, secretAccessKey: string): string {
  return `Basic ${Buffer.from(`${accessKeyId}:${secretAccessKey}`).toString('base64')}`;
}

/** Creates a repository on the local blockstore as the given admin (lakeFS's POST /api/v1/repositories). */
export async function createRepository(server: LakefsServer, authorization: string, name: string): Promise<void> {
  const res = await fetch(`${server.apiUrl}/repositories`, {
    method: 'POST',
    headers: { authorization, 'content-type': 'application/json' },
    body: JSON.stringify({ name, storage_namespace: `local://${name}`, default_branch: 'main' }),
    signal: AbortSignal.timeout(30_000),
  });
  if (res.status !== 201) throw new Error(`creating lakeFS repository ${name}: HTTP ${res.status} ${await res.text()}`);
}
