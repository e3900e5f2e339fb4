// Corporate proxies: lakekey's own requests (OIDC discovery, refresh, STS through the AWS SDK)
// follow HTTP(S)_PROXY and NO_PROXY, tested through a real forward proxy process.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startForwardProxy, type ForwardProxy } from '../peers/forward-proxy.js';
import { ageS3, sandbox, startPeers, type Peers } from '../helpers/world.js';
import { bypassed, proxyFor } from '../../main/core/net/proxy.js';

let peers: Peers;
let proxy: ForwardProxy;
before(async () => {
  peers = await startPeers();
  proxy = await startForwardProxy();
});
after(async () => {
  await proxy?.stop();
  await peers?.stop();
});

test('NO_PROXY and proxy selection follow curl conventions', () => {
  const env = { HTTPS_PROXY: 'proxy.corp:3128', http_proxy: 'http://p:8080', NO_PROXY: '.internal, example.org:8443, [::1]' };
  assert.equal(proxyFor('https://sts.amazonaws.com', env), 'http://proxy.corp:3128');
  assert.equal(proxyFor('http://idp.example.com', env), 'http://p:8080');
  assert.equal(proxyFor('https://sso.internal/x', env), undefined);
  assert.equal(proxyFor('https://a.b.internal', env), undefined);
  assert.equal(proxyFor('https://example.org:8443', env), undefined);
  assert.equal(proxyFor('https://example.org', env), 'http://proxy.corp:3128', 'port-specific entry');
  assert.equal(proxyFor('http://[::1]:99', env), undefined);
  assert.ok(bypassed(new URL('https://anything'), '*'));
  assert.equal(proxyFor('https://x', {}), undefined);
});

test('refresh and STS go through the proxy named by HTTP_PROXY, and not when NO_PROXY covers them', async () => {
  const box = await sandbox(peers, { browser: true });
  assert.equal((await box.cli(['login', box.name])).code, 0);
  delete box.env.LAKEKEY_BROWSER;
  const idpHost = new URL(peers.idp.issuer).host;
  const stsHost = new URL(peers.sts.url).host;

  await ageS3(box.name, 60);
  const viaProxy = await box.cli(['credential-process', box.name], { HTTP_PROXY: proxy.url, NO_PROXY: '' });
  assert.equal(viaProxy.code, 0, viaProxy.stderr);
  assert.ok(proxy.targets.includes(idpHost), `IdP reached through the proxy: ${proxy.targets.join(', ')}`);
  assert.ok(proxy.targets.includes(stsHost), `STS reached through the proxy: ${proxy.targets.join(', ')}`);

  const seen = proxy.targets.length;
  await ageS3(box.name, 60);
  const bypass = await box.cli(['credential-process', box.name], { HTTP_PROXY: proxy.url, NO_PROXY: '127.0.0.1' });
  assert.equal(bypass.code, 0, bypass.stderr);
  assert.equal(proxy.targets.length, seen, 'NO_PROXY sends nothing through the proxy');

  await ageS3(box.name, -10);
  const deadProxy = await box.cli(['credential-process', box.name], { HTTP_PROXY: 'http://127.0.0.1:9', NO_PROXY: '' });
  assert.equal(deadProxy.code, 5, 'a proxy that is down is an unreachable IdP: ' + deadProxy.stderr);
});

test('the tray follows the OS proxy answer (PAC-style) when no proxy variable is set', async () => {
  const { proxyFromPacResult } = await import('../../main/core/net/proxy.js');
  const { composeCore } = await import('../../main/core/compose.js');
  assert.equal(proxyFromPacResult('DIRECT'), undefined);
  assert.equal(proxyFromPacResult('PROXY corp:3128; DIRECT'), 'http://corp:3128');
  assert.equal(proxyFromPacResult('SOCKS5 s:1080; HTTPS secure:443'), 'https://secure:443');
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const v of ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy']) delete env[v];
  // Composed as the tray composes it: the OS's answer (Electron's resolveProxy there) as a port.
  const ctx = composeCore(env, {
    dir: mkdtempSync(join(tmpdir(), 'lakekey-proxy-')),
    systemProxy: async () => proxyFromPacResult(`PROXY ${new URL(proxy.url).host}`),
  });
  const discovery = `${peers.idp.issuer}/.well-known/openid-configuration`;
  const seen = proxy.targets.length;
  const res = await ctx.fetch(discovery);
  assert.equal(res.status, 200);
  assert.equal(proxy.targets.length, seen + 1, 'went through the proxy the OS named');
  env.NO_PROXY = '127.0.0.1';
  await ctx.fetch(discovery);
  assert.equal(proxy.targets.length, seen + 1, 'an explicit NO_PROXY in the environment wins over the OS');
});
