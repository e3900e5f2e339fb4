// The shared test world: a real IdP, a real MinIO with OpenID pointed at it, a counting proxy in
// front of MinIO's STS, and per-test settings folders and AWS config files.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Vault } from '../../main/core/keychain/vault.js';
import { ProfileVault } from './profile-vault.js';
import { osKeychainStore } from './os-keychain.js';
import type { SecretRecord } from '../../main/core/keychain/record.js';
import { startIdp, type Idp, type IdpOptions } from '../peers/idp.js';
import { createBucket, startMinio, type Minio } from '../peers/minio.js';
import { startCountingProxy, type CountingProxy } from '../peers/sts-counter.js';
import { REPO, runCli, type CliResult } from './cli.js';

export const BROWSER_SCRIPT = join(REPO, 'dist', 'test', 'helpers', 'browser.js');
export const BROWSER_COMMAND = `"${process.execPath}" "${BROWSER_SCRIPT}"`;

export interface Peers {
  idp: Idp;
  minio: Minio;
  /** MinIO's STS behind a counting proxy: profiles use sts.url as their STS endpoint. */
  sts: CountingProxy;
  bucket: string;
  stop(): Promise<void>;
}

export async function startPeers(opts: IdpOptions = {}): Promise<Peers> {
  const idp = await startIdp(opts);
  const minio = await startMinio({ issuer: idp.issuer, clientId: idp.clientId });
  const sts = await startCountingProxy(minio.endpoint);
  const bucket = `lakekey-${Date.now()}`;
  await createBucket(minio, bucket);
  return {
    idp,
    minio,
    sts,
    bucket,
    async stop() {
      await sts.stop();
      await minio.stop();
      await idp.stop();
    },
  };
}

export interface Sandbox {
  name: string;
  dir: string;
  awsConfig: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
}

let counter = 0;

/** A fresh settings folder and AWS config with one profile `name` pointed at the peers. */
/** `profile add NAME …`'s settings for an S3 profile on the peers: their IdP, STS and MinIO. */
export function s3ProfileArgs(peers: Peers): string[] {
  return [
    '--issuer',
    peers.idp.issuer,
    '--client-id',
    peers.idp.clientId,
    '--s3-sts-endpoint',
    peers.sts.url,
    // STS goes through the counting proxy; S3 goes to MinIO itself.
    '--s3-endpoint',
    peers.minio.endpoint,
    '--s3-region',
    'us-east-1',
  ];
}

export async function sandbox(peers: Peers, opts: { browser?: boolean; extraArgs?: string[] } = {}): Promise<Sandbox> {
  const name = `t${process.pid}-${++counter}`;
  const root = mkdtempSync(join(tmpdir(), 'lakekey-sandbox-'));
  const awsConfig = join(root, 'aws-config');
  const awsCredentials = join(root, 'aws-credentials');
  writeFileSync(awsCredentials, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LAKEKEY_CONFIG_DIR: join(root, 'lakekey'),
    AWS_CONFIG_FILE: awsConfig,
    AWS_SHARED_CREDENTIALS_FILE: awsCredentials,
    AWS_EC2_METADATA_DISABLED: 'true',
    // Outage tests wait for timeouts; keep them short.
    LAKEKEY_HTTP_TIMEOUT_SECONDS: '3',
    // One timeout for every renewal, as short as the suite's own: a renewal in the renewal window
    // on a busy machine must not trip the (2 s by default) shorter one. The tests of the short
    // timeout (reliability/backoff, unit/core/renewal-cooldown) set their own.
    LAKEKEY_EARLY_RENEWAL_TIMEOUT_SECONDS: '3',
  };
  delete env.LAKEKEY_BROWSER;
  if (opts.browser) env.LAKEKEY_BROWSER = BROWSER_COMMAND;
  const box: Sandbox = {
    name,
    dir: join(root, 'lakekey'),
    awsConfig,
    env,
    cli: (args, extraEnv) => runCli(args, { env: { ...env, ...extraEnv } }),
  };
  const add = await box.cli(['profile', 'add', name, ...s3ProfileArgs(peers), ...(opts.extraArgs ?? [])]);
  if (add.code !== 0) throw new Error(`profile add failed: ${add.stderr}`);
  return box;
}

const keychain = osKeychainStore({ timeoutMs: 10_000 });
/** The test keychain, read as each profile sees its record (profile-vault.ts). */
export const vault = new ProfileVault(keychain);
/** The same keychain item by item: a profile's own item, a shared IdP session's. */
export const items = new Vault(keychain);

export async function readRecord(name: string): Promise<SecretRecord> {
  return vault.read(name);
}

/** Rewrite the stored S3 credentials' expiry (what "aging" a session means in these tests). */
export async function ageS3(name: string, expiresInSeconds: number): Promise<SecretRecord> {
  // The profile's own item, which holds them: its session stays where it is (shared or its own).
  const r = await items.read(name);
  if (!r.s3) throw new Error('no S3 credentials to age');
  r.s3.expiresAt = Date.now() + expiresInSeconds * 1000;
  await items.write(name, r);
  return vault.read(name);
}

/** Rewrite the stored lakeFS token's expiry (negative: expired that long ago), as ageS3 does for S3. */
export async function ageLakefs(name: string, expiresInSeconds: number): Promise<SecretRecord> {
  const r = await items.read(name);
  if (!r.lakefs) throw new Error('no lakeFS token to age');
  r.lakefs.expiresAt = Date.now() + expiresInSeconds * 1000;
  await items.write(name, r);
  return vault.read(name);
}

export interface ProcessCredentials {
  Version: number;
  AccessKeyId: string;
  SecretAccessKey: string;
  SessionToken: string;
  Expiration: string;
}

export function parseCredentials(stdout: string): ProcessCredentials {
  return JSON.parse(stdout) as ProcessCredentials;
}

/** Puts an object into the peers' bucket with MinIO's root credentials (test data, not lakekey's). */
export async function putObject(p: Peers, key: string, body: string | Uint8Array): Promise<void> {
  const { PutObjectCommand, S3Client } = await import('@aws-sdk/client-s3');
  const s3 = new S3Client({
    endpoint: p.minio.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: p.minio.rootUser, secretAccessKey: p.minio.rootPassword },
  });
  try {
    await s3.send(new PutObjectCommand({ Bucket: p.bucket, Key: key, Body: body }));
  } finally {
    s3.destroy();
  }
}
