// The guards every loopback server of lakekey puts in front of its requests (the login's redirect
// receiver and the credentials endpoint): on Linux the kernel names the local user at the other
// end of each connection once, when it connects, and a connection from another user — or from a
// user nobody can name — is refused (peer-uid.ts fails closed). At most `max` connections are
// kept: past that, refused and then idle ones are closed first, oldest first, so a flood of idle
// connections can neither exhaust descriptors nor make the uid check fail open.
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { ownUid } from './peer-uid.js';
import type { PeerCheck } from '../ports.js';

export interface GuardedConnection {
  /** Why this connection is refused, decided once when it connects; undefined when it is not. */
  refused?: string;
  /** A request is being answered on it. */
  busy: boolean;
}

export interface ConnectionGuard {
  /** The verdict on the connection a request came on; undefined when it closed meanwhile. */
  of(req: IncomingMessage): GuardedConnection | undefined;
  /** Marks the request's connection busy until its response closes. */
  busy(req: IncomingMessage, res: { once(event: 'close', fn: () => void): unknown }): void;
}

export interface GuardOptions {
  /** Who owns a loopback client socket: the Context's `peer`. */
  peer: PeerCheck;
  /** Open connections kept at once. */
  max: number;
  /** A refused connection that sends nothing is closed after this long. */
  refusedIdleMs: number;
  /** The listening port, once known. */
  port(): number;
}

export function guardConnections(server: Server, opts: GuardOptions): ConnectionGuard {
  const { peer } = opts;
  const me = ownUid();
  const connections = new Map<Socket, GuardedConnection>();

  /** Why a new connection is refused (another user, or nobody can tell), or undefined. */
  function refusal(socket: Socket): string | undefined {
    if (me === undefined) return undefined;
    const owner = peer(socket.remotePort ?? 0, opts.port());
    if (owner.kind === 'unsupported') return undefined;
    if (owner.kind === 'uid') return owner.uid === me ? undefined : `another user of this computer (uid ${owner.uid})`;
    return `a program lakekey could not identify (${owner.why})`;
  }

  /** Over the cap: close refused connections first, then idle ones, oldest first, never a busy one. */
  function evict(): void {
    for (const pass of [(c: GuardedConnection) => Boolean(c.refused), (c: GuardedConnection) => !c.busy]) {
      for (const [socket, conn] of connections) {
        if (connections.size <= opts.max) return;
        if (pass(conn)) {
          connections.delete(socket);
          socket.destroy();
        }
      }
    }
  }

  server.on('connection', (socket: Socket) => {
    const conn: GuardedConnection = { refused: refusal(socket), busy: false };
    connections.set(socket, conn);
    socket.once('close', () => connections.delete(socket));
    if (conn.refused) socket.setTimeout(opts.refusedIdleMs, () => socket.destroy());
    if (connections.size > opts.max) evict();
  });

  return {
    of: (req) => connections.get(req.socket),
    busy(req, res) {
      const conn = connections.get(req.socket);
      if (!conn) return;
      conn.busy = true;
      res.once('close', () => (conn.busy = false));
    },
  };
}

/** The request came over the loopback interface. */
export function fromLoopback(req: IncomingMessage): boolean {
  const remote = req.socket.remoteAddress ?? '';
  return remote === '127.0.0.1' || remote === '::ffff:127.0.0.1' || remote === '::1';
}

/** Constant-time string comparison (for cookies, tokens and state). */
export function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
