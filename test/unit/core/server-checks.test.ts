// The server checks behind `lakekey doctor` and the settings window's Check, in words: what
// fetch really throws (a refused connection, a blocked port, a server that never answers) and
// the shapes undici gives for DNS and TLS failures become a sentence and a fix. Real sockets.
import assert from 'node:assert/strict';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { boundedFetch } from '../../../main/core/http.js';
import { networkWords } from '../../../main/core/network-words.js';
import { checkServers } from '../../../main/core/server-checks.js';
import { parseProfile } from '../../../main/core/settings.js';
import { freePort } from '../../helpers/peer-process.js'; // bound, then closed: nothing listens there

const profile = (raw: Record<string, unknown>) => parseProfile('p', { clientId: 'lakekey', ...raw }, 'test');

test('a refused connection and a port fetch refuses, for the IdP and STS (real fetch)', async () => {
  const issuer = `http://127.0.0.1:${await freePort()}`;
  const findings = await checkServers({ fetch: boundedFetch(5000), timeoutMs: 5000 }, profile({ issuer, s3: { stsEndpoint: 'http://127.0.0.1:9', region: 'us-east-1' } }));
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
    const [, s, l] = await checkServers({ fetch: boundedFetch(300), timeoutMs: 3000 }, profile({ issuer, s3: { stsEndpoint: sts, region: 'us-east-1' }, lakefs: { endpoint: lakefs } }));
    assert.equal(s.status, 'fail');
    assert.match(s.says, /^127\.0\.0\.1:\d+ did not answer within 3 s\.$/);
    assert.match(s.fix ?? '', /network, VPN and proxy/);
    assert.deepEqual({ status: l.status, code: l.code, says: l.says }, { status: 'fail', code: 'LAKEFS_REFUSED', says: 'Something answers, but not as lakeFS does: its health check answered HTTP 404.' });
  } finally {
    silent.close();
    notLakefs.close();
  }
});

test('DNS, TLS and reset failures, as undici reports them, also wrapped by the core', () => {
  const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
  assert.equal(networkWords(fetchFailed('ENOTFOUND'), 'https://login.example.invalid/realms/x', 'identity provider')?.says, 'The name login.example.invalid cannot be found (DNS).');
  const tls = networkWords(fetchFailed('SELF_SIGNED_CERT_IN_CHAIN'), 'https://sts.corp.example', 'STS service');
  assert.equal(tls?.says, 'The TLS certificate of sts.corp.example is not trusted (SELF_SIGNED_CERT_IN_CHAIN).');
  assert.match(tls?.fix ?? '', /NODE_EXTRA_CA_CERTS/);
  assert.match(networkWords(fetchFailed('ECONNRESET'), 'http://x.example', 'lakeFS server')?.says ?? '', /closed the connection/);
  assert.equal(networkWords(new Error('something else'), 'http://x.example', 'lakeFS server'), undefined);
  // The core wraps the network error (idpError): the cause chain is still read.
  const wrapped = Object.assign(new Error('the identity provider is unreachable during discovery'), { cause: fetchFailed('EAI_AGAIN') });
  assert.equal(networkWords(wrapped, 'https://idp.example', 'identity provider')?.says, 'The name idp.example cannot be found (DNS).');
});
