// A wrong client id or issuer stops the login at once, in the IdP's own words (issue 20, item 6):
// before, a wrong client id was a silent five-minute wait while the browser showed the IdP's
// "invalid_client" page, issuer mistakes (localhost vs 127.0.0.1, a 404) were reported without
// the issuer the IdP announces, and Bun's fetch text ("pass `verbose: true` … to fetch()") leaked
// into messages. Real CLI (the bun executable), real IdP (oidc-provider), real browser, real keychain.
import assert from 'node:assert/strict';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/peer-process.js';
// bound, then closed: nothing listens there
import { countRequests, observeServerRequests, securityBox, type Box } from '../helpers/security-world.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';

/** Runtime text that must never reach a user: undici's and Bun's fetch errors. */
const RUNTIME_TEXT = /verbose: true|fetch\(\)|fetch failed|Unable to connect|socket connection was closed|ECONNRESET:|ECONNREFUSED:/;

let idp: Idp;
let resetting: Server;
before(async () => {
  observeServerRequests();
  idp = await startIdp();
  // Accepts and resets every connection at once: what a broken proxy or a dropped VPN does.
  resetting = createServer((socket) => socket.resetAndDestroy());
  await new Promise<void>((r) => resetting.listen(0, '127.0.0.1', () => r()));
});
after(async () => {
  resetting?.close();
  await idp?.stop();
});

/** `lakekey login NAME …` with the default login timeout (300 s), killed after 60 s if it waits anyway. */
function login(box: Box, extra: string[] = []) {
  return runCli(['login', box.name, ...extra], { env: box.env, timeoutMs: 60_000 });
}

test("a wrong client id stops the login before the browser opens, with the IdP's words and the fix (exit 2)", async () => {
  const box = await securityBox(idp.issuer, 'not-a-client', [], BROWSER_COMMAND);
  const authorizations = idp.counts.authorizations;
  const r = await login(box);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.ms < 30_000, `took ${r.ms} ms against a 300 s login timeout`);
  assert.match(r.stderr, /the identity provider refused the login request: invalid_client: client is invalid/);
  assert.match(r.stderr, new RegExp(`does not accept the client id "not-a-client".*lakekey profile set ${box.name} --client-id ID`));
  assert.doesNotMatch(r.stderr, /waiting up to|browser window that opened/, 'it never waited');
  assert.equal(idp.counts.authorizations, authorizations, 'no browser reached the IdP');
});

test('--no-browser: a wrong client id stops before the link is printed', async () => {
  const box = await securityBox(idp.issuer, 'not-a-client');
  const r = await login(box, ['--no-browser']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /invalid_client/);
  assert.doesNotMatch(r.stderr, /open http:\/\/127\.0\.0\.1/);
});

test('--device: a wrong client id is refused as configuration (exit 2), with the fix', async () => {
  const box = await securityBox(idp.issuer, 'not-a-client');
  const r = await login(box, ['--device']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the identity provider refused the device login: invalid_client/);
  assert.match(r.stderr, new RegExp(`lakekey profile set ${box.name} --client-id ID`));
});

test('the probe leaves the real login alone: the right client logs in, the IdP saw two authorization requests', async () => {
  const box = await securityBox(idp.issuer, idp.clientId, [], BROWSER_COMMAND);
  const auth = countRequests(idp.issuer, '/auth?');
  const grants = idp.counts.codeGrants;
  const r = await login(box);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(countRequests(idp.issuer, '/auth?') - auth, 2, 'the probe, then the browser');
  assert.equal(idp.counts.codeGrants - grants, 1, 'one code redeemed');
});

test('issuer localhost while the IdP announces 127.0.0.1: names the announced issuer and the `profile set` fix (exit 2)', async () => {
  const port = new URL(idp.issuer).port;
  const box = await securityBox(`http://localhost:${port}`, idp.clientId);
  const r = await login(box, ['--no-browser']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, new RegExp(`the identity provider at http://localhost:${port} announces itself as http://127\\.0\\.0\\.1:${port}`));
  assert.match(r.stderr, /localhost and 127\.0\.0\.1 are different issuers/);
  assert.ok(r.stderr.includes(`lakekey profile set ${box.name} --issuer http://127.0.0.1:${port}`), r.stderr);
  // doctor says the same.
  const doctor = await box.cli(['doctor', box.name]);
  assert.ok(`${doctor.stdout}${doctor.stderr}`.includes(`announces itself as http://127.0.0.1:${port}`), doctor.stdout + doctor.stderr);
  // And the fix it suggests works.
  assert.equal((await box.cli(['profile', 'set', box.name, '--issuer', `http://127.0.0.1:${port}`])).code, 0);
  const fixed = await box.cli(['login', box.name], { LAKEKEY_BROWSER: BROWSER_COMMAND });
  assert.equal(fixed.code, 0, fixed.stderr);
});

test('an issuer without a discovery document (a missing realm path): the URL tried, and that the issuer is probably wrong (exit 2)', async () => {
  const box = await securityBox(`${idp.issuer}/realms/data`, idp.clientId);
  const r = await login(box, ['--no-browser']);
  assert.equal(r.code, 2, r.stderr);
  assert.ok(r.stderr.includes(`there is no OpenID discovery document at ${idp.issuer}/realms/data/.well-known/openid-configuration (HTTP 404)`), r.stderr);
  assert.match(r.stderr, /The issuer is probably wrong/);
  assert.ok(r.stderr.includes(`lakekey profile set ${box.name} --issuer URL`), r.stderr);
});

test("an IdP on a closed port, or one that resets the connection: lakekey's words only, never the runtime's (exit 5)", async () => {
  const closed = await securityBox(`http://127.0.0.1:${await freePort()}`, idp.clientId);
  const reset = await securityBox(`http://127.0.0.1:${(resetting.address() as AddressInfo).port}`, idp.clientId);
  const expected = [
    [
      closed,
      /the identity provider is unreachable during discovery at http:\/\/127\.0\.0\.1:\d+: nothing answers at 127\.0\.0\.1:\d+: the connection was refused/,
    ],
    [reset, /the identity provider is unreachable during discovery at http:\/\/127\.0\.0\.1:\d+: 127\.0\.0\.1:\d+ closed the connection before answering/],
  ] as const;
  for (const [box, words] of expected) {
    const r = await login(box, ['--no-browser']);
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, words);
    assert.doesNotMatch(r.stderr, RUNTIME_TEXT);
    const doctor = await box.cli(['doctor', box.name]);
    assert.equal(doctor.code, 5, doctor.stdout + doctor.stderr);
    assert.doesNotMatch(doctor.stdout + doctor.stderr, RUNTIME_TEXT);
  }
});
