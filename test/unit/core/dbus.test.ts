// The D-Bus wire format and client (main/core/keychain/secret-service/dbus.ts): marshalling checked byte for byte against
// the specification's rules and in round trips, and the client against the real dbus-daemon of
// this test file's session (the runner gives every file one).
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  Bus,
  decodeMessage,
  encodeMessage,
  messageLength,
  MessageType,
  Reader,
  sessionBusPaths,
  splitSignature,
  Writer,
} from '../../../main/core/keychain/secret-service/dbus.js';
import { rawConnection } from '../../helpers/raw-dbus.js';

const DBUS = { destination: 'org.freedesktop.DBus', path: '/org/freedesktop/DBus', interface: 'org.freedesktop.DBus' };

test('signatures split into single complete types; a broken one is refused', () => {
  assert.deepEqual(splitSignature('a{sv}(oayays)bas'), ['a{sv}', '(oayays)', 'b', 'as']);
  assert.deepEqual(splitSignature(''), []);
  assert.throws(() => splitSignature('(ss'), /not closed/);
  assert.throws(() => splitSignature('z'), /unknown type/);
  // The specification's other rules: no empty struct, dict entries only in arrays, one basic key and one value.
  assert.throws(() => splitSignature('a()'), /empty struct/);
  assert.throws(() => splitSignature('{sv}'), /dict entry outside an array/);
  assert.throws(() => splitSignature('a{vs}'), /key is not a basic type/);
  assert.throws(() => splitSignature('a{sss}'), /not one key and one value/);
  assert.throws(() => splitSignature('a{s}'), /unknown type|not one key/);
});

test('marshalling follows the alignment rules: a string, then a u32 padded to 4, an array of structs padded to 8', () => {
  const w = new Writer();
  w.value('s', 'ab'); // length 2, "ab", NUL: 7 bytes
  w.value('u', 258); // one byte of padding, then 02 01 00 00
  w.value('a(y)', [[7]]); // length at 12, padding to 16 for the struct, then one byte
  assert.deepEqual([...w.done()], [2, 0, 0, 0, 0x61, 0x62, 0, 0, 2, 1, 0, 0, 1, 0, 0, 0, 7]);
});

test('an empty array still pads to its element alignment, and its length excludes that padding', () => {
  const w = new Writer();
  w.value('y', 1);
  w.value('a{ss}', []);
  assert.deepEqual([...w.done()], [1, 0, 0, 0, 0, 0, 0, 0]);
  const r = new Reader(w.done(), 1, true);
  assert.deepEqual(r.value('a{ss}'), []);
});

test('values round-trip through the Secret Service signatures, including non-ASCII text and bytes', () => {
  const secret = ['/org/freedesktop/secrets/session/1', Buffer.alloc(0), Buffer.from('päss ✓', 'utf8'), 'text/plain'];
  const props = [
    ['org.freedesktop.Secret.Item.Label', { sig: 's', value: 'lakekey/ä' }],
    [
      'org.freedesktop.Secret.Item.Attributes',
      {
        sig: 'a{ss}',
        value: [
          ['service', 'lakekey'],
          ['account', 'ä'],
        ],
      },
    ],
  ];
  const bytes = encodeMessage({
    type: MessageType.MethodCall,
    serial: 9,
    path: '/x',
    member: 'CreateItem',
    signature: 'a{sv}(oayays)b',
    body: [props, secret, true],
  });
  assert.equal(messageLength(bytes), bytes.length);
  assert.equal(messageLength(bytes.subarray(0, bytes.length - 1)), 0, 'one byte short is not a whole message');
  const m = decodeMessage(bytes);
  assert.equal(m.serial, 9);
  assert.equal(m.member, 'CreateItem');
  assert.deepEqual(m.body, [props, secret, true]);
});

test('property: any value of a generated signature survives encode and decode', () => {
  const leaf = fc.constantFrom('y', 'b', 'n', 'q', 'i', 'u', 'x', 't', 's', 'o', 'g', 'ay');
  const sigArb = fc.letrec<{ sig: string }>((tie) => ({
    sig: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      fc.tuple(tie('sig')).map(([s]) => `a${s}`),
      fc.array(tie('sig'), { minLength: 1, maxLength: 3 }).map((a) => `(${a.join('')})`),
      fc
        .tuple(
          leaf.filter((l) => l !== 'ay'),
          tie('sig'),
        )
        .map(([k, v]) => `a{${k}${v}}`),
    ),
  })).sig;
  const valueOf = (sig: string): fc.Arbitrary<unknown> => {
    switch (sig[0]) {
      case 'y':
        return fc.integer({ min: 0, max: 255 });
      case 'b':
        return fc.boolean();
      case 'n':
        return fc.integer({ min: -32768, max: 32767 });
      case 'q':
        return fc.integer({ min: 0, max: 65535 });
      case 'i':
        return fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
      case 'u':
        return fc.integer({ min: 0, max: 2 ** 32 - 1 });
      case 'x':
        return fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
      case 't':
        return fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
      case 's':
        return fc.string({ unit: 'grapheme', maxLength: 20 });
      case 'o':
        return fc.constantFrom('/', '/org/freedesktop/secrets/collection/login/1');
      case 'g':
        return fc.constantFrom('', 'a{sv}', '(oayays)');
      case '(':
        return fc.tuple(...splitSignature(sig.slice(1, -1)).map(valueOf));
      case 'a':
        if (sig === 'ay') return fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b));
        if (sig[1] === '{') {
          const [k, v] = splitSignature(sig.slice(2, -1));
          return fc.array(fc.tuple(valueOf(k), valueOf(v)), { maxLength: 4 });
        }
        return fc.array(valueOf(sig.slice(1)), { maxLength: 4 });
      default:
        throw new Error(sig);
    }
  };
  fc.assert(
    fc.property(
      sigArb.chain((sig) => fc.tuple(fc.constant(sig), fc.integer({ min: 0, max: 7 }), valueOf(sig))),
      ([sig, offset, value]) => {
        const w = new Writer();
        for (let i = 0; i < offset; i++) w.value('y', 0); // start at every alignment
        w.value(sig, value);
        const r = new Reader(w.done(), offset, true);
        assert.deepEqual(r.value(sig), value);
        assert.equal(r.pos, w.length, 'the reader ends where the writer did');
      },
    ),
    { numRuns: 300 },
  );
});

test("a big-endian message is read as well (the byte order is the sender's choice)", () => {
  // A METHOD_RETURN of signature "u" carrying 0x01020304, written by hand in big-endian order.
  const fields = Buffer.from([5, 1, 0x75, 0, 0, 0, 0, 7, 8, 1, 0x67, 0, 1, 0x75, 0]); // REPLY_SERIAL u 7; SIGNATURE g "u"
  const header = Buffer.concat([Buffer.from([0x42, 2, 0, 1, 0, 0, 0, 4, 0, 0, 0, 3, 0, 0, 0, fields.length]), fields, Buffer.from([0])]); // padded to 8
  const m = decodeMessage(Buffer.concat([header, Buffer.from([1, 2, 3, 4])]));
  assert.equal(m.type, MessageType.MethodReturn);
  assert.equal(m.replySerial, 7);
  assert.deepEqual(m.body, [0x01020304]);
});

test('session bus addresses: path and abstract entries in order, other transports skipped, values unescaped', () => {
  assert.deepEqual(sessionBusPaths({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=x,port=1;unix:path=/run/user/1000/bus,guid=ab;unix:abstract=/tmp/dbus-Q%2cz' }), [
    '/run/user/1000/bus',
    '\0/tmp/dbus-Q,z',
  ]);
  assert.deepEqual(sessionBusPaths({ XDG_RUNTIME_DIR: '/run/user/5' }), ['/run/user/5/bus']);
  assert.deepEqual(sessionBusPaths({}), []);
});

test('address values: %XX escapes are the bytes of a UTF-8 path, and a stray % is itself, not a crash', () => {
  assert.deepEqual(sessionBusPaths({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/caf%c3%a9/bus' }), ['/tmp/café/bus']);
  assert.deepEqual(sessionBusPaths({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/tmp/100%/bus%2' }), ['/tmp/100%/bus%2']);
});

test('an address naming no unix socket says so, rather than that none is set', async () => {
  await assert.rejects(
    Bus.session({ DBUS_SESSION_BUS_ADDRESS: 'tcp:host=localhost,port=1' }),
    /DBUS_SESSION_BUS_ADDRESS \(tcp:host=localhost,port=1\) names no unix socket/,
  );
});

test('a method call to our connection is answered UnknownMethod at once (we serve nothing), not left to time out', async () => {
  const [ours, caller] = await Promise.all([Bus.session(process.env), Bus.session(process.env)]);
  try {
    await assert.rejects(
      caller.call({ destination: ours.name, path: '/', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' }),
      (e: Error & { dbusName?: string }) => e.dbusName === 'org.freedesktop.DBus.Error.UnknownMethod',
    );
    // And the connection that answered is still good for its own calls.
    const [id] = (await ours.call({ ...DBUS, member: 'GetId' })) as [string];
    assert.match(id, /^[0-9a-f]{32}$/);
  } finally {
    ours.close();
    caller.close();
  }
});

test('a METHOD_RETURN forged by a second connection with our pending serial settles nothing: only the callee answers our call', async () => {
  // On dbus-daemon any connection can send a reply to our unique name; the daemon routes it
  // even though nobody asked that connection anything (it injected S3 keys this way).
  const [victim, service, attacker] = await Promise.all([Bus.session(process.env), rawConnection(), rawConnection()]);
  try {
    const requested = await service.call({ ...DBUS, member: 'RequestName', signature: 'su', body: ['org.lakekey.Test.Keys', 4] });
    assert.deepEqual(requested.body, [1], 'the test service owns its name');
    for (const destination of ['org.lakekey.Test.Keys', service.name]) {
      const answer = victim.call({ destination, path: '/keys', interface: 'org.lakekey.Test', member: 'GetKeys' });
      const call = await service.next((m) => m.member === 'GetKeys', `the call to ${destination}`);
      assert.equal(call.sender, victim.name);
      attacker.send({ type: MessageType.MethodReturn, replySerial: call.serial, destination: victim.name, signature: 's', body: ['AKIAFORGED:forged-secret'] });
      attacker.send({
        type: MessageType.Error,
        errorName: 'org.freedesktop.Secret.Error.IsLocked',
        replySerial: call.serial,
        destination: victim.name,
        signature: 's',
        body: ['forged'],
      });
      // One connection's messages to another arrive in order: once our connection has answered
      // the attacker's Ping (UnknownMethod), it has received and judged both forgeries.
      const pong = await attacker.call({ destination: victim.name, path: '/', interface: 'org.freedesktop.DBus.Peer', member: 'Ping' });
      assert.equal(pong.errorName, 'org.freedesktop.DBus.Error.UnknownMethod');
      service.send({ type: MessageType.MethodReturn, replySerial: call.serial, destination: victim.name, signature: 's', body: ['genuine'] });
      assert.deepEqual(await answer, ['genuine'], `the call to ${destination}`);
    }
  } finally {
    victim.close();
    service.close();
    attacker.close();
  }
});

test('the client talks to the real bus: Hello gives a unique name, GetNameOwner and a D-Bus error reply', async () => {
  const bus = await Bus.session(process.env);
  try {
    assert.match(bus.name, /^:\d+\.\d+$/);
    const [names] = (await bus.call({ ...DBUS, member: 'ListNames' })) as [string[]];
    assert.ok(names.includes(bus.name), 'the bus lists our own name');
    assert.ok(names.includes('org.freedesktop.secrets'), 'the keyring daemon of this file is on the bus');
    await assert.rejects(
      bus.call({ ...DBUS, member: 'GetNameOwner', signature: 's', body: ['org.example.NoSuchName'] }),
      (e: Error & { dbusName?: string }) => e.dbusName === 'org.freedesktop.DBus.Error.NameHasNoOwner',
    );
  } finally {
    bus.close();
  }
});

test('a bus on an abstract socket is reached too (older distributions listen there)', async () => {
  const daemon = spawn('dbus-daemon', ['--session', '--nofork', '--print-address=1', `--address=unix:abstract=/tmp/lakekey-test-${process.pid}`], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      daemon.stdout.on('data', (d) => ((out += d), out.includes('\n') && resolve(out.trim())));
      daemon.on('exit', (code) => reject(new Error(`dbus-daemon exited ${code}`)));
    });
    assert.match(address, /^unix:abstract=/);
    const bus = await Bus.session({ DBUS_SESSION_BUS_ADDRESS: address });
    assert.match(bus.name, /^:\d+\.\d+$/);
    bus.close();
  } finally {
    daemon.kill();
  }
});

test('no bus at the address is an error naming it, not a hang', async () => {
  await assert.rejects(Bus.session({ DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus' }), /ENOENT|nonexistent/);
  await assert.rejects(Bus.session({}), /no D-Bus session bus/);
  // dbus-send agrees there is a session bus here, so the failures above are the addresses'.
  assert.match(
    execFileSync('dbus-send', ['--session', '--print-reply', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus.GetId'], {
      encoding: 'utf8',
    }),
    /string "/,
  );
});
