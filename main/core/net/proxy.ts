import type { ProxyResolver, SystemProxyResolver } from '../ports.js';
// Corporate proxies: HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case), as curl and the AWS CLI
// read them. The proxy libraries load only when a proxy applies to the URL at hand. Extra CAs
// for TLS-inspecting proxies come from NODE_EXTRA_CA_CERTS, which Node reads at start-up.

export function proxyFor(target: string | URL, env: NodeJS.ProcessEnv): string | undefined {
  const url = typeof target === 'string' ? new URL(target) : target;
  const pick = (...names: string[]) => names.map((n) => env[n]).find((v) => v && v.trim() !== '');
  const proxy =
    url.protocol === 'https:' ? pick('HTTPS_PROXY', 'https_proxy', 'ALL_PROXY', 'all_proxy') : pick('HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy');
  if (!proxy || bypassed(url, pick('NO_PROXY', 'no_proxy') ?? '')) return undefined;
  return /^[a-z]+:\/\//i.test(proxy) ? proxy : `http://${proxy}`;
}

/** NO_PROXY: comma- or space-separated hosts, domain suffixes (".corp" or "corp"), host:port, or "*". */
export function bypassed(url: URL, noProxy: string): boolean {
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  for (const raw of noProxy.split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase();
    if (!entry) continue;
    if (entry === '*') return true;
    const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(entry);
    if (!m) continue;
    const [, name, entryPort] = m;
    if (entryPort && entryPort !== port) continue;
    const bare = name.replace(/^\*?\./, '');
    if (host === bare || host.endsWith(`.${bare}`)) return true;
  }
  return false;
}

/** Proxy variables first (a shell's explicit choice wins), then the OS's answer when there is one. */
export function proxyResolver(env: NodeJS.ProcessEnv, system?: SystemProxyResolver): ProxyResolver {
  return async (url) => {
    const fromEnv = proxyFor(url, env);
    if (fromEnv || !system || PROXY_VARS.some((v) => env[v])) return fromEnv;
    return system(String(url));
  };
}

/** Chromium's answer ("PROXY host:port; DIRECT", "HTTPS host:port", "DIRECT") as a proxy URL. */
export function proxyFromPacResult(result: string): string | undefined {
  for (const entry of result.split(';')) {
    const [kind, hostPort] = entry.trim().split(/\s+/);
    if (kind === 'DIRECT') return undefined;
    if ((kind === 'PROXY' || kind === 'HTTP') && hostPort) return `http://${hostPort}`;
    if (kind === 'HTTPS' && hostPort) return `https://${hostPort}`;
    // SOCKS entries are skipped: neither Node's fetch nor the AWS SDK speaks SOCKS here.
  }
  return undefined;
}

const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy', 'ALL_PROXY', 'all_proxy', 'NO_PROXY', 'no_proxy'];

type Fetch = typeof fetch;
let undiciFetch: Promise<(proxy: string) => Fetch> | undefined;

/** A fetch that goes through the proxy `resolve` names for `url`, or the global fetch. */
export async function fetchFor(url: string | URL, resolve: ProxyResolver): Promise<Fetch> {
  const proxy = await resolve(url);
  if (!proxy) return fetch;
  undiciFetch ??= import('undici').then(({ fetch: f, ProxyAgent }) => {
    const agents = new Map<string, InstanceType<typeof ProxyAgent>>();
    return (p: string) =>
      ((input: Parameters<Fetch>[0], init?: Parameters<Fetch>[1]) => {
        if (!agents.has(p)) agents.set(p, new ProxyAgent(p));
        return f(input as never, { ...(init as object), dispatcher: agents.get(p) } as never) as unknown as Promise<Response>;
      }) as Fetch;
  });
  return (await undiciFetch)(proxy);
}

/** node:http agents for the AWS SDK when a proxy applies to `endpoint`. */
export async function proxyAgentsFor(endpoint: string, resolve: ProxyResolver): Promise<{ httpAgent?: unknown; httpsAgent?: unknown } | undefined> {
  const proxy = await resolve(endpoint);
  if (!proxy) return undefined;
  if (new URL(endpoint).protocol === 'https:') {
    const { HttpsProxyAgent } = await import('https-proxy-agent');
    return { httpsAgent: new HttpsProxyAgent(proxy) };
  }
  const { HttpProxyAgent } = await import('http-proxy-agent');
  return { httpAgent: new HttpProxyAgent(proxy) };
}
