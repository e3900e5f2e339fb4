// Hostile callbacks against the real loopback receiver of a real `lakekey login --no-browser`
// (real oidc-provider, real keychain, real chromium for the genuine login afterwards). Every
// forged request must get a clear refusal page, must not reach the IdP's token endpoint, and —
// except where the forged answer carries the right state and so legitimately ends the login —
// must leave the login waiting for the real browser.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startLoopback } from '../../main/core/login/loopback.js';
import { ProfileVault } from '../helpers/profile-vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { driveLogin } from '../helpers/browser.js';
import {
  countRequests,
  killLogins,
  localNonLoopbackAddress,
  observeServerRequests,
  rawRequest,
  securityBox,
  browserCookie,
  startLogin,
  type RawResponse,
} from '../helpers/security-world.js';
import { startIdp, type Idp } from '../peers/idp.js';
import type { LoopbackReceiver } from '../../main/core/ports.js';
import { hostPeer } from '../helpers/net.js';

let idp: Idp;
const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));

before(async () => {
  observeServerRequests();
  idp = await startIdp();
});
after(async () => {
  killLogins();
  await idp?.stop();
});

/** Token-endpoint requests the IdP received (refused ones included). */
const tokenRequests = () => countRequests(idp.issuer, '/token');

function assertRefusal(res: RawResponse, status: number, text: RegExp, what: string): void {
  assert.equal(res.status, status, `${what}: status`);
  assert.match(String(res.headers['content-type']), /text\/html/, `${what}: an HTML page`);
  assert.match(res.body, text, `${what}: page text`);
  assert.match(res.body, /<title>lakekey — /, `${what}: a lakekey page`);
  assert.equal(res.headers['cache-control'], 'no-store', `${what}: not cached`);
}

describe('hostile callbacks against a waiting `lakekey login`', () => {
  test('forged, misdirected and malformed callbacks are refused; the real login then completes', async () => {
    const box = await securityBox(idp.issuer, idp.clientId);
    const grantsBefore = idp.counts.codeGrants;
    const tokenBefore = tokenRequests();
    const login = await startLogin(box);
    const { launch, state, cookie } = login;
    assert.ok(state.length >= 32, 'a high-entropy state');
    assert.equal(login.authorize.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(!login.stderr().includes(state), 'the printed output carries no state');
    const cb = (params: Record<string, string>, path = '/callback') => {
      const u = new URL(path, launch);
      u.search = new URLSearchParams(params).toString();
      return u;
    };
    const cases: Array<[string, () => Promise<RawResponse>, number, RegExp]> = [
      ['wrong state', () => rawRequest({ cookie, url: cb({ code: 'forged', state: 'wrong' }) }), 400, /state mismatch/],
      [
        'state differing in one character',
        () => rawRequest({ cookie, url: cb({ code: 'forged', state: state.slice(0, -1) + (state.endsWith('A') ? 'B' : 'A') }) }),
        400,
        /state mismatch/,
      ],
      ['state as a prefix', () => rawRequest({ cookie, url: cb({ code: 'forged', state: state.slice(0, 8) }) }), 400, /state mismatch/],
      ['missing state', () => rawRequest({ cookie, url: cb({ code: 'forged' }) }), 400, /state mismatch/],
      ['empty state', () => rawRequest({ cookie, url: cb({ code: 'forged', state: '' }) }), 400, /state mismatch/],
      [
        'wrong state first, right state second',
        () => rawRequest({ cookie, url: new URL(`/callback?code=forged&state=wrong&state=${encodeURIComponent(state)}`, launch) }),
        400,
        /state mismatch/,
      ],
      ['wrong path with the right state', () => rawRequest({ cookie, url: cb({ code: 'forged', state }, '/callbackx') }), 404, /Nothing here/],
      ['root path with the right state', () => rawRequest({ cookie, url: cb({ code: 'forged', state }, '/') }), 404, /Nothing here/],
      ['another launch id', () => rawRequest({ url: new URL('/callback/00000000000000000000000000000000', launch) }), 404, /Nothing here/],
      ['the right state from a browser without the cookie', () => rawRequest({ url: cb({ code: 'forged', state }) }), 403, /did not open the login link/],
      [
        'the right state with a forged cookie value',
        () => rawRequest({ cookie: cookie.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')), url: cb({ code: 'forged', state }) }),
        403,
        /did not open the login link/,
      ],
      [
        'the right state with the cookie value under another name',
        () => rawRequest({ cookie: `x${cookie}`, url: cb({ code: 'forged', state }) }),
        403,
        /did not open the login link/,
      ],
      [
        'error=access_denied with the right state but no cookie',
        () => rawRequest({ url: cb({ error: 'access_denied', state }) }),
        403,
        /did not open the login link/,
      ],
      [
        'POST with the right state',
        () => rawRequest({ cookie, url: cb({ code: 'forged', state }), method: 'POST', body: `code=forged&state=${state}` }),
        405,
        /Only GET/,
      ],
      ['PUT with the right state', () => rawRequest({ cookie, url: cb({ code: 'forged', state }), method: 'PUT' }), 405, /Only GET/],
      ['DELETE with the right state', () => rawRequest({ cookie, url: cb({ code: 'forged', state }), method: 'DELETE' }), 405, /Only GET/],
      [
        'foreign Host header (DNS rebinding) with the right state',
        () => rawRequest({ cookie, url: cb({ code: 'forged', state }), host: `evil.example:${launch.port}` }),
        400,
        /only valid as 127\.0\.0\.1/,
      ],
      [
        'Host "localhost" with the right state',
        () => rawRequest({ cookie, url: cb({ code: 'forged', state }), host: `localhost:${launch.port}` }),
        400,
        /only valid as 127\.0\.0\.1/,
      ],
      [
        'Host without the port with the right state',
        () => rawRequest({ cookie, url: cb({ code: 'forged', state }), host: '127.0.0.1' }),
        400,
        /only valid as 127\.0\.0\.1/,
      ],
      [
        'oversized query (> 8 KiB) with the right state',
        () => rawRequest({ cookie, url: cb({ state, code: 'forged', pad: 'x'.repeat(9000) }) }),
        414,
        /too long/,
      ],
      ['foreign Host on the launch path', () => rawRequest({ url: launch, host: `evil.example:${launch.port}` }), 400, /only valid as 127\.0\.0\.1/],
    ];
    for (const [what, send, status, text] of cases) {
      const res = await send();
      assertRefusal(res, status, text, what);
      if (status === 405) assert.equal(res.headers.allow, 'GET', `${what}: Allow header`);
    }
    // HTTP/1.1 without a Host header is refused by Node's HTTP server itself.
    assert.equal((await rawRequest({ cookie, url: cb({ code: 'forged', state }), host: null })).status, 400, 'no Host header');
    // A request line beyond Node's header limit is refused before it reaches lakekey.
    const huge = await rawRequest({ cookie, url: cb({ state, code: 'forged', pad: 'x'.repeat(20_000) }) });
    assert.equal(huge.status, 431, 'an oversized request line is refused by the HTTP parser');

    // A request from a non-loopback source address of this host (possible here because this
    // host has one); the receiver binds 127.0.0.1 only, so the same address is not even reachable.
    const external = await localNonLoopbackAddress();
    if (external) {
      const res = await rawRequest({ cookie, url: cb({ code: 'forged', state }), localAddress: external });
      assertRefusal(res, 403, /only from this computer/, 'non-loopback source');
      const direct = new URL(cb({ code: 'forged', state }).href.replace('127.0.0.1', external));
      await assert.rejects(rawRequest({ url: direct, host: `127.0.0.1:${launch.port}` }), /ECONNREFUSED/, 'not listening on other interfaces');
    }

    assert.equal(idp.counts.codeGrants, grantsBefore, 'no code grant from any forged callback');
    assert.equal(tokenRequests(), tokenBefore, 'the token endpoint saw no request at all');
    assert.equal(login.child.exitCode, null, 'the login is still waiting');

    assert.match(login.stderr(), /refused a login callback from a browser that did not open your login link/, 'the terminal is told');
    // The real browser (the one holding the cookie) still completes the same login.
    const page = await driveLogin(login.authorize.href, { cookies: [browserCookie(launch, cookie)] });
    assert.match(page.finalText, /You are logged in/);
    assert.equal(await login.exited, 0, login.stderr());
    assert.match(login.stderr(), /Logged in to profile/);
    assert.equal(idp.counts.codeGrants - grantsBefore, 1, 'exactly the real callback was redeemed');
    assert.equal(tokenRequests() - tokenBefore, 1);
    const record = await vault.read(box.name);
    assert.equal(record.idp?.subject, 'alice');

    // Replaying the accepted callback (state and all) after success finds nobody listening.
    await assert.rejects(rawRequest({ cookie, url: cb({ code: 'forged', state }) }), /ECONNREFUSED/);
    assert.equal(tokenRequests() - tokenBefore, 1, 'the replay reached no token endpoint');
    assert.deepEqual(await vault.read(box.name), record, 'the replay changed nothing');
  });

  test('error=access_denied with the right state ends the login with exit 5, a clear page and message', async () => {
    const box = await securityBox(idp.issuer, idp.clientId);
    const tokenBefore = tokenRequests();
    const login = await startLogin(box);
    const u = new URL('/callback', login.launch);
    u.search = new URLSearchParams({ error: 'access_denied', error_description: 'The user said no', state: login.state }).toString();
    const res = await rawRequest({ cookie: login.cookie, url: u });
    assertRefusal(res, 400, /access_denied/, 'error reply');
    assert.match(res.body, /Login failed/);
    assert.equal(await login.exited, 5, login.stderr());
    assert.match(login.stderr(), /identity provider refused the login: access_denied/);
    assert.match(login.stderr(), /run the login again/i, 'says what to do next');
    assert.equal(tokenRequests(), tokenBefore, 'no token request');
    assert.equal((await vault.read(box.name)).idp, undefined, 'nothing stored');
  });

  test('an error reply with the wrong state is ignored; IdP text is escaped in the page and stripped of terminal controls', async () => {
    const box = await securityBox(idp.issuer, idp.clientId);
    const login = await startLogin(box);
    try {
      const u = new URL('/callback', login.launch);
      u.search = new URLSearchParams({ error: 'access_denied', state: 'wrong' }).toString();
      assertRefusal(await rawRequest({ cookie: login.cookie, url: u }), 400, /state mismatch/, 'error with wrong state');
      assert.equal(login.child.exitCode, null, 'still waiting');
      u.search = new URLSearchParams({
        error: '<script>alert(1)</script>',
        error_description: '"><img src=x>\x1b]0;pwned\x07\x1b[2J\nlakekey: Logged in to profile "x"',
        state: login.state,
      }).toString();
      const res = await rawRequest({ cookie: login.cookie, url: u });
      assert.equal(res.status, 400);
      assert.ok(!res.body.includes('<script>') && !res.body.includes('<img'), 'IdP text is escaped in the page');
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
      assert.equal(await login.exited, 5);
      assert.ok(!login.stderr().includes('\x1b') && !login.stderr().includes('\x07'), 'no terminal control sequences reach stderr');
      assert.ok(!/^lakekey: Logged in/m.test(login.stderr()), 'IdP text cannot forge a line of output');
    } finally {
      login.child.kill();
    }
  });

  test('mix-up: the right state with iss of another issuer ends the login (exit 5) without a token request', async () => {
    const box = await securityBox(idp.issuer, idp.clientId);
    const tokenBefore = tokenRequests();
    const grantsBefore = idp.counts.codeGrants;
    const login = await startLogin(box);
    const u = new URL('/callback', login.launch);
    u.search = new URLSearchParams({ code: 'code-from-the-evil-idp', state: login.state, iss: 'http://evil.example' }).toString();
    const res = await rawRequest({ cookie: login.cookie, url: u });
    assert.equal(res.status, 502);
    assert.match(res.body, /Login failed/);
    assert.equal(await login.exited, 5, login.stderr());
    assert.match(login.stderr(), /identity provider refused the code exchange/);
    assert.match(login.stderr(), /iss/);
    assert.ok(!login.stderr().includes('code-from-the-evil-idp'), 'the code is not echoed');
    assert.equal(tokenRequests(), tokenBefore, 'the code never reached any token endpoint');
    assert.equal(idp.counts.codeGrants, grantsBefore);
    assert.equal((await vault.read(box.name)).idp, undefined, 'nothing stored');
  });

  test('mix-up: the right state with no iss at all (the IdP advertises it) ends the login without a token request', async () => {
    const box = await securityBox(idp.issuer, idp.clientId);
    const tokenBefore = tokenRequests();
    const login = await startLogin(box);
    const u = new URL('/callback', login.launch);
    u.search = new URLSearchParams({ code: 'code-without-iss', state: login.state }).toString();
    const res = await rawRequest({ cookie: login.cookie, url: u });
    assert.equal(res.status, 502);
    assert.equal(await login.exited, 5, login.stderr());
    assert.equal(tokenRequests(), tokenBefore);
  });
});

/** Opens the receiver's first launch path as the browser would; returns the cookie it set. */
async function bindBrowser(receiver: LoopbackReceiver): Promise<string> {
  const res = await rawRequest({ url: new URL(receiver.launch('http://127.0.0.1:9/authorize')) });
  assert.equal(res.status, 302);
  return /^[^;]+/.exec(String(res.headers['set-cookie']?.[0]))![0];
}

describe('the loopback receiver in-process', () => {
  test('a second callback while the first is being handled gets "Already used"', async () => {
    const receiver = await startLoopback(0, { peer: hostPeer });
    try {
      const cookie = await bindBrowser(receiver);
      const waiting = receiver.waitForCallback('the-state-0123456789', 10_000);
      const url = new URL(receiver.redirectUri);
      url.search = 'code=c1&state=the-state-0123456789';
      const first = rawRequest({ url, cookie });
      const result = await waiting;
      assert.equal(result.url.searchParams.get('code'), 'c1');
      const second = await rawRequest({ url: new URL(url.href.replace('c1', 'c2')), cookie });
      assertRefusal(second, 409, /already completed/, 'second callback');
      result.respond({ status: 200, title: 'You are logged in', message: 'ok' });
      assert.equal((await first).status, 200);
      const third = await rawRequest({ url, cookie });
      assertRefusal(third, 409, /already completed/, 'replay after the answer');
    } finally {
      await receiver.close();
    }
  });

  test('the first launch link opened again: with the cookie (the same browser) a calm page that hands out nothing, and the login goes on; without it, or with a forged one, the login stops', async () => {
    for (const cookieOf of [(c: string) => c, () => undefined, (c: string) => c.replace(/.$/, (x) => (x === 'A' ? 'B' : 'A'))]) {
      const receiver = await startLoopback(0, { peer: hostPeer });
      try {
        const launch = new URL(receiver.launch('http://127.0.0.1:9/authorize?leg=1'));
        const opened = await rawRequest({ url: launch });
        assert.equal(opened.status, 302);
        const cookie = /^[^;]+/.exec(String(opened.headers['set-cookie']?.[0]))![0];
        const waiting = receiver.waitForCallback('again-state-0123456789', 10_000);
        waiting.catch(() => undefined);
        const sent = cookieOf(cookie);
        const again = await rawRequest({ url: launch, cookie: sent });
        assert.equal(again.headers.location, undefined, 'no authorization URL handed out');
        assert.equal(again.headers['set-cookie'], undefined, 'no cookie handed out');
        const url = new URL(receiver.redirectUri);
        url.search = 'code=c&state=again-state-0123456789';
        if (sent === cookie) {
          assert.equal(again.status, 200);
          assert.match(again.body, /<title>lakekey — Login already started<\/title>/);
          assert.match(again.body, /finish it there/);
          const answered = rawRequest({ url, cookie });
          const result = await waiting;
          result.respond({ status: 200, title: 'You are logged in', message: 'ok' });
          assert.equal((await answered).status, 200, 'the login went on and took its callback');
        } else {
          assertRefusal(again, 409, /already used, so someone else may have it/, `opened again with cookie ${String(sent)}`);
          await assert.rejects(waiting, (e: Error & { code?: string }) => e.code === 'LOGIN_ABORTED', 'the login is stopped');
        }
      } finally {
        await receiver.close();
      }
    }
  });

  test("a combined login's second leg: its launch link works only in the bound browser, once; anything else stops the login", async () => {
    for (const cookieOf of [(c: string) => c, () => undefined, (c: string) => c.replace(/.$/, (x) => (x === 'A' ? 'B' : 'A'))]) {
      const receiver = await startLoopback(0, { peer: hostPeer });
      try {
        const cookie = await bindBrowser(receiver);
        const waiting = receiver.waitForCallback('leg-two-state-0123456789', 10_000);
        waiting.catch(() => undefined);
        const second = new URL(receiver.launch('http://127.0.0.1:9/authorize?leg=2'));
        const sent = cookieOf(cookie);
        const res = await rawRequest({ url: second, cookie: sent });
        if (sent === cookie) {
          assert.equal(res.status, 302);
          assert.equal(res.headers.location, 'http://127.0.0.1:9/authorize?leg=2');
          assert.equal(res.headers['set-cookie'], undefined, 'later legs set no new cookie');
          assertRefusal(await rawRequest({ url: second, cookie }), 409, /already used/, 'the second leg opened twice');
        } else {
          assertRefusal(res, 409, /already used/, `second leg with cookie ${String(sent)}`);
          assert.equal(res.headers.location, undefined, 'no authorization URL handed out');
        }
        await assert.rejects(waiting, (e: Error & { code?: string }) => e.code === 'LOGIN_ABORTED', 'the login is stopped');
        const url = new URL(receiver.redirectUri);
        url.search = 'code=c&state=leg-two-state-0123456789';
        assertRefusal(await rawRequest({ url, cookie }), 409, /stopped this login/, 'a callback after the stop');
      } finally {
        await receiver.close();
      }
    }
  });

  test("the callback URL handed to the code exchange always has the receiver's own origin", async () => {
    const receiver = await startLoopback(0, { peer: hostPeer });
    try {
      const cookie = await bindBrowser(receiver);
      for (const target of ['http://evil.example/callback?code=c&state=s-0123456789', '//evil.example/callback?code=c&state=s-0123456789']) {
        const waiting = receiver.waitForCallback('s-0123456789', 3_000);
        waiting.catch(() => undefined);
        const res = rawRequest({ url: new URL(receiver.redirectUri), target, cookie });
        const outcome = await Promise.race([waiting.then((r) => r), res.then(() => undefined)]);
        if (outcome) {
          outcome.respond({ status: 200, title: 'ok', message: 'ok' });
          assert.equal(`${outcome.url.origin}${outcome.url.pathname}`, receiver.redirectUri, `target ${target}`);
        } else {
          assert.ok((await res).status >= 400, `target ${target} refused`);
        }
        receiver.launch('http://127.0.0.1:9/authorize');
      }
    } finally {
      await receiver.close();
    }
  });
});
