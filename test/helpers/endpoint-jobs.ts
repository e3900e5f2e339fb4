// The long-job scenario of the credentials endpoint, shared by `npm test` (short credentials made
// so by the STS peer, 80 s: test/e2e/endpoint-jobs.test.ts) and `npm run test:long` (MinIO's own
// shortest credentials, one hour: test/long/endpoint-hour.test.ts). Real clients with nothing
// configured but the container-credentials variables — the AWS SDK for Java v2, Hadoop S3A with
// its own default provider list, and boto3 — read a real MinIO bucket through `lakekey serve`
// while the credentials under them really expire, again and again. No clock is faked.
import assert from 'node:assert/strict';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runS3aSoak, runSdkList } from '../peers/java.js';
import { run } from './cli.js';
import { startServe } from './serve-process.js';
import { putObject, sandbox, startPeers, type Peers, type Sandbox } from './world.js';

export interface JobsScenario {
  /** How long each set of credentials lives at MinIO, in seconds. */
  ttlS: number;
  /**
   * How the lifetime is made: `token` — the STS peer drops DurationSeconds, so MinIO ends the
   * credentials with the web identity token, whose lifetime the IdP peer sets to `ttlS`;
   * `duration` — lakekey asks MinIO for `ttlS` seconds (MinIO's floor is 900).
   */
  lifetime: 'token' | 'duration';
  /** The profile's --refresh-before, when set; else lakekey's default (a third of a short lifetime). */
  refreshBeforeS?: number;
  /** How long the readers read. */
  runS: number;
  threads: number;
  /** Each boto3 thread's pause between reads, in seconds. */
  pauseS: number;
  /** Each S3A thread's pause between reads, in seconds (default none: as fast as it reads). */
  s3aPauseS?: number;
}

/** Registers the scenario's before/after hooks and its two tests in the calling test file. */
export function endpointJobs(sc: JobsScenario): void {
  const { ttlS: TTL_S, runS: RUN_S, threads: THREADS } = sc;
  const REFRESH_BEFORE_S = sc.refreshBeforeS ?? Math.floor(TTL_S / 3);
  // "At most one mint per expiry, plus one" can hold only when a set serves more than half its
  // lifetime before it is renewed (refresh-before under half the lifetime, with 2 s of slack for
  // whole-second expiries): the hour-long run's 900 s sets. A lifetime short enough for npm test
  // (65 s; refresh-before cannot go under 60 s) is renewed every 5 s, so there the bound is the
  // renewal schedule's: one mint per (lifetime − refresh-before), plus one, however many readers.
  const PER_EXPIRY = REFRESH_BEFORE_S + 2 < TTL_S / 2;
  const KEY = 'jobs/data.bin';
  const VENV = join(process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test'), 'venv');

  let peers: Peers;
  let box: Sandbox;
  let server: ChildProcessWithoutNullStreams;
  let vars: Record<string, string>;

  before(async () => {
    peers = await startPeers(sc.lifetime === 'token' ? { idTokenTtlSeconds: TTL_S } : {});
    peers.sts.setTokenLifetime(sc.lifetime === 'token');
    await putObject(peers, KEY, Buffer.alloc(4096, 7));
    box = await sandbox(peers, {
      browser: true,
      extraArgs: [
        ...(sc.refreshBeforeS ? ['--refresh-before', String(sc.refreshBeforeS)] : []),
        ...(sc.lifetime === 'duration' ? ['--s3-duration', String(TTL_S)] : []),
      ],
    });
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 0, login.stderr);
    delete box.env.LAKEKEY_BROWSER; // unattended from here on
    const serving = await startServe(box, ['--format', 'json']);
    server = serving.child;
    vars = JSON.parse(serving.stdout()) as Record<string, string>;
  });
  after(async () => {
    server?.kill('SIGTERM');
    await peers?.stop();
  });

  /** The container variables alone: the token through its file, as `env --server` hands it out. */
  const endpointEnv = () => ({
    AWS_CONTAINER_CREDENTIALS_FULL_URI: vars.AWS_CONTAINER_CREDENTIALS_FULL_URI,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: vars.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE,
  });

  test('the AWS SDK for Java v2 default chain takes its credentials from the endpoint', async () => {
    const r = await runSdkList({ endpoint: peers.minio.endpoint, bucket: peers.bucket, env: endpointEnv() });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.result?.source.includes('CREDENTIALS_HTTP'), `from the container endpoint: ${JSON.stringify(r.result)}`);
    assert.ok(r.result?.keys?.includes(KEY));
    assert.ok(r.result?.sessionToken);
  });

  test(
    `a JVM job (Hadoop S3A, ${THREADS} threads) and a boto3 loop (${THREADS} threads) read for ${RUN_S} s across three real expiries: no failure, ${PER_EXPIRY ? 'at most one mint per expiry plus one' : 'one mint per renewal due plus one'}`,
    { timeout: (RUN_S + 300) * 1000 },
    async (t) => {
      const mints = () => peers.sts.requests.filter((q) => q.action === 'AssumeRoleWithWebIdentity');
      const start = Date.now();
      const boto = `
import boto3, botocore.config, concurrent.futures as f, json, time
s3 = boto3.session.Session().client("s3", config=botocore.config.Config(retries={"max_attempts": 1}))
end = time.time() + ${RUN_S}
def loop(_):
    reads = fails = 0
    errors = set()
    while time.time() < end:
        try:
            s3.get_object(Bucket="${peers.bucket}", Key="${KEY}")["Body"].read()
            reads += 1
        except Exception as e:
            fails += 1
            errors.add(str(e)[:200])
        time.sleep(${sc.pauseS})
    return reads, fails, errors
with f.ThreadPoolExecutor(${THREADS}) as ex:
    out = list(ex.map(loop, range(${THREADS})))
print(json.dumps({"reads": sum(o[0] for o in out), "failures": sum(o[1] for o in out), "errors": sorted(set().union(*(o[2] for o in out)))[:3]}))
`;
      const pyEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        AWS_REGION: 'us-east-1',
        AWS_EC2_METADATA_DISABLED: 'true',
        AWS_CONFIG_FILE: '/dev/null',
        AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
        AWS_ENDPOINT_URL_S3: peers.minio.endpoint,
        ...endpointEnv(),
      };
      const [jvm, py] = await Promise.all([
        runS3aSoak({
          endpoint: peers.minio.endpoint,
          uri: `s3a://${peers.bucket}/${KEY}`,
          threads: THREADS,
          seconds: RUN_S,
          pauseMs: (sc.s3aPauseS ?? 0) * 1000,
          provider: 's3a-default',
          env: endpointEnv(),
        }),
        run(join(VENV, 'bin', 'python'), ['-c', boto], { env: pyEnv, timeoutMs: (RUN_S + 120) * 1000 }),
      ]);
      const end = Date.now();
      assert.ok(jvm.summary, `S3A printed no summary: ${jvm.stderr.slice(-2000)}`);
      assert.equal(jvm.summary.failures, 0, `S3A: ${JSON.stringify(jvm.summary.errors)}`);
      assert.ok(jvm.summary.reads > THREADS, `S3A read (${jvm.summary.reads})`);
      assert.equal(py.code, 0, py.stderr.slice(-2000));
      const boto3 = JSON.parse(py.stdout.trim().split('\n').at(-1)!) as { reads: number; failures: number; errors: string[] };
      assert.equal(boto3.failures, 0, `boto3: ${JSON.stringify(boto3.errors)}`);
      assert.ok(boto3.reads > THREADS, `boto3 read (${boto3.reads})`);

      const minted = mints();
      const expiry = (m: (typeof minted)[number]) => m.expiration ?? m.at + TTL_S * 1000;
      const runS = (end - start) / 1000;
      const say = () => minted.map((m) => `${((m.at - start) / 1000).toFixed(1)}→${((expiry(m) - start) / 1000).toFixed(1)}`).join(', ');
      // The credentials really expired under the readers: at least three sets (minted before the
      // run or during it) reached their end at MinIO while they read.
      const expiries = minted.filter((m) => expiry(m) >= start && expiry(m) <= end).length;
      t.diagnostic(`mints (s from the start of the run: minted→expires): ${say()}; the run: ${runS} s`);
      assert.ok(expiries >= 3, `${expiries} sets of credentials expired during the ${runS} s run (mint→expiry, s from the start: ${say()})`);
      // A set is replaced only once it is within --refresh-before of its expiry, never while it is
      // still fresh (1 s of slack for the two clocks: ours, and MinIO's rounding of Expiration to
      // the second), so mints are at least MIN_GAP_S apart (1 s more: the IdP stamps the new ID
      // token, whose end is the set's, in whole seconds).
      for (let i = 1; i < minted.length; i++) {
        const due = expiry(minted[i - 1]) - REFRESH_BEFORE_S * 1000 - 1000;
        assert.ok(minted[i].at >= due, `mint ${i} at ${minted[i].at - start} ms came ${due - minted[i].at} ms before the set it replaced was due`);
      }
      // However many readers (32 here), the mints are the renewal schedule's and no more: at most
      // one per MIN_GAP_S of the run, plus one.
      const MIN_GAP_S = TTL_S - REFRESH_BEFORE_S - 2;
      const during = minted.filter((m) => m.at >= start && m.at <= end).length;
      assert.ok(
        during <= Math.floor(runS / MIN_GAP_S) + 1,
        `${during} mints in ${runS} s; the schedule makes at most ${Math.floor(runS / MIN_GAP_S) + 1} (${say()})`,
      );
      assert.ok(during >= 3, `renewed during the run (${say()})`);
      if (PER_EXPIRY) {
        // The bound: at most one mint per expiry, plus one. Each lifetime-long window holds
        // at most two mints (a set serves more than half its lifetime before it is replaced), and
        // the run crossed at least as many expiries as it made mints, but one.
        for (let i = 2; i < minted.length; i++) {
          assert.ok(minted[i].at - minted[i - 2].at > TTL_S * 1000, `mints ${i - 2}, ${i - 1} and ${i} within one ${TTL_S} s lifetime (${say()})`);
        }
        assert.ok(during <= expiries + 1, `${during} mints for ${expiries} expiries during the run (${say()})`);
      }
      assert.ok(readFileSync(vars.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, 'utf8').length > 40);
    },
  );
}
