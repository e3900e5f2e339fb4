// Serving the built settings window (renderer/dist) with the security headers. The app serves
// it through its custom scheme (protocol.handle); the tests serve the very same answers over a
// loopback HTTP server to drive the page in Chromium.
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, sep } from 'node:path';
import { securityHeaders } from './window-security.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface FileAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** The answer for one request path; nothing outside `root` is ever read. */
export async function rendererFile(root: string, pathname: string): Promise<FileAnswer> {
  const headers = { ...securityHeaders(), 'Cache-Control': 'no-store' };
  const notFound = (): FileAnswer => ({ status: 404, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: Buffer.from('not found') });
  let rel: string;
  try {
    rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch {
    return notFound();
  }
  const type = TYPES[extname(rel).toLowerCase()];
  if (!type || rel.includes('\0')) return notFound();
  try {
    const base = await realpath(root);
    const file = await realpath(join(base, rel));
    if (!file.startsWith(base + sep)) return notFound();
    return { status: 200, headers: { ...headers, 'Content-Type': type }, body: await readFile(file) };
  } catch {
    return notFound();
  }
}
