// ID token validation negatives, against a deliberately misconfigured hand-written IdP
// (test/helpers/security-idp.ts): each broken token must make `lakekey login` exit 5 with a
// message and store nothing; a broken token in a refresh response must give exit 5 and leave the
// stored session exactly as it was. A correct token (the positive control) must pass, so a
// refusal is known to come from the defect under test and not from the harness.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { SecretRecord } from '../../main/core/keychain/record.js';
import { ProfileVault } from '../helpers/profile-vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { ID_TOKEN_FAULTS, startFakeSts, startSecurityIdp, type FakeSts, type SecurityIdp, type TokenFault } from '../helpers/security-idp.js';
import { SECURITY_BROWSER_COMMAND, securityBox, type Box } from '../helpers/security-world.js';

const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
let idp: SecurityIdp;
let sts: FakeSts;

before(async () => {
  idp = await startSecurityIdp();
  sts = await startFakeSts();
});
after(async () => {
  await idp?.stop();
  await sts?.stop();
});

async function box(issuer = idp.issuer, s3 = false): Promise<Box> {
  const extra = s3 ? ['--s3-sts-endpoint', sts.url, '--s3-region', 'us-east-1'] : [];
  const b = await securityBox(issuer, idp.clientId, extra, SECURITY_BROWSER_COMMAND);
  b.env.LAKEKEY_SECURITY_BROWSER_LOG = join(b.root, 'browser.log');
  return b;
}

/** The pages the test browser settled on (it may finish a moment after lakekey exits). */
async function browserPages(b: Box): Promise<Array<{ status: number; text: string }>> {
  for (let i = 0; i < 100; i++) {
    try {
      return readFileSync(b.env.LAKEKEY_SECURITY_BROWSER_LOG!, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return [];
}

describe('ID tokens from the code exchange', () => {
  test('positive control: a correct ID token logs in and is stored', async () => {
    idp.codeFault = 'none';
    const b = await box();
    const out = await b.cli(['login', b.name, '--timeout', '30']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /Logged in to profile .* as mallory@example.com|as mallory-test-subject/);
    const record = await vault.read(b.name);
    assert.equal(record.idp?.subject, idp.subject);
    assert.ok(record.idp?.idToken && record.idp.refreshToken);
  });

  for (const fault of [...ID_TOKEN_FAULTS, 'no-id-token'] as TokenFault[]) {
    test(`${fault}: login exits 5 with a message and stores nothing`, async () => {
      idp.codeFault = fault;
      try {
        const b = await box();
        const grants = idp.counts.codeGrants;
        const out = await b.cli(['login', b.name, '--timeout', '30']);
        assert.equal(out.code, 5, `exit code; stderr: ${out.stderr}`);
        assert.match(out.stderr, /lakekey: the identity provider refused the code exchange: \S/);
        assert.match(out.stderr, /\n {2}\S/, 'a hint on what to do next');
        assert.ok(!/eyJ/.test(out.stderr), 'no token in the message');
        assert.equal(idp.counts.codeGrants - grants, 1, 'the token endpoint answered once; the answer was refused');
        const record: SecretRecord = await vault.read(b.name);
        assert.deepEqual(record, { v: 1, updatedAt: 0 }, 'nothing stored in the keychain');
        const pages = await browserPages(b);
        assert.equal(pages.at(-1)?.status, 502, 'the browser tab shows the failure');
        assert.match(pages.at(-1)?.text ?? '', /Login failed/);
      } finally {
        idp.codeFault = 'none';
      }
    });
  }

  test('alg none is refused even when the IdP advertises "none" in its discovery document', async () => {
    const lax = await startSecurityIdp({ advertiseAlgNone: true });
    try {
      lax.codeFault = 'alg-none';
      const b = await box(lax.issuer);
      const out = await b.cli(['login', b.name, '--timeout', '30']);
      assert.equal(out.code, 5, out.stderr);
      assert.match(out.stderr, /identity provider refused/);
      assert.deepEqual(await vault.read(b.name), { v: 1, updatedAt: 0 });
    } finally {
      await lax.stop();
    }
  });

  test('a discovery document naming another issuer is refused before any browser step', async () => {
    const mixed = await startSecurityIdp({ discoveryIssuer: 'http://evil.example' });
    try {
      const b = await box(mixed.issuer);
      const out = await b.cli(['login', b.name, '--timeout', '30']);
      // The profile's configuration (exit 2), with the issuer the document names, and no
      // suggestion to switch to an address lakekey would not accept (plain http elsewhere).
      assert.equal(out.code, 2, out.stderr);
      assert.match(out.stderr, /announces itself as http:\/\/evil\.example/);
      assert.doesNotMatch(out.stderr, /profile set .*--issuer http:\/\/evil/);
      assert.equal(mixed.counts.authorizations, 0, 'no authorization request');
      assert.deepEqual(await vault.read(b.name), { v: 1, updatedAt: 0 });
    } finally {
      await mixed.stop();
    }
  });
});

describe('ID tokens from the refresh grant', () => {
  let b: Box;
  let aged: SecretRecord;

  /** Expire the stored S3 credentials so credential-process must refresh. */
  async function expireS3(): Promise<SecretRecord> {
    const r = await vault.read(b.name);
    r.s3!.expiresAt = Date.now() - 10_000;
    await vault.write(b.name, r);
    return vault.read(b.name);
  }

  before(async () => {
    idp.codeFault = 'none';
    idp.refreshFault = 'none';
    b = await box(idp.issuer, true);
    const out = await b.cli(['login', b.name, '--timeout', '30']);
    assert.equal(out.code, 0, out.stderr);
    delete b.env.LAKEKEY_BROWSER;
  });

  test('positive control: a correct refreshed ID token renews the S3 credentials', async () => {
    aged = await expireS3();
    const refreshes = idp.counts.refreshGrants;
    const out = await b.cli(['credential-process', b.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal(idp.counts.refreshGrants - refreshes, 1);
    const after = await vault.read(b.name);
    assert.notEqual(after.s3!.accessKeyId, aged.s3!.accessKeyId);
  });

  const refreshFaults: TokenFault[] = ['wrong-aud', 'wrong-iss', 'expired', 'bad-signature', 'alg-none', 'alg-hs256', 'unknown-kid'];
  for (const fault of refreshFaults) {
    test(`${fault}: credential-process exits 5 and the session record is untouched`, async () => {
      aged = await expireS3();
      idp.refreshFault = fault;
      try {
        const refreshes = idp.counts.refreshGrants;
        const calls = sts.calls;
        const out = await b.cli(['credential-process', b.name]);
        assert.equal(out.code, 5, `exit code; stderr: ${out.stderr}`);
        assert.equal(out.stdout, '', 'no credentials printed');
        assert.match(out.stderr, /identity provider refused the refresh: \S/);
        assert.equal(idp.counts.refreshGrants - refreshes, 1, 'one refresh request, answer refused');
        assert.equal(sts.calls, calls, 'the broken token never reached STS');
        assert.deepEqual(await vault.read(b.name), aged, 'the stored session is exactly as before');
      } finally {
        idp.refreshFault = 'none';
      }
    });
  }

  test('other-sub: a refreshed ID token for another subject is refused (OIDC Core 12.2) and the record is untouched', async () => {
    aged = await expireS3();
    idp.refreshFault = 'other-sub';
    try {
      const calls = sts.calls;
      const out = await b.cli(['credential-process', b.name]);
      assert.equal(out.code, 5, `exit code; stderr: ${out.stderr}`);
      assert.equal(sts.calls, calls, "the other subject's token never reached STS");
      assert.deepEqual(await vault.read(b.name), aged);
    } finally {
      idp.refreshFault = 'none';
    }
  });

  test('after every refused refresh the session still works', async () => {
    await expireS3();
    const out = await b.cli(['credential-process', b.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.equal((await vault.read(b.name)).idp?.subject, idp.subject);
  });
});
