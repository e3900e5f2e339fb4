// Check results in words: what fetch really throws (a refused connection, a server that never
// answers) and the shapes undici gives for DNS and TLS failures become a sentence and a fix.
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { checkFinding, networkWords } from '../../../main/app/check-words.js';
import { LakekeyError } from '../../../main/core/errors.js';
import { boundedFetch } from '../../../main/core/http.js';

async function thrown(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (err) {
    return err;
  }
  return assert.fail('expected a failure');
}

/** A loopback port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

test('a refused connection (real fetch to a closed port)', async () => {
  const target = `http://127.0.0.1:${await closedPort()}`;
  const err = await thrown(boundedFetch(5000)(`${target}/`));
  const f = checkFinding({ name: 'STS', target, ok: false, error: err });
  assert.deepEqual(f, {
    name: 'STS',
    target,
    status: 'fail',
    says: `Nothing answers at ${new URL(target).host}: the connection was refused.`,
    fix: 'Check the address and the port, and that the STS service is running.',
  });
});

test('a port fetch refuses to use (real fetch to port 9)', async () => {
  const err = await thrown(boundedFetch(5000)('http://127.0.0.1:9/'));
  const f = checkFinding({ name: 'STS', target: 'http://127.0.0.1:9', ok: false, error: err });
  assert.equal(f.says, 'lakekey cannot connect to port 9: it is a blocked port (like browsers, fetch refuses it).');
  assert.equal(f.fix, 'Use the port the STS service really listens on.');
});

test('a server that accepts and never answers (real timeout)', async () => {
  const server = createServer(() => undefined);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const err = await thrown(boundedFetch(300)(url));
    const f = checkFinding({ name: 'lakeFS', target: url, ok: false, error: err, timeoutMs: 3000 });
    assert.equal(f.status, 'fail');
    assert.match(f.says, /^127\.0\.0\.1:\d+ did not answer within 3 s\.$/);
    assert.match(f.fix ?? '', /network, VPN and proxy/);
  } finally {
    server.close();
  }
});

test('DNS, TLS and reset failures, as undici reports them; a core refusal keeps its message and hint', () => {
  const fetchFailed = (code: string) => Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(code), { code }) });
  assert.equal(networkWords(fetchFailed('ENOTFOUND'), 'https://login.example.invalid/realms/x', 'identity provider')?.says, 'The name login.example.invalid cannot be found (DNS).');
  const tls = networkWords(fetchFailed('SELF_SIGNED_CERT_IN_CHAIN'), 'https://sts.corp.example', 'STS service');
  assert.equal(tls?.says, 'The TLS certificate of sts.corp.example is not trusted (SELF_SIGNED_CERT_IN_CHAIN).');
  assert.match(tls?.fix ?? '', /NODE_EXTRA_CA_CERTS/);
  assert.match(networkWords(fetchFailed('ECONNRESET'), 'http://x.example', 'lakeFS server')?.says ?? '', /closed the connection/);
  assert.equal(networkWords(new Error('something else'), 'http://x.example', 'lakeFS server'), undefined);
  // The core wraps the network error (idpError): the cause chain is still read.
  const wrapped = new LakekeyError('IDP_UNREACHABLE', 'the identity provider is unreachable during discovery at https://idp.example: fetch failed', { cause: fetchFailed('EAI_AGAIN') });
  assert.equal(checkFinding({ name: 'Identity provider', target: 'https://idp.example', ok: false, error: wrapped }).says, 'The name idp.example cannot be found (DNS).');
  const refused = new LakekeyError('IDP_REFUSED', 'the identity provider refused discovery at https://idp.example: unexpected HTTP response status code', { hint: 'Check the issuer URL.' });
  assert.deepEqual(checkFinding({ name: 'Identity provider', target: 'https://idp.example', ok: false, error: refused }), {
    name: 'Identity provider',
    target: 'https://idp.example',
    status: 'fail',
    says: 'The identity provider refused discovery at https://idp.example: unexpected HTTP response status code.',
    fix: 'Check the issuer URL.',
  });
});

test('answers: ok with what was found, or a warning with its fix', () => {
  assert.deepEqual(checkFinding({ name: 'STS', target: 'http://minio', ok: true, httpStatus: 400 }), { name: 'STS', target: 'http://minio', status: 'ok', says: 'Answers (HTTP 400).' });
  assert.deepEqual(checkFinding({ name: 'lakeFS', target: 'http://l', ok: true, httpStatus: 404, warning: { says: 'Not lakeFS.', fix: 'Check the URL.' } }), { name: 'lakeFS', target: 'http://l', status: 'warn', says: 'Not lakeFS.', fix: 'Check the URL.' });
});
