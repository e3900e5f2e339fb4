// Crash safety: `lakekey credential-process` is killed with SIGKILL (LAKEKEY_FAULT) at each
// named point of a refresh. Afterwards the keychain record must parse as a whole record (the
// old one or the new one, never a mix), the dead process's lock must not block anyone, and the
// next plain run must renew without a browser — except where the IdP has already consumed the
// refresh token that died with the process (see the 'after-idp-grant' cases).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { SecretRecord } from '../../main/core/keychain/record.js';
import { KEYCHAIN_SERVICE } from '../../main/core/keychain/keychain-store.js';
import { BROWSER_COMMAND, parseCredentials, readRecord, startPeers, ageS3, type Peers, type Sandbox } from '../helpers/world.js';
import { hintLine, lockFileOf, loggedIn, rounds, summary } from '../helpers/reliability-world.js';
import { runCli, type CliResult } from '../helpers/cli.js';

/** A dead holder's lock must be taken over at once (its pid is gone), not after the 15 s heartbeat staleness. */
const RECOVERY_BOUND_MS = 10_000;
const ROUNDS = rounds(1, 5);

let peers: Peers;
before(async () => {
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
});

const stsCalls = () => peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity');

/** Keychain accounts of this profile's split-record chunks (`NAME#gen.i`), referenced or not. */
async function chunkAccounts(name: string): Promise<string[]> {
  const mod = (await import('keytar')) as unknown as {
    default?: { findCredentials(s: string): Promise<Array<{ account: string }>> };
    findCredentials(s: string): Promise<Array<{ account: string }>>;
  };
  const keytar = mod.default ?? mod;
  return (await keytar.findCredentials(KEYCHAIN_SERVICE)).map((c) => c.account).filter((a) => a.startsWith(`${name}#`));
}

interface Killed {
  box: Sandbox;
  old: SecretRecord;
  killed: CliResult;
  stored: SecretRecord;
  idpGrants: number;
  sts: number;
}

/** Logs in, expires the S3 credentials, and runs one credential-process that kills itself at `point`. */
async function killAt(point: string, box?: Sandbox): Promise<Killed> {
  box ??= await loggedIn(peers);
  const old = await ageS3(box.name, -10);
  const env: NodeJS.ProcessEnv = { ...box.env, LAKEKEY_FAULT: point };
  if (point === 'mid-keychain-write') {
    // Force the split (Windows-size items); if this record is small, smaller items still split it.
    const size = Buffer.byteLength(JSON.stringify(old));
    env.LAKEKEY_KEYCHAIN_MAX_ITEM_BYTES = String(size > 2560 + 512 ? 2560 : Math.max(256, Math.floor(size / 2) + 64));
  }
  const grants = peers.idp.counts.refreshGrants;
  const sts = stsCalls();
  const killed = await runCli(['credential-process', box.name], { env, timeoutMs: 60_000 });
  assert.equal(killed.code, null, `the process died at ${point} (exit ${killed.code}: ${killed.stderr})`);
  assert.equal(killed.stdout, '', 'a killed run printed no credentials');
  // The record must parse as a whole (Vault.read throws on a damaged or half-assembled one).
  const stored = await readRecord(box.name);
  assert.equal(stored.v, 1);
  return { box, old, killed, stored, idpGrants: peers.idp.counts.refreshGrants - grants, sts: stsCalls() - sts };
}

/** The next plain run: recovers the dead lock fast, and (when the session survived) renews without a browser. */
async function nextRun(box: Sandbox): Promise<CliResult> {
  assert.ok(existsSync(lockFileOf(box)), 'SIGKILL left the lock file behind (the case under test)');
  const out = await runCli(['credential-process', box.name], { env: box.env, timeoutMs: 60_000 });
  assert.ok(out.ms < RECOVERY_BOUND_MS, `the stale lock was recovered within ${RECOVERY_BOUND_MS} ms (took ${out.ms} ms)`);
  assert.ok(!existsSync(lockFileOf(box)), 'no lock left behind after the next run');
  return out;
}

describe('kill -9 during a credential-process refresh', () => {
  for (const point of ['after-refresh-stored', 'after-sts'] as const) {
    test(`${point}: the record holds the rotated refresh token and the old S3 keys; the next run renews without a browser`, async () => {
      const times: number[] = [];
      let box: Sandbox | undefined;
      for (let round = 0; round < ROUNDS; round++) {
        const k = await killAt(point, box);
        box = k.box;
        assert.equal(k.idpGrants, 1, 'the IdP granted one refresh before the kill');
        assert.equal(k.sts, point === 'after-sts' ? 1 : 0);
        assert.ok(k.stored.idp?.refreshToken, 'the session is not lost');
        assert.notEqual(k.stored.idp.refreshToken, k.old.idp!.refreshToken, 'the rotated refresh token was committed before the kill');
        assert.deepEqual(k.stored.s3, k.old.s3, 'the S3 part is the old one, whole');
        const authorizations = peers.idp.counts.authorizations;
        const out = await nextRun(box);
        assert.equal(out.code, 0, out.stderr);
        assert.notEqual(parseCredentials(out.stdout).AccessKeyId, k.old.s3!.accessKeyId, 'fresh credentials');
        assert.equal(peers.idp.counts.authorizations, authorizations, 'no browser login');
        assert.equal((await readRecord(box.name)).s3?.accessKeyId, parseCredentials(out.stdout).AccessKeyId);
        times.push(out.ms);
      }
      summary(`crash ${point}`, ROUNDS, 'rounds', `next run ${Math.max(...times)} ms at most`);
    });
  }

  for (const point of ['after-idp-grant', 'mid-keychain-write'] as const) {
    test(
      `${point}: the record is the old one, whole — but the IdP already consumed its refresh token (rotation), ` +
        'so the session is LOST: the next run exits 3 and needs a browser login (known limitation)',
      async () => {
        const times: number[] = [];
        let orphans = 0;
        for (let round = 0; round < ROUNDS; round++) {
          const k = await killAt(point);
          const { box } = k;
          assert.equal(k.idpGrants, 1, 'the IdP granted (and rotated) the refresh before the kill');
          assert.deepEqual(k.stored, k.old, 'nothing of the new session was committed: the old record, whole');
          if (point === 'mid-keychain-write') orphans += (await chunkAccounts(box.name)).length;
          const grantsBefore = peers.idp.counts.refreshGrants;
          const out = await nextRun(box);
          // oidc-provider (like Okta, Auth0, Keycloak without a reuse interval) treats a rotated
          // refresh token presented again as reuse: invalid_grant, and it revokes the whole grant.
          assert.equal(peers.idp.counts.refreshGrants, grantsBefore, 'the old refresh token was refused by the IdP');
          assert.equal(out.code, 3, `login required: ${out.stderr}`);
          assert.equal(out.stdout, '');
          assert.match(out.stderr, /your session at the identity provider has ended/);
          assert.match(hintLine(out.stderr), new RegExp(`lakekey login ${box.name}`));
          const after = await readRecord(box.name);
          assert.equal(after.idp?.refreshToken, undefined, 'the dead refresh token was forgotten');
          // Only a browser login brings the profile back.
          const login = await runCli(['credential-process', box.name], { env: { ...box.env, LAKEKEY_BROWSER: BROWSER_COMMAND } });
          assert.equal(login.code, 0, login.stderr);
          times.push(out.ms);
        }
        summary(
          `crash ${point} (session lost, exit 3)`,
          ROUNDS,
          'rounds',
          `next run ${Math.max(...times)} ms at most; ${orphans} orphaned chunk item(s) left in the keychain`,
        );
      },
    );
  }
});
