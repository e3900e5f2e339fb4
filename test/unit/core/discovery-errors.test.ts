// Discovery mistakes said as the configuration they are (issue 20, item 6): the issuer the IdP
// announces, the URL that has no discovery document, and network failures in lakekey's words
// only, never the runtime's (Bun: "pass `verbose: true` in the second argument to fetch()").
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { errorText } from '../../../main/core/errors.js';
import { unreachableWords } from '../../../main/core/net/network-words.js';
import { discover, idpError } from '../../../main/core/login/oidc.js';
import { fetchWithin } from '../../helpers/net.js';

/** A server that answers every request with `answer(origin, path)`. */
async function serve(answer: (origin: string, path: string) => { status: number; type: string; body: string }): Promise<{ origin: string; server: Server }> {
  let origin = '';
  const server = createServer((req, res) => {
    const a = answer(origin, req.url ?? '');
    res.writeHead(a.status, { 'content-type': a.type }).end(a.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { origin, server };
}

const http = { fetch: fetchWithin(3000), timeoutMs: 3000 };
const metadata = (issuer: string) =>
  JSON.stringify({
    issuer,
    authorization_endpoint: `${issuer}/auth`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
  });

test('an IdP that announces its path issuer with a trailing slash is the same issuer: discovery takes its spelling', async () => {
  const { origin, server } = await serve((o, path) =>
    path === '/realms/data/.well-known/openid-configuration'
      ? { status: 200, type: 'application/json', body: metadata(`${o}/realms/data/`) }
      : { status: 404, type: 'text/plain', body: 'Not Found' },
  );
  try {
    // Settings keep issuers without a trailing slash, so the profile could never say it the IdP's way.
    const config = await discover({ issuer: `${origin}/realms/data`, clientId: 'lakekey' }, undefined, http, 'dev');
    assert.equal(config.serverMetadata().issuer, `${origin}/realms/data/`);
  } finally {
    server.close();
  }
});

test('another issuer announced: both named, and the `profile set` only when the announced one is usable', async () => {
  let announce = '';
  const { origin, server } = await serve(() => ({ status: 200, type: 'application/json', body: metadata(announce) }));
  try {
    announce = 'https://login.example.com/realms/data';
    const e = await discover({ issuer: origin, clientId: 'lakekey' }, undefined, http, 'dev').then(
      () => assert.fail('discovered'),
      (err: unknown) => err as { code: string; message: string; hint: string; exitCode: number },
    );
    assert.equal(e.exitCode, 2);
    assert.equal(
      e.message,
      `the identity provider at ${origin} announces itself as https://login.example.com/realms/data, so its tokens would not match the profile's issuer`,
    );
    // Another host may be the IdP's real name or someone else's: the fix, with the caution.
    assert.match(
      e.hint,
      /^If that is your identity provider's real address, set it: `lakekey profile set dev --issuer https:\/\/login\.example\.com\/realms\/data`\. If you do not recognise it, do not/,
    );
    announce = 'http://idp.internal/x\u001b[31m';
    const odd = await discover({ issuer: origin, clientId: 'lakekey' }, undefined, http, 'dev').then(
      () => assert.fail('discovered'),
      (err: unknown) => err as { message: string; hint: string },
    );
    assert.ok(!odd.message.includes('\u001b'), odd.message);
    assert.doesNotMatch(odd.hint, /profile set/, 'never suggests a command that would be refused');
  } finally {
    server.close();
  }
});

test('a login page where the discovery document should be: the URL tried, and that the issuer is probably wrong', async () => {
  const { origin, server } = await serve(() => ({ status: 200, type: 'text/html', body: '<html>Sign in</html>' }));
  try {
    const e = await discover({ issuer: `${origin}/login`, clientId: 'lakekey' }, undefined, http, 'dev').then(
      () => assert.fail('discovered'),
      (err: unknown) => err as { message: string; hint: string; exitCode: number },
    );
    assert.equal(e.exitCode, 2);
    assert.equal(e.message, `what answers at ${origin}/login/.well-known/openid-configuration is not an OpenID discovery document (it is not JSON)`);
    assert.match(e.hint, /issuer is probably wrong.*`lakekey profile set dev --issuer URL`/);
  } finally {
    server.close();
  }
});

test("network failures as Bun and Node report them: lakekey's words, never the runtime's", () => {
  const bun = (code: string, message: string) => Object.assign(new TypeError(`${code}: ${message}`), { code });
  const reset = bun(
    'ECONNRESET',
    'The socket connection was closed unexpectedly. For more information, pass `verbose: true` in the second argument to fetch()',
  );
  const refused = bun('ECONNREFUSED', 'Unable to connect. Is the computer able to access the url?');
  const nodeFailed = Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) });
  const oddBun = Object.assign(new TypeError('FailedToOpenSocket: Was there a typo in the url or port?'), { code: 'FailedToOpenSocket' });
  for (const err of [reset, refused, nodeFailed, oddBun]) {
    const e = idpError(err, 'the refresh', 'https://idp.example/token');
    assert.equal(e.code, 'IDP_UNREACHABLE');
    assert.match(e.message, /^the identity provider is unreachable during the refresh: /);
    assert.doesNotMatch(`${e.message} ${e.hint}`, /verbose|fetch\(\)|fetch failed|Unable to connect|socket connection|FailedToOpenSocket|typo/);
  }
  assert.equal(
    unreachableWords(refused, 'https://idp.example/token', 'identity provider')?.reason,
    'nothing answers at idp.example: the connection was refused',
  );
  assert.equal(unreachableWords(oddBun, 'https://idp.example/token', 'identity provider')?.says, 'The connection to idp.example failed before it answered.');
  assert.equal(unreachableWords(new Error('no'), 'https://idp.example', 'identity provider'), undefined);
  // And should such an error ever reach a message as text, Bun's advice is not part of it.
  assert.doesNotMatch(errorText(reset), /verbose/);
});
