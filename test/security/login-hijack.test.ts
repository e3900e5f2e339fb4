// The local login hijack, tested as the attack works: the user's browser is started with the
// one-time launch URL on its command line; a second process reads it from /proc/*/cmdline (as
// any local user can where /proc has no hidepid), fetches it, signs in to the IdP as a
// different user in a second Chromium, and delivers that code to the user's loopback port.
// Whatever the order, the victim's profile never holds the other identity, and the genuine
// login either completes or stops with a message that says why. The browser's timing is gated
// by the test (test/helpers/gated-browser.ts), so each order is tested, not raced.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { keychainStore, Vault } from '../../main/core/vault.js';
import { driveLogin } from '../helpers/browser.js';
import { REPO, run, type CliResult } from '../helpers/cli.js';
import { securityBox, type Box } from '../helpers/security-world.js';
import { DEFAULT_USERS, startIdp, type Idp } from '../peers/idp.js';
import type { Stolen } from '../helpers/hijacker.js';

const HIJACKER = join(REPO, 'dist', 'test', 'helpers', 'hijacker.js');
const GATED = join(REPO, 'dist', 'test', 'helpers', 'gated-browser.js');
/** uid/gid of `nobody`: the other local user. */
const OTHER_USER = ['--reuid=65534', '--regid=65534', '--clear-groups'];

let idp: Idp;
const vault = new Vault(keychainStore({ timeoutMs: 10_000 }));

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
  finished(): boolean;
  /** Lets the gated browser go on, and waits until its tab has settled. */
  release(): Promise<{ ok: boolean; text: string }>;
}

/** `lakekey login` for a fresh profile, its browser gated in `mode`. */
async function victim(mode: 'wait-then-visit' | 'visit-then-wait'): Promise<Victim> {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-hijack-'));
  const box = await securityBox(idp.issuer, idp.clientId, [], `"${process.execPath}" "${GATED}" ${mode} "${dir}"`);
  let done = false;
  const login = box.cli(['login', box.name, '--timeout', '120']).finally(() => (done = true));
  return {
    box,
    dir,
    login,
    finished: () => done,
    release: async () => {
      writeFileSync(join(dir, 'go'), '');
      return JSON.parse(await waitForFile(join(dir, 'result.json'), 'the gated browser finishing')) as { ok: boolean; text: string };
    },
  };
}

/** The attacker process (as another user when `as` is given) stealing the launch URL from /proc. */
async function steal(v: Victim, as: string[] = []): Promise<Stolen> {
  const [cmd, args] = as.length ? ['setpriv', [...as, process.execPath, HIJACKER, 'steal', v.dir]] : [process.execPath, [HIJACKER, 'steal', v.dir]];
  const r = await run(cmd, args as string[]);
  assert.equal(r.code, 0, `hijacker: ${r.stderr}`);
  return JSON.parse(r.stdout) as Stolen;
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

const subject = async (box: Box) => (await vault.read(box.name)).idp?.subject;

describe('a login another local user tries to hijack', () => {
  test('the user\'s browser opened the link first: the attacker\'s visit is refused and stops the login (exit 3, says why)', async () => {
    const v = await victim('visit-then-wait');
    await waitForFile(join(v.dir, 'visited'), 'the user\'s browser opening the launch URL');
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
    const code = await ownCodeFor('mallory@example.com', new URL('/callback', stolen.url).href);
    const delivered = await run(process.execPath, [HIJACKER, 'get', code]);
    assert.match(delivered.stderr, /fetch failed|ECONNREFUSED/, 'the receiver is closed');
    assert.equal(idp.counts.codeGrants, grants, 'no code was redeemed');
    assert.equal(await subject(v.box), undefined, 'no identity stored');
  });

  test('the attacker opened the link first and signed in as mallory in another browser: refused, and the user\'s visit stops the login', async () => {
    const v = await victim('wait-then-visit');
    const grants = idp.counts.codeGrants;
    const stolen = await steal(v);
    assert.equal(stolen.status, 302, 'the first visit gets the authorization request');
    assert.ok(stolen.location, 'the attacker has the authorization URL');
    // Mallory signs in, in her own Chromium, to the victim's exact authorization request.
    const page = await driveLogin(stolen.location, { user: 'mallory@example.com' });
    assert.match(page.finalText, /did not open the login link lakekey started/, 'a browser without the cookie is refused');
    assert.equal(v.finished(), false, 'the login is still waiting');
    assert.equal(idp.counts.codeGrants, grants, 'mallory\'s code was not redeemed');
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

  test('another local user (uid 65534) is refused outright and cannot stop the login; the user then logs in as themselves', async (t) => {
    if (process.getuid?.() !== 0) {
      // Switching to another user needs root; CI runs as root, so there this is a failure.
      if (process.env.CI) assert.fail('this test needs root to act as another local user (setpriv)');
      return t.skip('needs root to act as another local user');
    }
    const v = await victim('wait-then-visit');
    const grants = idp.counts.codeGrants;
    const stolen = await steal(v, OTHER_USER);
    assert.equal(stolen.status, 403, 'another user\'s request is refused');
    assert.match(stolen.text, /belongs to another user of this computer/);
    assert.equal(stolen.location, null);
    // Mallory's own code, delivered from her account, is refused too.
    const code = await ownCodeFor('mallory@example.com', new URL('/callback', stolen.url).href);
    const delivered = await run('setpriv', [...OTHER_USER, process.execPath, HIJACKER, 'get', code]);
    assert.equal(JSON.parse(delivered.stdout).status, 403, delivered.stderr);
    assert.equal(v.finished(), false, 'the login is still waiting');
    const genuine = await v.release();
    assert.match(genuine.text, /You are logged in/);
    const r = await v.login;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /refused a request to your login from another user of this computer \(uid 65534\)/);
    assert.ok(!/Mallory|mallory/.test(r.stderr), 'the login never saw mallory');
    assert.equal(await subject(v.box), 'alice');
    assert.equal(idp.counts.codeGrants - grants, 1, 'only the user\'s code was redeemed');
  });
});
