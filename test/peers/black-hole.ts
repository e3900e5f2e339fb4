// Test peer: a TCP listener that accepts every connection and never answers — what a client sees
// of a server behind a dropped VPN or a stateful firewall that lost its state: the connection is
// made, the request goes out, nothing ever comes back. It counts the connections it accepted.
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';

export interface BlackHole {
  /** http://127.0.0.1:PORT */
  url: string;
  /** Connections accepted so far. */
  readonly connections: number;
  stop(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.resume(); // read and drop whatever is sent; never write
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
