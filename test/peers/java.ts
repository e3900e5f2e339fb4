// Test peer: real Java S3 clients, for the credentials endpoint (the AWS container credentials
// protocol): the AWS SDK for Java v2 (test/java/SdkList.java) and Hadoop S3A (test/java/S3aSoak.java).
// Each runs in a JVM of its own with nothing configured but what a test passes in its environment,
// and the S3 endpoint (MinIO) and region.
//
// Versions, all pinned in test/java/pom.xml (the one place; scripts/setup-test.sh fetches them from
// Maven Central once and compiles the programs against them):
// - SdkList: AWS SDK for Java v2 2.59.1 (its BOM; the `s3` module and what it pulls in): the SDK a
//   new application gets. Its default chain is System properties, environment variables, web
//   identity, profile files, the container endpoint, instance metadata.
// - S3aSoak: hadoop-aws + hadoop-common 3.5.0 with the SDK `bundle` 2.35.4, the SDK version
//   hadoop-project 3.5.0 pins and Hadoop's release notes tell users to install: what Spark and
//   Hadoop users run. S3A needs the bundle (hadoop-aws depends on it with every dependency
//   excluded; the separate modules would put unshaded Netty and HttpClient beside hadoop-common's
//   own). ~650 MB, fetched once.
// - The JDK is Debian's default-jdk-headless (17 on bookworm); the programs are compiled for 17.
// Two SDK versions on purpose: the endpoint must serve both.
//
// What these clients honour, read from the pinned jars and seen against a stand-in endpoint:
// - Both SDK versions read AWS_CONTAINER_CREDENTIALS_FULL_URI (http only to a host that resolves
//   to loopback, else https) with AWS_CONTAINER_AUTHORIZATION_TOKEN or _TOKEN_FILE. The token
//   variable wins when both are set, even set empty: then no Authorization header is sent and the
//   file is ignored. The file is read again at every fetch and sent as it is: a trailing newline
//   makes the fetch fail before any request ("Failed to load credentials from metadata service.").
// - A fetch is due 15 minutes before `Expiration` (at most an hour after the last) and blocking 1
//   minute before it. With `Token` the SDK holds session credentials and reports `Expiration`
//   (expirationTime()); without, neither.
// - S3A, given the SDK's DefaultCredentialsProvider (S3aSoak's default) or left with its own list
//   (`provider: 's3a-default'`, whose IAMInstanceCredentialsProvider asks the container endpoint
//   first), fails each read whose credentials cannot be had at once, with AccessDeniedException
//   (NoAuthWithAWSException): no retry.
//
// The environment each program gets is built here, not inherited: PATH, HOME, AWS_REGION=us-east-1,
// profile files that do not exist, instance metadata off (AWS_EC2_METADATA_DISABLED: no request to
// 169.254.169.254), the S3 endpoint, then the test's own variables.
//
// A missing build is a failure, never a skip: the error says to run `npm run setup:test`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { REPO, run, type CliResult } from '../helpers/cli.js';

/** The Java sources and the pom; scripts/setup-test.sh keys the cache by their hashes. */
export const JAVA_SOURCES = join(REPO, 'test', 'java');

export interface JavaClients {
  /** The java launcher ($JAVA_HOME/bin/java, else `java` on PATH). */
  java: string;
  /** Classpaths (compiled classes first, then the jars) of SdkList and S3aSoak. */
  sdkClasspath: string;
  s3aClasspath: string;
}

/** The first 16 hex digits of the SHA-256 of each file's name and content: as java_hash in scripts/setup-test.sh. */
function hashFiles(names: string[]): string {
  const hash = createHash('sha256');
  for (const name of names) {
    hash.update(`${name}\n`);
    hash.update(readFileSync(join(JAVA_SOURCES, name)));
  }
  return hash.digest('hex').slice(0, 16);
}

let found: JavaClients | undefined;

/** Finds the compiled clients and their jars in the test cache for this checkout's test/java; throws when they are not there. */
export function javaClients(): JavaClients {
  if (found) return found;
  // The test harness swaps HOME for a temporary one; it passes the real cache folder on.
  const cache = process.env.LAKEKEY_TEST_CACHE || join(homedir(), '.cache', 'lakekey-test');
  // Every file in test/java, in byte order (LC_ALL=C sort in the script).
  const files = readdirSync(JAVA_SOURCES)
    .filter((f) => statSync(join(JAVA_SOURCES, f)).isFile())
    .sort();
  const lib = join(cache, `java-lib-${hashFiles(['pom.xml'])}`);
  const classes = join(cache, `java-classes-${hashFiles(files)}`);
  for (const [dir, what] of [
    [lib, 'the jars pinned in test/java/pom.xml'],
    [classes, 'the compiled test/java programs'],
  ]) {
    if (!existsSync(join(dir, '.lakekey-complete'))) {
      throw new Error(`The Java test clients are not set up for this checkout: ${what} are not in ${dir}. Run \`npm run setup:test\`.`);
    }
  }
  const java = process.env.JAVA_HOME ? join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
  if (spawnSync(java, ['-version'], { stdio: 'ignore' }).status !== 0) {
    throw new Error(`No Java runtime (${java}) for the Java test clients: run \`npm run setup:test\` (it installs default-jdk-headless).`);
  }
  found = {
    java,
    sdkClasspath: [join(classes, 'sdk'), join(lib, 'sdk', '*')].join(':'),
    s3aClasspath: [join(classes, 's3a'), join(lib, 's3a', '*')].join(':'),
  };
  return found;
}

/** JVM options for a short-lived client: the quick compiler alone and the simple collector start fastest. */
const JVM = ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1'];

export interface JavaRunOptions {
  /** The S3 endpoint (MinIO's http://127.0.0.1:PORT), as LAKEKEY_S3_ENDPOINT; path-style access. */
  endpoint: string;
  /** Added to the built environment (credentials, container variables); an undefined value removes one. */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

function javaEnv(opts: JavaRunOptions): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME,
    LANG: 'C.UTF-8',
    ...(process.env.JAVA_HOME ? { JAVA_HOME: process.env.JAVA_HOME } : {}),
    AWS_REGION: 'us-east-1',
    AWS_CONFIG_FILE: '/nonexistent/lakekey-test-aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/lakekey-test-aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
    LAKEKEY_S3_ENDPOINT: opts.endpoint,
    ...opts.env,
  };
}

/** What SdkList printed on success (see test/java/SdkList.java). */
export interface SdkListResult {
  /** AwsCredentials.providerName(): the SDK's business-metric code(s), e.g. "g". */
  provider: string | null;
  /** The codes spelled out: CREDENTIALS_ENV_VARS, CREDENTIALS_HTTP (the container endpoint), … */
  source: string[];
  expiration: string | null;
  sessionToken: boolean;
  keys?: string[];
  key?: string;
  bytes?: number;
}

/**
 * The AWS SDK for Java v2 with its default credentials chain: lists `bucket`, or gets `key` from it.
 * `result` is the parsed JSON line when it exited 0.
 */
export async function runSdkList(opts: JavaRunOptions & { bucket: string; key?: string }): Promise<CliResult & { result?: SdkListResult }> {
  const { java, sdkClasspath } = javaClients();
  const args = [...JVM, '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', sdkClasspath, 'SdkList', opts.bucket, ...(opts.key ? [opts.key] : [])];
  const r = await run(java, args, { env: javaEnv(opts), timeoutMs: opts.timeoutMs ?? 60_000 });
  return { ...r, result: r.code === 0 ? lastJsonLine<SdkListResult>(r.stdout) : undefined };
}

/** S3aSoak's summary line (see test/java/S3aSoak.java). */
export interface SoakSummary {
  reads: number;
  failures: number;
  bytes: number;
  threads: number;
  seconds: number;
  provider: string;
  /** The first few distinct failure messages. */
  errors: string[];
}

/**
 * Hadoop S3A: `threads` threads open, read and close `uri` (s3a://bucket/key) again and again for
 * `seconds` seconds, pausing `pauseMs` after each read (default none). `provider` sets fs.s3a.aws.credentials.provider (default: the SDK's
 * DefaultCredentialsProvider; 's3a-default': S3A's own list). `summary` is parsed whatever the exit
 * code, when the program got as far as printing it.
 */
export async function runS3aSoak(
  opts: JavaRunOptions & { uri: string; threads: number; seconds: number; pauseMs?: number; provider?: string },
): Promise<CliResult & { summary?: SoakSummary }> {
  const { java, s3aClasspath } = javaClients();
  const env = { ...javaEnv(opts), ...(opts.provider ? { LAKEKEY_S3A_CREDENTIALS_PROVIDER: opts.provider } : {}) };
  const args = [...JVM, '-cp', s3aClasspath, 'S3aSoak', opts.uri, String(opts.threads), String(opts.seconds), String(opts.pauseMs ?? 0)];
  const r = await run(java, args, { env, timeoutMs: opts.timeoutMs ?? opts.seconds * 1000 + 60_000 });
  return { ...r, summary: lastJsonLine<SoakSummary>(r.stdout) };
}

function lastJsonLine<T>(stdout: string): T | undefined {
  const line = stdout.trim().split('\n').at(-1);
  try {
    return line ? (JSON.parse(line) as T) : undefined;
  } catch {
    return undefined;
  }
}
