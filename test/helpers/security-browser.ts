// A minimal LAKEKEY_BROWSER for the hand-written security IdP (which has no login page): GETs
// the URL, follows redirects, and appends the final status and page text as one JSON line to
// LAKEKEY_SECURITY_BROWSER_LOG when set. Run as `node security-browser.js <URL>`.
import { appendFileSync } from 'node:fs';
import { isMain } from './is-main.js';
import { launchUrlOf } from './launch-url.js';

export interface FetchedPage {
  status: number;
  url: string;
  text: string;
}

/** Follows redirects like a browser, including its cookies (per host, as browsers key them). */
export async function followRedirects(start: string, maxHops = 10): Promise<FetchedPage> {
  let url = start;
  const jar = new Map<string, Map<string, string>>();
  for (let hop = 0; hop < maxHops; hop++) {
    const host = new URL(url).hostname;
    const cookies = [...(jar.get(host) ?? new Map<string, string>())].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000), headers: cookies ? { cookie: cookies } : {} });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq > 0) jar.set(host, (jar.get(host) ?? new Map<string, string>()).set(pair.slice(0, eq).trim(), pair.slice(eq + 1).trim()));
    }
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.arrayBuffer();
      url = new URL(location, url).href;
      continue;
    }
    return { status: res.status, url, text: await res.text() };
  }
  throw new Error(`too many redirects from ${start}`);
}

if (isMain(import.meta.url)) {
  const url = process.argv[process.argv.length - 1];
  followRedirects(launchUrlOf(url)).then(
    (page) => {
      const log = process.env.LAKEKEY_SECURITY_BROWSER_LOG;
      if (log) {
        const u = new URL(page.url);
        appendFileSync(log, JSON.stringify({ status: page.status, url: `${u.origin}${u.pathname}`, text: page.text.replace(/<[^>]+>/g, ' ') }) + '\n');
      }
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`security browser: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
