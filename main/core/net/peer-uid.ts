// Which local user owns the other end of a loopback TCP connection. On Linux the kernel says so:
// asked for that one socket over netlink where lakekey can make the call (sock-diag.ts, the
// executable), else in /proc/net/tcp, or tcp6 for a dual-stack client (the `uid` column of the
// client's socket); elsewhere there is no cheap, dependency-free way to ask. On Linux the answer fails closed: a table that cannot be read (out
// of file descriptors, /proc hidden) or a row the kernel has already detached from its socket
// (inode 0: the client closed, and the kernel then shows uid 0 whoever it was) is "unknown", and
// the receiver refuses the request (security round 3).
import { readFileSync } from 'node:fs';
import { sockDiagLookup, type BunFfi, type PeerLookup } from './sock-diag.js';
import type { PeerCheck, PeerOwner } from '../ports.js';

/** Reads a socket table (IPv4 or IPv6); throws when it cannot (the reason becomes the verdict's `why`). */
export type TcpTableReader = (family: 4 | 6) => string;

// The kernel prints each address as host-order 32-bit words: 127.0.0.1 is 0100007F on
// little-endian machines, 7F000001 on big-endian ones. A client on a dual-stack IPv6 socket (the
// JVM's default) that connects to 127.0.0.1 is listed in tcp6 with ::ffff:127.0.0.1.
const ADDRESSES = {
  4: ['0100007F', '7F000001'],
  6: ['0000000000000000FFFF00000100007F', '00000000000000000000FFFF7F000001'],
} as const;

/**
 * The owner of the client socket `clientPort` → `serverPort` on 127.0.0.1: the kernel's direct
 * answer where it gives one, else the socket table's.
 */
export function loopbackPeer(clientPort: number, serverPort: number, read: TcpTableReader, ask?: PeerLookup): PeerOwner {
  const asked = ask?.(clientPort, serverPort);
  if (asked) return asked;
  // IPv4 sockets first (browsers, curl, Node, Python); then IPv6 sockets mapped to 127.0.0.1 (Java).
  for (const family of [4, 6] as const) {
    let table: string;
    try {
      table = read(family);
    } catch (err) {
      return { kind: 'unknown', why: `the socket table could not be read (${(err as NodeJS.ErrnoException).code ?? String(err)})` };
    }
    const matches = (field: string | undefined, port: number) => ADDRESSES[family].some((a) => field === `${a}:${hex4(port)}`);
    for (const line of table.split('\n')) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode …
      const f = line.trim().split(/\s+/);
      if (matches(f[1], clientPort) && matches(f[2], serverPort)) {
        if (f[9] === '0') return { kind: 'unknown', why: 'the client had already closed its socket' };
        const uid = Number(f[7]);
        return Number.isInteger(uid) ? { kind: 'uid', uid } : { kind: 'unknown', why: 'the socket table has no uid for it' };
      }
    }
  }
  // For a connection we are serving: it came from outside our network namespace.
  return { kind: 'unknown', why: "no such connection in this computer's socket table" };
}

function hex4(port: number): string {
  return port.toString(16).toUpperCase().padStart(4, '0');
}

/** Linux's socket tables. */
export const procTables: TcpTableReader = (family) => readFileSync(family === 4 ? '/proc/net/tcp' : '/proc/net/tcp6', 'latin1');

/**
 * Who owns a loopback client socket, as this platform can tell: on Linux the kernel (netlink when
 * `ffi` — bun's, from compose.ts — can make the call, else the socket tables); elsewhere nobody.
 * libc is opened at the first connection, not when a Context is composed: most commands serve none.
 */
export function kernelPeer(platform: NodeJS.Platform, ffi?: () => BunFfi | undefined): PeerCheck {
  if (platform !== 'linux' || ownUid() === undefined) return () => ({ kind: 'unsupported' });
  let ask: PeerLookup | undefined | null = null;
  return (clientPort, serverPort) => {
    if (ask === null) {
      const bun = ffi?.();
      ask = bun ? sockDiagLookup(bun) : undefined;
    }
    return loopbackPeer(clientPort, serverPort, procTables, ask);
  };
}

/** Our own uid, where the platform has uids. */
export function ownUid(): number | undefined {
  return typeof process.getuid === 'function' ? process.getuid() : undefined;
}
