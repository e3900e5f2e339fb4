// The server checks behind `lakekey doctor` and the settings window's Check, in words: what
// fetch really throws (a refused connection, a blocked port, a server that never answers) and
// the shapes undici gives for DNS and TLS failures become a sentence and a fix; what a real STS
// (MinIO), a real lakeFS-style STS and servers that are not an STS answer to the STS probe.
// Real sockets.
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { networkWords } from '../../../main/core/net/network-words.js';
import { checkServers, stsAnswer, type ServerFinding } from '../../../main/core/usecases/server-checks.js';
import { parseProfile } from '../../../main/core/config/settings.js';
import { freePort } from '../../helpers/peer-process.js';
// bound, then closed: nothing listens there
import { startIdp, type Idp } from '../../peers/idp.js';
import { startLakefs, type Lakefs } from '../../peers/lakefs.js';
import { startMinio, type Minio } from '../../peers/minio.js';
import { fetchWithin } from '../../helpers/net.js';

const profile = (raw: Record<string, unknown>) => parseProfile('p', { clientId: 'lakekey', ...raw }, 'test');

test('a refused connection and a port fetch refuses, for the IdP and STS (real fetch)', async () => {
  const issuer = `http://127.0.0.1:${await freePort()}`;
  const findings = await checkServers(
    { fetch: fetchWithin(5000), timeoutMs: 5000 },
    profile({ issuer, s3: { stsEndpoint: 'http://127.0.0.1:9', region: 'us-east-1' } }),
  );
  const [idp, sts] = findings;
  assert.deepEqual(idp, {
    name: 'Identity provider',
    target: issuer,
    status: 'fail',
    code: 'IDP_UNREACHABLE',
    says: `Nothing answers at ${new URL(issuer).host}: the connection was refused.`,
    fix: 'Check the address and the port, and that the identity provider is running.',
  });
  assert.equal(sts.name, 'STS');
  assert.equal(sts.says, 'lakekey cannot connect to port 9: it is a blocked port (like browsers, fetch refuses it).');
  assert.equal(sts.fix, 'Use the port the STS service really listens on.');
});

test('a server that accepts and never answers (real timeout), and one that answers but is not lakeFS', async () => {
  const silent = createServer(() => undefined);
  const notLakefs = createHttpServer((req, res) => res.writeHead(req.url === '/api/v1/healthcheck' ? 404 : 500).end());
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', () => r()));
  await new Promise<void>((r) => notLakefs.listen(0, '127.0.0.1', () => r()));
  try {
    const sts = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const lakefs = `http://127.0.0.1:${(notLakefs.address() as AddressInfo).port}`;
    const issuer = `http://127.0.0.1:${await freePort()}`;
    const [, s, l] = await checkServers(
      { fetch: fetchWithin(300), timeoutMs: 3000 },
      profile({ issuer, s3: { stsEndpoint: sts, region: 'us-east-1' }, lakefs: { endpoint: lakefs } }),
    );
    assert.equal(s.status, 'fail');
    assert.match(s.says, /^127\.0\.0\.1:\d+ did not answer within 3 s\.$/);
    assert.match(s.fix ?? '', /network, VPN and proxy/);
    assert.deepEqual(
      { status: l.status, code: l.code, says: l.says },
      { status: 'fail', code: 'LAKEFS_REFUSED', says: 'Something answers, but not as lakeFS does: its health check answered HTTP 404.' },
    );
  } finally {
    silent.close();
    notLakefs.close();
  }
});

test('DNS, TLS and reset failures, as undici reports them, also wrapped by the core', () => {
  const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
  assert.equal(
    networkWords(fetchFailed('ENOTFOUND'), 'https://login.example.invalid/realms/x', 'identity provider')?.says,
    'The name login.example.invalid cannot be found (DNS).',
  );
  const tls = networkWords(fetchFailed('SELF_SIGNED_CERT_IN_CHAIN'), 'https://sts.corp.example', 'STS service');
  assert.equal(tls?.says, 'The TLS certificate of sts.corp.example is not trusted (SELF_SIGNED_CERT_IN_CHAIN).');
  assert.match(tls?.fix ?? '', /NODE_EXTRA_CA_CERTS/);
  assert.match(networkWords(fetchFailed('ECONNRESET'), 'http://x.example', 'lakeFS server')?.says ?? '', /closed the connection/);
  assert.equal(networkWords(new Error('something else'), 'http://x.example', 'lakeFS server'), undefined);
  // The core wraps the network error (idpError): the cause chain is still read.
  const wrapped = Object.assign(new Error('the identity provider is unreachable during discovery'), { cause: fetchFailed('EAI_AGAIN') });
  assert.equal(networkWords(wrapped, 'https://idp.example', 'identity provider')?.says, 'The name idp.example cannot be found (DNS).');
});

/** A real HTTP server on loopback answering every request with `answer`; closed by the caller. */
async function httpServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; close(): void }> {
  const server = createHttpServer((req, res) => {
    req.resume();
    req.on('end', () => answer(req, res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}

describe("the STS probe: an STS that answers as an STS is ok; a refusal that is not an STS's is not", () => {
  let idp: Idp;
  let minio: Minio;
  let lakefs: Lakefs;
  before(async () => {
    idp = await startIdp();
    minio = await startMinio({ issuer: idp.issuer, clientId: idp.clientId });
    lakefs = await startLakefs({ authenticatorUrl: 'http://127.0.0.1:9' });
  });
  after(async () => {
    await lakefs?.stop();
    await minio?.stop();
    await idp?.stop();
  });

  const stsFinding = async (raw: Record<string, unknown>): Promise<ServerFinding> => {
    const findings = await checkServers({ fetch: fetchWithin(5000), timeoutMs: 5000 }, profile({ issuer: idp.issuer, ...raw }));
    return findings.find((f) => f.name === 'STS')!;
  };

  test('real MinIO turns the made-up token down with an STS error document: ok', async () => {
    // MinIO answers 503 STSIAMNotInitialized for a moment after it starts: that is a failure (tested below), so wait it out.
    let sts = await stsFinding({ s3: { stsEndpoint: minio.endpoint, region: 'us-east-1' } });
    for (const deadline = Date.now() + 60_000; /STSIAMNotInitialized/.test(sts.says) && Date.now() < deadline;) {
      await new Promise((r) => setTimeout(r, 250));
      sts = await stsFinding({ s3: { stsEndpoint: minio.endpoint, region: 'us-east-1' } });
    }
    assert.deepEqual({ status: sts.status, target: sts.target }, { status: 'ok', target: minio.endpoint }, sts.says);
    assert.equal(sts.says, 'An STS service answers: it turned down a test request with a made-up token, as it should (InvalidParameterValue).');
    // The probe is MinIO's STS, not its S3 API: a GET of the same address is S3's 403 AccessDenied.
    assert.equal((await fetch(minio.endpoint)).status, 403);
  });

  test('S3 through lakeFS: the probe goes to the lakeFS server (not AWS), which turns the token down: ok', async () => {
    const sts = await stsFinding({ lakefs: { endpoint: lakefs.endpoint }, s3: { tokenSource: 'lakefs', region: 'us-east-1' } });
    assert.equal(sts.target, lakefs.endpoint);
    assert.equal(sts.status, 'ok', sts.says);
    assert.match(sts.says, /\(InvalidIdentityToken\)\.$/);
    const call = lakefs.stsCalls.at(-1)!;
    assert.equal(call.signed, false, 'unsigned, as the real call');
    assert.equal(call.params.Action, 'AssumeRoleWithWebIdentity');
    assert.ok(call.params.RoleArn, 'with the role the real call asks for');
  });

  test("a proxy or firewall answering 403 (in MinIO's S3 words or none) fails with what to check", async () => {
    const proxy = await httpServer((_req, res) => res.writeHead(403, { 'content-type': 'text/html' }).end('<h1>Forbidden by policy</h1>'));
    const s3Words = await httpServer((_req, res) =>
      res
        .writeHead(403, { 'content-type': 'application/xml' })
        .end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Access Denied.</Message></Error>'),
    );
    try {
      for (const server of [proxy, s3Words]) {
        const sts = await stsFinding({ s3: { stsEndpoint: server.url, region: 'us-east-1' } });
        assert.deepEqual({ status: sts.status, code: sts.code }, { status: 'fail', code: 'STS_REFUSED' }, sts.says);
        assert.match(
          sts.says,
          /refused the request \(HTTP 403\), and not in an STS service's words: a proxy or firewall may block it, or this address is not the STS endpoint\./,
        );
        assert.match(sts.fix ?? '', /Check the STS endpoint .* and any proxy between \(HTTPS_PROXY, NO_PROXY\)/);
      }
    } finally {
      proxy.close();
      s3Words.close();
    }
  });

  test("a wrong path (404), a redirect, a login page (200) and an STS's own 503 are not healthy either", async () => {
    const server = await httpServer((req, res) => {
      if (req.url === '/moved') res.writeHead(301, { location: 'https://sts.example.com/' }).end();
      else if (req.url === '/portal') res.writeHead(200, { 'content-type': 'text/html' }).end('<form>Sign in to the proxy</form>');
      else if (req.url === '/busy')
        res
          .writeHead(503, { 'content-type': 'text/xml' })
          .end('<ErrorResponse><Error><Code>ServiceUnavailable</Code><Message>try later</Message></Error></ErrorResponse>');
      else res.writeHead(404).end();
    });
    try {
      const at = (path: string) => stsFinding({ s3: { stsEndpoint: `${server.url}${path}`, region: 'us-east-1' } });
      const wrongPath = await at('/sts/v1');
      assert.deepEqual([wrongPath.status, wrongPath.code], ['fail', 'STS_REFUSED']);
      assert.match(wrongPath.says, /answers HTTP 404: nothing takes STS requests at this address \(a wrong path\?\)/);
      const moved = await at('/moved');
      assert.equal(moved.status, 'fail');
      assert.match(moved.says, /redirects to https:\/\/sts\.example\.com\/ \(HTTP 301\)/);
      const portal = await at('/portal');
      assert.equal(portal.status, 'fail');
      assert.match(portal.says, /answers HTTP 200, but not as an STS service does/);
      const busy = await at('/busy');
      assert.equal(busy.status, 'fail');
      assert.match(busy.says, /an error of its own \(HTTP 503, ServiceUnavailable: try later\)/);
    } finally {
      server.close();
    }
  });
});

test('STS answers in words: the codes that mean an STS without web identity, a role it does not know, or an odd status', () => {
  const doc = (code: string, message: string) =>
    `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error></ErrorResponse>`;
  const e = 'https://sts.eu-west-1.amazonaws.com';
  // What AWS STS answers to the probe.
  assert.equal(
    stsAnswer(e, 400, doc('InvalidIdentityToken', 'The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)'), null)
      .status,
    'ok',
  );
  assert.equal(stsAnswer(e, 400, doc('InvalidAction', 'Could not find operation AssumeRoleWithWebIdentity for version 2011-06-15'), null).status, 'fail');
  const role = stsAnswer(e, 400, doc('InvalidParameterValue', 'Role arn:minio:iam:::role/dummy-internal does not exist'), null);
  assert.deepEqual([role.status, role.code], ['fail', 'STS_REFUSED']);
  assert.match(role.fix ?? '', /--s3-role-arn/);
  assert.equal(stsAnswer(e, 403, doc('AccessDenied', 'no'), null).status, 'warn');
  assert.equal(stsAnswer(e, 407, '', null).status, 'fail');
  assert.equal(stsAnswer(e, 502, 'Bad gateway', null).code, 'STS_UNREACHABLE');
  // Outside text stays one redacted line.
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2lnbmF0dXJl';
  const said = stsAnswer(e, 500, doc('InternalFailure', `boom ${jwt}\n\u001b[31m`), null).says;
  assert.ok(!said.includes(jwt), said);
  // eslint-disable-next-line no-control-regex -- the escape sequence is what is checked
  assert.doesNotMatch(said, /[\n\x1b]/);
});
