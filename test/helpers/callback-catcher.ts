// A loopback redirect target for tests that drive an OIDC login themselves: it captures the
// first /callback request and answers the browser with a plain page.
import http from 'node:http';
import type { TestContext } from 'node:test';
import { listenOnLoopback } from './loopback-server.js';

export async function startCallbackServer(t: TestContext): Promise<{ redirectUri: string; received: Promise<URL> }> {
  let deliver!: (url: URL) => void;
  const received = new Promise<URL>((resolve) => (deliver = resolve));
  let origin = '';
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', origin);
    if (url.pathname !== '/callback') {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>signed in</title><p>test login: signed in, you can close this tab.</p>');
    deliver(url);
  });
  const listening = await listenOnLoopback(server);
  origin = `http://127.0.0.1:${listening.port}`;
  t.after(() => listening.close());
  return { redirectUri: `${origin}/callback`, received };
}
