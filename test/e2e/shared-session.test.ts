// One sign-in per identity provider (issue 24, item 6), end to end against real peers: the
// oidc-provider IdP (which rotates refresh tokens and refuses a spent one), Debian chromium, the
// Secret Service, MinIO STS and the AWS CLI. Profiles of one settings file with the same issuer,
// client and scopes share one IdP session: one browser login signs them all in, a refresh by one
// serves the others, profiles asking at once make one refresh, and a logout says whom it concerns.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_USERS } from '../peers/idp.js';
import { ageS3, BROWSER_COMMAND, items, parseCredentials, type Peers, readRecord, sandbox, type Sandbox, startPeers } from '../helpers/world.js';

let peers: Peers;
before(async () => {
  peers = await startPeers({ users: [...DEFAULT_USERS, { sub: 'bob', login: 'bob@example.com', name: 'Bob Example', policy: 'readwrite' }] });
});
after(async () => {
  await peers?.stop();
});

/** A sandbox whose settings hold `a` (the sandbox's own profile), `b` and `c` on the same IdP, and `d` asking other scopes. */
async function family(opts: { browser?: boolean } = {}): Promise<Sandbox & { b: string; c: string; d: string }> {
  const box = await sandbox(peers, { browser: true });
  const [b, c, d] = ['b', 'c', 'd'].map((x) => `${box.name}${x}`);
  const common = ['--issuer', peers.idp.issuer, '--client-id', peers.idp.clientId, '--s3-sts-endpoint', peers.sts.url, '--s3-region', 'us-east-1'];
  for (const name of [b, c]) assert.equal((await box.cli(['profile', 'add', name, ...common])).code, 0);
  const other = await box.cli(['profile', 'add', d, ...common, '--scope', 'openid', '--scope', 'email', '--scope', 'offline_access']);
  assert.equal(other.code, 0, other.stderr);
  if (!opts.browser) delete box.env.LAKEKEY_BROWSER;
  return Object.assign(box, { b, c, d });
}

/** The environment of a command that may open the (test) browser; the family's own has none. */
const BROWSER = { LAKEKEY_BROWSER: BROWSER_COMMAND };

const stsMints = () => peers.sts.count((r) => r.action === 'AssumeRoleWithWebIdentity');

describe('one sign-in for the profiles of one identity provider', () => {
  test('one browser login signs in every profile with the same issuer, client and scopes; status and login say so', async () => {
    const box = await family();
    const before = { ...peers.idp.counts };
    const login = await box.cli(['login', box.name], BROWSER);
    assert.equal(login.code, 0, login.stderr);
    assert.match(login.stderr, new RegExp(`"${box.b}" and "${box.c}" share this sign-in`));
    // b needs no login of its own: its credentials come from the shared session, with no browser.
    const mints = stsMints();
    const b = await box.cli(['credential-process', box.b]);
    assert.equal(b.code, 0, b.stderr);
    assert.ok(parseCredentials(b.stdout).AccessKeyId);
    assert.equal(peers.idp.counts.authorizations - before.authorizations, 1, 'one browser login in all');
    assert.equal(stsMints() - mints, 1, "b's own S3 credentials were minted");
    // d asks other scopes: a session of its own, so it is not signed in.
    const d = await box.cli(['credential-process', box.d]);
    assert.equal(d.code, 3, d.stderr);
    assert.match(d.stderr, new RegExp(`lakekey login ${box.d}`));
    const [a] = JSON.parse((await box.cli(['status', box.name, '--json'])).stdout);
    assert.deepEqual(a.sharedWith, [box.b, box.c]);
    const table = (await box.cli(['status'])).stdout;
    assert.match(table, new RegExp(`${box.b}\\s+alice@example.com \\(sign-in shared with ${box.name}, ${box.c}\\)`));
    assert.doesNotMatch(table.split('\n').find((l) => l.startsWith(box.d)) ?? '', /shared/);
    // The session is one keychain item, which each profile's item names; no profile holds it itself.
    const own = await items.read(box.name);
    assert.equal(own.idp, undefined);
    assert.ok(own.session?.startsWith('@idp/'));
    assert.equal((await items.read(box.b)).session, own.session);
    assert.ok((await items.read(own.session!)).idp?.refreshToken);
  });

  test('a refresh by one profile serves the others: the rotated refresh token is the one they use next', async () => {
    const box = await family();
    assert.equal((await box.cli(['login', box.name], BROWSER)).code, 0);
    const first = (await readRecord(box.name)).idp!.refreshToken;
    await ageS3(box.name, 60);
    const grants = peers.idp.counts.refreshGrants;
    assert.equal((await box.cli(['credential-process', box.name])).code, 0);
    const rotated = (await readRecord(box.name)).idp!.refreshToken;
    assert.notEqual(rotated, first, 'the IdP rotated it');
    // b's first use: the session a's refresh left (the IdP refuses the spent token, and revokes the grant if it sees it).
    const b = await box.cli(['credential-process', box.b]);
    assert.equal(b.code, 0, b.stderr);
    assert.equal(peers.idp.counts.refreshGrants - grants, 2);
    assert.ok(!peers.idp.presented.slice(-1).includes(first!), 'the spent refresh token was never presented again');
    const [c] = JSON.parse((await box.cli(['status', box.c, '--json'])).stdout);
    assert.equal(c.signedIn, true, 'c, never used, is signed in by the same session');
    assert.equal(c.canRefresh, true);
    assert.deepEqual(c.sharedWith, [box.name, box.b]);
  });

  test('profiles asking at once while their credentials are due make one refresh at the IdP', async () => {
    const box = await family();
    assert.equal((await box.cli(['login', box.name], BROWSER)).code, 0);
    for (const name of [box.b, box.c]) assert.equal((await box.cli(['credential-process', name])).code, 0);
    for (const name of [box.name, box.b, box.c]) await ageS3(name, 60);
    const grants = peers.idp.counts.refreshGrants;
    const mints = stsMints();
    // The refresh is held at the IdP so that every process has asked before it is answered, however slowly they start.
    // (Each process waits for the IdP longer than it is held: this is about who asks, not about a slow IdP.)
    peers.idp.setRefreshDelay(5000);
    const patient = { LAKEKEY_HTTP_TIMEOUT_SECONDS: '30', LAKEKEY_EARLY_RENEWAL_TIMEOUT_SECONDS: '30' };
    let results;
    try {
      results = await Promise.all([box.name, box.b, box.c].flatMap((name) => Array.from({ length: 4 }, () => box.cli(['credential-process', name], patient))));
    } finally {
      peers.idp.setRefreshDelay(0);
    }
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(peers.idp.counts.refreshGrants - grants, 1, 'one refresh for the three profiles');
    assert.equal(stsMints() - mints, 3, 'each profile minted its own S3 credentials once');
  });

  test('logout ends the sign-in for every profile sharing it and says so; they keep their credentials until these expire', async () => {
    const box = await family();
    assert.equal((await box.cli(['login', box.name], BROWSER)).code, 0);
    const b = await box.cli(['credential-process', box.b]);
    assert.equal(b.code, 0, b.stderr);
    const session = (await items.read(box.name)).session!;
    const out = await box.cli(['logout', box.name]);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stderr, /the session was revoked at the identity provider/);
    assert.match(out.stderr, new RegExp(`"${box.b}" and "${box.c}" shared this sign-in and are logged out too`));
    assert.deepEqual(await items.read(session), { v: 1, updatedAt: 0 }, 'the shared session is gone from the keychain');
    // b still has its unexpired credentials (they are STS's, not the IdP's), and renewing them needs a login.
    const served = await box.cli(['credential-process', box.b]);
    assert.equal(served.code, 0, served.stderr);
    assert.equal(parseCredentials(served.stdout).AccessKeyId, parseCredentials(b.stdout).AccessKeyId);
    await ageS3(box.b, -10);
    const due = await box.cli(['credential-process', box.b]);
    assert.equal(due.code, 3, due.stderr);
  });

  test('removing one profile leaves the sign-in to those that share it', async () => {
    const box = await family();
    assert.equal((await box.cli(['login', box.name], BROWSER)).code, 0);
    const revocations = peers.idp.presented.length;
    const removed = await box.cli(['profile', 'remove', box.name]);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, new RegExp(`Its sign-in at the identity provider stays: "${box.b}" and "${box.c}" share it`));
    assert.equal(peers.idp.presented.length, revocations, 'nothing was revoked');
    const b = await box.cli(['credential-process', box.b]);
    assert.equal(b.code, 0, b.stderr);
  });

  test('a login as someone else replaces the sign-in for every profile sharing it, and says so', async () => {
    const box = await family();
    assert.equal((await box.cli(['login', box.name], BROWSER)).code, 0);
    assert.equal((await box.cli(['credential-process', box.b])).code, 0);
    const bob = await box.cli(['login', box.b, '--select-account', '--login-hint', 'bob@example.com'], { ...BROWSER, LAKEKEY_TEST_USER: 'bob@example.com' });
    assert.equal(bob.code, 0, bob.stderr);
    assert.match(bob.stderr, new RegExp(`logged in to profile "${box.b}" \\(and for "${box.name}" and "${box.c}", which share its sign-in\\) as bob`));
    assert.equal((await readRecord(box.name)).idp?.subject, 'bob');
  });
});
