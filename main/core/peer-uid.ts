// Which local user owns the other end of a loopback TCP connection. On Linux the kernel says so
// in /proc/net/tcp (the `uid` column of the client's socket); elsewhere there is no cheap,
// dependency-free way to ask, and the answer is `undefined` ("cannot tell").
import { readFileSync } from 'node:fs';

/**
 * The uid owning the client socket `clientPort` → `serverPort` on 127.0.0.1, `undefined` when
 * this platform cannot tell, or `null` when it can but no such connection exists (which, for a
 * connection we are serving, means it came from outside our network namespace).
 */
export function loopbackPeerUid(clientPort: number, serverPort: number, table = readTcpTable()): number | null | undefined {
  if (table === undefined) return undefined;
  // The kernel prints the address as a host-order word: 0100007F on little-endian machines.
  const addresses = ['0100007F', '7F000001'];
  const matches = (field: string | undefined, port: number) => addresses.some((a) => field === `${a}:${hex4(port)}`);
  for (const line of table.split('\n')) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
    const f = line.trim().split(/\s+/);
    if (matches(f[1], clientPort) && matches(f[2], serverPort)) {
      const uid = Number(f[7]);
      return Number.isInteger(uid) ? uid : null;
    }
  }
  return null;
}

function hex4(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** /proc/net/tcp, or undefined where there is none (not Linux, or /proc is hidden from us). */
function readTcpTable(): string | undefined {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function') return undefined;
  try {
    return readFileSync('/proc/net/tcp', 'latin1');
  } catch {
    return undefined;
  }
}

/** Our own uid, where the platform has uids. */
export function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}
