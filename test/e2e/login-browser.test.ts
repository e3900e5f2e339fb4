// A browser per profile (issue 24): `profile add --browser CMD` is checked on save (exit 2 naming
// the flag), shown, and used by `lakekey login` over LAKEKEY_BROWSER; whatever the command, it is
// started on lakekey's private launch page, never with the one-time launch URL on its command
// line. Real IdP (oidc-provider), real Chromium driven by playwright as the profile's browser,
// real keychain; command lines read from /proc of this test's own process tree.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ProfileVault } from '../helpers/profile-vault.js';
import { sampleCommandLines } from '../helpers/command-lines.js';
import { LAUNCH, LAUNCH_PAGE } from '../helpers/launch-url.js';
import { osKeychainStore } from '../helpers/os-keychain.js';
import { securityBox } from '../helpers/security-world.js';
import { BROWSER_COMMAND } from '../helpers/world.js';
import { startIdp, type Idp } from '../peers/idp.js';

const vault = new ProfileVault(osKeychainStore({ timeoutMs: 10_000 }));
let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp?.stop();
});

/** A LAKEKEY_BROWSER that only leaves a mark: the profile's browser must win over it. */
function decoyBrowser(): { command: string; ran: () => boolean } {
  const dir = mkdtempSync(join(tmpdir(), 'lk-decoy-'));
  const mark = join(dir, 'ran');
  const script = join(dir, 'decoy');
  writeFileSync(script, `#!/bin/sh\ntouch '${mark}'\n`);
  chmodSync(script, 0o755);
  return { command: script, ran: () => existsSync(mark) };
}

test("login opens the profile's --browser over LAKEKEY_BROWSER, on the private launch page only; a bad --browser is exit 2 naming the flag", async () => {
  const decoy = decoyBrowser();
  // The suite's Chromium driver as the profile's browser, with the page where {url} says.
  const box = await securityBox(idp.issuer, idp.clientId, ['--browser', `${BROWSER_COMMAND} {url}`], decoy.command);

  const shown = await box.cli(['profile', 'show', box.name]);
  assert.equal(shown.code, 0, shown.stderr);
  assert.match(shown.stdout, /^browser\s+.*helpers\/browser\.js" \{url\}$/m);

  const sampler = sampleCommandLines();
  let lines: string[];
  let login;
  try {
    login = await box.cli(['login', box.name, '--timeout', '60']);
  } finally {
    lines = sampler.stop();
  }
  assert.equal(login.code, 0, login.stderr);
  assert.equal((await vault.read(box.name)).idp?.subject, 'alice', "logged in through the profile's browser");
  assert.equal(decoy.ran(), false, 'LAKEKEY_BROWSER was not started');
  const browser = lines.filter((l) => l.includes('/helpers/browser.js '));
  assert.ok(browser.length > 0, `the sampler saw the browser's command line: ${lines.join('\n')}`);
  for (const line of browser) {
    assert.match(line, LAUNCH_PAGE, 'the browser got the private launch page');
    assert.doesNotMatch(line, LAUNCH, 'never the one-time launch URL');
  }
  for (const line of lines) assert.doesNotMatch(line, LAUNCH, `no process of the login had the launch URL on its command line: ${line}`);

  // Checked on save, the flag named, and the profile unchanged.
  const bad = await box.cli(['profile', 'set', box.name, '--browser', 'firefx --new-window']);
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(
    bad.stderr,
    /--browser: "firefx --new-window" starts with "firefx", which is not a browser lakekey knows \(firefox, chromium, chrome, google-chrome, edge, brave\)/,
  );
  const open = await box.cli(['profile', 'set', box.name, '--browser', 'chrome "--profile-directory=Work']);
  assert.equal(open.code, 2);
  assert.match(open.stderr, /--browser: .* has a quote that is not closed/);
  assert.match((await box.cli(['profile', 'show', box.name])).stdout, /helpers\/browser\.js" \{url\}$/m);

  // A known name is kept as written; --unset goes back to LAKEKEY_BROWSER.
  const known = await box.cli(['profile', 'set', box.name, '--browser', 'chrome --profile-directory=Work']);
  assert.equal(known.code, 0, known.stderr);
  assert.match((await box.cli(['profile', 'show', box.name])).stdout, /^browser\s+chrome --profile-directory=Work$/m);
  const unset = await box.cli(['profile', 'set', box.name, '--unset', 'browser']);
  assert.equal(unset.code, 0, unset.stderr);
  assert.match((await box.cli(['profile', 'show', box.name])).stdout, /^browser\s+LAKEKEY_BROWSER, else the system browser$/m);
});

test("a profile's browser that cannot start: the login says so, names the setting, and still offers the link", async () => {
  const box = await securityBox(idp.issuer, idp.clientId, ['--browser', '/nonexistent/browser {url}']);
  const login = await box.cli(['login', box.name, '--timeout', '10']);
  assert.notEqual(login.code, 0);
  assert.match(login.stderr, /could not start the browser \(\/nonexistent\/browser\)/);
  assert.match(
    login.stderr,
    new RegExp(`check the profile's browser \\(\`lakekey profile set ${box.name} --browser CMD\`, or \`--unset browser\` for the default\\)`),
  );
  assert.match(login.stderr, /meanwhile, open http:\/\/127\.0\.0\.1:\d+\/callback\/[0-9a-f]{32} in a browser on this computer/);
});
