// The D-Bus client (main/core/keychain/secret-service/dbus.ts) on a hostile bus: a Unix socket of the test's own that
// speaks just enough D-Bus to send crafted bytes (test/helpers/raw-dbus.ts), reached the way a
// hostile DBUS_SESSION_BUS_ADDRESS would reach it. Each test is one finding of security issue 19
// (item 4); the ones whose old behaviour was an endless loop or gibibytes of memory run the
// client in a worker with a small heap, so that behaviour fails the test instead of the machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { Bus, encodeMessage, MAX_MESSAGE_BYTES, MAX_MESSAGE_VALUES, MessageType, type Message } from '../../../main/core/keychain/secret-service/dbus.js';
import { hostileBus, within, type HostilePeer } from '../../helpers/raw-dbus.js';

const DRIVER = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };
const SECRETS = { destination: 'org.freedesktop.secrets', path: '/org/freedesktop/secrets', interface: 'org.freedesktop.Secret.Service' };
const isCall = (member: string) => (m: Message) => m.type === MessageType.MethodCall && m.member === member;

/** A client connected to a fresh hostile bus, and the bus's side of that connection. */
async function connected(): Promise<{ bus: Bus; peer: HostilePeer; close: () => void }> {
  const hostile = await hostileBus();
  const [bus, peer] = await Promise.all([within(Bus.session({ DBUS_SESSION_BUS_ADDRESS: hostile.address }), 10_000, 'Hello'), hostile.peer()]);
  return { bus, peer, close: () => (bus.close(), hostile.close()) };
}

test('replies from anyone but the peer called are dropped: forged returns and errors settle nothing, the real answer still arrives', async () => {
  const hostile = await hostileBus();
  try {
    const connecting = Bus.session({ DBUS_SESSION_BUS_ADDRESS: hostile.address });
    const peer = await hostile.peer();
    const bus = await within(connecting, 10_000, 'Hello');

    // A call to a well-known name: the owner is asked in the same flight, then the forgers reply.
    const answer = bus.call({ ...SECRETS, member: 'OpenSession' });
    const owner = await peer.next(isCall('GetNameOwner'), 'GetNameOwner');
    const call = await peer.next(isCall('OpenSession'), 'OpenSession');
    assert.ok(owner.serial < call.serial, 'the owner is asked before the call goes out, in the same flight');
    peer.reply(owner, { signature: 's', body: [':1.7'] });
    peer.send({
      type: MessageType.Error,
      errorName: 'org.freedesktop.Secret.Error.IsLocked',
      replySerial: call.serial,
      destination: ':1.5',
      sender: ':1.66',
      signature: 's',
      body: ['forged error'],
    });
    peer.reply(call, { sender: ':1.66', signature: 's', body: ['forged by another connection'] });
    peer.reply(call, { signature: 's', body: ['a return the daemon never sends for someone else'] });
    peer.send({ type: MessageType.MethodReturn, replySerial: call.serial, destination: ':1.5', signature: 's', body: ['no sender'] });
    peer.reply(call, { sender: ':1.7', signature: 's', body: ['genuine'] });
    assert.deepEqual(await within(answer, 10_000, 'the call'), ['genuine']);

    // A call to a unique name is answered by that name only.
    const direct = bus.call({ ...SECRETS, destination: ':1.7', member: 'Ping' });
    const ping = await peer.next(isCall('Ping'), 'Ping');
    peer.reply(ping, { sender: ':1.66', signature: 's', body: ['forged'] });
    peer.reply(ping, { sender: ':1.7', signature: 's', body: ['genuine'] });
    assert.deepEqual(await within(direct, 10_000, 'the direct call'), ['genuine']);

    // A call to the daemon is answered by the daemon only.
    const id = bus.call({ ...DRIVER, member: 'GetId' });
    const getId = await peer.next(isCall('GetId'), 'GetId');
    peer.reply(getId, { sender: ':1.7', signature: 's', body: ['forged'] });
    peer.reply(getId, { signature: 's', body: ['genuine'] });
    assert.deepEqual(await within(id, 10_000, 'GetId'), ['genuine']);
    bus.close();
  } finally {
    hostile.close();
  }
});

test('a forged Hello reply does not name the connection', async () => {
  const hostile = await hostileBus({
    hello: (peer, call) => {
      peer.reply(call, { sender: ':1.66', signature: 's', body: [':1.66'] });
      peer.send({ type: MessageType.MethodReturn, replySerial: call.serial, destination: ':1.5', signature: 's', body: [':1.67'] });
      peer.reply(call, { signature: 's', body: [':1.5'] });
    },
  });
  try {
    const bus = await within(Bus.session({ DBUS_SESSION_BUS_ADDRESS: hostile.address }), 10_000, 'Hello');
    assert.equal(bus.name, ':1.5', 'named by the daemon, not by another connection or a reply without a sender');
    bus.close();
  } finally {
    hostile.close();
  }
});

test('the owner of a well-known name is asked once per connection, and again only when a reply comes from someone else', async () => {
  const { bus, peer, close } = await connected();
  try {
    let asked = 0;
    const nextAsk = async (owner: string | undefined) => {
      const q = await peer.next(isCall('GetNameOwner'), 'GetNameOwner');
      asked++;
      if (owner) peer.reply(q, { signature: 's', body: [owner] });
      else
        peer.send({
          type: MessageType.Error,
          errorName: 'org.freedesktop.DBus.Error.NameHasNoOwner',
          replySerial: q.serial,
          destination: ':1.5',
          sender: 'org.freedesktop.DBus',
          signature: 's',
          body: ['no owner'],
        });
    };
    const answerFrom = async (sender: string, value: string) =>
      peer.reply(await peer.next(isCall('SearchItems'), 'SearchItems'), { sender, signature: 's', body: [value] });
    const search = () => within(bus.call({ ...SECRETS, member: 'SearchItems' }), 10_000, 'SearchItems');

    // Nobody owned the name when asked: the call itself started the service (D-Bus activation).
    let result = search();
    await nextAsk(undefined);
    await answerFrom(':1.8', 'from the activated service');
    await nextAsk(':1.8');
    assert.deepEqual(await result, ['from the activated service']);

    // The known owner answers: no question to the daemon.
    result = search();
    await answerFrom(':1.8', 'cached owner');
    assert.deepEqual(await result, ['cached owner']);
    assert.equal(asked, 2);

    // The service restarted (gnome-keyring --replace): its new name is confirmed by the daemon.
    result = search();
    await answerFrom(':1.9', 'after the restart');
    await nextAsk(':1.9');
    assert.deepEqual(await result, ['after the restart']);

    // A forger is asked about once, refused, and the call waits for the owner.
    result = search();
    const call = await peer.next(isCall('SearchItems'), 'SearchItems');
    peer.reply(call, { sender: ':1.66', signature: 's', body: ['forged'] });
    await nextAsk(':1.9');
    peer.reply(call, { sender: ':1.9', signature: 's', body: ['genuine'] });
    assert.deepEqual(await result, ['genuine']);
    assert.equal(asked, 4);
  } finally {
    close();
  }
});

test(`a message over ${MAX_MESSAGE_BYTES} bytes is refused on its 16-byte header, before its body is sent, and the connection closed`, async () => {
  const { bus, peer, close } = await connected();
  try {
    const answer = bus.call({ ...DRIVER, member: 'GetId' });
    const call = await peer.next(isCall('GetId'), 'GetId');
    // Only the fixed header of a METHOD_RETURN whose body would be 2 MiB; the rest never comes.
    const header = Buffer.alloc(16);
    header.write('l', 0);
    header.writeUInt8(MessageType.MethodReturn, 1);
    header.writeUInt8(1, 3);
    header.writeUInt32LE(2 * 1024 * 1024, 4);
    header.writeUInt32LE(call.serial + 1, 8);
    header.writeUInt32LE(0, 12);
    const hungUp = new Promise<void>((resolve) => peer.socket.once('close', () => resolve()));
    peer.socket.write(header);
    await assert.rejects(
      within(answer, 10_000, 'the call'),
      /sent a message of 2097168 bytes, more than the 1048576 lakekey accepts; the connection is closed/,
    );
    assert.equal(bus.broken, true);
    await within(hungUp, 10_000, 'the client hanging up');
  } finally {
    close();
  }
});

test('a message just under the limit is accepted (a large secret still fits)', async () => {
  const { bus, peer, close } = await connected();
  try {
    const answer = bus.call({ ...DRIVER, member: 'GetId' });
    const big = Buffer.alloc(MAX_MESSAGE_BYTES - 256, 0x61);
    peer.reply(await peer.next(isCall('GetId'), 'GetId'), { signature: 'ay', body: [big] });
    const [bytes] = (await within(answer, 10_000, 'the call')) as [Buffer];
    assert.equal(bytes.length, big.length);
  } finally {
    close();
  }
});

test('a large message that arrives in small pieces is copied once, not re-copied at every piece (no quadratic growth)', async () => {
  const { bus, peer, close } = await connected();
  try {
    const answer = bus.call({ ...DRIVER, member: 'GetId' });
    const call = await peer.next(isCall('GetId'), 'GetId');
    const big = Buffer.alloc(MAX_MESSAGE_BYTES - 256, 0x62);
    const bytes = encodeMessage({
      type: MessageType.MethodReturn,
      serial: 4242,
      replySerial: call.serial,
      destination: ':1.5',
      sender: 'org.freedesktop.DBus',
      signature: 'ay',
      body: [big],
    });
    // Count every byte the client copies while the message trickles in, 512 bytes per write with
    // a turn of the event loop between writes (so the client reads small pieces). Copied once,
    // that is about the message's size; re-assembled per piece, it is about size² / (2 × 512).
    let copied = 0;
    const { concat } = Buffer;
    const { copy } = Buffer.prototype;
    const { set } = Uint8Array.prototype;
    Buffer.concat = ((list: readonly Uint8Array[], total?: number) => {
      const out = concat(list, total);
      copied += out.length;
      return out;
    }) as typeof Buffer.concat;
    Buffer.prototype.copy = function (this: Buffer, ...args: Parameters<Buffer['copy']>) {
      const n = copy.apply(this, args);
      copied += n;
      return n;
    };
    Uint8Array.prototype.set = function (this: Uint8Array, ...args: Parameters<Uint8Array['set']>) {
      copied += (args[0] as ArrayLike<number>).length;
      return set.apply(this, args);
    };
    let pieces = 0;
    try {
      for (let at = 0; at < bytes.length; at += 512, pieces++) {
        peer.socket.write(bytes.subarray(at, at + 512));
        await new Promise((resolve) => setImmediate(resolve));
      }
      const [got] = (await within(answer, 60_000, 'the call')) as [Buffer];
      assert.equal(got.length, big.length);
    } finally {
      Buffer.concat = concat;
      Buffer.prototype.copy = copy;
      Uint8Array.prototype.set = set;
    }
    assert.ok(pieces > 2000, `${pieces} pieces`);
    assert.ok(copied < 4 * bytes.length, `the client copied ${copied} bytes for a message of ${bytes.length}`);
  } finally {
    close();
  }
});

test('an authentication answer that never ends its line is refused after 512 bytes, not read until a timeout', async () => {
  let sent = 0;
  const hostile = await hostileBus({
    onAuth: (socket) => {
      const flood = () => {
        while (socket.writable && sent < 64 * 1024 * 1024 && socket.write(Buffer.alloc(16 * 1024, 0x41))) sent += 16 * 1024;
      };
      socket.on('drain', flood);
      flood();
    },
  });
  try {
    const connecting = Bus.session({ DBUS_SESSION_BUS_ADDRESS: hostile.address });
    await assert.rejects(within(connecting, 10_000, 'authentication'), /authentication line of over 512 bytes/);
    assert.ok(sent < 8 * 1024 * 1024, `the bus got to send ${sent} bytes`);
  } finally {
    hostile.close();
  }
});

test('nesting beyond the specification (32 structs, 32 arrays, 64 containers with variants) is a protocol error; 32 structs are fine', async () => {
  const cases: Array<{ sig: string; body: unknown; refused?: RegExp }> = [
    { sig: `${'('.repeat(32)}y${')'.repeat(32)}`, body: nest(32, 7) },
    { sig: `${'('.repeat(33)}y${')'.repeat(33)}`, body: nest(33, 7), refused: /nests more than 32 structs/ },
    { sig: `${'a'.repeat(33)}y`, body: arrays(33), refused: /nests more than 32 arrays/ },
    { sig: 'v', body: variants(65), refused: /nests more than 64 containers/ },
  ];
  for (const c of cases) {
    const { bus, peer, close } = await connected();
    try {
      const answer = bus.call({ ...DRIVER, member: 'GetId' });
      peer.reply(await peer.next(isCall('GetId'), 'GetId'), { signature: c.sig, body: [c.body] });
      if (c.refused) {
        await assert.rejects(within(answer, 10_000, c.sig), c.refused);
        assert.equal(bus.broken, true, 'a protocol error closes the connection');
      } else {
        assert.deepEqual(await within(answer, 10_000, c.sig), [c.body]);
      }
    } finally {
      close();
    }
  }
});

function nest(depth: number, leaf: unknown): unknown {
  return depth === 0 ? leaf : [nest(depth - 1, leaf)];
}
function arrays(depth: number): unknown {
  return depth === 1 ? Buffer.from([1]) : [arrays(depth - 1)];
}
function variants(depth: number): unknown {
  return depth === 1 ? { sig: 'y', value: 1 } : { sig: 'v', value: variants(depth - 1) };
}

/** What happened to a client that connected to `address` and called GetId, in a worker with a 96 MiB heap. */
function clientInWorker(address: string): Promise<string> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    import(workerData.module).then(async ({ Bus }) => {
      try {
        const bus = await Bus.session({ DBUS_SESSION_BUS_ADDRESS: workerData.address });
        await bus.call({ destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus', member: 'GetId' });
        parentPort.postMessage('answered');
      } catch (e) {
        parentPort.postMessage('refused: ' + e.message);
      }
    });`;
  const worker = new Worker(code, {
    eval: true,
    workerData: { address, module: new URL('../../../main/core/keychain/secret-service/dbus.js', import.meta.url).href },
    resourceLimits: { maxOldGenerationSizeMb: 96 },
  });
  return new Promise<string>((resolve) => {
    const timer = setTimeout(() => resolve('still busy after 20 s'), 20_000);
    const done = (what: string) => (clearTimeout(timer), resolve(what));
    worker.once('message', (m: string) => done(m));
    worker.once('error', (e) => done(`crashed: ${e.message}`));
    worker.once('exit', () => done('exited'));
  }).finally(() => void worker.terminate());
}

test('an array whose elements take no bytes ("a()") is a protocol error, not an endless loop', async () => {
  const hostile = await hostileBus();
  try {
    const outcome = clientInWorker(hostile.address);
    const peer = await hostile.peer();
    const call = await peer.next(isCall('GetId'), 'GetId');
    // Length 8, padding to 8, then nothing: every empty struct decodes from zero bytes.
    const body = Buffer.alloc(16);
    body.writeUInt32LE(8, 0);
    peer.sendRaw({ type: MessageType.MethodReturn, replySerial: call.serial, destination: ':1.5', sender: 'org.freedesktop.DBus' }, 'a()', body);
    assert.match(await outcome, /^refused: .*empty struct/);
  } finally {
    hostile.close();
  }
});

test('a valid 16 MiB message of nested structs is refused on its header, not decoded into gibibytes', async () => {
  const hostile = await hostileBus();
  try {
    const outcome = clientInWorker(hostile.address);
    const peer = await hostile.peer();
    const call = await peer.next(isCall('GetId'), 'GetId');
    // An array of 31-deep structs around one byte: 8 bytes per element (the last one unpadded),
    // 31 objects each.
    const elements = 2 * 1024 * 1024;
    const body = Buffer.alloc(8 + (elements - 1) * 8 + 1);
    body.writeUInt32LE(body.length - 8, 0);
    peer.sendRaw(
      { type: MessageType.MethodReturn, replySerial: call.serial, destination: ':1.5', sender: 'org.freedesktop.DBus' },
      `a${'('.repeat(31)}y${')'.repeat(31)}`,
      body,
    );
    assert.match(await outcome, /^refused: .*more than the 1048576 lakekey accepts/);
  } finally {
    hostile.close();
  }
});

test(`a message under the size limit that decodes to more than ${MAX_MESSAGE_VALUES} values is refused at once, not decoded into a quarter gibibyte`, async () => {
  const hostile = await hostileBus();
  try {
    const outcome = clientInWorker(hostile.address);
    const peer = await hostile.peer();
    const call = await peer.next(isCall('GetId'), 'GetId');
    // Just under 1 MiB: 131,000 elements of 31-deep structs, four million objects if decoded.
    const elements = 131_000;
    const body = Buffer.alloc(8 + (elements - 1) * 8 + 1);
    body.writeUInt32LE(body.length - 8, 0);
    const started = Date.now();
    peer.sendRaw(
      { type: MessageType.MethodReturn, replySerial: call.serial, destination: ':1.5', sender: 'org.freedesktop.DBus' },
      `a${'('.repeat(31)}y${')'.repeat(31)}`,
      body,
    );
    assert.match(await outcome, /^refused: .*more than 65536 values/);
    assert.ok(Date.now() - started < 5000, `refused after ${Date.now() - started} ms`);
  } finally {
    hostile.close();
  }
});

test('a peer that never answers fails the call with NoReply at its timeout; a late reply is dropped and the connection still works', async () => {
  const { bus, peer, close } = await connected();
  try {
    const t0 = Date.now();
    const silent = bus.call({ ...DRIVER, member: 'GetId', timeoutMs: 300 });
    const call = await peer.next(isCall('GetId'), 'GetId');
    await assert.rejects(within(silent, 10_000, 'the unanswered call'), (e: Error & { dbusName?: string }) => {
      assert.equal(e.dbusName, 'org.freedesktop.DBus.Error.NoReply');
      assert.match(e.message, /did not answer GetId within 0\.3 s/);
      return true;
    });
    assert.ok(Date.now() - t0 < 5_000, 'failed at its timeout, not later');
    peer.reply(call, { signature: 's', body: ['too late'] }); // settles nothing, breaks nothing
    const next = bus.call({ ...DRIVER, member: 'GetId' });
    peer.reply(await peer.next(isCall('GetId'), 'the next GetId'), { signature: 's', body: ['answered'] });
    assert.deepEqual(await within(next, 10_000, 'the next call'), ['answered']);
  } finally {
    close();
  }
});

test('EXTERNAL, BEGIN and Hello go in one flight: a bus that answers only once it has them all is reached in one round trip', async () => {
  // This bus says OK only after Hello has arrived: a client that waited for OK before BEGIN
  // (two round trips) would never get an answer.
  let raw: import('node:net').Socket | undefined;
  const hostile = await hostileBus({
    onAuth: (socket) => (raw = socket),
    hello: (peer, call) => {
      raw!.write('OK 0123456789abcdef0123456789abcdef\r\n');
      peer.reply(call, { signature: 's', body: [':1.9'] });
    },
  });
  try {
    const bus = await within(Bus.session({ DBUS_SESSION_BUS_ADDRESS: hostile.address }), 5_000, 'a session with a pipelined Hello');
    assert.equal(bus.name, ':1.9');
    bus.close();
  } finally {
    hostile.close();
  }
});
