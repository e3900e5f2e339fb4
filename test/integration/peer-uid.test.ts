// Who owns the other end of a loopback connection (main/core/net/peer-uid.ts, sock-diag.ts), asked
// both ways lakekey asks on Linux — the kernel's socket table (/proc/net/tcp, tcp6), as the tray
// does under Node, and one netlink query per socket, as the bun executable does — of real
// connections: this user's over IPv4, a dual-stack (JVM-style) socket connected to 127.0.0.1,
// another user's (setpriv, as root), one the client already closed, and one that does not exist.
// Both ways must give the same verdict, and the netlink way must give one itself (not fall back).
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { loopbackPeer, procTables } from '../../main/core/net/peer-uid.js';
import { REPO } from '../helpers/cli.js';
import { canActAsOtherUser, OTHER_UID, reachableNode, runAsOtherUser } from '../helpers/other-user.js';
import type { PeerOwner } from '../../main/core/ports.js';

const BUN = join(REPO, 'node_modules', 'bun', 'bin', 'bun.exe');
const PROBE = join(REPO, 'dist', 'test', 'helpers', 'peer-probe.js');
const ME = process.getuid!();

/** The netlink answers for `[clientPort, serverPort]` pairs, from a bun process. */
async function netlink(pairs: [number, number][]): Promise<(PeerOwner | null)[]> {
  const { stdout } = await promisify(execFile)(BUN, [PROBE, ...pairs.map(([c, s]) => `${c}:${s}`)]);
  return JSON.parse(stdout) as (PeerOwner | null)[];
}

/** The socket table's answer (no netlink: as under Node). */
const table = (client: number, server: number) => loopbackPeer(client, server, procTables);

let server: Server;
let port: number;
const accepted: Socket[] = [];
before(async () => {
  server = createServer((s) => accepted.push(s)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as { port: number }).port;
});
after(() => {
  for (const s of accepted) s.destroy();
  server.close();
});

async function client(host: string): Promise<Socket> {
  const s = connect({ host, port });
  await once(s, 'connect');
  return s;
}

test("this user's IPv4 and dual-stack clients: both ways name this uid", { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
  const v4 = await client('127.0.0.1');
  const v6 = await client('::ffff:127.0.0.1'); // an AF_INET6 socket, as the JVM opens: listed in tcp6
  try {
    const pairs: [number, number][] = [
      [v4.localPort!, port],
      [v6.localPort!, port],
    ];
    assert.deepEqual(await netlink(pairs), [
      { kind: 'uid', uid: ME },
      { kind: 'uid', uid: ME },
    ]);
    assert.deepEqual(
      pairs.map(([c, s]) => table(c, s)),
      [
        { kind: 'uid', uid: ME },
        { kind: 'uid', uid: ME },
      ],
    );
  } finally {
    v4.destroy();
    v6.destroy();
  }
});

test(
  'a closed client and a connection that does not exist: both ways say unknown, never a uid',
  { skip: process.platform !== 'linux' && 'Linux only' },
  async () => {
    const gone = await client('127.0.0.1');
    const clientPort = gone.localPort!;
    // The client closes first, so its socket lingers in TIME_WAIT, detached from its owner.
    gone.end();
    await once(gone, 'close');
    const missing = clientPort === 1 ? 2 : 1; // nothing connects from port 1 or 2
    const [closedNl, missingNl] = await netlink([
      [clientPort, port],
      [missing, port],
    ]);
    for (const verdict of [closedNl, table(clientPort, port)]) assert.deepEqual(verdict, { kind: 'unknown', why: 'the client had already closed its socket' });
    for (const verdict of [missingNl, table(missing, port)])
      assert.deepEqual(verdict, { kind: 'unknown', why: "no such connection in this computer's socket table" });
  },
);

test("another user's client: both ways name that uid", { skip: process.platform !== 'linux' && 'Linux only' }, async (t) => {
  if (!canActAsOtherUser(t)) return;
  // The other user connects, says its port, and holds the connection until we answer.
  const holder = 'const s=require("net").connect(+process.argv[1],"127.0.0.1",()=>process.stdout.write(String(s.localPort)));s.on("data",()=>process.exit(0));';
  const theirs = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const run = runAsOtherUser(reachableNode(), ['-e', holder, String(port)]);
  const socket = await theirs;
  const clientPort = socket.remotePort!;
  const verdicts = [...(await netlink([[clientPort, port]])), table(clientPort, port)];
  socket.end('done');
  const r = await run;
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, String(clientPort));
  assert.deepEqual(verdicts, [
    { kind: 'uid', uid: OTHER_UID },
    { kind: 'uid', uid: OTHER_UID },
  ]);
});
