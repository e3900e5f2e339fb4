import type { PeerOwner } from '../ports.js';
// The owner of a loopback client socket asked of the kernel directly: one NETLINK_SOCK_DIAG query
// naming the exact connection (man 7 sock_diag), which answers in microseconds where reading
// /proc/net/tcp makes the kernel print every socket on the machine (milliseconds on a busy one).
// It needs system calls Node cannot make, so it runs only under bun (the `lakekey` executable),
// through bun:ffi (handed in by compose.ts) and libc; the tray (Electron) and anywhere the query cannot be made keep the
// table reader of peer-uid.ts. Every answer the kernel does not give plainly is `undefined`, and
// the caller then reads the table: this module never decides a refusal or an acceptance on a guess.

// <linux/netlink.h>, <linux/sock_diag.h>, <linux/inet_diag.h>
const AF_NETLINK = 16;
const AF_INET = 2;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_SOCK_DIAG = 4;
const SOCK_DIAG_BY_FAMILY = 20;
const NLMSG_ERROR = 2;
const NLM_F_REQUEST = 1;
const IPPROTO_TCP = 6;
const MSG_DONTWAIT = 0x40;
const ENOENT = 2;
const NLMSG_HDR = 16;
const REQUEST_LENGTH = NLMSG_HDR + 56; // nlmsghdr + inet_diag_req_v2
// In the answer, inet_diag_msg after the header: family, state, timer, retrans (4 bytes), the
// 48-byte socket id, then expires, rqueue, wqueue, uid, inode (u32 each).
const UID_OFFSET = NLMSG_HDR + 4 + 48 + 12;
const INODE_OFFSET = UID_OFFSET + 4;

/** The part of bun:ffi this module uses (typed here so Node's compiler needs no bun types). */
export interface BunFfi {
  dlopen(path: string, symbols: Record<string, { args: string[]; returns: string }>): { symbols: Libc };
}
interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  send(fd: number, buf: Uint8Array, len: number, flags: number): number | bigint;
  recv(fd: number, buf: Uint8Array, len: number, flags: number): number | bigint;
  close(fd: number): number;
}

export type PeerLookup = (clientPort: number, serverPort: number) => PeerOwner | undefined;

/** The request for the client socket 127.0.0.1:clientPort → 127.0.0.1:serverPort. */
export function sockDiagRequest(clientPort: number, serverPort: number, seq: number): Uint8Array {
  const buf = new Uint8Array(REQUEST_LENGTH);
  const v = new DataView(buf.buffer);
  v.setUint32(0, REQUEST_LENGTH, true);
  v.setUint16(4, SOCK_DIAG_BY_FAMILY, true);
  v.setUint16(6, NLM_F_REQUEST, true); // an exact lookup: no NLM_F_DUMP
  v.setUint32(8, seq, true);
  const r = NLMSG_HDR;
  buf[r] = AF_INET; // a dual-stack (Java) socket connected to 127.0.0.1 is found by its IPv4 addresses too
  buf[r + 1] = IPPROTO_TCP;
  v.setUint32(r + 4, 0xffffffff, true); // every state
  const id = r + 8;
  v.setUint16(id, clientPort, false); // network order
  v.setUint16(id + 2, serverPort, false);
  buf.set([127, 0, 0, 1], id + 4); // source: the client's end …
  buf.set([127, 0, 0, 1], id + 20); // … destination: ours
  v.setUint32(id + 40, 0xffffffff, true); // INET_DIAG_NOCOOKIE
  v.setUint32(id + 44, 0xffffffff, true);
  return buf;
}

/** What the kernel's answer says; undefined when it says nothing plain (the table is then read). */
export function sockDiagAnswer(buf: Uint8Array, length: number, seq: number): PeerOwner | undefined {
  if (length < NLMSG_HDR) return undefined;
  const v = new DataView(buf.buffer, buf.byteOffset, length);
  if (v.getUint32(8, true) !== seq) return undefined;
  const type = v.getUint16(4, true);
  if (type === NLMSG_ERROR) {
    // No such socket: it is not in this network namespace (or already gone entirely).
    if (length >= NLMSG_HDR + 4 && v.getInt32(NLMSG_HDR, true) === -ENOENT)
      return { kind: 'unknown', why: "no such connection in this computer's socket table" };
    return undefined;
  }
  if (type !== SOCK_DIAG_BY_FAMILY || length < INODE_OFFSET + 4) return undefined;
  // A socket the kernel has detached (the client closed: TIME_WAIT) shows uid 0 whoever it was.
  if (v.getUint32(INODE_OFFSET, true) === 0) return { kind: 'unknown', why: 'the client had already closed its socket' };
  return { kind: 'uid', uid: v.getUint32(UID_OFFSET, true) };
}

/** The lookup through libc on Linux, or undefined where libc cannot be opened (not glibc). */
export function sockDiagLookup(ffi: BunFfi): PeerLookup | undefined {
  let libc: Libc;
  try {
    libc = ffi.dlopen('libc.so.6', {
      socket: { args: ['i32', 'i32', 'i32'], returns: 'i32' },
      send: { args: ['i32', 'ptr', 'u64', 'i32'], returns: 'i64' },
      recv: { args: ['i32', 'ptr', 'u64', 'i32'], returns: 'i64' },
      close: { args: ['i32'], returns: 'i32' },
    }).symbols;
  } catch {
    return undefined; // not glibc: the table reader stands
  }
  let seq = 0;
  const answer = new Uint8Array(8192);
  return (clientPort, serverPort) => {
    const fd = libc.socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
    if (fd < 0) return undefined;
    try {
      seq = (seq + 1) >>> 0;
      const request = sockDiagRequest(clientPort, serverPort, seq);
      if (Number(libc.send(fd, request, request.length, 0)) !== request.length) return undefined;
      // The kernel queues the answer before send returns; a missing one is not waited for.
      const n = Number(libc.recv(fd, answer, answer.length, MSG_DONTWAIT));
      return n > 0 ? sockDiagAnswer(answer, n, seq) : undefined;
    } finally {
      libc.close(fd);
    }
  };
}
