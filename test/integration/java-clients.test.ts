// Integration: the real Java S3 clients the credentials endpoint tests drive (test/peers/java.ts) work
// against the real MinIO, without lakekey in between: the AWS SDK for Java v2's default chain and
// Hadoop S3A, with static keys in the environment and nothing else configured. This proves the
// harness before the endpoint exists, and a wrong secret proves it cannot pass without reaching S3.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runS3aSoak, runSdkList } from '../peers/java.js';
import { type Peers, putObject, startPeers } from '../helpers/world.js';

const KEY = 'java/soak.bin';
const BODY = Buffer.alloc(4096, 'lakekey');

let peers: Peers;
/** MinIO's root user as static keys, as an application would find them in its environment. */
let keys: NodeJS.ProcessEnv;

before(async () => {
  peers = await startPeers();
  keys = { AWS_ACCESS_KEY_ID: peers.minio.rootUser, AWS_SECRET_ACCESS_KEY: peers.minio.rootPassword };
  await putObject(peers, KEY, BODY);
});
after(async () => {
  await peers?.stop();
});

test('AWS SDK for Java v2: the default chain takes the keys from the environment, says so, and lists the bucket', async (t) => {
  const r = await runSdkList({ endpoint: peers.minio.endpoint, bucket: peers.bucket, env: keys });
  t.diagnostic(`SdkList took ${r.ms} ms`);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.result, r.stdout);
  assert.deepEqual(r.result.source, ['CREDENTIALS_ENV_VARS'], `the environment variables supplied the credentials: ${r.stdout}`);
  assert.equal(r.result.sessionToken, false);
  assert.deepEqual(r.result.keys, [KEY]);
});

test("AWS SDK for Java v2: a wrong secret fails, naming S3's error", async () => {
  const r = await runSdkList({ endpoint: peers.minio.endpoint, bucket: peers.bucket, env: { ...keys, AWS_SECRET_ACCESS_KEY: 'not-the-secret' } });
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.result, undefined);
  assert.match(r.stderr, /^SdkList failed: software\.amazon\.awssdk\.services\.s3\.model\.S3Exception \[SignatureDoesNotMatch\] \(HTTP 403\)/m, r.stderr);
});

test('Hadoop S3A: 4 threads read one object for 5 s, each read a new GET, with no failure', async (t) => {
  const r = await runS3aSoak({ endpoint: peers.minio.endpoint, uri: `s3a://${peers.bucket}/${KEY}`, threads: 4, seconds: 5, env: keys });
  t.diagnostic(`S3aSoak took ${r.ms} ms: ${r.stdout.trim()}`);
  assert.ok(r.summary, `no summary line:\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(r.summary.errors, [], r.stderr);
  assert.equal(r.summary.failures, 0);
  assert.equal(r.code, 0, r.stderr);
  // Even a loaded 2-core machine makes many reads in 5 s; every one read the whole object.
  assert.ok(r.summary.reads >= 20, `only ${r.summary.reads} reads`);
  assert.equal(r.summary.bytes, r.summary.reads * BODY.length);
  assert.equal(r.summary.provider, 'software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider');
});

test('Hadoop S3A with its own credential provider list (nothing set) finds the same keys', async () => {
  const r = await runS3aSoak({
    endpoint: peers.minio.endpoint,
    uri: `s3a://${peers.bucket}/${KEY}`,
    threads: 1,
    seconds: 0.5,
    provider: 's3a-default',
    env: keys,
  });
  assert.ok(r.summary, `no summary line:\n${r.stdout}\n${r.stderr}`);
  assert.deepEqual(r.summary.errors, [], r.stderr);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.summary.reads > 0);
});
