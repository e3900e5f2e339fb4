// The authorization probe: before the browser opens and the login waits (five minutes by
// default), ask the IdP's authorization endpoint once, server-side, what it thinks of the
// request. Many IdPs (oidc-provider, Keycloak, Okta) answer a bad client id or redirect URI with
// an error page and no redirect back, so without this the user stares at "invalid_client" in the
// browser while the terminal waits for a callback that never comes.
//
// The probe never decides against a login that could work: only an answer that names an OAuth
// error about the request itself stops the login. A login page (200), a redirect to the IdP's
// login UI, a redirect back with a session error (login_required: the server-side request has no
// IdP session, the browser may), a 5xx, a timeout, a network failure — all let the login go on.
//
// It asks with a throwaway copy of the real request: the same client id, redirect URI, scopes
// and prompt (so the IdP judges the same request), but a fresh state, nonce and PKCE challenge.
// Whatever the IdP does with the probe — an oidc-provider interaction or a Keycloak
// authentication session created for it, a code issued to a session the probe cannot have —
// belongs to values nobody will ever redeem, so it cannot consume, replay or race the browser's
// request. The probe sends no cookies and follows no redirect, so it never reaches our loopback
// receiver and never touches the user's IdP session.
import { randomBytes } from 'node:crypto';
import { readSome } from '../net/read-some.js';

export type ProbeAnswer =
  | { verdict: 'proceed'; seen: 'login-page' | 'redirect' | 'session-needed' | 'no-oauth-error' | 'no-answer' }
  | { verdict: 'refused'; status: number; error: string; description: string };

/** Errors that a request without the user's IdP session (or a passing outage) gets, not a bad configuration. */
const NOT_ABOUT_THE_REQUEST = new Set([
  'login_required',
  'consent_required',
  'interaction_required',
  'account_selection_required',
  'server_error',
  'temporarily_unavailable',
]);

/** At most this much of an error page is read: error pages are small, login pages need not be read at all. */
const MAX_BODY = 64 * 1024;

/** GETs `authorizationUrl`'s throwaway copy once, without following redirects, and says whether the login should go on. */
export async function probeAuthorization(send: typeof fetch, authorizationUrl: URL, redirectUri: string, timeoutMs: number): Promise<ProbeAnswer> {
  const url = throwawayCopy(authorizationUrl);
  try {
    const res = await send(url, {
      method: 'GET',
      redirect: 'manual',
      headers: { accept: 'text/html,application/xhtml+xml,application/json;q=0.9,*/*;q=0.8' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const wantBody = res.status >= 400 && res.status < 500;
    const body = wantBody ? await readSome(res, MAX_BODY) : (await res.body?.cancel().catch(() => undefined), '');
    return readAuthorizationAnswer(
      { status: res.status, location: res.headers.get('location'), contentType: res.headers.get('content-type') ?? '', body },
      redirectUri,
      url,
    );
  } catch {
    // A probe that cannot ask never makes the login impossible: the browser may well get through.
    return { verdict: 'proceed', seen: 'no-answer' };
  }
}

/** The request with a fresh state, nonce and PKCE challenge: the IdP judges the same request, and nothing it keeps for the probe can touch the real one. */
export function throwawayCopy(authorizationUrl: URL): URL {
  const url = new URL(authorizationUrl.href);
  const fresh = () => randomBytes(32).toString('base64url'); // 43 characters, as an S256 challenge
  for (const key of ['state', 'nonce', 'code_challenge']) if (url.searchParams.has(key)) url.searchParams.set(key, fresh());
  return url;
}

export interface AuthorizationAnswer {
  status: number;
  location: string | null;
  contentType: string;
  /** The body, for a 4xx (else empty). */
  body: string;
}

/** Reads the authorization endpoint's answer. Pure. */
export function readAuthorizationAnswer(answer: AuthorizationAnswer, redirectUri: string, requested: URL): ProbeAnswer {
  const { status } = answer;
  if (status >= 300 && status < 400) {
    let to: URL;
    try {
      to = new URL(answer.location ?? '', requested);
    } catch {
      return { verdict: 'proceed', seen: 'redirect' };
    }
    const back = new URL(redirectUri);
    // Anywhere but back to us is the IdP's own login UI (or an upstream IdP's).
    if (!answer.location || to.origin !== back.origin || to.pathname !== back.pathname) return { verdict: 'proceed', seen: 'redirect' };
    const params = to.searchParams.has('error') ? to.searchParams : new URLSearchParams(to.hash.slice(1));
    const error = params.get('error');
    if (!error) return { verdict: 'proceed', seen: 'redirect' };
    return judged(status, error, params.get('error_description') ?? '');
  }
  if (status >= 200 && status < 300) return { verdict: 'proceed', seen: 'login-page' };
  if (status >= 400 && status < 500) {
    const found = oauthErrorIn(answer.contentType, answer.body);
    // A 4xx without an OAuth error may be a login step the browser handles (a 401 asking for
    // Kerberos, a 403 bot check): let it go on.
    if (found) return judged(status, found.error, found.description);
  }
  return { verdict: 'proceed', seen: 'no-oauth-error' };
}

function judged(status: number, error: string, description: string): ProbeAnswer {
  if (NOT_ABOUT_THE_REQUEST.has(error)) return { verdict: 'proceed', seen: 'session-needed' };
  return { verdict: 'refused', status, error, description };
}

/** An OAuth error code: snake_case words (invalid_client, access_denied), or Entra ID's AADSTS numbers. */
const ERROR_CODE = /^([a-z]+(?:_[a-z]+)+|AADSTS\d+)$/;

/** The OAuth error in an error page or JSON answer, as the IdP put it; undefined when there is none. */
export function oauthErrorIn(contentType: string, body: string): { error: string; description: string } | undefined {
  if (/json/i.test(contentType) || /^\s*\{/.test(body)) {
    try {
      const json = JSON.parse(body) as Record<string, unknown>;
      // RFC 6749's shape, and Okta's API shape.
      const error = typeof json.error === 'string' ? json.error : typeof json.errorCode === 'string' ? json.errorCode : undefined;
      const description = typeof json.error_description === 'string' ? json.error_description : typeof json.errorSummary === 'string' ? json.errorSummary : '';
      if (error) return { error, description };
    } catch {
      // not JSON after all: read it as a page
    }
  }
  // Keycloak's error page: <div id="kc-error-message"><p class="instruction">Client not found.</p>
  const keycloak = /id=["']kc-error-message["'][^>]*>([\s\S]*?)<\/div>/i.exec(body);
  if (keycloak) {
    const text = pageText(keycloak[1]).split('\n')[0] ?? '';
    if (text) return { error: '', description: text };
  }
  const text = pageText(body);
  // oidc-provider's page: "error: invalid_client" / "error_description: client is invalid";
  // Okta's: "Error Code: invalid_client" / "Description: …"; Entra ID's "AADSTS700016: …".
  const error = [...text.matchAll(/\berror(?:[ _]?code)?\s*[:=]\s*([A-Za-z0-9_]+)/gi)].map((m) => m[1]).find((code) => ERROR_CODE.test(code));
  if (error) {
    const description = /\b(?:error_description|description)\s*[:=]\s*([^\n]+)/i.exec(text)?.[1] ?? '';
    return { error, description: description.trim() };
  }
  const aad = /\b(AADSTS\d+):\s*([^\n]+)/.exec(text);
  if (aad) return { error: aad[1], description: aad[2].trim() };
  return undefined;
}

/** A page's text, one element's text a line: scripts and styles dropped, common entities decoded. */
function pageText(html: string): string {
  return html
    .replace(/<(script|style)\b[\s\S]*?<\/\1\s*>/gi, '')
    .replace(/<[^>]*>/g, '\n')
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Math.min(Number(n), 0x10ffff)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Math.min(parseInt(n, 16), 0x10ffff)))
    .replace(/&(quot|apos|lt|gt|nbsp|amp);/g, (_, e: string) => ({ quot: '"', apos: "'", lt: '<', gt: '>', nbsp: ' ', amp: '&' })[e] ?? '')
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter(Boolean)
    .join('\n');
}
