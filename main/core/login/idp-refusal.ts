// What a refusal from the identity provider means and what to do about it, for the refusals real
// IdPs are known to give. Pure: the IdP errors of oidc.ts (token endpoint, device endpoint) and
// the authorization probe (authorization-probe.ts) both come here, so a bad client id gets the
// same words wherever the IdP says so.
import { LakekeyError } from '../errors.js';
import { outside } from '../text-gate.js';

/** What a refusal is about: the profile's client id, its redirect URI, its scopes, or something else. */
export type RefusalKind = 'client' | 'redirect' | 'scope' | 'other';

export function refusalKind(error: string, description: string): RefusalKind {
  if (/^(invalid_client|unauthorized_client)$/.test(error)) return 'client';
  if (/^(invalid_redirect_uri|redirect_uri_mismatch)$/.test(error)) return 'redirect';
  if (error === 'invalid_scope') return 'scope';
  if (/redirect[_ ]ur[il]/i.test(description)) return 'redirect';
  // Keycloak "Client not found.", Okta "Invalid value for 'client_id' parameter.", Entra ID
  // "Application with identifier '…' was not found".
  if (
    /\bclient\b.*\b(not found|is invalid|unknown|disabled)\b|\b(unknown|invalid) client\b|client_id|application with identifier .* was not found/i.test(
      description,
    )
  )
    return 'client';
  if (/\bscope\b/i.test(description)) return 'scope';
  return 'other';
}

/** Where the refusal was met, for the message and the hint. */
export interface RefusalSite {
  /** The profile's name, for the command in the hint ("NAME" when it has none yet). */
  name: string;
  clientId: string;
  /** What was refused: "the login request", "the device login". */
  during: string;
  /** Our redirect URI, when the refused request carried one. */
  redirectUri?: string;
}

/**
 * The error for a refusal the IdP gave before anyone signed in: a bad client id, redirect URI or
 * scope is the profile's configuration (exit 2); anything else is the IdP's refusal (exit 5).
 */
export function refusalError(error: string, description: string, site: RefusalSite, cause?: unknown): LakekeyError {
  const said = [error, description]
    .map((t) => outside(t, 200))
    .filter(Boolean)
    .join(': ');
  const message = `the identity provider refused ${site.during}: ${said || 'no reason given'}`;
  const kind = refusalKind(error, description);
  const hint = kindHint(kind, site) ?? refusalHint(`${error} ${description}`);
  return new LakekeyError(kind === 'other' ? 'IDP_REFUSED' : 'CONFIG', message, { hint, cause });
}

function kindHint(kind: RefusalKind, site: RefusalSite): string | undefined {
  const { name } = site;
  switch (kind) {
    case 'client':
      return `The identity provider does not accept the client id "${outside(site.clientId, 100)}" for this login: compare it with the client's settings at the IdP, then fix it with \`lakekey profile set ${name} --client-id ID\`.`;
    case 'redirect':
      return `The identity provider does not accept lakekey's redirect URI${site.redirectUri ? ` (${site.redirectUri})` : ''}: register http://127.0.0.1/callback for this client (native apps may use any port), or, if the IdP insists on one port, register it and run \`lakekey profile set ${name} --redirect-port N\`.`;
    case 'scope':
      return `The client may not ask for one of the profile's scopes: see them with \`lakekey profile show ${name}\`, then allow them at the IdP or change them with \`lakekey profile set ${name} --scope …\`.`;
    default:
      return undefined;
  }
}

/** What to do about a refusal, for the refusals real IdPs are known to give. */
export function refusalHint(detail: string): string {
  // Dex keeps one refresh token per user and client: a newer login with the same client id
  // (another profile, or a device login) made this one invalid.
  if (/claimed by another client/i.test(detail)) {
    return 'Your identity provider (Dex) keeps one session per user and client, and a newer login with this client id replaced this one. Log in again; give each profile its own client id to keep both.';
  }
  if (/offline tokens not allowed/i.test(detail)) {
    return "The identity provider does not give this user or client offline (refresh) tokens. In Keycloak, give the user the offline_access role (it is in the realm's default roles); or leave offline_access out of the profile's scopes and log in more often.";
  }
  if (/code_challenge/i.test(detail)) {
    return "The identity provider wants PKCE parameters it did not get; upgrade lakekey, or ask the IdP admin whether the client's PKCE setting is S256.";
  }
  return "Check the profile's issuer and client id (`lakekey profile show NAME`), then log in again.";
}
