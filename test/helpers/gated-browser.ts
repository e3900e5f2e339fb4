// A LAKEKEY_BROWSER for the login-hijack tests whose timing the test controls, so each ordering
// of "the user's browser" and "the attacker" is tested deterministically, not by racing:
//   node gated-browser.js wait-then-visit DIR URL   a slow browser: waits for DIR/go, then logs in
//   node gated-browser.js visit-then-wait DIR URL   opens the launch URL at once (DIR/visited),
//                                                   waits for DIR/go, then logs in from there
// Either way the real Chromium login (test/helpers/browser.ts) runs as alice, and what the tab
// ended on is written to DIR/result.json. Its own command line carries what a real browser's does:
// the private launch page (test/helpers/launch-url.ts).
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { driveLogin } from './browser.js';
import { isMain } from './is-main.js';
import { launchUrlOf } from './launch-url.js';

async function waitFor(file: string, deadlineMs: number): Promise<void> {
  while (!existsSync(file)) {
    if (Date.now() > deadlineMs) throw new Error(`gated browser: ${file} never appeared`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

async function main(mode: string, dir: string, url: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  let start = url;
  const cookies: Array<{ name: string; value: string; url: string }> = [];
  if (mode === 'visit-then-wait') {
    const launch = launchUrlOf(url);
    const res = await fetch(launch, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
    writeFileSync(join(dir, 'visited'), String(res.status));
    const location = res.headers.get('location');
    const [pair] = (res.headers.get('set-cookie') ?? '').split(';');
    const eq = pair.indexOf('=');
    if (eq > 0) cookies.push({ name: pair.slice(0, eq), value: pair.slice(eq + 1), url: new URL('/callback', launch).href });
    if (location) start = location;
  }
  await waitFor(join(dir, 'go'), deadline);
  const page = await driveLogin(start, { cookies }).then(
    (p) => ({ ok: true, text: p.finalText }),
    (err: unknown) => ({ ok: false, text: err instanceof Error ? err.message : String(err) }),
  );
  writeFileSync(join(dir, 'result.json'), JSON.stringify(page));
}

if (isMain(import.meta.url)) {
  const [mode, dir, url] = process.argv.slice(2);
  main(mode ?? '', dir ?? '', url ?? '').then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
