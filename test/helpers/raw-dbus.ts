// D-Bus from the wire format alone, for tests that must do what lakekey's Bus never does: a
// connection to the real bus that answers method calls late or forges replies, and a hostile
// "bus" on a Unix socket of its own that speaks just enough of the protocol to send crafted bytes.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeMessage, encodeMessage, frameMessage, MessageType, sessionBusPaths, type Message } from '../../main/core/keychain/secret-service/dbus.js';

export type Outgoing = Parameters<typeof encodeMessage>[0];

/** Splits a byte stream into messages. Test peers trust themselves: no size limit here. */
function messageStream(onMessage: (m: Message) => void): (d: Buffer) => void {
  let inbox = Buffer.alloc(0);
  return (d) => {
    inbox = Buffer.concat([inbox, d]);
    while (inbox.length >= 16) {
      const fields = inbox.readUInt32LE(12);
      const total = 16 + fields + ((8 - ((16 + fields) % 8)) % 8) + inbox.readUInt32LE(4);
      if (inbox.length < total) return;
      const m = decodeMessage(inbox.subarray(0, total));
      inbox = inbox.subarray(total);
      onMessage(m);
    }
  };
}

/** Messages as they arrive, and a way to wait for the next one that matches. */
class Inbox {
  private readonly seen: Message[] = [];
  private readonly waiters: Array<{ match: (m: Message) => boolean; resolve: (m: Message) => void }> = [];

  push(m: Message): void {
    const i = this.waiters.findIndex((w) => w.match(m));
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m);
    else this.seen.push(m);
  }

  next(match: (m: Message) => boolean, what: string, ms = 10_000): Promise<Message> {
    const i = this.seen.findIndex(match);
    if (i >= 0) return Promise.resolve(this.seen.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
      this.waiters.push({ match, resolve: (m) => (clearTimeout(timer), resolve(m)) });
    });
  }
}

/** A connection to the real session bus that sends whatever it is told to. */
export interface RawConnection {
  /** Its unique name. */
  name: string;
  send(m: Omit<Outgoing, 'serial'>): number;
  /** Calls a method and waits for the reply (any sender: this side is the test's own). */
  call(m: Omit<Outgoing, 'serial' | 'type'>): Promise<Message>;
  next(match: (m: Message) => boolean, what: string): Promise<Message>;
  close(): void;
}

export async function rawConnection(path = sessionBusPaths(process.env)[0]): Promise<RawConnection> {
  const socket = connect({ path });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const uid = Buffer.from(String(process.getuid!()), 'ascii').toString('hex');
  socket.write(`\0AUTH EXTERNAL ${uid}\r\n`);
  const ok = await new Promise<string>((resolve) => socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
  if (!ok.startsWith('OK ')) throw new Error(`the bus refused a raw connection: ${ok}`);
  socket.write('BEGIN\r\n');
  const inbox = new Inbox();
  socket.on(
    'data',
    messageStream((m) => inbox.push(m)),
  );
  let serial = 0;
  const conn: RawConnection = {
    name: '',
    send: (m) => (socket.write(encodeMessage({ ...m, serial: ++serial } as Outgoing)), serial),
    call: (m) => {
      const sent = conn.send({ ...m, type: MessageType.MethodCall });
      return inbox.next((r) => r.replySerial === sent, `reply to ${m.member}`);
    },
    next: (match, what) => inbox.next(match, what),
    close: () => socket.destroy(),
  };
  const hello = await conn.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' });
  conn.name = hello.body[0] as string;
  return conn;
}

/** One client of a hostile bus, as the bus sees it. */
export interface HostilePeer {
  socket: Socket;
  /** Sends a message (a serial of the bus's own is filled in unless given). */
  send(m: Omit<Outgoing, 'serial'> & { serial?: number }): void;
  /** A METHOD_RETURN to `call` from `sender` (the daemon's "org.freedesktop.DBus" unless given). */
  reply(call: Message, body: { sender?: string; signature?: string; body?: unknown[] }): void;
  /** Sends a message whose body is `body` as given, under any signature (legal or not). */
  sendRaw(m: Omit<Outgoing, 'serial' | 'signature' | 'body'>, signature: string, body: Buffer): void;
  next(match: (m: Message) => boolean, what: string, ms?: number): Promise<Message>;
}

export interface HostileBus {
  /** For DBUS_SESSION_BUS_ADDRESS. */
  address: string;
  /** The client that connects next. */
  peer(): Promise<HostilePeer>;
  close(): void;
}

/**
 * A "bus" on a Unix socket of its own. By default it answers AUTH with OK and Hello with the
 * unique name ":1.5"; `onAuth` replaces the AUTH answer (it gets the raw socket), `hello` the
 * answer to Hello, and the test drives the rest through the peer.
 */
export async function hostileBus(opts: { onAuth?: (socket: Socket) => void; hello?: (peer: HostilePeer, call: Message) => void } = {}): Promise<HostileBus> {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-hostile-bus-'));
  const path = join(dir, 'bus');
  const peers: HostilePeer[] = [];
  const waiting: Array<(p: HostilePeer) => void> = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined); // the client hanging up on a hostile bus is the point
    const inbox = new Inbox();
    let serial = 1000;
    const peer: HostilePeer = {
      socket,
      send: (m) => void (socket.writable && socket.write(encodeMessage({ serial: ++serial, ...m } as Outgoing))),
      sendRaw: (m, signature, body) => void (socket.writable && socket.write(encodeRaw({ serial: ++serial, ...m }, signature, body))),
      reply: (call, r) => peer.send({ type: MessageType.MethodReturn, replySerial: call.serial, destination: ':1.5', sender: 'org.freedesktop.DBus', ...r }),
      next: (match, what, ms) => inbox.next(match, what, ms),
    };
    const messages = messageStream((m) => {
      if (m.member !== 'Hello') inbox.push(m);
      else if (opts.hello) opts.hello(peer, m);
      else peer.reply(m, { signature: 's', body: [':1.5'] });
    });
    let text = '';
    let answered = false;
    const onAuthBytes = (d: Buffer) => {
      text += d.toString('latin1');
      if (!answered && text.includes('\r\n')) {
        answered = true; // the client's AUTH line (BEGIN and Hello may have come with it)
        if (opts.onAuth) opts.onAuth(socket);
        else socket.write('OK 0123456789abcdef0123456789abcdef\r\n');
      }
      const begin = text.indexOf('BEGIN\r\n');
      if (begin < 0) return;
      socket.off('data', onAuthBytes);
      socket.on('data', messages);
      const rest = Buffer.from(text.slice(begin + 7), 'latin1');
      if (rest.length) messages(rest);
    };
    socket.on('data', onAuthBytes);
    const take = waiting.shift();
    if (take) take(peer);
    else peers.push(peer);
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    address: `unix:path=${path}`,
    peer: () => {
      const p = peers.shift();
      return p ? Promise.resolve(p) : new Promise((resolve) => waiting.push(resolve));
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A message with a body of raw bytes under `signature`, which nothing checks (the hostile part). */
export function encodeRaw(m: Omit<Outgoing, 'signature' | 'body'>, signature: string, body: Buffer): Buffer {
  return frameMessage(m, signature, body);
}

/** Fails if `p` has not settled within `ms` (the defects these tests guard against are hangs). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}
