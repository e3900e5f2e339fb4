// Load: 64 `lakekey credential-process` processes started at once on expired credentials, round
// after round. Per round: exactly one refresh-token grant at the IdP and one STS call, all 64
// exit 0 and print byte-identical JSON (no torn reads of a record being rewritten), and each
// round's credentials differ from the previous round's. All of it with the machine busy beside
// it (stress-ng: 8 CPU hogs and 2 disk writers on this machine's cores), where a slow keychain
// must not pass for a locked one and no bound may assume a quiet machine.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { loggedIn, rounds, summary } from '../helpers/reliability-world.js';
import { ageS3, parseCredentials, readRecord, startPeers, type Peers } from '../helpers/world.js';

const PROCESSES = 64;
const ROUNDS = rounds(2, 20); // each round runs on a machine stress-ng keeps busy: slow by design

let peers: Peers;
let stress: ChildProcess | undefined;
const stressDir = mkdtempSync(join(tmpdir(), 'lakekey-stress-'));
before(async () => {
  peers = await startPeers();
  // A missing stress-ng is a missing test peer: fail, never run quietly on an idle machine.
  stress = spawn('stress-ng', ['--cpu', '8', '--hdd', '2', '--hdd-bytes', '64M', '--temp-path', stressDir, '--timeout', '900s', '--quiet'], {
    stdio: 'ignore',
  });
  await new Promise<void>((resolve, reject) => {
    stress!.once('error', (err) => reject(new Error(`stress-ng could not start (run \`npm run setup:test\`): ${err.message}`)));
    stress!.once('spawn', () => resolve());
  });
});
after(async () => {
  stress?.kill('SIGINT');
  await new Promise((r) => (stress?.exitCode === null ? stress.once('close', r) : r(undefined)));
  rmSync(stressDir, { recursive: true, force: true });
  await peers?.stop();
});

test(`${PROCESSES} concurrent credential-process runs at expiry, ${ROUNDS} rounds: one IdP grant and one STS call per round, identical output`, async () => {
  const box = await loggedIn(peers);
  // The product's default HTTP timeout (10 s), not the sandbox's 3 s meant for outage tests:
  // 64 Node processes starting on 2 shared cores can starve the one doing the renewal for 3 s.
  delete box.env.LAKEKEY_HTTP_TIMEOUT_SECONDS;
  const stsCalls = () => peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity');
  let previous = (await readRecord(box.name)).s3!.accessKeyId;
  const roundMs: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    await ageS3(box.name, -5); // expired: every process must wait for the one renewal
    const grants = peers.idp.counts.refreshGrants;
    const authorizations = peers.idp.counts.authorizations;
    const sts = stsCalls();
    const t0 = Date.now();
    const results = await Promise.all(Array.from({ length: PROCESSES }, () => runCli(['credential-process', box.name], { env: box.env, timeoutMs: 120_000 })));
    roundMs.push(Date.now() - t0);
    const failed = results.filter((r) => r.code !== 0);
    assert.deepEqual(
      failed.map((r) => `${r.code}: ${r.stderr.trim()}`),
      [],
      `round ${round}: all ${PROCESSES} exit 0`,
    );
    const outputs = new Set(results.map((r) => r.stdout));
    assert.equal(outputs.size, 1, `round ${round}: all ${PROCESSES} print byte-identical JSON`);
    const creds = parseCredentials([...outputs][0]);
    assert.deepEqual(Object.keys(creds), ['Version', 'AccessKeyId', 'SecretAccessKey', 'SessionToken', 'Expiration']);
    assert.ok(Date.parse(creds.Expiration) - Date.now() > 3000_000, 'fresh credentials');
    assert.notEqual(creds.AccessKeyId, previous, `round ${round}: new credentials, not the previous round's`);
    assert.equal(peers.idp.counts.refreshGrants - grants, 1, `round ${round}: exactly one refresh-token grant`);
    assert.equal(stsCalls() - sts, 1, `round ${round}: exactly one STS call`);
    assert.equal(peers.idp.counts.authorizations, authorizations, 'no browser login');
    assert.equal((await readRecord(box.name)).s3?.accessKeyId, creds.AccessKeyId, 'what was printed is what is stored');
    previous = creds.AccessKeyId;
  }
  summary(`load ${PROCESSES} concurrent credential-process`, ROUNDS, 'rounds', `slowest round ${Math.max(...roundMs)} ms`);
});
