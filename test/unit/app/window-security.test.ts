// Electron's security checklist, asserted on the real window options, CSP, guards and checks.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { rendererFile } from '../../../main/app/renderer-files.js';
import {
  CSP,
  externalUrlAllowed,
  hardenContents,
  isTrustedSender,
  SETTINGS_URL,
  settingsWindowOptions,
  type GuardableContents,
} from '../../../main/app/window-security.js';
import { REPO } from '../../helpers/cli.js';
import { StubWebContents } from '../../helpers/electron-stub.js';
import { shippedArtifacts, RENDERER_DIST } from '../../helpers/vite-build.js';

test('window options: context isolation, sandbox, no node, no webview, the bundled preload', () => {
  const o = settingsWindowOptions('/app/dist/preload/preload.cjs');
  const w = o.webPreferences!;
  assert.equal(w.contextIsolation, true);
  assert.equal(w.sandbox, true);
  assert.equal(w.nodeIntegration, false);
  assert.equal(w.nodeIntegrationInWorker, false);
  assert.equal(w.nodeIntegrationInSubFrames, false);
  assert.equal(w.webSecurity, true);
  assert.equal(w.allowRunningInsecureContent, false);
  assert.equal(w.webviewTag, false);
  assert.equal(w.experimentalFeatures, false);
  assert.equal(w.preload, '/app/dist/preload/preload.cjs');
  assert.ok(SETTINGS_URL.startsWith('lakekey://'), 'never file:// or http');
});

test('CSP: the required directives, in the header and in the built page', async () => {
  const directives = new Map(
    CSP.split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([k, ...v]) => [k, v.join(' ')]),
  );
  assert.equal(directives.get('default-src'), "'none'");
  assert.equal(directives.get('script-src'), "'self'");
  assert.equal(directives.get('style-src'), "'self'");
  assert.equal(directives.get('connect-src'), "'none'");
  assert.equal(directives.get('img-src'), "'self' data:");
  assert.ok(!CSP.includes('unsafe-'));
  await shippedArtifacts();
  const html = readFileSync(join(RENDERER_DIST, 'index.html'), 'utf8');
  const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)?.[1];
  assert.ok(meta);
  for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'none'", "img-src 'self' data:"]) assert.ok(meta.includes(d), d);
  assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/.test(html), 'no inline scripts');
  assert.ok(!/<style\b|\sstyle="/.test(html), 'no inline styles');
  const answer = await rendererFile(RENDERER_DIST, '/index.html');
  assert.equal(answer.status, 200);
  assert.equal(answer.headers['Content-Security-Policy'], CSP);
  assert.equal((await rendererFile(RENDERER_DIST, '/../../package.json')).status, 404);
  assert.equal((await rendererFile(RENDERER_DIST, '/%2e%2e/%2e%2e/package.json')).status, 404);
  assert.ok(readFileSync(join(REPO, 'renderer', 'index.html'), 'utf8').includes(meta));
});

test('navigation, redirects, new windows, webviews and all permissions are denied', () => {
  const contents = new StubWebContents();
  hardenContents(contents as unknown as GuardableContents);
  assert.equal(contents.tryNavigate('https://evil.example.com/'), true);
  assert.equal(contents.tryNavigate('file:///etc/passwd'), true);
  assert.equal(contents.tryNavigate(SETTINGS_URL), false, 'reloading itself is fine');
  assert.equal(contents.tryNavigate(SETTINGS_URL, 'will-redirect'), true);
  assert.deepEqual(contents.windowOpenHandler?.({ url: 'https://idp.example.com' }), { action: 'deny' });
  let granted: boolean | undefined;
  for (const p of ['notifications', 'clipboard-read', 'media', 'openExternal', 'geolocation']) {
    contents.permissionRequestHandler?.(null, p, (g) => (granted = g));
    assert.equal(granted, false, p);
    assert.equal(contents.permissionCheckHandler?.(null, p), false);
  }
  let webviewPrevented = false;
  contents.emit('will-attach-webview', { preventDefault: () => (webviewPrevented = true) });
  assert.ok(webviewPrevented);
});

test('IPC senders: only the settings page', () => {
  assert.equal(isTrustedSender(SETTINGS_URL), true);
  assert.equal(isTrustedSender('lakekey://settings/other.html'), true);
  for (const bad of [
    'https://evil.example.com/',
    'file:///app/renderer/dist/index.html',
    'lakekey://other/index.html',
    'http://127.0.0.1:5173/',
    '',
    undefined,
  ]) {
    assert.equal(isTrustedSender(bad), false, String(bad));
  }
});

test('openExternal: https or loopback, only on a configured issuer (or the loopback login launcher)', () => {
  const issuers = ['https://login.example.com/realms/data', 'http://127.0.0.1:8080'];
  assert.equal(externalUrlAllowed('https://login.example.com/account', issuers), true);
  assert.equal(externalUrlAllowed('http://127.0.0.1:8080/account', issuers), true);
  assert.equal(externalUrlAllowed(`http://127.0.0.1:40111/callback/${'a'.repeat(32)}`, issuers), true);
  const dir = '/home/u/.config/lakekey';
  const page = `file://${dir}/launch-${'b'.repeat(32)}.html`;
  assert.equal(externalUrlAllowed(page, issuers, dir), true, 'the private launch page');
  assert.equal(externalUrlAllowed(page, issuers), false, 'a launch page only in the settings folder named');
  for (const bad of [
    `file://${dir}/config.json`,
    `file://${dir}/sub/launch-${'b'.repeat(32)}.html`,
    `file:///tmp/launch-${'b'.repeat(32)}.html`,
    `file://host${dir}/launch-${'b'.repeat(32)}.html`,
  ]) {
    assert.equal(externalUrlAllowed(bad, issuers, dir), false, bad);
  }
  for (const bad of [
    'http://login.example.com/account',
    'https://evil.example.com/',
    'file:///etc/passwd',
    'javascript:alert(1)',
    'https://user:pw@login.example.com/',
    'http://127.0.0.1:9/x',
    'smb://login.example.com/',
  ]) {
    assert.equal(externalUrlAllowed(bad, issuers), false, bad);
  }
});
