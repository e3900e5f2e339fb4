// A small D-Bus client: the wire format (marshalling by signature) and one connection to the
// session bus with method calls and signals. Just what the Secret Service adapter
// (secret-service.ts) needs, written for the credential-process hot path: loading it costs a
// few small functions, where libsecret (through keytar) loads GLib and negotiates an encrypted
// session on every run. Spec: https://dbus.freedesktop.org/doc/dbus-specification.html
//
// Values by type code: y n q i u → number; x t → bigint; d → number; b → boolean; s o g → string;
// ay → Buffer; other arrays → arrays (a dict a{kv} → an array of [key, value] pairs); a struct →
// an array of its fields; a variant → { sig, value }.
//
// Other connections on the bus and a hostile bus address are not trusted: a reply settles a call
// only when it comes from the peer called (Bus.fromCallee), and what one message may cost is
// bounded before it is read (MAX_MESSAGE_BYTES, MAX_NESTING, MAX_MESSAGE_VALUES, MAX_AUTH_LINE).

export interface Variant {
  sig: string;
  value: unknown;
}

const ALIGN: Record<string, number> = { y: 1, b: 4, n: 2, q: 2, i: 4, u: 4, x: 8, t: 8, d: 8, s: 4, o: 4, g: 1, v: 1, a: 4, '(': 8, '{': 8, h: 4 };

/** The index just past the single complete type that starts at `i` in `sig`. */
export function typeEnd(sig: string, i: number): number {
  const c = sig[i];
  if (c === 'a') return elementEnd(sig, i + 1);
  if (c === '(') {
    // The specification forbids "()": an empty struct would be an array element of no bytes.
    if (sig[i + 1] === ')') throw new Error(`D-Bus signature "${sig}" has an empty struct`);
    let j = i + 1;
    while (sig[j] !== ')') {
      if (j >= sig.length) throw new Error(`D-Bus signature "${sig}" is not closed`);
      j = typeEnd(sig, j);
    }
    return j + 1;
  }
  if (c === '{') throw new Error(`D-Bus signature "${sig}" has a dict entry outside an array`);
  if (!(c in ALIGN)) throw new Error(`D-Bus signature "${sig}" has an unknown type "${c ?? ''}"`);
  return i + 1;
}

const BASIC_TYPES = 'ybnqiuxtdsogh';

/** The index just past an array's element type, which starts at `i` (just after its "a"). */
function elementEnd(sig: string, i: number): number {
  if (sig[i] !== '{') return typeEnd(sig, i);
  // A dict entry: exactly a basic key and one value type.
  if (!BASIC_TYPES.includes(sig[i + 1] ?? '-')) throw new Error(`D-Bus signature "${sig}" has a dict entry whose key is not a basic type`);
  const end = typeEnd(sig, i + 2);
  if (sig[end] !== '}') throw new Error(`D-Bus signature "${sig}" has a dict entry that is not one key and one value`);
  return end + 1;
}

/** The single complete types of a signature, in order. */
export function splitSignature(sig: string): readonly string[] {
  return remember(parsedTypes, sig, (s) => {
    const types: string[] = [];
    for (let i = 0; i < s.length;) {
      const end = typeEnd(s, i);
      types.push(s.slice(i, end));
      i = end;
    }
    return Object.freeze(types);
  });
}

/** The element type of array type `sig`. */
function arrayElement(sig: string): string {
  return remember(parsedElements, sig, (s) => s.slice(1, elementEnd(s, 1)));
}

/** The field types of struct or dict entry type `sig`. */
function structFields(sig: string): readonly string[] {
  return remember(parsedFields, sig, (s) => splitSignature(s.slice(1, -1)));
}

// Parsed signatures. The reader meets the same types once per array element, and parsing them
// every time made an array of deeply nested structs cost depth² per element (seconds for one
// message). Bounded, since every variant in a message can bring a new signature.
const parsedTypes = new Map<string, readonly string[]>();
const parsedElements = new Map<string, string>();
const parsedFields = new Map<string, readonly string[]>();
const PARSED_MAX = 256;

function remember<T>(cache: Map<string, T>, key: string, parse: (key: string) => T): T {
  let v = cache.get(key);
  if (v === undefined) {
    v = parse(key);
    if (cache.size >= PARSED_MAX) cache.clear();
    cache.set(key, v);
  }
  return v;
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
        const elem = arrayElement(sig);
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
        const fields = structFields(sig);
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

/**
 * The specification's nesting limits (32 arrays, 32 structs or dict entries, 64 containers in
 * all, variants counted): they bound the reader's recursion, and with it the work and objects a
 * small hostile message can make it produce.
 */
const MAX_NESTING = { array: 32, struct: 32, total: 64 } as const;

/**
 * The most values (containers included; an "ay" is one) one message may decode to. The Secret
 * Service's largest answer is a search result of one path per matching item; without a bound, a
 * 1 MiB array of nested structs decodes to four million objects and a quarter gibibyte.
 */
export const MAX_MESSAGE_VALUES = 65_536;

/** Unmarshalling from a buffer in either byte order. Offsets count from the message's start. */
export class Reader {
  private readonly depth = { array: 0, struct: 0, total: 0 };

  constructor(
    private readonly buf: Buffer,
    public pos: number,
    private readonly little: boolean,
    /** Values left to decode; readers of one message share it. */
    private readonly budget = { values: MAX_MESSAGE_VALUES },
  ) {}

  private need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Error('D-Bus message is truncated');
  }

  align(n: number): void {
    this.pos += (n - (this.pos % n)) % n;
  }

  /** Reads the inside of a container of `kind`, within the nesting limits. */
  private nested<T>(kind: 'array' | 'struct' | 'variant', read: () => T): T {
    const d = this.depth;
    if (kind !== 'variant' && ++d[kind] > MAX_NESTING[kind])
      throw new Error(`D-Bus message nests more than ${MAX_NESTING[kind]} ${kind}s (the specification's limit)`);
    if (++d.total > MAX_NESTING.total) throw new Error(`D-Bus message nests more than ${MAX_NESTING.total} containers (the specification's limit)`);
    try {
      return read();
    } finally {
      if (kind !== 'variant') d[kind]--;
      d.total--;
    }
  }

  u32(): number {
    this.align(4);
    this.need(4);
    const v = this.little ? this.buf.readUInt32LE(this.pos) : this.buf.readUInt32BE(this.pos);
    this.pos += 4;
    return v;
  }

  value(sig: string): unknown {
    if (--this.budget.values < 0) throw new Error(`D-Bus protocol error: a message holds more than ${MAX_MESSAGE_VALUES} values, more than lakekey accepts`);
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
        const v =
          c === 'n'
            ? L
              ? this.buf.readInt16LE(this.pos)
              : this.buf.readInt16BE(this.pos)
            : L
              ? this.buf.readUInt16LE(this.pos)
              : this.buf.readUInt16BE(this.pos);
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
        return this.nested('variant', () => ({ sig: inner, value: this.value(inner) }) satisfies Variant);
      }
      case 'a': {
        const elem = arrayElement(sig);
        const n = this.u32();
        this.align(ALIGN[elem[0]]);
        this.need(n);
        const end = this.pos + n;
        return this.nested('array', () => (elem === 'y' ? this.bytes(end) : this.elements(elem, end)));
      }
      case '(':
      case '{': {
        this.align(8);
        const fields = structFields(sig);
        return this.nested('struct', () => fields.map((f) => this.value(f)));
      }
      default:
        throw new Error(`cannot unmarshal D-Bus type "${sig}"`);
    }
  }

  /** The bytes of an "ay" up to `end`, copied out of the message. */
  private bytes(end: number): Buffer {
    const bytes = Buffer.from(this.buf.subarray(this.pos, end));
    this.pos = end;
    return bytes;
  }

  /** An array's elements up to `end`. Each must take bytes: one that takes none would repeat forever. */
  private elements(elem: string, end: number): unknown[] {
    const items: unknown[] = [];
    while (this.pos < end) {
      const start = this.pos;
      items.push(this.value(elem));
      if (this.pos === start) throw new Error(`D-Bus array of "${elem}" has an element of no bytes`);
    }
    if (this.pos !== end) throw new Error('D-Bus array overruns its length');
    return items;
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
const FIELD_NAME = Object.fromEntries(Object.entries(FIELD).map(([k, v]) => [v, k])) as Record<number, keyof typeof FIELD>;

/** One message as bytes (little-endian, protocol version 1). */
export function encodeMessage(m: Omit<Message, 'body' | 'signature'> & { signature?: string; body?: unknown[] }): Buffer {
  const signature = m.signature ?? '';
  const body = new Writer();
  splitSignature(signature).forEach((t, i) => body.value(t, m.body?.[i]));
  return frameMessage(m, signature, body.done());
}

/** The header for `m` followed by `bodyBytes`, already encoded under `signature` (tests send hostile bodies this way). */
export function frameMessage(m: Omit<Message, 'body' | 'signature'>, signature: string, bodyBytes: Buffer): Buffer {
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

/**
 * The most a message to lakekey may take, header and body: the Secret Service's answers are a
 * few items and one secret, far below this. The specification allows 128 MiB, which a hostile
 * peer on the bus could spend on a message whose decoding costs over a gibibyte and seconds.
 */
export const MAX_MESSAGE_BYTES = 1024 * 1024;

/**
 * A message's total length from its fixed 16-byte header, checked before any of the rest is
 * buffered: a message larger than lakekey accepts is refused on its header alone.
 */
export function frameLength(header: Buffer): number {
  const little = header[0] === 0x6c;
  if (!little && header[0] !== 0x42) throw new Error('D-Bus protocol error: a message has an unknown byte order');
  if (header[3] !== 1) throw new Error(`D-Bus protocol error: a message has protocol version ${header[3]}, not 1`);
  const bodyLength = little ? header.readUInt32LE(4) : header.readUInt32BE(4);
  const fieldsLength = little ? header.readUInt32LE(12) : header.readUInt32BE(12);
  const headerEnd = 16 + fieldsLength + ((8 - ((16 + fieldsLength) % 8)) % 8);
  const total = headerEnd + bodyLength;
  if (total > MAX_MESSAGE_BYTES) {
    throw new Error(
      `D-Bus protocol error: a peer on the bus sent a message of ${total} bytes, more than the ${MAX_MESSAGE_BYTES} lakekey accepts; ` +
        'the connection is closed. If DBUS_SESSION_BUS_ADDRESS names something other than your session bus, unset it or point it there.',
    );
  }
  return total;
}

/** The length of the first whole message in `buf`, or 0 when more bytes are needed. */
export function messageLength(buf: Buffer): number {
  if (buf.length < 16) return 0;
  const total = frameLength(buf);
  return buf.length >= total ? total : 0;
}

export function decodeMessage(buf: Buffer): Message {
  const little = buf[0] === 0x6c;
  if (!little && buf[0] !== 0x42) throw new Error('D-Bus message has an unknown byte order');
  const budget = { values: MAX_MESSAGE_VALUES };
  const r = new Reader(buf, 4, little, budget);
  const bodyLength = r.u32();
  const serial = r.u32();
  const m: Message = { type: buf[1] as MessageType, serial, flags: buf[2], signature: '', body: [] };
  for (const [code, v] of r.value('a(yv)') as Array<[number, Variant]>) {
    const name = FIELD_NAME[code];
    if (!name) continue; // the specification: unknown fields are ignored
    // A field of the wrong type (a string reply serial, a number as sender) would slip past the
    // checks that compare it; the specification makes such a message invalid.
    if (v.sig !== FIELD_SIG[code]) throw new Error(`D-Bus protocol error: header field ${name} has type "${v.sig}", not "${FIELD_SIG[code]}"`);
    (m as unknown as Record<string, unknown>)[name] = v.value;
  }
  r.align(8);
  const bodyStart = r.pos;
  if (bodyStart + bodyLength > buf.length) throw new Error('D-Bus message is truncated');
  const body = new Reader(buf.subarray(0, bodyStart + bodyLength), bodyStart, little, budget);
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
export function sessionBusPaths(env: NodeJS.ProcessEnv): string[] {
  const address = env.DBUS_SESSION_BUS_ADDRESS;
  if (!address) return env.XDG_RUNTIME_DIR ? [`${env.XDG_RUNTIME_DIR}/bus`] : [];
  const paths: string[] = [];
  for (const entry of address.split(';')) {
    const [transport, rest = ''] = entry.split(/:(.*)/s);
    if (transport !== 'unix') continue;
    const kv = Object.fromEntries(
      rest
        .split(',')
        .map((p) => p.split(/=(.*)/s))
        .map(([k, v = '']) => [k, unescapeValue(v)]),
    );
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
  /** How long the reply may take before the call fails with NoReply (default: libdbus's 25 s). */
  timeoutMs?: number;
}

/** libdbus's default reply timeout: a peer that never answers fails the call, it does not hang it. */
export const DEFAULT_REPLY_TIMEOUT_MS = 25_000;

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
  connect(o: {
    unix: string;
    socket: { data(s: BunSocket, d: Uint8Array): void; drain(s: BunSocket): void; close(s: BunSocket): void; error(s: BunSocket, e: Error): void };
  }): Promise<BunSocket>;
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

/** A call waiting for its reply, and whom it went to. */
interface Waiter {
  destination: string;
  resolve: (m: Message) => void;
  reject: (e: Error) => void;
}

/** The bus daemon itself, which answers as "org.freedesktop.DBus". */
const DRIVER = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' } as const;

/** A name that some connection owns (not a unique ":1.x" name, not the bus daemon's own). */
function isWellKnown(name: string): boolean {
  return !name.startsWith(':') && name !== DRIVER.destination;
}

/**
 * One connection to the session bus. While a call is waiting for its reply the socket holds the
 * process open; when nothing is waiting it does not, so a CLI exits as soon as its work is done.
 */
export class Bus {
  private serial = 0;
  /** The first bytes of a message whose fixed header is not complete yet. */
  private head: Buffer = Buffer.alloc(0);
  /** The message being received, allocated whole once its header said how long it is. */
  private frame: Buffer | undefined;
  private filled = 0;
  /** How many messages have arrived: tells a name-owner answer from before a reply from one after. */
  private received = 0;
  private readonly waiting = new Map<number, Waiter>();
  /** Who owns each well-known name we called, as the bus daemon said, and as of which message. */
  private readonly owners = new Map<string, { asOf: number; owner: Promise<string | undefined> }>();
  private readonly listeners = new Set<(m: Message) => void>();
  private failure: Error | undefined;
  private closedWith: (e: Error) => void = () => undefined;
  /** Resolves with the reason once the connection fails or closes. */
  readonly closed = new Promise<Error>((resolve) => (this.closedWith = resolve));
  /** Our unique name on the bus (from Hello). */
  name = '';

  private constructor(private readonly wire: Wire) {
    wire.onData = (d) => this.receive(d);
    wire.onEnd = (e) =>
      this.fail(e ?? new Error(this.auth ? 'the D-Bus session bus closed the connection during authentication' : 'the D-Bus connection closed'));
    wire.unref();
  }

  /** Connects, authenticates as this user (EXTERNAL) and says Hello. */
  static async session(env: NodeJS.ProcessEnv): Promise<Bus> {
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
          throw new Error(`cannot connect to the D-Bus session bus at ${path.replace('\0', '@')} (${typeof code === 'string' ? code : String(message)})`, {
            cause: err,
          });
        });
        // EXTERNAL, BEGIN and Hello in one flight (as sd-bus sends them): the bus answers OK and
        // Hello's reply together, one round trip instead of two. A refusal fails the Hello too.
        const bus = new Bus(wire);
        const authenticated = bus.authenticate();
        const hello = bus.call({ ...DRIVER, member: 'Hello' });
        hello.catch(() => undefined); // the refusal is reported through `authenticated`
        await authenticated;
        bus.name = (await hello)[0] as string;
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
    // The first call to a well-known name asks the bus who owns it, in the same flight: its
    // answer comes back no later than the call's, so checking the reply costs no round trip.
    if (isWellKnown(o.destination) && !this.owners.has(o.destination)) void this.askOwner(o.destination); // settles to undefined on failure
    return this.send(o).then((reply) => {
      if (reply.type === MessageType.Error)
        throw new DBusError(reply.errorName ?? 'org.freedesktop.DBus.Error.Failed', typeof reply.body[0] === 'string' ? reply.body[0] : '');
      return reply.body;
    });
  }

  /** Sends a method call; resolves with its reply (a return or an error) from the peer called. */
  private send({ timeoutMs = DEFAULT_REPLY_TIMEOUT_MS, ...o }: CallOptions): Promise<Message> {
    const serial = this.nextSerial();
    const bytes = encodeMessage({ type: MessageType.MethodCall, serial, ...o });
    return new Promise<Message>((resolve, reject) => {
      const waiter: Waiter = {
        destination: o.destination,
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      };
      // Unref'd: the waiting call itself holds the process open (holdWhileBusy), not its timer.
      const timer = setTimeout(() => {
        if (this.waiting.get(serial) !== waiter) return;
        this.waiting.delete(serial);
        this.holdWhileBusy();
        reject(new DBusError('org.freedesktop.DBus.Error.NoReply', `${o.destination} did not answer ${o.member} within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      timer.unref();
      this.waiting.set(serial, waiter);
      this.holdWhileBusy();
      this.wire.write(bytes);
    });
  }

  /** Asks the bus daemon who owns `name` now (undefined: nobody); remembered for later replies. */
  private askOwner(name: string): Promise<string | undefined> {
    const owner = this.send({ ...DRIVER, member: 'GetNameOwner', signature: 's', body: [name] }).then(
      (m) => (m.type === MessageType.MethodReturn && typeof m.body[0] === 'string' ? m.body[0] : undefined),
      () => undefined,
    );
    this.owners.set(name, { asOf: this.received, owner });
    return owner;
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

  /** The authentication line being read, until the bus has answered it. */
  private auth: { line: string; resolve: () => void } | undefined;

  /** Says EXTERNAL and BEGIN at once; resolves when the bus answers OK (messages may follow at once). */
  authenticate(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.auth = { line: '', resolve };
      void this.closed.then(reject); // a refusal or a closed connection fails the connection
      const uid = Buffer.from(String(process.getuid?.() ?? 0), 'ascii').toString('hex');
      this.wire.ref(); // held until Hello's reply: then holdWhileBusy decides
      this.wire.write(`\0AUTH EXTERNAL ${uid}\r\nBEGIN\r\n`);
    });
  }

  /** Reads the bus's answer to AUTH from the front of `d`; returns where the messages start, or -1 while it is unfinished. */
  private readAuth(d: Buffer): number {
    const auth = this.auth!;
    const before = auth.line.length;
    auth.line += d.toString('latin1');
    const end = auth.line.indexOf('\r\n');
    if ((end < 0 ? auth.line.length : end) > MAX_AUTH_LINE) {
      throw new Error(
        `D-Bus protocol error: the bus sent an authentication line of over ${MAX_AUTH_LINE} bytes; that is not a D-Bus session bus. Check DBUS_SESSION_BUS_ADDRESS.`,
      );
    }
    if (end < 0) return -1;
    if (!auth.line.startsWith('OK ')) throw new Error(`the D-Bus session bus refused authentication: ${auth.line.slice(0, end)}`);
    this.auth = undefined;
    auth.resolve();
    return end + 2 - before;
  }

  private receive(d: Buffer): void {
    if (this.failure) return; // bytes still arriving on a connection we gave up on
    try {
      let at = 0;
      if (this.auth) {
        at = this.readAuth(d);
        if (at < 0) return;
      }
      for (; at < d.length;) at = this.take(d, at);
    } catch (err) {
      this.fail(err instanceof Error ? err : new Error(String(err)));
      this.wire.destroy();
    }
  }

  /**
   * Takes bytes of `d` from `at` into the message being received; returns where it stopped.
   * Every byte is copied once, into memory of our own (not the runtime's read buffer), and a
   * message's memory is allocated only after its fixed header has passed frameLength's limit.
   */
  private take(d: Buffer, at: number): number {
    if (!this.frame) {
      const n = Math.min(16 - this.head.length, d.length - at);
      this.head = Buffer.concat([this.head, d.subarray(at, at + n)]);
      if (this.head.length < 16) return at + n;
      this.frame = Buffer.allocUnsafe(frameLength(this.head));
      this.filled = this.head.copy(this.frame);
      this.head = Buffer.alloc(0);
      at += n;
    }
    const n = Math.min(this.frame.length - this.filled, d.length - at);
    this.filled += d.copy(this.frame, this.filled, at, at + n);
    if (this.filled === this.frame.length) {
      const message = decodeMessage(this.frame);
      this.frame = undefined;
      this.received++;
      this.dispatch(message);
    }
    return at + n;
  }

  private dispatch(m: Message): void {
    if (m.type === MessageType.Signal) {
      for (const fn of this.listeners) fn(m);
      return;
    }
    if (m.type === MessageType.MethodCall) {
      // We serve nothing; the caller gets an answer rather than waiting out its timeout.
      if (!((m.flags ?? 0) & 1) && m.sender) {
        const error = encodeMessage({
          type: MessageType.Error,
          serial: this.nextSerial(),
          errorName: 'org.freedesktop.DBus.Error.UnknownMethod',
          replySerial: m.serial,
          destination: m.sender,
          signature: 's',
          body: [`lakekey serves no ${m.interface ?? ''}.${m.member ?? ''} here`],
        });
        this.wire.write(error);
      }
      return;
    }
    // Only replies settle calls; a message type this client does not know is ignored.
    if ((m.type !== MessageType.MethodReturn && m.type !== MessageType.Error) || m.replySerial === undefined) return;
    const serial = m.replySerial;
    const waiter = this.waiting.get(serial);
    if (!waiter) return;
    const settle = (fromCallee: boolean) => {
      // Anyone else's reply is dropped: it neither settles nor fails the call, which still
      // waits for the real answer.
      if (!fromCallee || this.waiting.get(serial) !== waiter) return;
      this.waiting.delete(serial);
      this.holdWhileBusy();
      waiter.resolve(m);
    };
    const verdict = this.fromCallee(waiter.destination, m, this.received);
    if (typeof verdict === 'boolean') settle(verdict);
    else void verdict.then(settle);
  }

  /**
   * Whether reply `m` (the `index`th message received) comes from the peer the call went to.
   * Any connection on the bus can send a reply to our unique name with a guessed serial, but
   * not forge its SENDER: the bus daemon writes that field. So a reply counts when its sender
   * is the bus daemon for calls to it, the unique name called, or the current owner of the
   * well-known name called; and errors the daemon sends on a callee's behalf (ServiceUnknown,
   * NoReply when the callee left) count too.
   */
  private fromCallee(destination: string, m: Message, index: number): boolean | Promise<boolean> {
    const from = m.sender;
    if (from === undefined) return false; // on a bus every message carries its sender
    if (from === DRIVER.destination) return destination === DRIVER.destination || m.type === MessageType.Error;
    if (from === destination) return true;
    if (!isWellKnown(destination)) return false;
    const known = this.owners.get(destination) ?? { asOf: -1, owner: Promise.resolve(undefined) };
    return known.owner.then((owner) => {
      if (owner === from) return true;
      // Nobody owned the name when asked (the call started the service) or another connection
      // owns it now (the service restarted): ask again. An answer asked for after this reply
      // arrived reflects who owned the name once the reply was sent; it is shared with replies
      // that arrived before it, and a reply from a non-owner costs one question at most.
      const latest = this.owners.get(destination);
      const fresh = latest && latest.asOf >= index ? latest.owner : this.askOwner(destination);
      return fresh.then((now) => now === from);
    });
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

/**
 * The longest authentication line accepted: the bus answers EXTERNAL with "OK <32 hex digits>"
 * or "REJECTED <mechanisms>"; a line that runs on is no D-Bus bus talking.
 */
const MAX_AUTH_LINE = 512;
