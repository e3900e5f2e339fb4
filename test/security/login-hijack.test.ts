// The local login hijack, tested as the attack works: a second process reads the user's browser's
// command line from /proc/*/cmdline (as any local user can where /proc has no hidepid), uses what
// it finds there, signs in to the IdP as a different user in a second Chromium, and delivers that
// code to the user's loopback port — directly, or through an HTTP proxy the user runs on loopback
// (so the receiver's uid check sees the user's own uid). Since security round 3 the command line
// carries only a private launch page that another user cannot read; the same user can, which the
// first two cases use to test the receiver's own defences. Whatever the order, the victim's profile
// never holds the other identity, and the genuine login either completes or stops with a message
// that says why. The browser's timing is gated by the test (test/helpers/gated-browser.ts), so each
// order is tested, not raced.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ProfileVault } from '../helpers/profile-vault.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { driveLogin } from '../helpers/browser.js';
import { CLI, REPO, run, type CliResult } from '../helpers/cli.js';
import { launchUrlOf } from '../helpers/launch-url.js';
import { AS_OTHER_USER, canActAsOtherUser, reachableCopy, reachableNode } from '../helpers/other-user.js';
import { startForwardProxy } from '../peers/forward-proxy.js';
import { securityBox, type Box } from '../helpers/security-world.js';
import { DEFAULT_USERS, startIdp, type Idp } from '../peers/idp.js';
import type { Stolen } from '../helpers/hijacker.js';

const HIJACKER = join(REPO, 'dist', 'test', 'helpers', 'hijacker.js');
const GATED = join(REPO, 'dist', 'test', 'helpers', 'gated-browser.js');
/** setpriv's options to become `nobody`, the other local user. */
const OTHER_USER = AS_OTHER_USER;

let idp: Idp;
const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));

before(async () => {
  idp = await startIdp({ users: [...DEFAULT_USERS, { sub: 'mallory', login: 'mallory@example.com', name: 'Mallory', policy: 'readwrite' }] });
});
after(() => idp?.stop());

async function waitForFile(file: string, what: string): Promise<string> {
  const deadline = Date.now() + 90_000;
  while (!existsSync(file)) {
    assert.ok(Date.now() < deadline, `${what} never happened`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return readFileSync(file, 'utf8');
}

interface Victim {
  box: Box;
  dir: string;
  login: Promise<CliResult>;
  pid(): number;
  finished(): boolean;
  /** Lets the gated browser go on, and waits until its tab has settled. */
  release(): Promise<{ ok: boolean; text: string }>;
}

/** `lakekey login` for a fresh profile, its browser gated in `mode`; `wrap` is a command to start it under (prlimit). */
async function victim(mode: 'wait-then-visit' | 'visit-then-wait', wrap: string[] = []): Promise<Victim> {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-hijack-'));
  const box = await securityBox(idp.issuer, idp.clientId, [], `"${process.execPath}" "${GATED}" ${mode} "${dir}"`);
  let done = false;
  let pid = 0;
  const [cmd, ...pre] = [...wrap, CLI];
  const login = run(cmd, [...pre, 'login', box.name, '--timeout', '120'], { env: box.env, onSpawn: (c) => (pid = c.pid ?? 0) }).finally(() => (done = true));
  return {
    box,
    dir,
    login,
    pid: () => pid,
    finished: () => done,
    release: async () => {
      writeFileSync(join(dir, 'go'), '');
      return JSON.parse(await waitForFile(join(dir, 'result.json'), 'the gated browser finishing')) as { ok: boolean; text: string };
    },
  };
}

/** The hijacker and what it imports, copied where the other user can run them (the checkout may be private). */
const asOther = () => [reachableNode(), reachableCopy(['hijacker.js', 'is-main.js', 'launch-url.js'].map((f) => join(REPO, 'dist', 'test', 'helpers', f)))[0]];

/** The attacker process (as another user when `as` is given) running `hijacker.js ARGS`. */
async function hijack(args: string[], as: string[] = []): Promise<Stolen> {
  const [cmd, full] = as.length ? ['setpriv', [...as, ...asOther(), ...args]] : [process.execPath, [HIJACKER, ...args]];
  const r = await run(cmd, full as string[]);
  assert.equal(r.code, 0, `hijacker: ${r.stderr}`);
  return JSON.parse(r.stdout) as Stolen;
}

/** The attacker stealing what the victim's browser was given, from /proc (through `proxy` when given). */
const steal = (v: Victim, as: string[] = [], proxy?: string) => hijack(['steal', v.dir, ...(proxy ? [proxy] : [])], as);

/** The victim's launch URL, read the way only the user can: from the private launch page. */
async function launchOf(v: Victim): Promise<URL> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const page = readdirSync(v.box.dir).find((f) => /^launch-[0-9a-f]{32}\.html$/.test(f));
    if (page) return new URL(launchUrlOf(`file://${join(v.box.dir, page)}`));
    assert.ok(Date.now() < deadline, 'the login wrote no launch page');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A code for `user` from the attacker's own authorization request, aimed at the victim's callback. */
async function ownCodeFor(user: string, redirectUri: string): Promise<string> {
  const meta = (await (await fetch(`${idp.issuer}/.well-known/openid-configuration`)).json()) as { authorization_endpoint: string };
  const verifier = randomBytes(32).toString('base64url');
  const u = new URL(meta.authorization_endpoint);
  u.search = new URLSearchParams({
    client_id: idp.clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope: 'openid',
    state: randomBytes(16).toString('base64url'),
    nonce: randomBytes(16).toString('base64url'),
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }).toString();
  const page = await driveLogin(u.href, { user, intercept: redirectUri });
  assert.match(page.finalUrl, /[?&]code=/, 'the attacker got a code for their own login');
  return page.finalUrl;
}

/** Connect, send a GET for argv[2] on port argv[1], and close at once without reading. */
const LATE_REQUEST = `import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
s.sendall(("GET " + sys.argv[2] + " HTTP/1.1\\r\\nHost: 127.0.0.1:" + sys.argv[1] + "\\r\\n\\r\\n").encode())
s.close()`;

const subject = async (box: Box) => (await vault.read(box.name)).idp?.subject;

/** The login is still waiting; the user's browser then completes it as alice, with only the user's code redeemed. */
async function completesAsAlice(v: Victim, grantsBefore: number): Promise<CliResult> {
  assert.equal(v.finished(), false, 'the login is still waiting');
  const genuine = await v.release();
  assert.match(genuine.text, /You are logged in/);
  const r = await v.login;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await subject(v.box), 'alice');
  assert.equal(idp.counts.codeGrants - grantsBefore, 1, "only the user's code was redeemed");
  return r;
}

describe('a login another local user tries to hijack', () => {
  test("the user's browser opened the link first: the attacker's visit is refused and stops the login (exit 3, says why)", async () => {
    const v = await victim('visit-then-wait');
    await waitForFile(join(v.dir, 'visited'), "the user's browser opening the launch URL");
    const grants = idp.counts.codeGrants;
    const stolen = await steal(v);
    assert.equal(stolen.status, 409, 'the second visit is refused');
    assert.match(stolen.text, /Login stopped/);
    assert.match(stolen.text, /already used, so someone else may have it/);
    assert.equal(stolen.location, null, 'no authorization URL (state, nonce, challenge) handed out');
    assert.equal(stolen.cookie, null, 'no browser-binding cookie handed out');
    const r = await v.login;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /stopped the login because its one-time login link was opened a second time/);
    assert.match(r.stderr, /Run the login again/);
    // The genuine tab, going on, finds the login gone; the attacker's own code has nowhere to go.
    await v.release();
    assert.ok(stolen.url && stolen.page, "the same user read the launch URL from the page on the browser's command line");
    const code = await ownCodeFor('mallory@example.com', new URL('/callback', stolen.url).href);
    const delivered = await run(process.execPath, [HIJACKER, 'get', code]);
    assert.match(delivered.stderr, /fetch failed|ECONNREFUSED/, 'the receiver is closed');
    assert.equal(idp.counts.codeGrants, grants, 'no code was redeemed');
    assert.equal(await subject(v.box), undefined, 'no identity stored');
  });

  test("the attacker opened the link first and signed in as mallory in another browser: refused, and the user's visit stops the login", async () => {
    const v = await victim('wait-then-visit');
    const grants = idp.counts.codeGrants;
    const stolen = await steal(v);
    assert.equal(stolen.status, 302, 'the first visit gets the authorization request');
    assert.ok(stolen.location, 'the attacker has the authorization URL');
    // Mallory signs in, in her own Chromium, to the victim's exact authorization request.
    const page = await driveLogin(stolen.location, { user: 'mallory@example.com' });
    assert.match(page.finalText, /did not open the login link lakekey started/, 'a browser without the cookie is refused');
    assert.equal(v.finished(), false, 'the login is still waiting');
    assert.equal(idp.counts.codeGrants, grants, "mallory's code was not redeemed");
    // The user's browser now opens the (already used) link: the login stops and says why.
    const genuine = await v.release();
    assert.match(genuine.text, /Login stopped/);
    const r = await v.login;
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /refused a login callback from a browser that did not open your login link/);
    assert.match(r.stderr, /opened a second time/);
    assert.equal(await subject(v.box), undefined, 'mallory is not stored');
    assert.equal(idp.counts.codeGrants, grants);
  });

  test("another local user (uid 65534) sees only an unreadable page on the browser's command line, is refused outright and cannot stop the login", async (t) => {
    if (!canActAsOtherUser(t)) return;
    const v = await victim('wait-then-visit');
    const grants = idp.counts.codeGrants;
    const stolen = await steal(v, OTHER_USER);
    assert.ok(stolen.page, "the browser's command line shows the launch page (so the attacker found the login)");
    assert.equal(stolen.url, null, 'but not the launch URL');
    assert.equal(stolen.pageError, 'EACCES', 'and another user cannot read the page');
    // Were the launch URL known anyway, another user's visit is refused.
    const launch = await launchOf(v);
    const visit = await hijack(['get', launch.href], OTHER_USER);
    assert.equal(visit.status, 403, "another user's request is refused");
    assert.match(visit.text, /belongs to another user of this computer/);
    assert.equal(visit.location, null);
    // Mallory's own code, delivered from her account, is refused too.
    const code = await ownCodeFor('mallory@example.com', new URL('/callback', launch).href);
    const delivered = await hijack(['get', code], OTHER_USER);
    assert.equal(delivered.status, 403);
    assert.equal(v.finished(), false, 'the login is still waiting');
    const genuine = await v.release();
    assert.match(genuine.text, /You are logged in/);
    const r = await v.login;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /refused a request to your login from another user of this computer \(uid 65534\)/);
    // (Mallory's own Chromium, run by this test as the user, also sends her callback: refused for want of the cookie.)
    assert.match(r.stderr, /refused 1 more request like (that|those) during this login/, 'the second refusal is counted, not repeated');
    // Said once per kind: the uid line once. (On a loaded machine one of the attacker's sockets can
    // close before its connection is looked at: that is refused as "could not identify", a kind of its own.)
    assert.equal(r.stderr.match(/refused a request to your login from another user/g)?.length, 1);
    assert.ok((r.stderr.match(/refused a request to your login/g)?.length ?? 0) <= 2, r.stderr);
    assert.ok(!/Mallory|mallory/.test(r.stderr), 'the login never saw mallory');
    assert.equal(await subject(v.box), 'alice');
    assert.equal(idp.counts.codeGrants - grants, 1, "only the user's code was redeemed");
  });

  test('another local user going through an HTTP proxy the user runs on loopback (the uid check sees the user) gets nothing', async (t) => {
    if (!canActAsOtherUser(t)) return;
    const proxy = await startForwardProxy();
    try {
      const v = await victim('wait-then-visit');
      const grants = idp.counts.codeGrants;
      const stolen = await steal(v, OTHER_USER, proxy.url);
      assert.ok(stolen.page, "the attacker found the login on the browser's command line");
      assert.equal(stolen.url, null, 'the launch URL is on no command line, and the page is unreadable to another user');
      // All that is left to try: mallory's own code, through the user's proxy, so the receiver sees the user's uid.
      const launch = await launchOf(v);
      const code = await ownCodeFor('mallory@example.com', new URL('/callback', launch).href);
      const delivered = await hijack(['get', code, proxy.url], OTHER_USER);
      assert.ok(proxy.targets.includes(launch.host), "the attacker's request really went through the user's proxy");
      assert.equal(delivered.status, 403, 'a callback from a browser that never opened the link is refused');
      assert.match(delivered.text, /did not open the login link lakekey started/);
      await completesAsAlice(v, grants);
    } finally {
      await proxy.stop();
    }
  });

  test("another local user exhausting the receiver's file descriptors gets no answer but 403, and the login completes", async (t) => {
    if (!canActAsOtherUser(t)) return;
    // lakekey with 256 descriptors, the attacker with 600 connections: before round 3 the
    // receiver ran out, could not read the socket table, and let the attacker's request through.
    const v = await victim('wait-then-visit', ['prlimit', '--nofile=256:256', '--']);
    const launch = await launchOf(v);
    const grants = idp.counts.codeGrants;
    // prlimit first: the attacker needs more descriptors than the default 1,024 (setpriv keeps limits).
    const r0 = await run('prlimit', ['--nofile=4096:4096', '--', 'setpriv', ...OTHER_USER, ...asOther(), 'flood', '600', launch.href]);
    assert.equal(r0.code, 0, r0.stderr);
    const flooded = JSON.parse(r0.stdout) as Stolen & { held: number };
    assert.ok(flooded.held > 256, `the attacker held more connections (${flooded.held}) than lakekey has descriptors, so the check below is not vacuous`);
    assert.notEqual(flooded.status, 302, 'the flood did not get the authorization request');
    assert.equal(flooded.location, null);
    assert.equal(flooded.cookie, null, 'no binding cookie handed out');
    const r = await completesAsAlice(v, grants);
    assert.ok(r.stderr.split('\n').filter((l) => /refused/.test(l)).length <= 3, `refusals are summarised, not one line each:\n${r.stderr}`);
  });

  test("a request read after its client closed (the kernel then shows uid 0) is refused, not taken for root's", async (t) => {
    if (!canActAsOtherUser(t)) return;
    const v = await victim('wait-then-visit');
    const launch = await launchOf(v);
    // Stop lakekey, let another user connect, send the launch path and close, then let lakekey
    // read it: by then the socket table lists the client with inode 0 and uid 0 (the test runs as root).
    process.kill(v.pid(), 'SIGSTOP');
    try {
      const r = await run('setpriv', [...OTHER_USER, '/usr/bin/python3', '-c', LATE_REQUEST, launch.port, launch.pathname]);
      assert.equal(r.code, 0, r.stderr);
      await new Promise((res) => setTimeout(res, 300));
    } finally {
      process.kill(v.pid(), 'SIGCONT');
    }
    const genuine = await v.release();
    assert.match(genuine.text, /You are logged in/, 'the late request did not use up the one-time link');
    const r = await v.login;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /refused a request to your login from (a program lakekey could not identify|a connection already closed)/);
    assert.equal(await subject(v.box), 'alice');
  });
});
