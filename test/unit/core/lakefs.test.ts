// What lakekey says when lakeFS's POST /api/v1/sts/login refuses: each status lakeFS (or something that is not
// lakeFS) answers gets its own message and exit code 5. The answers are the ones the real lakeFS OSS server gives
// (test/e2e/lakefs.test.ts provokes them there); here a bare HTTP server replays them byte for byte.
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { stsLogin } from '../../../main/core/exchange/lakefs.js';
import { LakekeyError } from '../../../main/core/errors.js';
import { fetchWithin } from '../../helpers/net.js';

let answer: { status: number; type: string; body: string };
let endpoint: string;
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
});
before(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((r) => server.close(() => r())));

async function refusal(status: number, body: string, type = 'application/json', idpSubject?: string): Promise<LakekeyError> {
  answer = { status, type, body };
  const err = await stsLogin(
    endpoint,
    { code: 'c0de-not-secret-here', state: 's'.repeat(43), redirectUri: 'http://127.0.0.1:1/cb', ttlSeconds: 600, idpSubject },
    { fetch: fetchWithin() },
  ).then(
    () => assert.fail('must be refused'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof LakekeyError, String(err));
  assert.equal(err.exitCode, 5);
  return err;
}

test('501 (lakeFS OSS without an external auth service): STS login is not offered, and what it needs', async () => {
  const err = await refusal(501, '{"message":"not implemented"}\n');
  assert.match(err.message, /does not offer STS login \(HTTP 501\)/);
  assert.match(err.hint ?? '', /lakeFS OSS without an external auth service/);
  assert.match(err.hint ?? '', /Enterprise or Cloud, or `auth\.api\.endpoint`/);
  assert.doesNotMatch(`${err.message} ${err.hint}`, /retry later/i);
});

test("404 with lakeFS's JSON: no lakeFS user for the IdP identity, naming the external id when known", async () => {
  const known = await refusal(404, '{"message":"not found"}\n', 'application/json', 'alice');
  assert.match(known.message, /has no user for your IdP identity \(HTTP 404\)/);
  assert.match(known.message, /external id "alice"/);
  assert.match(known.hint ?? '', /admin to create a lakeFS user linked to that external id \(or link an existing one\)/);
  const unknown = await refusal(404, '{"message":"not found"}\n');
  assert.match(unknown.message, /has no user for your IdP identity/);
  assert.match(unknown.message, /`sub`/);
});

test("404 that is not lakeFS's JSON: the URL is wrong", async () => {
  const err = await refusal(404, '<html><body>Not Found</body></html>', 'text/html');
  assert.match(err.message, /has no STS login endpoint at .*\/api\/v1\/sts\/login \(HTTP 404, not a lakeFS answer\)/);
  assert.match(err.hint ?? '', /Check the lakeFS endpoint URL/);
  assert.doesNotMatch(err.message, /no user/);
});
