// Test peer: a real MinIO server (S3 + STS AssumeRoleWithWebIdentity) configured against the test IdP.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { freePort, stopChild } from '../helpers/peer-process.js';

/** Pinned MinIO pseudo-version (the module has no v* tags); scripts/setup-test.sh builds it with `go install`. */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

export function minioBinaryPath(): string {
  // The test harness swaps HOME for a temporary one; it passes the real cache folder on.
  const cache = process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test');
  return join(cache, `minio-${MINIO_VERSION}`, 'minio');
}

export const MINIO_BIN = minioBinaryPath();

export interface MinioOptions {
  /** IdP issuer, no trailing slash; must be up before MinIO starts (MinIO fetches its discovery document). */
  issuer: string;
  clientId: string;
}

export interface Minio {
  /** http://127.0.0.1:PORT — S3 and STS both live here. */
  endpoint: string;
  rootUser: string;
  rootPassword: string;
  stop(): Promise<void>;
}

const START_TIMEOUT_MS = 30_000;

/** Starts MinIO on a fresh data directory and waits until it reports live. */
export async function startMinio(opts: MinioOptions): Promise<Minio> {
  const bin = minioBinaryPath();
  if (!existsSync(bin)) {
    throw new Error(`MinIO ${MINIO_VERSION} is not built at ${bin}: run \`npm run setup:test\` first.`);
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'lakekey-minio-'));
  const port = await freePort();
  let consolePort = await freePort();
  while (consolePort === port) consolePort = await freePort();
  const rootUser = 'lakekeyroot';
  const rootPassword = 'lakekeyroot-secret';
  const endpoint = `http://127.0.0.1:${port}`;

  const child = spawn(bin, ['server', dataDir, '--address', `127.0.0.1:${port}`, '--console-address', `127.0.0.1:${consolePort}`, '--quiet'], {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: dataDir, // keeps MinIO's ~/.minio (certs dir) out of the real home
      MINIO_ROOT_USER: rootUser,
      MINIO_ROOT_PASSWORD: rootPassword,
      MINIO_IDENTITY_OPENID_CONFIG_URL: `${opts.issuer}/.well-known/openid-configuration`,
      MINIO_IDENTITY_OPENID_CLIENT_ID: opts.clientId,
      MINIO_IDENTITY_OPENID_CLAIM_NAME: 'policy',
      MINIO_BROWSER: 'off',
      MINIO_UPDATE: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));

  const cleanup = async () => {
    await stopChild(child, 5_000);
    rmSync(dataDir, { recursive: true, force: true });
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await cleanup();
      throw new Error(`MinIO exited during start (${child.exitCode ?? child.signalCode}):\n${output}`);
    }
    try {
      const res = await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1_000) });
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await cleanup();
      throw new Error(`MinIO did not become live within ${START_TIMEOUT_MS / 1000} s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return { endpoint, rootUser, rootPassword, stop: cleanup };
}

/** Creates a bucket with the root credentials. */
export async function createBucket(minio: Minio, name: string): Promise<void> {
  const s3 = new S3Client({
    endpoint: minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: minio.rootUser, secretAccessKey: minio.rootPassword },
  });
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
  } finally {
    s3.destroy();
  }
}
