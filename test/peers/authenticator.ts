// Test peer: a lakeFS remote authenticator (lakeFS's authentication.yml) that redeems STS-login authorization codes
// at the real test IdP with PKCE, checks the ID token (JWKS signature, iss, aud, exp) and returns its claims.
import http from 'node:http';
import { listenOnLoopback, readBody } from '../helpers/loopback-server.js';
import * as oidc from 'openid-client';
import { lakefsContract } from './openapi.js';

/**
 * How lakeFS's documented STS-login sample carries the PKCE verifier: **`state` is the PKCE `code_verifier` itself**,
 * unchanged (the sample builds `…&code_challenge=${challenge}&code_challenge_method=S256&…&scope=openid&state=${verifier}`
 * with `verifier = base64url(32 random bytes)`, 43 characters, no padding, and sends no nonce: an ID token carrying a
 * nonce is refused, since the authenticator cannot know which nonce the client chose). Source: lakeFS docs,
 * "Short-lived token (STS like)" → "Sample implementation to generate the code, redirect_uri, and state"
 * (treeverse/lakeFS docs/src/security/sts-login.md). So this authenticator redeems the code with `code_verifier = state`.
 * A verifier must be 43–128 characters of `[A-Za-z0-9-._~]` (RFC 7636 §4.1); anything else is refused with 401.
 */
export function codeVerifierFromState(state: string): string | undefined {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(state) ? state : undefined;
}

/** `ok` answers normally; `401` refuses every login; `500` fails every login with a server error. */
export type AuthenticatorMode = 'ok' | '401' | '500';

export interface AuthenticatorOptions {
  /** IdP issuer, no trailing slash; the IdP must be up (discovery runs at start). */
  issuer: string;
  clientId: string;
}

export interface AuthenticatorCounts {
  /** Codes redeemed and answered 200 with claims. */
  logins: number;
  /** Logins answered 401 or 500 (refused by the IdP, a bad state, an invalid ID token, or a forced mode). */
  failures: number;
}

export interface Authenticator {
  /** Base URL as lakeFS's `auth.authentication_api.endpoint` expects it: `http://127.0.0.1:PORT/api/v1`. */
  url: string;
  counts: AuthenticatorCounts;
  /** Contract violations (authentication.yml) seen in requests to us or our own responses; tests assert it stays empty. */
  violations: string[];
  /** Why the last failed login failed (for test diagnostics; never holds a secret). */
  lastFailure?: string;
  setMode(mode: AuthenticatorMode): void;
  stop(): Promise<void>;
}

/** Claim values as the contract wants them (`additionalProperties: string`): strings as-is, anything else as JSON. */
export function claimsAsStrings(claims: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(claims)) {
    if (value === undefined) continue;
    out[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return out;
}

class LoginRefused extends Error {}

/** Starts the authenticator on 127.0.0.1 with an ephemeral port. */
export async function startAuthenticator(opts: AuthenticatorOptions): Promise<Authenticator> {
  const contract = lakefsContract('authentication.yml');
  const issuer = new URL(opts.issuer);
  const config = await oidc.discovery(issuer, opts.clientId, undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests], // test peer: the IdP is a loopback http issuer
  });
  // Check the ID token's JWS signature against the IdP's JWKS (openid-client skips it for token-endpoint responses).
  oidc.enableNonRepudiationChecks(config);

  const counts: AuthenticatorCounts = { logins: 0, failures: 0 };
  const violations: string[] = [];
  let mode: AuthenticatorMode = 'ok';
  const diagnostics: Pick<Authenticator, 'lastFailure'> = {};

  async function redeem(body: { code: string; state: string; redirect_uri: string }): Promise<Record<string, string>> {
    const verifier = codeVerifierFromState(body.state);
    if (!verifier) throw new LoginRefused('state is not a PKCE code_verifier (43-128 chars of [A-Za-z0-9-._~])');
    let callback: URL;
    try {
      callback = new URL(body.redirect_uri);
    } catch {
      throw new LoginRefused('redirect_uri is not a URL');
    }
    // openid-client derives the token request's redirect_uri from this URL without its query: keep it exact.
    if (callback.search || callback.hash) throw new LoginRefused('redirect_uri with a query or fragment is not supported');
    callback.searchParams.set('code', body.code);
    callback.searchParams.set('state', body.state);
    // The IdP advertises RFC 9207 `iss`; the authenticator is bound to one issuer, so it is that one.
    if (config.serverMetadata().authorization_response_iss_parameter_supported) callback.searchParams.set('iss', config.serverMetadata().issuer);

    let tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers;
    try {
      tokens = await oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: verifier,
        expectedState: body.state,
        idTokenExpected: true,
      });
    } catch (err) {
      // Includes an ID token with a `nonce`: the lakeFS sample sends none, and the authenticator cannot know which
      // nonce the client chose, so (like openid-client) it refuses a token with an unexpected nonce.
      const e = err as { error?: string; code?: string; message?: string };
      // openid-client wraps oauth4webapi's error; the failing claim's name sits somewhere down the `cause` chain.
      let claim = '';
      for (let c: unknown = err; c && typeof c === 'object' && !claim; c = (c as { cause?: unknown }).cause) {
        const name = (c as { claim?: unknown }).claim;
        if (typeof name === 'string') claim = ` (claim ${name})`;
      }
      throw new LoginRefused(`code redemption failed: ${e.error ?? e.code ?? 'error'}: ${e.message ?? ''}${claim}`);
    }
    const claims = tokens.claims();
    if (!claims) throw new LoginRefused('the IdP returned no ID token');
    // openid-client checked these already; check again explicitly, a peer must not depend on a library default.
    const now = Math.floor(Date.now() / 1000);
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (claims.iss !== config.serverMetadata().issuer) throw new LoginRefused('ID token iss mismatch');
    if (!aud.includes(opts.clientId)) throw new LoginRefused('ID token aud mismatch');
    if (typeof claims.exp !== 'number' || claims.exp <= now) throw new LoginRefused('ID token expired');
    if (claims.nonce !== undefined) throw new LoginRefused('ID token carries a nonce the authenticator cannot check');
    return claimsAsStrings(claims as Record<string, unknown>);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const send = (status: number, body?: unknown) => {
      const problems = contract.validateResponse(method, url.pathname, status, body, body === undefined ? undefined : 'application/json');
      violations.push(...problems);
      if (body === undefined) {
        res.writeHead(status).end();
      } else {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      }
    };
    const fail = (status: 401 | 500, message: string) => {
      counts.failures += 1;
      diagnostics.lastFailure = message;
      send(status, { message });
    };

    if (method === 'GET' && url.pathname === '/api/v1/healthcheck') {
      send(204);
      return;
    }
    if (method !== 'POST' || url.pathname !== '/api/v1/sts/login') {
      violations.push(`${contract.title}: unexpected request ${method} ${url.pathname}`);
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'not found' }));
      return;
    }

    const contentType = req.headers['content-type'] ?? '';
    let body: unknown;
    try {
      body = JSON.parse(await readBody(req));
    } catch {
      violations.push(`${contract.title}: POST /sts/login request: body is not JSON`);
      fail(500, 'request body is not JSON');
      return;
    }
    const problems = contract.validateRequest(method, url.pathname, body, contentType);
    if (problems.length) {
      violations.push(...problems);
      fail(500, `request violates the contract: ${problems.join('; ')}`);
      return;
    }
    if (mode === '401') return fail(401, 'login refused (test mode 401)');
    if (mode === '500') return fail(500, 'authenticator failure (test mode 500)');
    try {
      const claims = await redeem(body as { code: string; state: string; redirect_uri: string });
      counts.logins += 1;
      send(200, { claims });
    } catch (err) {
      if (err instanceof LoginRefused) fail(401, err.message);
      else fail(500, `authenticator error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      violations.push(`authenticator crashed: ${err instanceof Error ? err.message : String(err)}`);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: 'internal error' }));
    });
  });
  const listening = await listenOnLoopback(server);
  const { port } = listening;

  return {
    url: `http://127.0.0.1:${port}/api/v1`,
    counts,
    violations,
    get lastFailure() {
      return diagnostics.lastFailure;
    },
    setMode(next: AuthenticatorMode) {
      mode = next;
    },
    stop: () => listening.close(),
  };
}
