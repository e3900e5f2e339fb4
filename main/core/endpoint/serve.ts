// One credentials endpoint for a set of profiles, composed: the server (server.ts) asking the
// source (source.ts), each refusal and each failure said once (an SDK retrying must not fill a
// terminal or the tray's notices), and its place recorded for `env --server` (registry.ts).
// `lakekey serve`, `lakekey exec --server` and the tray all start it here.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { SETTINGS_FILE } from '../config/paths.js';
import { noS3Settings } from '../errors.js';
import type { Profile } from '../config/settings.js';
import { registerEndpoint, type EndpointRecord, type Registration } from './registry.js';
import { startEndpoint, type CredentialsEndpoint } from './server.js';
import { endpointSource } from './source.js';
import type { Context } from '../ports.js';

export interface ServeOptions {
  /** The profile's current settings (throws when it is gone or broken). */
  profile(name: string): Profile;
  /** The settings folder: its settings file and lock folder tell when to look again (source.ts). */
  dir: string;
  port?: number;
  /** Renew ahead in the background (default true; the tray's scheduler renews there). */
  renewAhead?: boolean;
  /** Told each distinct refusal or failure once. */
  say(text: string): void;
  /** Record the endpoint in the settings folder under this owner (`tray`, `serve-<pid>`), for `env --server`. */
  register?: { owner: string };
}

export interface ServedEndpoint {
  endpoint: CredentialsEndpoint;
  /** Where it is recorded, when it is (what it says now). */
  record?: EndpointRecord;
  /** Serves exactly these profiles from now on, on the same port with the same token, and records it. */
  serveOnly(names: readonly string[]): void;
  close(): Promise<void>;
}

export async function serveProfiles(ctx: Context, names: readonly string[], opts: ServeOptions): Promise<ServedEndpoint> {
  const source = endpointSource({
    vault: ctx.vault,
    clock: ctx.clock,
    context: () => ctx,
    profile: (n) => {
      const p = opts.profile(n);
      if (!p.s3) throw noS3Settings(n, 'so there is nothing to serve');
      return p;
    },
    log: ctx.log,
    changes: () => `${stamp(join(opts.dir, SETTINGS_FILE))}/${stamp(join(opts.dir, 'locks'))}`,
    // A renewal that could only serve the current credentials is tried again once its cool-down is over.
    retryMs: ctx.limits.renewalCooldownMs,
    ...(opts.renewAhead === undefined ? {} : { renewAhead: opts.renewAhead }),
  });
  const said = new Set<string>();
  const once = (key: string, text: string) => {
    if (said.has(key)) return;
    said.add(key);
    opts.say(text);
  };
  // A profile's failures are said once per episode: once it is served again, the next failure
  // (tomorrow's outage, a login needed next week) is news again. The tray lives for days.
  const credentials = async (profile: string) => {
    const creds = await source.credentials(profile);
    for (const key of said) if (key.startsWith(`failure\0${profile}\0`)) said.delete(key);
    return creds;
  };
  const endpoint = await startEndpoint({
    profiles: names,
    peer: ctx.peer,
    credentials,
    ...(opts.port ? { port: opts.port } : {}),
    onRefused: (why) => once(`refused: ${why}`, `the credentials endpoint refused ${why}`),
    onFailure: (profile, e) => once(`failure\0${profile}\0${e.code}`, `could not serve profile "${profile}": ${e.message}. ${e.hint ?? ''}`.trim()),
  });
  let reg: Registration | undefined;
  try {
    reg = opts.register ? registerEndpoint(opts.dir, opts.register.owner, { port: endpoint.port, profiles: [...names], token: endpoint.token }) : undefined;
  } catch (err) {
    // Not findable is not started: nothing is left listening (the tray tries again later).
    source.close();
    await endpoint.close();
    throw err;
  }
  return {
    endpoint,
    get record() {
      return reg?.record;
    },
    serveOnly(wanted) {
      const next = new Set(wanted);
      for (const p of endpoint.profiles()) if (!next.has(p)) endpoint.stop(p);
      for (const p of next) endpoint.serve(p);
      reg?.update(endpoint.profiles().sort());
    },
    async close() {
      reg?.remove();
      source.close();
      await endpoint.close();
    },
  };
}

/** A file's identity and times, or "none": what changes when it is written, replaced or removed. */
function stamp(path: string): string {
  try {
    const s = statSync(path, { bigint: true });
    return `${s.ino}:${s.mtimeNs}:${s.ctimeNs}`;
  } catch {
    return 'none';
  }
}
