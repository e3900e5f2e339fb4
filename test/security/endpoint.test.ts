// The credentials endpoint as an attacker meets it (SECURITY.md "The credentials endpoint"): a real
// server on 127.0.0.1 spoken to with raw HTTP, with credentials that are only test values. Each
// defence has a request that it stops; the server then answers a right request with credentials,
// so a refusal is never a server that serves nobody. Another local user is a real other uid
// (setpriv), where the test runs as root.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ENDPOINT_PATH, startEndpoint, type CredentialsEndpoint } from '../../main/core/endpoint/server.js';
import { LakekeyError } from '../../main/core/errors.js';
import type { S3Credentials } from '../../main/core/keychain/record.js';
import { REPO } from '../helpers/cli.js';
import { canActAsOtherUser, reachableCopy, reachableNode, runAsOtherUser } from '../helpers/other-user.js';
import { hostPeer } from '../helpers/net.js';
import { ask, assertNothingSecret as check, type Raw, trickle } from '../helpers/endpoint-raw.js';

const CREDS: S3Credentials = {
  accessKeyId: 'AKIATESTENDPOINT',
  secretAccessKey: 'endpoint-secret-value',
  sessionToken: 'endpoint-session-token',
  expiresAt: Date.now() + 3600_000,
};
const SECRETS = [CREDS.secretAccessKey, CREDS.sessionToken, CREDS.accessKeyId];

let ep: CredentialsEndpoint;
const refused: string[] = [];
let asked = 0;
before(async () => {
  ep = await startEndpoint({
    profiles: ['work', 'needs-login'],
    peer: hostPeer,
    credentials: async (p) => {
      asked += 1;
      if (p === 'needs-login') throw new LakekeyError('LOGIN_REQUIRED', 'profile "needs-login" needs a login', { hint: 'Run `lakekey login needs-login`.' });
      return CREDS;
    },
    onRefused: (why) => refused.push(why),
  });
});
after(() => ep.close());

const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> => ask(ep, path, headers, method);
const assertNothingSecret = (r: Raw) => check(r, SECRETS);

test('the right request gets the container-credentials JSON, no-store, and no CORS header', async () => {
  const r = await get(`${ENDPOINT_PATH}work`);
  assert.equal(r.status, 200, r.body);
  assert.deepEqual(JSON.parse(r.body), {
    AccessKeyId: CREDS.accessKeyId,
    SecretAccessKey: CREDS.secretAccessKey,
    Token: CREDS.sessionToken,
    Expiration: new Date(Math.floor(CREDS.expiresAt / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
  });
  assert.match(r.headers, /cache-control: no-store/i);
  assert.doesNotMatch(r.headers, /access-control-/i);
});

test('the token: 256 random bits, and a missing, wrong or nearly right one gets 401 with nothing secret', async () => {
  assert.ok(Buffer.from(ep.token, 'base64url').length >= 32);
  const before = asked;
  // Shorter, longer, and the same length with one character changed (first, last): none is equal.
  const flip = (t: string, i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
  for (const auth of ['', 'wrong', ep.token.slice(0, -1), `${ep.token}x`, `Bearer ${ep.token}`, flip(ep.token, 0), flip(ep.token, ep.token.length - 1)]) {
    const r = await get(`${ENDPOINT_PATH}work`, { Authorization: auth });
    assert.equal(r.status, 401, `Authorization "${auth.slice(0, 8)}…"`);
    assertNothingSecret(r);
  }
  assert.equal(asked, before, 'credentials were never even looked up');
});

test('another Host name (DNS rebinding) is refused, even with the token', async () => {
  for (const host of ['localhost:' + ep.port, `evil.example:${ep.port}`, '127.0.0.1', `127.0.0.1:${ep.port + 1}`, '']) {
    const r = await get(`${ENDPOINT_PATH}work`, { Host: host });
    // None at all: the HTTP parser's own 400; any other: ours, 403.
    assert.equal(r.status, host === '' ? 400 : 403, `Host "${host}"`);
    assertNothingSecret(r);
  }
});

test('a request carrying Origin (a web page) is refused, even with the token', async () => {
  for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${ep.port}`]) {
    const r = await get(`${ENDPOINT_PATH}work`, { Origin: origin });
    assert.equal(r.status, 403, origin);
    assertNothingSecret(r);
  }
});

test('any method but GET is refused (405, Allow: GET)', async () => {
  for (const method of ['POST', 'PUT', 'OPTIONS', 'DELETE', 'HEAD']) {
    const r = await get(`${ENDPOINT_PATH}work`, {}, method);
    assert.equal(r.status, 405, method);
    assert.match(r.headers, /allow: GET/i);
    assertNothingSecret(r);
  }
});

test('a path names the profile: only the profiles it serves, never another, never a traversal', async () => {
  for (const path of [
    `${ENDPOINT_PATH}other`,
    `${ENDPOINT_PATH}work/`,
    `${ENDPOINT_PATH}..%2Fwork`,
    '/',
    '/v1/credentials',
    `//evil${ENDPOINT_PATH}work`,
    `http://127.0.0.1:${ep.port}${ENDPOINT_PATH}work`,
  ]) {
    const r = await get(path);
    assert.ok([400, 404].includes(r.status), `${path}: ${r.status}`);
    assertNothingSecret(r);
  }
});

test('oversized requests are refused by their size, with nothing secret, and never hold the server', async () => {
  // A path past MAX_TARGET_LENGTH: 400 Malformed, not the 404 a long unknown profile would get.
  const long = await get(`${ENDPOINT_PATH}${'a'.repeat(5000)}`);
  assert.equal(long.status, 400, long.body);
  assert.equal(JSON.parse(long.body).code, 'BadRequest');
  assertNothingSecret(long);
  // Heads past MAX_HEADER_BYTES (8 KiB): 12 KiB is under the runtimes' own defaults, 20 KiB over.
  for (const kib of [12, 20]) {
    const big = await get(`${ENDPOINT_PATH}work`, { 'X-Padding': 'a'.repeat(kib * 1024) });
    assert.equal(big.status, 431, `${kib} KiB header: ${big.status}`);
    assertNothingSecret(big);
  }
  // A GET announcing a body (100 MB, or chunks) that never comes: refused at once and closed,
  // with the right Host and token, without waiting for the body.
  for (const body of [{ 'Content-Length': '100000000' }, { 'Transfer-Encoding': 'chunked' }] as Array<Record<string, string>>) {
    const r = await get(`${ENDPOINT_PATH}work`, { ...body, Connection: '' });
    assert.equal(r.status, 413, `${JSON.stringify(body)}: ${r.status} ${r.body}`);
    assertNothingSecret(r);
    assert.ok(r.closedByServer, `${JSON.stringify(body)}: the server kept the connection open for a body`);
  }
  // And the server still answers.
  assert.equal((await get(`${ENDPOINT_PATH}work`)).status, 200);
});

test('a profile that needs a login: an error the SDKs surface, at once, naming the login', async () => {
  const r = await get(`${ENDPOINT_PATH}needs-login`);
  assert.equal(r.status, 503);
  const body = JSON.parse(r.body);
  assert.equal(body.code, 'LOGIN_REQUIRED');
  assert.match(body.message, /lakekey login needs-login/);
});

test('stop(profile): served no more, at once (logout)', async () => {
  const other = await startEndpoint({ profiles: ['a', 'b'], peer: hostPeer, credentials: async () => CREDS });
  try {
    const ask = (p: string) => fetch(other.uri(p), { headers: { Authorization: other.token } });
    assert.equal((await ask('a')).status, 200);
    other.stop('a');
    assert.equal((await ask('a')).status, 404);
    assert.equal((await ask('b')).status, 200);
  } finally {
    await other.close();
  }
});

test('slow clients never hold it: connections that trickle headers are cut, and others are answered meanwhile', async () => {
  const trickling = Array.from({ length: 20 }, () => {
    const s = connect(ep.port, '127.0.0.1');
    s.on('error', () => undefined);
    s.write(`GET ${ENDPOINT_PATH}work HTTP/1.1\r\nHost: 127.0.0.1:${ep.port}\r\n`);
    return s;
  });
  const closed = trickling.map((s) => new Promise<void>((resolve) => s.once('close', () => resolve())));
  const r = await get(`${ENDPOINT_PATH}work`);
  assert.equal(r.status, 200, 'answered while 20 clients hold half-sent requests');
  // Each is cut by the idle timer (5 s); 30 s is only the bound past which the defence is missing.
  let bound: NodeJS.Timeout | undefined;
  const cut = await Promise.race([Promise.all(closed).then(() => true), new Promise<false>((resolve) => (bound = setTimeout(() => resolve(false), 30_000)))]);
  clearTimeout(bound);
  for (const s of trickling) s.destroy();
  assert.ok(cut, 'connections trickling headers were never closed by the server');
});

test('slowloris: a head trickled a byte every 1.5 s (never idle) is cut long before it could finish', async () => {
  const head = `GET ${ENDPOINT_PATH}work HTTP/1.1\r\nHost: 127.0.0.1:${ep.port}\r\nAuthorization: ${ep.token}\r\n\r\n`;
  const slow = trickle(ep.port, head, 1500, 60_000);
  assert.equal((await get(`${ENDPOINT_PATH}work`)).status, 200, 'answered meanwhile');
  const t = await slow;
  // The head deadline is 5 s; 30 s is only the bound past which the defence is missing.
  assert.ok(t.closedAfterMs !== undefined && t.closedAfterMs < 30_000, `the server held a trickling client ${t.closedAfterMs ?? 'for all of 60 s'} ms`);
  assert.ok(t.sent < head.length, 'the head was never complete');
  for (const s of SECRETS) assert.ok(!t.data.includes(s));
});

test('a flood of idle connections beyond the cap never blocks a real client', async () => {
  const idle = Array.from({ length: 100 }, () => {
    const s = connect(ep.port, '127.0.0.1');
    s.on('error', () => undefined);
    return s;
  });
  await new Promise((resolve) => setTimeout(resolve, 200));
  const r = await get(`${ENDPOINT_PATH}work`);
  assert.equal(r.status, 200);
  for (const s of idle) s.destroy();
});

test('another local user is refused, even with the token and the right Host', async (t) => {
  if (!canActAsOtherUser(t)) return;
  const [client] = reachableCopy([join(REPO, 'dist/test/helpers/endpoint-client.js')]);
  const r = await runAsOtherUser(reachableNode(), [client, ep.uri('work'), ep.token]);
  assert.equal(r.code, 0, r.stderr);
  const answer = JSON.parse(r.stdout) as { status: number; body: string };
  assert.equal(answer.status, 403);
  for (const s of SECRETS) assert.ok(!answer.body.includes(s));
  assert.ok(
    refused.some((w) => /another user of this computer \(uid 65534\)/.test(w)),
    refused.join('; '),
  );
  // And the same request from this user is served (the refusal is about the user).
  assert.equal((await get(`${ENDPOINT_PATH}work`)).status, 200);
});
