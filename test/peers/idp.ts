// Test peer: a real OpenID Provider (oidc-provider 9) served in-process on 127.0.0.1 with its own login/consent pages.
import { createHash, generateKeyPairSync, randomBytes, type JsonWebKey } from 'node:crypto';
import { Readable } from 'node:stream';
import { listenOnLoopback } from '../helpers/loopback-server.js';
import http from 'node:http';

/** A user the IdP knows. `login` is what goes in the login form; `sub` becomes the subject. */
export interface IdpUser {
  sub: string;
  login: string;
  name: string;
  /** Value of the `policy` claim (MinIO claim mode maps it to a MinIO policy). */
  policy: string;
  /** When set, the login form must carry this password; otherwise any non-empty password passes. */
  password?: string;
}

export interface IdpOptions {
  clientId?: string;
  /** Lifetime of ID tokens (and access tokens); default 3600. */
  idTokenTtlSeconds?: number;
  users?: IdpUser[];
  /** Advertise and serve token revocation (RFC 7009); default true. Dex and others offer none. */
  revocation?: boolean;
  /**
   * Require PKCE S256 on the device grant as Keycloak does for a client set to "PKCE required":
   * a device authorization request without `code_challenge_method` gets Keycloak's answer
   * (400 invalid_request "Missing parameter: code_challenge_method"), and a device-code token
   * request must carry a `code_verifier` whose S256 matches a challenge it sent. oidc-provider
   * itself ignores PKCE on the device grant, so this gate sits in front of it.
   */
  devicePkceRequired?: boolean;
  /**
   * Issue the installed-app client a secret and require it at the token endpoint
   * (client_secret_post), as Google does for its "Desktop app" clients.
   */
  clientSecret?: string;
}

export interface IdpCounts {
  /** Login pages shown to a browser (one per interactive sign-in). */
  authorizations: number;
  /** Successful token-endpoint calls per grant type. */
  codeGrants: number;
  refreshGrants: number;
  deviceGrants: number;
}

export interface Idp {
  /** http://127.0.0.1:PORT, no trailing slash. */
  issuer: string;
  clientId: string;
  counts: IdpCounts;
  users: IdpUser[];
  /** Authorization codes, PKCE verifiers and refresh tokens presented at the token endpoint (for leak scans). */
  seenSecrets: string[];
  /** Every refresh token and revocation token presented at the token and revocation endpoints, accepted or not. */
  presented: string[];
  /**
   * The query of every request to the authorization endpoint (GET /auth), in order: the login's
   * own and lakekey's probe of it alike (prompt, login_hint, scope… as the IdP received them).
   */
  authorizationRequests: Array<Record<string, string>>;
  /** While down, every connection is destroyed at once: the IdP looks unreachable. */
  setDown(down: boolean): void;
  /**
   * Holds each refresh grant this long before answering it (0: at once), so that callers started
   * together are all waiting while the first refresh is in flight, however slowly they start.
   */
  setRefreshDelay(ms: number): void;
  stop(): Promise<void>;
}

export const DEFAULT_USERS: IdpUser[] = [{ sub: 'alice', login: 'alice@example.com', name: 'Alice Example', policy: 'readwrite' }];

// oidc-provider ships no type declarations; this is the slice of its API used here.
interface OidcCtx {
  oidc?: { params?: Record<string, unknown> };
}
interface GrantInstance {
  addOIDCScope(scope: string): void;
  addOIDCClaims(claims: string[]): void;
  addResourceScope(resource: string, scope: string): void;
  save(): Promise<string>;
}
interface InteractionDetails {
  uid: string;
  prompt: { name: string; details: Record<string, unknown> };
  params: Record<string, unknown>;
  session?: { accountId: string };
  grantId?: string;
}
interface ProviderInstance {
  callback(): (req: http.IncomingMessage, res: http.ServerResponse) => void;
  on(event: 'grant.success', fn: (ctx: OidcCtx) => void): void;
  on(event: 'server_error', fn: (ctx: OidcCtx, err: Error) => void): void;
  interactionDetails(req: http.IncomingMessage, res: http.ServerResponse): Promise<InteractionDetails>;
  interactionFinished(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    result: Record<string, unknown>,
    opts?: { mergeWithLastSubmission?: boolean },
  ): Promise<void>;
  Grant: {
    new (init: { accountId: string; clientId: string }): GrantInstance;
    find(id: string): Promise<GrantInstance | undefined>;
  };
}
type ProviderCtor = new (issuer: string, config: Record<string, unknown>) => ProviderInstance;

// oidc-provider prints development-mode notices through console.warn/console.info, including an
// "Unsupported runtime" warning at import time on Node 20. Drop exactly those lines; keep the rest.
function silenceOidcProviderNotices(): void {
  for (const level of ['warn', 'info'] as const) {
    const original = console[level].bind(console);
    console[level] = (...args: unknown[]) => {
      const first = args[0];
      if (typeof first === 'string' && (first.includes('oidc-provider WARNING:') || first.includes('oidc-provider NOTICE:'))) return;
      original(...args);
    };
  }
}

let providerCtor: Promise<ProviderCtor> | undefined;
function loadProvider(): Promise<ProviderCtor> {
  providerCtor ??= (async () => {
    silenceOidcProviderNotices();
    // Dynamic import so the filter is in place before the module's import-time warning.
    // @ts-expect-error -- oidc-provider ships no type declarations; ProviderCtor above types what we use.
    const mod = (await import('oidc-provider')) as { default: ProviderCtor };
    return mod.default;
  })();
  return providerCtor;
}

function signingKey(kind: 'rsa' | 'ec', kid: string, alg: string): JsonWebKey {
  const { privateKey } = kind === 'rsa' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return { ...privateKey.export({ format: 'jwk' }), kid, alg, use: 'sig' };
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return (
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` + `<body><h1>${escapeHtml(title)}</h1>${body}</body></html>`
  );
}

async function readForm(req: http.IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

/** Starts the IdP on 127.0.0.1 with an ephemeral port. */
export async function startIdp(opts: IdpOptions = {}): Promise<Idp> {
  const Provider = await loadProvider();
  const clientId = opts.clientId ?? 'lakekey';
  const ttl = opts.idTokenTtlSeconds ?? 3600;
  const users = opts.users ?? DEFAULT_USERS;
  const counts: IdpCounts = { authorizations: 0, codeGrants: 0, refreshGrants: 0, deviceGrants: 0 };
  const seenSecrets: string[] = [];
  const presented: string[] = [];
  const authorizationRequests: Array<Record<string, string>> = [];
  let down = false;

  // Bind first: the issuer must carry the real port.
  const server = http.createServer();
  const listening = await listenOnLoopback(server);
  const { port } = listening;
  const issuer = `http://127.0.0.1:${port}`;

  const findUser = (id: string): IdpUser | undefined => users.find((u) => u.sub === id || u.login === id);

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        application_type: 'native', // any loopback port is accepted for the registered redirect URI
        ...(opts.clientSecret
          ? { token_endpoint_auth_method: 'client_secret_post', client_secret: opts.clientSecret }
          : { token_endpoint_auth_method: 'none' }),
        redirect_uris: ['http://127.0.0.1/callback'],
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
      },
    ],
    jwks: { keys: [signingKey('rsa', 'rs256-test', 'RS256'), signingKey('ec', 'es256-test', 'ES256')] },
    cookies: { keys: [randomBytes(32).toString('hex')] },
    pkce: { required: () => true }, // S256 only is the default; 'plain' is refused
    features: {
      devInteractions: { enabled: false }, // our own pages below, so the session's accountId is the real sub
      revocation: { enabled: opts.revocation ?? true },
      deviceFlow: { enabled: true }, // RFC 8628, for `lakekey login --device`
    },
    // Claims go into the ID token itself (MinIO reads `policy` from the token it is given).
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub', 'policy'],
      email: ['email', 'email_verified'],
      profile: ['name'],
    },
    async findAccount(_ctx: unknown, id: string) {
      const user = findUser(id);
      if (!user) return undefined;
      return {
        accountId: user.sub,
        async claims() {
          return { sub: user.sub, email: user.login, email_verified: true, name: user.name, policy: user.policy };
        },
      };
    },
    issueRefreshToken: async (_ctx: unknown, client: { grantTypeAllowed(t: string): boolean }, source: { scopes: Set<string> }) =>
      client.grantTypeAllowed('refresh_token') && source.scopes.has('offline_access'),
    rotateRefreshToken: true,
    ttl: { IdToken: ttl, AccessToken: ttl, AuthorizationCode: 120, Interaction: 600, Session: 3600, Grant: 86400, RefreshToken: 86400 },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
  });

  provider.on('grant.success', (ctx) => {
    const grantType = ctx.oidc?.params?.grant_type;
    for (const key of ['code', 'refresh_token', 'code_verifier']) {
      const value = ctx.oidc?.params?.[key];
      if (typeof value === 'string') seenSecrets.push(value);
    }
    if (grantType === 'authorization_code') counts.codeGrants += 1;
    else if (grantType === 'refresh_token') counts.refreshGrants += 1;
    else if (grantType === 'urn:ietf:params:oauth:grant-type:device_code') counts.deviceGrants += 1;
  });
  provider.on('server_error', (_ctx, err) => console.error('idp server_error:', err));

  const oidcHandler = provider.callback();

  // Login and consent pages. The forms use input[name=login], input[name=password] and a submit button.
  async function interaction(req: http.IncomingMessage, res: http.ServerResponse, uid: string, action: string): Promise<void> {
    const details = await provider.interactionDetails(req, res);
    const send = (status: number, html: string) => {
      res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      res.end(html);
    };
    const loginForm = (error?: string) =>
      page(
        'Sign-in',
        `${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}` +
          `<form method="post" action="/interaction/${uid}/login" autocomplete="off">` +
          `<input type="text" name="login" required autofocus>` +
          `<input type="password" name="password" required>` +
          `<button type="submit">Sign-in</button></form>`,
      );

    if (req.method === 'GET' && action === '') {
      if (details.prompt.name === 'login') {
        counts.authorizations += 1;
        send(200, loginForm());
      } else if (details.prompt.name === 'consent') {
        send(
          200,
          page(
            'Authorize',
            `<p>Allow ${escapeHtml(String(details.params.client_id))} access?</p>` +
              `<form method="post" action="/interaction/${uid}/confirm"><button type="submit">Continue</button></form>`,
          ),
        );
      } else {
        send(501, page('Error', `unsupported prompt ${escapeHtml(details.prompt.name)}`));
      }
      return;
    }
    if (req.method === 'POST' && action === 'login' && details.prompt.name === 'login') {
      const form = await readForm(req);
      const user = findUser(form.get('login') ?? '');
      const password = form.get('password') ?? '';
      if (!user || !password || (user.password !== undefined && user.password !== password)) {
        send(200, loginForm('Invalid login or password.'));
        return;
      }
      await provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false });
      return;
    }
    if (req.method === 'POST' && action === 'confirm' && details.prompt.name === 'consent') {
      const { prompt, params, session, grantId } = details;
      const grant =
        (grantId ? await provider.Grant.find(grantId) : undefined) ??
        new provider.Grant({ accountId: session?.accountId ?? '', clientId: String(params.client_id) });
      const missingScope = prompt.details.missingOIDCScope as string[] | undefined;
      const missingClaims = prompt.details.missingOIDCClaims as string[] | undefined;
      const missingResource = prompt.details.missingResourceScopes as Record<string, string[]> | undefined;
      if (missingScope) grant.addOIDCScope(missingScope.join(' '));
      if (missingClaims) grant.addOIDCClaims(missingClaims);
      for (const [resource, scopes] of Object.entries(missingResource ?? {})) grant.addResourceScope(resource, scopes.join(' '));
      const savedGrantId = await grant.save();
      await provider.interactionFinished(req, res, { consent: { grantId: savedGrantId } }, { mergeWithLastSubmission: true });
      return;
    }
    send(400, page('Error', 'unexpected interaction request'));
  }

  const deviceChallenges = new Set<string>();
  /**
   * Reads the form body, notes every token presented (whatever the answer), applies the device
   * PKCE rule when asked for, and hands an identical request on to oidc-provider.
   */
  let refreshDelayMs = 0;
  async function formGate(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const form = new URLSearchParams(body.toString('utf8'));
    for (const key of ['refresh_token', 'token']) {
      const value = form.get(key);
      if (value) presented.push(value);
    }
    const refuse = (error: string, description: string) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error, error_description: description }));
    };
    if (refreshDelayMs > 0 && form.get('grant_type') === 'refresh_token') await new Promise((r) => setTimeout(r, refreshDelayMs));
    const authorization = path === '/device/auth';
    if (!opts.devicePkceRequired) {
      // no rule to apply: only noted
    } else if (authorization) {
      if (!form.get('code_challenge_method')) return refuse('invalid_request', 'Missing parameter: code_challenge_method');
      if (form.get('code_challenge_method') !== 'S256' || !form.get('code_challenge'))
        return refuse('invalid_request', 'Invalid parameter: code_challenge_method');
      deviceChallenges.add(form.get('code_challenge')!);
    } else if (form.get('grant_type') === 'urn:ietf:params:oauth:grant-type:device_code') {
      const verifier = form.get('code_verifier');
      if (!verifier || !deviceChallenges.has(createHash('sha256').update(verifier).digest('base64url'))) {
        return refuse('invalid_grant', 'PKCE verification failed: Invalid code verifier');
      }
    }
    const replay = Object.assign(Readable.from([body]), {
      headers: req.headers,
      rawHeaders: req.rawHeaders,
      method: req.method,
      url: req.url,
      httpVersion: req.httpVersion,
      httpVersionMajor: req.httpVersionMajor,
      httpVersionMinor: req.httpVersionMinor,
      socket: req.socket,
      connection: req.socket,
    });
    oidcHandler(replay as unknown as http.IncomingMessage, res);
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (down) {
      req.socket.destroy();
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/auth') authorizationRequests.push(Object.fromEntries(new URL(req.url ?? '/', issuer).searchParams));
    if (req.method === 'POST' && (path === '/device/auth' || path === '/token' || path === '/token/revocation')) {
      void formGate(req, res, path);
      return;
    }
    const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm))?$/.exec(path);
    if (!match) {
      oidcHandler(req, res);
      return;
    }
    interaction(req, res, match[1], match[2] ?? '').catch((err: unknown) => {
      if (!res.headersSent) {
        res.writeHead(400, { 'content-type': 'text/html; charset=utf-8' });
        res.end(page('Error', escapeHtml(err instanceof Error ? err.message : String(err))));
      } else {
        res.destroy();
      }
    });
  });

  return {
    issuer,
    clientId,
    counts,
    users,
    seenSecrets,
    presented,
    authorizationRequests,
    setDown(value: boolean) {
      down = value;
      listening.setDown(value);
    },
    setRefreshDelay(ms: number) {
      refreshDelayMs = ms;
    },
    stop: () => listening.close(),
  };
}
