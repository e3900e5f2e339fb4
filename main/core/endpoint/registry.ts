// Where a running credentials endpoint (the tray's, or `lakekey serve`) says it is, so that
// `lakekey env NAME --server` and `doctor` can find it: two files in the 0700 settings folder,
// `endpoint-<owner>.json` (port, profiles, pid: nothing secret) and `endpoint-<owner>.token` (the
// token, 0600, for SDKs that read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE). Both are created
// owner-only and exclusively (a planted file or link is refused), and removed when the server
// stops; a record whose process is gone is ignored and swept.
import { closeSync, constants, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../lock.js';

export interface EndpointRecord {
  /** `tray`, or `serve-<pid>`. */
  owner: string;
  port: number;
  profiles: string[];
  pid: number;
  /** The token file's path. */
  tokenFile: string;
}

const PREFIX = 'endpoint-';

function files(dir: string, owner: string) {
  return { record: join(dir, `${PREFIX}${owner}.json`), token: join(dir, `${PREFIX}${owner}.token`) };
}

function writeExclusive(file: string, text: string): void {
  rmSync(file, { force: true }); // ours from a run that died; O_EXCL below refuses anything planted meanwhile
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o600);
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

export interface Registration {
  /** What the record says now. */
  record: EndpointRecord;
  /** Says the endpoint now serves these profiles (the tray's set changes; port and token do not). */
  update(profiles: readonly string[]): void;
  /** Removes what it wrote. */
  remove(): void;
}

/** Says where the endpoint is; returns how to change what it says, and to remove it. */
export function registerEndpoint(dir: string, owner: string, e: { port: number; profiles: string[]; token: string; pid?: number }): Registration {
  const f = files(dir, owner);
  writeExclusive(f.token, e.token);
  let record: EndpointRecord = { owner, port: e.port, profiles: [...e.profiles], pid: e.pid ?? process.pid, tokenFile: f.token };
  writeExclusive(f.record, JSON.stringify(record));
  return {
    get record() {
      return record;
    },
    update(profiles) {
      record = { ...record, profiles: [...profiles] };
      // Written aside and renamed over: a reader sees the old record or the new one, never half of one.
      const next = `${f.record}.${process.pid}.tmp`;
      writeExclusive(next, JSON.stringify(record));
      renameSync(next, f.record);
    },
    remove() {
      rmSync(f.record, { force: true });
      rmSync(f.token, { force: true });
    },
  };
}

/** The running endpoints recorded in `dir` (the tray's first); records of dead processes are swept. */
export function runningEndpoints(dir: string, alive: (pid: number) => boolean = processAlive): EndpointRecord[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(PREFIX) && n.endsWith('.json'));
  } catch {
    return [];
  }
  const out: EndpointRecord[] = [];
  for (const n of names) {
    const owner = n.slice(PREFIX.length, -'.json'.length);
    let r: EndpointRecord;
    try {
      r = JSON.parse(readFileSync(join(dir, n), 'utf8')) as EndpointRecord;
    } catch {
      continue;
    }
    if (!Number.isInteger(r.port) || !Number.isInteger(r.pid) || !Array.isArray(r.profiles)) continue;
    if (!alive(r.pid)) {
      const f = files(dir, owner);
      rmSync(f.record, { force: true });
      rmSync(f.token, { force: true });
      continue;
    }
    out.push({ ...r, owner, tokenFile: files(dir, owner).token });
  }
  return out.sort((a, b) => (a.owner === 'tray' ? -1 : b.owner === 'tray' ? 1 : a.pid - b.pid));
}

/**
 * How to get a profile served when no running endpoint serves it (`env --server`, doctor): the
 * tray when its setting is on, else turning it on; `lakekey serve`; or one job under `exec --server`.
 */
export function howToServe(name: string, trayEnabled: boolean): string {
  const tray = trayEnabled
    ? 'The tray serves it while it runs: start the tray, or start'
    : `Turn the tray's endpoint on for it (\`lakekey profile set ${name} --endpoint\`, or its settings in the tray), or start`;
  return `${tray} one with \`lakekey serve ${name}\`, or run the job under \`lakekey exec ${name} --server -- COMMAND\`.`;
}
