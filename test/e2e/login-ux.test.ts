// The login wait as its users meet it (issue 13): times said in the unit that fits ("10 s", not
// "0 min"), a browser that cannot start gets advice about the browser, Ctrl-C says the login
// was cancelled, and a second `login` for the same profile says at once that it waits for the
// first, then uses its fresh session instead of a second browser round trip (issue 20). Real
// CLI, IdP, browser and keychain.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CLI, REPO } from '../helpers/cli.js';
import { killLogins, securityBox } from '../helpers/security-world.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  killLogins();
  await idp?.stop();
});

const GATED = join(REPO, 'dist', 'test', 'helpers', 'gated-browser.js');
const started = new Set<ReturnType<typeof spawn>>();
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/**
 * Starts `lakekey ARGS`, resolving `seen` once its stderr matches `ready`. With `terminal`, it
 * runs on a real pseudo-terminal (script(1)), whose one output carries what it writes to stderr.
 */
function startCli(args: string[], env: NodeJS.ProcessEnv, ready: RegExp, terminal = false) {
  const child = terminal
    ? spawn('script', ['-qfec', [CLI, ...args].map((a) => `"${a}"`).join(' '), '/dev/null'], { env, stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(CLI, [...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  started.add(child);
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  if (terminal) child.stdout.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((r) => child.on('close', (code, signal) => r(code ?? (signal ? 128 : null))));
  const seen = (async () => {
    const deadline = Date.now() + 60_000;
    while (!ready.test(stderr)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`never printed ${ready}: ${stderr}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  return { child, exited, seen, stderr: () => stderr };
}

test('--timeout 10 says "10 s", and the timeout says so too (exit 3)', async () => {
  const box = await securityBox(idp.issuer, idp.clientId);
  const r = await box.cli(['login', box.name, '--no-browser', '--timeout', '10']);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /waiting up to 10 s;/);
  assert.match(r.stderr, /no login completed within 10 s/);
  assert.doesNotMatch(r.stderr, /0 min/);
});

test('a browser command that cannot start gets advice about the browser, and the link to open by hand', async () => {
  const box = await securityBox(idp.issuer, idp.clientId, [], '/nonexistent/lakekey-test-browser');
  const login = startCli(['login', box.name, '--timeout', '30'], box.env, /meanwhile, open http/);
  await login.seen;
  login.child.kill('SIGINT');
  await login.exited;
  assert.match(login.stderr(), /could not start the browser \(\/nonexistent\/lakekey-test-browser\)/);
  assert.match(login.stderr(), /check LAKEKEY_BROWSER, or your desktop's default web browser setting/);
  assert.doesNotMatch(login.stderr(), /in the browser window that opened/);
});

test('Ctrl-C while waiting says the login was cancelled (exit 130)', async () => {
  const box = await securityBox(idp.issuer, idp.clientId);
  const login = startCli(['login', box.name, '--no-browser'], box.env, /open http:\/\/127\.0\.0\.1:\d+\/callback\/[0-9a-f]{32}/);
  await login.seen;
  login.child.kill('SIGINT');
  assert.equal(await login.exited, 130);
  assert.match(login.stderr(), /the login for profile "[^"]+" was cancelled; nothing was changed/);
  // The lock it held does not block the next login.
  const next = await box.cli(['login', box.name], { LAKEKEY_BROWSER: BROWSER_COMMAND });
  assert.equal(next.code, 0, next.stderr);
});

test("two `login`s for one profile: one browser round trip; the second uses the first one's fresh session", async () => {
  const box = await securityBox(idp.issuer, idp.clientId, [], BROWSER_COMMAND);
  const authorizations = idp.counts.authorizations;
  const grants = idp.counts.codeGrants;
  const [a, b] = await Promise.all([box.cli(['login', box.name]), box.cli(['login', box.name])]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  assert.equal(idp.counts.codeGrants - grants, 1, 'one code redeemed');
  assert.equal(idp.counts.authorizations - authorizations, 1, 'one browser sign-in');
  // One of them used the other's session and said so. (Which words depends on whether it read the
  // lock holder's purpose before the holder had written it: "login", or "another lakekey process".)
  assert.equal(
    [a, b].filter((r) =>
      /(the other login for profile "[^"]+" finished just now: logged in by it|was renewed just now by another lakekey process; using that session) \(no second sign-in\)|with its session \(no second sign-in\)/.test(
        r.stderr,
      ),
    ).length,
    1,
  );
  assert.ok([a, b].every((r) => /Logged in to profile/.test(r.stderr)));
});

test('a second `login` while one waits for its browser says at once that it waits for it, then that it is logged in by it (piped and on a terminal)', async () => {
  for (const terminal of [false, true]) {
    const gate = mkdtempSync(join(tmpdir(), 'lakekey-gate-'));
    // The first login's browser waits for the test's go before it signs in.
    const box = await securityBox(idp.issuer, idp.clientId, [], `"${process.execPath}" "${GATED}" wait-then-visit "${gate}"`);
    const authorizations = idp.counts.authorizations;
    const first = startCli(['login', box.name, '--timeout', '120'], box.env, /in the browser window that opened/);
    await first.seen;
    // The second one must not start a browser (that would be a second sign-in): give it one that cannot start.
    const waiting = new RegExp(
      `another login for profile "${box.name}" is in progress \\(process \\d+\\); waiting for it to finish instead of starting a second one`,
    );
    const second = startCli(['login', box.name, '--timeout', '120'], { ...box.env, LAKEKEY_BROWSER: '/nonexistent/lakekey-second-browser' }, waiting, terminal);
    await second.seen;
    assert.equal(first.child.exitCode, null, 'said while the first login still waits for its browser');
    writeFileSync(join(gate, 'go'), '');
    assert.equal(await first.exited, 0, first.stderr());
    assert.equal(await second.exited, 0, second.stderr());
    assert.match(
      second.stderr(),
      new RegExp(`the other login for profile "${box.name}" finished just now: logged in by it, with its session \\(no second sign-in\\)`),
    );
    assert.match(second.stderr(), /Logged in to profile/);
    assert.doesNotMatch(second.stderr(), /lakekey-second-browser|could not start the browser/);
    assert.equal(idp.counts.authorizations - authorizations, 1, `one browser sign-in (${terminal ? 'terminal' : 'piped'})`);
  }
});

test('the one-time link opened again in the same browser (a reload, the printed link) gets a calm page, and the login goes on there', async () => {
  const log = join(mkdtempSync(join(tmpdir(), 'lakekey-pages-')), 'pages.jsonl');
  const box = await securityBox(idp.issuer, idp.clientId, [], `${BROWSER_COMMAND} --open-again`);
  const r = await box.cli(['login', box.name, '--timeout', '120'], { LAKEKEY_TEST_BROWSER_LOG: log });
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stderr, /opened a second time|may have read it/);
  // The browser logs each page it settles on; the first tab's last one may come after the CLI is done.
  const pages = () =>
    existsSync(log)
      ? readFileSync(log, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { url: string; title: string; text: string })
      : [];
  for (const deadline = Date.now() + 60_000; pages().length < 2 && Date.now() < deadline;) await new Promise((r) => setTimeout(r, 50));
  const [again, last] = pages();
  assert.match(again?.url ?? '', /\/callback\/[0-9a-f]{32}$/, `the second tab opened the one-time link: ${JSON.stringify(pages())}`);
  assert.equal(again.title, 'lakekey — Login already started');
  assert.match(again.text, /This login already started in another tab of this browser: finish it there\./);
  assert.match(last?.text ?? '', /You are logged in/, 'the first tab finished the login');
});

test('status --check NAME: exit 3 while a login is needed, 0 once credentials can be had without a person', async () => {
  const box = await securityBox(idp.issuer, idp.clientId, [], BROWSER_COMMAND);
  const before = await box.cli(['status', '--check', box.name]);
  assert.equal(before.code, 3, before.stderr);
  assert.match(before.stderr, /profile "[^"]+" is not logged in[\s\S]*lakekey login/);
  assert.equal((await box.cli(['login', box.name])).code, 0);
  const after = await box.cli(['status', '--check', box.name]);
  assert.equal(after.code, 0, after.stderr);
  assert.equal(after.stdout, '', 'prints nothing for scripts');
  assert.equal((await box.cli(['status', '--check'])).code, 2, 'needs a name');
});
