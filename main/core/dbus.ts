// A small D-Bus client: the wire format (marshalling by signature) and one connection to the
// session bus with method calls and signals. Just what the Secret Service adapter
// (secret-service.ts) needs, written for the credential-process hot path: loading it costs a
// few small functions, where libsecret (through keytar) loads GLib and negotiates an encrypted
// session on every run. Spec: https://dbus.freedesktop.org/doc/dbus-specification.html
//
// Values by type code: y n q i u → number; x t → bigint; d → number; b → boolean; s o g → string;
// ay → Buffer; other arrays → arrays (a dict a{kv} → an array of [key, value] pairs); a struct →
// an array of its fields; a variant → { sig, value }.

export interface Variant {
  sig: string;
  value: unknown;
}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8, h: 4 };

/** The index just past the single complete type that starts at `i` in `sig`. */
export function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === 'a') return typeEnd(sig, i + 1);
  if (c === '(' || c === '{') {
    const close = c === '(' ? ')' : '}';
    let j = i + 1;
    while (sig[j] !== close) {
      if (j >= sig.length) throw new Error(`D-Bus signature "${sig}" is not closed`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  if (!(c in ALIGN)) throw new Error(`D-Bus signature "${sig}" has an unknown type "${c ?? ''}"`);
  return i + 1;
}

/** The single complete types of a signature, in order. */
export function splitSignature(sig: string): string[] {
  const types: string[] = [];
  for (let i = 0; i < sig.length; ) {
    const end = typeEnd(sig, i);
    types.push(sig.slice(i, end));
    i = end;
  }
  return types;
}

/** Little-endian marshalling into a growing buffer. */
export class Writer {
  private buf = Buffer.alloc(256);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  align(n: number): void {
    const pad = (n - (this.length % n)) % n;
    this.room(pad);
    this.buf.fill(0, this.length, this.length + pad);
    this.length += pad;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  u8(v: number): void {
    this.room(1);
    this.buf.writeUInt8(v, this.length++);
  }

  u32(v: number): void {
    this.align(4);
    this.room(4);
    this.buf.writeUInt32LE(v, this.length);
    this.length += 4;
  }

  /** Overwrites a u32 written earlier (an array's length once its elements are known). */
  patchU32(at: number, v: number): void {
    this.buf.writeUInt32LE(v, at);
  }

  value(sig: string, v: unknown): void {
    const c = sig[0];
    switch (c) {
      case 'y':
        return this.u8(v as number);
      case 'b':
        return this.u32(v ? 1 : 0);
      case 'n':
      case 'q':
        this.align(2);
        this.room(2);
        if (c === 'n') this.buf.writeInt16LE(v as number, this.length);
        else this.buf.writeUInt16LE(v as number, this.length);
        this.length += 2;
        return;
      case 'i':
      case 'h':
        this.align(4);
        this.room(4);
        this.buf.writeInt32LE(v as number, this.length);
        this.length += 4;
        return;
      case 'u':
        return this.u32(v as number);
      case 'x':
      case 't':
      case 'd':
        this.align(8);
        this.room(8);
        if (c === 'd') this.buf.writeDoubleLE(v as number, this.length);
        else if (c === 'x') this.buf.writeBigInt64LE(BigInt(v as number | bigint), this.length);
        else this.buf.writeBigUInt64LE(BigInt(v as number | bigint), this.length);
        this.length += 8;
        return;
      case 's':
      case 'o': {
        const b = Buffer.from(v as string, 'utf8');
        this.u32(b.length);
        this.bytes(b);
        return this.u8(0);
      }
      case 'g': {
        const b = Buffer.from(v as string, 'ascii');
        this.u8(b.length);
        this.bytes(b);
        return this.u8(0);
      }
      case 'v': {
        const { sig: inner, value } = v as Variant;
        this.value('g', inner);
        return this.value(inner, value);
      }
      case 'a': {
        const elem = sig.slice(1, typeEnd(sig, 1));
        this.u32(0);
        const lengthAt = this.length - 4;
        this.align(ALIGN[elem[0]]);
        const start = this.length;
        if (elem === 'y') this.bytes(v as Uint8Array);
        else for (const item of v as unknown[]) this.value(elem, item);
        return this.patchU32(lengthAt, this.length - start);
      }
      case '(':
      case '{': {
        this.align(8);
        const fields = splitSignature(sig.slice(1, -1));
        const values = v as unknown[];
        fields.forEach((f, i) => this.value(f, values[i]));
        return;
      }
      default:
        throw new Error(`cannot marshal D-Bus type "${sig}"`);
    }
  }

  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

/** Unmarshalling from a buffer in either byte order. Offsets count from the message's start. */
export class Reader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly little: boolean,
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('D-Bus message is truncated');
  }

  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
  }

  u32(): number {
    this.align(4);
    this.need(4);
    const v = this.little ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  value(sig: string): unknown {
    const c = sig[0];
    const L = this.little;
    switch (c) {
      case 'y':
        this.need(1);
        return this.buf.readUInt8(this.pos++);
      case 'b':
        return this.u32() !== 0;
      case 'n':
      case 'q': {
        this.align(2);
        this.need(2);
        const v = c === 'n' ? (L ? this.buf.readInt16LE(this.pos) : this.buf.readInt16BE(this.pos)) : L ? this.buf.readUInt16LE(this.pos) : this.buf.readUInt16BE(this.pos);
        this.pos += 2;
        return v;
      }
      case 'i':
      case 'h': {
        this.align(4);
        this.need(4);
        const v = L ? this.buf.readInt32LE(this.pos) : this.buf.readInt32BE(this.pos);
        this.pos += 4;
        return v;
      }
      case 'u':
        return this.u32();
      case 'x':
      case 't':
      case 'd': {
        this.align(8);
        this.need(8);
        const p = this.pos;
        this.pos += 8;
        if (c === 'd') return L ? this.buf.readDoubleLE(p) : this.buf.readDoubleBE(p);
        if (c === 'x') return L ? this.buf.readBigInt64LE(p) : this.buf.readBigInt64BE(p);
        return L ? this.buf.readBigUInt64LE(p) : this.buf.readBigUInt64BE(p);
      }
      case 's':
      case 'o': {
        const n = this.u32();
        this.need(n + 1);
        const s = this.buf.toString('utf8', this.pos, this.pos + n);
        this.pos += n + 1;
        return s;
      }
      case 'g': {
        this.need(1);
        const n = this.buf.readUInt8(this.pos++);
        this.need(n + 1);
        const s = this.buf.toString('ascii', this.pos, this.pos + n);
        this.pos += n + 1;
        return s;
      }
      case 'v': {
        const inner = this.value('g') as string;
        if (splitSignature(inner).length !== 1) throw new Error(`D-Bus variant has signature "${inner}"`);
        return { sig: inner, value: this.value(inner) } satisfies Variant;
      }
      case 'a': {
        const elem = sig.slice(1, typeEnd(sig, 1));
        const n = this.u32();
        this.align(ALIGN[elem[0]]);
        this.need(n);
        const end = this.pos + n;
        if (elem === 'y') {
          const bytes = Buffer.from(this.buf.subarray(this.pos, end));
          this.pos = end;
          return bytes;
        }
        const items: unknown[] = [];
        while (this.pos < end) items.push(this.value(elem));
        if (this.pos !== end) throw new Error('D-Bus array overruns its length');
        return items;
      }
      case '(':
      case '{': {
        this.align(8);
        return splitSignature(sig.slice(1, -1)).map((f) => this.value(f));
      }
      default:
        throw new Error(`cannot unmarshal D-Bus type "${sig}"`);
    }
  }
}

export const MessageType = { MethodCall: 1, MethodReturn: 2, Error: 3, Signal: 4 } as const;
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

export interface Message {
  type: MessageType;
  serial: number;
  path?: string;
  interface?: string;
  member?: string;
  errorName?: string;
  replySerial?: number;
  destination?: string;
  sender?: string;
  /** Header flags as received (bit 0: the caller expects no reply). */
  flags?: number;
  signature: string;
  body: unknown[];
}

const FIELD = { path: 1, interface: 2, member: 3, errorName: 4, replySerial: 5, destination: 6, sender: 7, signature: 8 } as const;
const FIELD_SIG: Record<number, string> = { 1: 'o', 2: 's', 3: 's', 4: 's', 5: 'u', 6: 's', 7: 's', 8: 'g' };

/** One message as bytes (little-endian, protocol version 1). */
export function encodeMessage(m: Omit<Message, 'body' | 'signature'> & { signature?: string; body?: unknown[] }): Buffer {
  const signature = m.signature ?? '';
  const body = new Writer();
  splitSignature(signature).forEach((t, i) => body.value(t, m.body?.[i]));
  const bodyBytes = body.done();
  const fields: Array<[number, Variant]> = [];
  for (const [name, code] of Object.entries(FIELD) as Array<[keyof typeof FIELD, number]>) {
    const v = name === 'signature' ? (signature ? signature : undefined) : m[name];
    if (v !== undefined) fields.push([code, { sig: FIELD_SIG[code], value: v }]);
  }
  const w = new Writer();
  w.bytes(Buffer.from('l'));
  w.u8(m.type);
  w.u8(0); // flags
  w.u8(1); // protocol version
  w.u32(bodyBytes.length);
  w.u32(m.serial);
  w.value('a(yv)', fields);
  w.align(8);
  w.bytes(bodyBytes);
  return w.done();
}

/** The length of the first whole message in `buf`, or 0 when more bytes are needed. */
export function messageLength(buf: Buffer): number {
  if (buf.length < 16) return 0;
  const little = buf[0] === 0x6c;
  const bodyLength = little ? buf.readUInt32LE(4) : buf.readUInt32BE(4);
  const fieldsLength = little ? buf.readUInt32LE(12) : buf.readUInt32BE(12);
  const headerEnd = 16 + fieldsLength + ((8 - ((16 + fieldsLength) % 8)) % 8);
  const total = headerEnd + bodyLength;
  if (total > MAX_MESSAGE_BYTES) throw new Error(`D-Bus message of ${total} bytes is larger than the protocol allows`);
  return buf.length >= total ? total : 0;
}

/** The D-Bus specification's maximum message size (128 MiB). */
const MAX_MESSAGE_BYTES = 134_217_728;

export function decodeMessage(buf: Buffer): Message {
  const little = buf[0] === 0x6c;
  if (!little && buf[0] !== 0x42) throw new Error('D-Bus message has an unknown byte order');
  const r = new Reader(buf, 4, little);
  const bodyLength = r.u32();
  const serial = r.u32();
  const m: Message = { type: buf[1] as MessageType, serial, flags: buf[2], signature: '', body: [] };
  const byCode = Object.fromEntries(Object.entries(FIELD).map(([k, v]) => [v, k])) as Record<number, keyof typeof FIELD>;
  for (const [code, v] of r.value('a(yv)') as Array<[number, Variant]>) {
    const name = byCode[code];
    if (name) (m as unknown as Record<string, unknown>)[name] = v.value;
  }
  r.align(8);
  const bodyStart = r.pos;
  if (bodyStart + bodyLength > buf.length) throw new Error('D-Bus message is truncated');
  const body = new Reader(buf.subarray(0, bodyStart + bodyLength), bodyStart, little);
  m.body = splitSignature(m.signature).map((t) => body.value(t));
  return m;
}

/** A D-Bus error reply, as an Error whose `name` is the D-Bus error name. */
export class DBusError extends Error {
  constructor(
    readonly dbusName: string,
    message: string,
  ) {
    super(`${dbusName}: ${message}`);
    this.name = 'DBusError';
  }
}

/** Where the session bus listens: $DBUS_SESSION_BUS_ADDRESS's unix entries, else $XDG_RUNTIME_DIR/bus. */
export function sessionBusPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  if (!address) return env.XDG_RUNTIME_DIR ? [`${env.XDG_RUNTIME_DIR}/bus`] : [];
  const paths: string[] = [];
  for (const entry of address.split(';')) {
    const [transport, rest = ''] = entry.split(/:(.*)/s);
    if (transport !== 'unix') continue;
    const kv = Object.fromEntries(rest.split(',').map((p) => p.split(/=(.*)/s)).map(([k, v = '']) => [k, unescapeValue(v)]));
    if (kv.path) paths.push(kv.path);
    else if (kv.abstract) paths.push(`\0${kv.abstract}`);
  }
  return paths;
}

/** An address value's %XX escapes are bytes (of a UTF-8 path); a stray % is taken as itself. */
function unescapeValue(v: string): string {
  if (!v.includes('%')) return v;
  const bytes: number[] = [];
  for (let i = 0; i < v.length; i++) {
    const hex = v[i] === '%' ? /^[0-9a-fA-F]{2}$/.exec(v.slice(i + 1, i + 3)) : null;
    if (hex) {
      bytes.push(parseInt(hex[0], 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(v[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

export interface CallOptions {
  destination: string;
  path: string;
  interface: string;
  member: string;
  signature?: string;
  body?: unknown[];
}

/** A byte stream to the bus; its handlers are set by whoever reads it (authentication, then the Bus). */
interface Wire {
  write(bytes: Uint8Array | string): void;
  ref(): void;
  unref(): void;
  destroy(): void;
  onData: (d: Buffer) => void;
  onEnd: (err?: Error) => void;
}

/** The parts of Bun's socket API the wire uses (Bun.connect: https://bun.sh/docs/api/tcp). */
interface BunSocket {
  write(data: Uint8Array | string): number;
  ref(): void;
  unref(): void;
  end(): void;
}
interface BunRuntime {
  connect(o: { unix: string; socket: { data(s: BunSocket, d: Uint8Array): void; drain(s: BunSocket): void; close(s: BunSocket): void; error(s: BunSocket, e: Error): void } }): Promise<BunSocket>;
}

/**
 * Opens the unix socket at `path` (a leading NUL names an abstract socket). On Bun (the
 * standalone executable) through Bun.connect: Bun's node:net costs 10-15 ms to load, more than
 * all the rest of a cache hit's keychain read. On Node through node:net, loaded only then.
 */
async function openWire(path: string): Promise<Wire> {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun && !path.startsWith('\0')) return openBunWire(bun, path);
  const { connect } = await import('node:net');
  return new Promise((resolve, reject) => {
    const socket = connect({ path });
    const wire: Wire = {
      write: (b) => void socket.write(b),
      ref: () => void socket.ref(),
      unref: () => void socket.unref(),
      destroy: () => void socket.destroy(),
      onData: () => undefined,
      onEnd: () => undefined,
    };
    socket.on('data', (d: Buffer) => wire.onData(d));
    socket.on('error', (e) => (connected ? wire.onEnd(e) : reject(e)));
    socket.on('close', () => wire.onEnd());
    let connected = false;
    socket.on('connect', () => {
      connected = true;
      resolve(wire);
    });
  });
}

async function openBunWire(bun: BunRuntime, path: string): Promise<Wire> {
  // Bun's write may take part of the bytes; the rest waits for the socket's drain.
  const queue: Uint8Array[] = [];
  const flush = (s: BunSocket) => {
    while (queue.length) {
      const head = queue[0];
      const n = s.write(head);
      if (n >= head.length) queue.shift();
      else {
        queue[0] = head.subarray(Math.max(0, n));
        return;
      }
    }
  };
  const conn: { socket?: BunSocket } = {};
  const wire: Wire = {
    write: (b) => {
      queue.push(typeof b === 'string' ? Buffer.from(b, 'latin1') : b);
      if (queue.length === 1 && conn.socket) flush(conn.socket);
    },
    ref: () => conn.socket?.ref(),
    unref: () => conn.socket?.unref(),
    destroy: () => conn.socket?.end(),
    onData: () => undefined,
    onEnd: () => undefined,
  };
  conn.socket = await bun.connect({
    unix: path,
    socket: {
      data: (_s, d) => wire.onData(Buffer.isBuffer(d) ? d : Buffer.from(d)),
      drain: (s) => flush(s),
      close: () => wire.onEnd(),
      error: (_s, e) => wire.onEnd(e),
    },
  });
  return wire;
}

/**
 * One connection to the session bus. While a call is waiting for its reply the socket holds the
 * process open; when nothing is waiting it does not, so a CLI exits as soon as its work is done.
 */
export class Bus {
  private serial = 0;
  private inbox: Buffer = Buffer.alloc(0);
  private readonly waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(m: Message) => void>();
  private failure: Error | undefined;
  private closedWith: (e: Error) => void = () => undefined;
  /** Resolves with the reason once the connection fails or closes. */
  readonly closed = new Promise<Error>((resolve) => (this.closedWith = resolve));
  /** Our unique name on the bus (from Hello). */
  name = '';

  private constructor(private readonly wire: Wire) {
    wire.onData = (d) => this.receive(d);
    wire.onEnd = (e) => this.fail(e ?? new Error('the D-Bus connection closed'));
    wire.unref();
  }

  /** Connects, authenticates as this user (EXTERNAL) and says Hello. */
  static async session(env: NodeJS.ProcessEnv = process.env): Promise<Bus> {
    const paths = sessionBusPaths(env);
    if (paths.length === 0) {
      throw new Error(
        env.DBUS_SESSION_BUS_ADDRESS
          ? `no D-Bus session bus lakekey can reach: DBUS_SESSION_BUS_ADDRESS (${env.DBUS_SESSION_BUS_ADDRESS}) names no unix socket`
          : 'no D-Bus session bus: DBUS_SESSION_BUS_ADDRESS is not set (and there is no $XDG_RUNTIME_DIR/bus)',
      );
    }
    let last: unknown;
    for (const path of paths) {
      let wire: Wire | undefined;
      try {
        wire = await openWire(path).catch((err: unknown) => {
          const { code, message } = err as { code?: unknown; message?: unknown };
          throw new Error(`cannot connect to the D-Bus session bus at ${path.replace('\0', '@')} (${typeof code === 'string' ? code : String(message)})`, { cause: err });
        });
        await authenticate(wire);
        const bus = new Bus(wire);
        bus.name = (await bus.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'Hello' }))[0] as string;
        return bus;
      } catch (err) {
        wire?.destroy(); // the next address gets a clean start, and no socket is left open
        last = err;
      }
    }
    throw last instanceof Error ? last : new Error(String(last));
  }

  /** Calls a method and resolves with the reply's body; a D-Bus error reply rejects with a DBusError. */
  call(o: CallOptions): Promise<unknown[]> {
    if (this.failure) return Promise.reject(this.failure);
    const serial = this.nextSerial();
    const bytes = encodeMessage({ type: MessageType.MethodCall, serial, ...o });
    return new Promise<Message>((resolve, reject) => {
      this.waiting.set(serial, { resolve, reject });
      this.holdWhileBusy();
      this.wire.write(bytes);
    }).then((reply) => {
      if (reply.type === MessageType.Error) throw new DBusError(reply.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof reply.body[0] === 'string' ? reply.body[0] : '');
      return reply.body;
    });
  }

  /** Serials are a u32 that is never 0. */
  private nextSerial(): number {
    this.serial = this.serial === 0xffffffff ? 1 : this.serial + 1;
    return this.serial;
  }

  /** Calls `fn` with every signal that arrives until the returned function is called. */
  onSignal(fn: (m: Message) => void): () => void {
    this.listeners.add(fn);
    this.holdWhileBusy();
    return () => {
      this.listeners.delete(fn);
      this.holdWhileBusy();
    };
  }

  /** True once the connection has failed or closed; a new one is needed. */
  get broken(): boolean {
    return this.failure !== undefined;
  }

  /** The socket keeps the process alive only while a reply or a signal is awaited. */
  private holdWhileBusy(): void {
    if (this.waiting.size || this.listeners.size) this.wire.ref();
    else this.wire.unref();
  }

  close(): void {
    this.wire.destroy();
  }

  private receive(d: Buffer): void {
    this.inbox = this.inbox.length ? Buffer.concat([this.inbox, d]) : d;
    try {
      for (let n = messageLength(this.inbox); n > 0; n = messageLength(this.inbox)) {
        const message = decodeMessage(this.inbox.subarray(0, n));
        this.inbox = this.inbox.subarray(n);
        this.dispatch(message);
      }
      // A partial message waits for more bytes in memory of its own, not the runtime's read buffer.
      if (this.inbox.length && this.inbox.buffer === d.buffer) this.inbox = Buffer.from(this.inbox);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      this.wire.destroy();
    }
  }

  private dispatch(m: Message): void {
    if (m.type === MessageType.Signal) {
      for (const fn of this.listeners) fn(m);
      return;
    }
    if (m.type === MessageType.MethodCall) {
      // We serve nothing; the caller gets an answer rather than waiting out its timeout.
      if (!((m.flags ?? 0) & 1) && m.sender) {
        const error = encodeMessage({ type: MessageType.Error, serial: this.nextSerial(), errorName: 'org.freedesktop.DBus.Error.UnknownMethod', replySerial: m.serial, destination: m.sender, signature: 's', body: [`lakekey serves no ${m.interface ?? ''}.${m.member ?? ''} here`] });
        this.wire.write(error);
      }
      return;
    }
    // Only replies settle calls; a message type this client does not know is ignored.
    if ((m.type !== MessageType.MethodReturn && m.type !== MessageType.Error) || m.replySerial === undefined) return;
    const waiter = this.waiting.get(m.replySerial);
    if (!waiter) return;
    this.waiting.delete(m.replySerial);
    this.holdWhileBusy();
    waiter.resolve(m);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.closedWith(this.failure);
    for (const w of this.waiting.values()) w.reject(this.failure);
    this.waiting.clear();
    this.listeners.clear();
    this.wire.unref();
  }
}

/** Runs the SASL EXTERNAL exchange on a fresh wire; resolves once BEGIN is sent. */
function authenticate(wire: Wire): Promise<void> {
  return new Promise((resolve, reject) => {
    let answer = '';
    wire.onEnd = (e) => reject(e ?? new Error('the D-Bus session bus closed the connection during authentication'));
    wire.onData = (d) => {
      answer += d.toString('latin1');
      if (!answer.includes('\r\n')) return;
      if (!answer.startsWith('OK ')) {
        wire.destroy();
        return reject(new Error(`the D-Bus session bus refused authentication: ${answer.trim()}`));
      }
      wire.write('BEGIN\r\n');
      resolve();
    };
    const uid = Buffer.from(String(process.getuid?.() ?? 0), 'ascii').toString('hex');
    wire.write(`\0AUTH EXTERNAL ${uid}\r\n`);
  });
}
