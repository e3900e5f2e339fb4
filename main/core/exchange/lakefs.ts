// The lakeFS client: STS login (an authorization code becomes a lakeFS token through lakeFS's
// remote authenticator), the IdP subject a lakeFS token carries, and the opt-in lakectl token cache file.
// Request and response shapes follow lakeFS's swagger.yml (StsAuthRequest, AuthenticationToken).
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { errorText, LakekeyError } from '../errors.js';
import { unreachableWords } from '../net/network-words.js';
import { requireShape } from './credential-shape.js';
import { jwtClaims } from './jwt-claims.js';
import { registerSecret } from '../redact.js';
import { outside } from '../text-gate.js';
import { plausibleExpiry, type LakefsToken } from '../keychain/record.js';

/** The API root for a configured lakeFS endpoint (which may or may not end in /api/v1). */
export function lakefsApi(endpoint: string): string {
  return endpoint.replace(/\/+$/, '').replace(/\/api\/v1$/, '') + '/api/v1';
}

/** The server URL lakeFS clients want (lakectl and the Python SDK add /api/v1 themselves). */
export function lakefsServerUrl(endpoint: string): string {
  return endpoint.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
}

/**
 * The `state` of an authorization request whose code goes to lakeFS. lakeFS's remote
 * authenticator redeems the code, so it needs the PKCE verifier; lakeFS's documented sample
 * sends the verifier itself as `state` (and no nonce, which the authenticator could not check).
 * The cost: the verifier travels through the browser and the IdP's redirect next to the code,
 * so for this one code PKCE no longer protects against someone who can read the redirect (a
 * local process watching the loopback port, a browser extension, history). The code is still
 * single-use and bound to the client and redirect URI. The verifier is random (43 characters),
 * so it also serves as the CSRF `state`. lakekey keeps it out of logs and pages.
 */
export function lakefsState(_random: string, verifier: string): string {
  return verifier;
}

/** STS wants a RoleArn on the wire; lakeFS's gateway maps the token's user, not a role. */
export const LAKEFS_DEFAULT_ROLE_ARN = 'arn:lakefs:iam:::role/lakekey';

export interface StsLoginRequest {
  code: string;
  state: string;
  redirectUri: string;
  ttlSeconds: number;
  /** The IdP subject of this login, when lakekey knows it: the external id lakeFS looks its user up by. */
  idpSubject?: string;
}

/** The Context's ports the lakeFS login uses (the clock's reading, the bounded fetch, the secret registry). */
export interface LakefsPorts {
  now?: number;
  fetch: typeof fetch;
  secrets?: { register(value: string | undefined | null): void };
}

export async function stsLogin(endpoint: string, req: StsLoginRequest, ports: LakefsPorts): Promise<LakefsToken> {
  const url = `${lakefsApi(endpoint)}/sts/login`;
  const now = ports.now ?? Date.now();
  const fetchImpl = ports.fetch;
  const registry = ports.secrets;
  const secret = (value: string | undefined | null) => (registry ? registry.register(value) : registerSecret(value));
  // The code and state (which carries the PKCE verifier) must never be echoed back in clear.
  secret(req.code);
  secret(req.state);
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ code: req.code, state: req.state, redirect_uri: req.redirectUri, ttl_seconds: req.ttlSeconds }),
    });
  } catch (err) {
    throw unreachable(endpoint, err);
  }
  const text = await res.text().catch(() => '');
  if (!res.ok) throw refused(endpoint, res.status, text, req.idpSubject);
  let body: { token?: unknown; token_expiration?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new LakefsError(endpoint, 'answered the login with something that is not JSON', 'Check that the lakeFS endpoint points at the lakeFS server itself.');
  }
  if (typeof body?.token !== 'string' || body.token === '') {
    throw new LakefsError(endpoint, 'answered the login without a token', 'Check that the lakeFS endpoint points at the lakeFS server itself.');
  }
  secret(body.token);
  // `lakekey token` and `lakekey env` hand it to shells: a lakeFS token is a JWT, nothing else.
  requireShape('jwt', body.token, `lakeFS at ${endpoint}`, 'token', 'LAKEFS_REFUSED');
  const exp = typeof body.token_expiration === 'number' ? body.token_expiration * 1000 : jwtExpiry(body.token);
  const expiresAt = exp ?? now + req.ttlSeconds * 1000;
  if (!plausibleExpiry(expiresAt, now)) {
    throw new LakefsError(endpoint, 'answered the login with an impossible token expiration', "Check the lakeFS server's clock and version.");
  }
  return { token: body.token, expiresAt };
}

/** The subject of a lakeFS token, for display only (the token is not verified here). */
export function lakefsTokenSubject(token: string): string | undefined {
  const claims = jwtClaims(token);
  return typeof claims?.sub === 'string' ? claims.sub : undefined;
}

function jwtExpiry(token: string): number | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === 'number' ? exp * 1000 : undefined;
}

class LakefsError extends LakekeyError {
  constructor(endpoint: string, what: string, hint: string, cause?: unknown) {
    super('LAKEFS_REFUSED', `lakeFS at ${endpoint} ${what}`, { hint, cause });
  }
}

function unreachable(endpoint: string, err: unknown): LakekeyError {
  const words = unreachableWords(err, endpoint, 'lakeFS server');
  if (!words) return new LakefsError(endpoint, `could not be called: ${outside(errorText(err))}`, 'Check the lakeFS endpoint URL.', err);
  return new LakekeyError('LAKEFS_UNREACHABLE', `lakeFS at ${endpoint} is unreachable: ${words.reason}`, { hint: words.fix, cause: err });
}

function refused(endpoint: string, status: number, body: string, idpSubject?: string): LakekeyError {
  let message = '';
  // lakeFS answers every API error as JSON `{"message": …}`; anything else came from something that is not lakeFS.
  let lakefsJson = false;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') {
      message = `: ${outside(parsed.message)}`;
      lakefsJson = true;
    }
  } catch {
    /* not JSON */
  }
  if (status === 401 || status === 403) {
    return new LakefsError(
      endpoint,
      `refused the login (HTTP ${status})${message}`,
      'lakeFS needs STS login enabled (auth.authentication_api.endpoint pointing at a remote authenticator that knows this client id); check with your lakeFS admin, then log in again.',
    );
  }
  if (status === 429) return new LakefsError(endpoint, `is rate limiting logins (HTTP 429)${message}`, 'Wait a minute and retry.');
  if (status === 404 && lakefsJson) {
    // lakeFS accepted the IdP login, then found no lakeFS user linked to the identity's `sub` (its external id).
    const who = idpSubject ? `external id "${outside(idpSubject)}" (your IdP subject)` : "your IdP subject (the ID token's `sub`) as external id";
    return new LakefsError(
      endpoint,
      `has no user for your IdP identity (HTTP 404)${message}: it looked up ${who}`,
      'Ask your lakeFS admin to create a lakeFS user linked to that external id (or link an existing one), then log in again.',
    );
  }
  if (status === 404) {
    return new LakefsError(
      endpoint,
      `has no STS login endpoint at ${lakefsApi(endpoint)}/sts/login (HTTP 404, not a lakeFS answer)`,
      'Check the lakeFS endpoint URL: it must be the lakeFS server itself (with or without /api/v1).',
    );
  }
  if (status === 501) {
    return new LakefsError(
      endpoint,
      `does not offer STS login (HTTP 501)${message}`,
      'This is lakeFS OSS without an external auth service: STS login needs lakeFS Enterprise or Cloud, or `auth.api.endpoint` set on the server. Ask your lakeFS admin, or use lakeFS access keys instead.',
    );
  }
  return new LakefsError(
    endpoint,
    `failed the login (HTTP ${status})${message}`,
    'Retry later; if it persists, ask your lakeFS admin to check the server and remote authenticator logs.',
  );
}

export function lakectlCachePath(home = homedir()): string {
  return join(home, '.lakectl', 'cache', 'lakectl_token_cache.json');
}

/** Writes lakectl's (undocumented, plaintext) token cache. Only for profiles that opted in. */
export function writeLakectlCache(token: LakefsToken, file = lakectlCachePath()): void {
  mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify({ token: token.token, expiration_time: Math.floor(token.expiresAt / 1000) }), { mode: 0o600 });
  renameSync(tmp, file);
}
