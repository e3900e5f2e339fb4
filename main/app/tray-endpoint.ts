// The tray's credentials endpoint (DESIGN §2, issue 22): ONE server, for as long as the tray runs,
// serving the profiles whose settings enable it (`"endpoint": true`, S3 only). It starts when the
// first such profile appears (or at launch), keeps its port and token for the tray's life (the
// token file `endpoint-tray.token` is what `lakekey env NAME --server` points SDKs at), follows
// the settings with serveOnly(), and closes on quit. A logout withholds the profile while it
// runs, so a renewal in flight goes to nobody; afterwards the keychain holds no session, and the
// endpoint answers "log in" for it until there is one again.
//
// No Electron and no network here: the host passes the way to start the server (the core's
// serveProfiles) and the way to say things (a notice), so the lifecycle is unit-tested with fakes.
import { asLakekeyError } from '../core/errors.js';
import type { Profile } from '../core/config/settings.js';
import type { EndpointPlace } from './handlers.js';

/** The owner the tray registers its endpoint under: `endpoint-tray.json`, `endpoint-tray.token`. */
export const TRAY_ENDPOINT_OWNER = 'tray';

/** The profiles the tray serves: those with S3 settings that enable the endpoint, by name. */
export function endpointProfiles(profiles: Readonly<Record<string, Profile>>): string[] {
  return Object.keys(profiles)
    .filter((name) => profiles[name].s3 && profiles[name].endpoint)
    .sort();
}

/** What the tray needs of a running endpoint (the core's ServedEndpoint, adapted). */
export interface RunningEndpoint {
  place: EndpointPlace;
  /** The profiles served now. */
  served(): string[];
  /** Serves exactly these from now on (same port, same token) and records it. */
  serveOnly(names: readonly string[]): void;
  close(): Promise<void>;
}

export interface TrayEndpointDeps {
  /** The profiles the settings enable now (endpointProfiles of the current settings). */
  enabled(): string[];
  /** Starts the endpoint for these profiles, registered for `env --server`. */
  start(names: string[]): Promise<RunningEndpoint>;
  /** Tells the user (a tray notice); each distinct text is said once. */
  say(text: string): void;
}

export class TrayEndpoint {
  private running: RunningEndpoint | undefined;
  private starting: Promise<void> | undefined;
  /** Profiles being logged out: not served until the logout is over. */
  private readonly withheld = new Map<string, number>();
  private readonly said = new Set<string>();
  private closed = false;

  constructor(private readonly deps: TrayEndpointDeps) {}

  /** Where it listens and its token file, while it runs. */
  place(): EndpointPlace | undefined {
    return this.running?.place;
  }

  /** Whether the profile is served right now. */
  serves(name: string): boolean {
    return Boolean(this.running?.served().includes(name));
  }

  /** Brings the served set in line with the settings; starts the endpoint for the first enabled profile. */
  async sync(): Promise<void> {
    while (this.starting) await this.starting;
    if (this.closed) return;
    if (this.running) return this.apply(this.running);
    const wanted = this.wanted();
    if (!wanted.length) return;
    this.starting = this.start(wanted).finally(() => (this.starting = undefined));
    await this.starting;
  }

  /**
   * Runs `logout` with the profile not served, from this moment (nothing in flight goes out) to
   * the end of the logout; then serves it again as the settings say (with no session, that answers
   * "log in", never credentials). Answers whether the endpoint was serving it.
   */
  async withholding<T>(name: string, logout: () => Promise<T>): Promise<{ result: T; wasServed: boolean }> {
    const wasServed = this.serves(name);
    this.withheld.set(name, (this.withheld.get(name) ?? 0) + 1);
    if (this.running) this.apply(this.running);
    try {
      return { result: await logout(), wasServed };
    } finally {
      const left = (this.withheld.get(name) ?? 1) - 1;
      if (left > 0) this.withheld.set(name, left);
      else this.withheld.delete(name);
      await this.sync();
    }
  }

  /** Stops it and removes its registry files (quit). */
  async close(): Promise<void> {
    this.closed = true;
    while (this.starting) await this.starting;
    const running = this.running;
    this.running = undefined;
    await running?.close();
  }

  private wanted(): string[] {
    return this.deps.enabled().filter((n) => !this.withheld.has(n));
  }

  private async start(names: string[]): Promise<void> {
    let running: RunningEndpoint;
    try {
      running = await this.deps.start(names);
    } catch (err) {
      // Tried again at the next settings change; said once however often it fails the same way.
      const e = asLakekeyError(err);
      this.once(`The credentials endpoint could not start: ${e.message}.${e.hint ? ` ${e.hint}` : ''}`);
      return;
    }
    if (this.closed) return void (await running.close());
    this.running = running;
    // The settings (or a logout) may have changed while it started.
    this.apply(running);
  }

  private apply(running: RunningEndpoint): void {
    try {
      running.serveOnly(this.wanted());
    } catch (err) {
      // The served set changed; only its record (for `env --server`) could not be written.
      this.once(`The credentials endpoint could not record which profiles it serves: ${asLakekeyError(err).message}.`);
    }
  }

  private once(text: string): void {
    if (this.said.has(text)) return;
    this.said.add(text);
    this.deps.say(text);
  }
}
