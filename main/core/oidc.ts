// OIDC with openid-client 6: discovery, the authorization-code + PKCE (S256) login with
// state, nonce and the `iss` check, refresh and revocation. Loaded only on a cache miss.
import * as client from 'openid-client';
import { errorText, isNetworkError, LakekeyError } from './errors.js';
import { boundedFetch, httpTimeoutSeconds } from './http.js';
import { requireShape } from './credential-shape.js';
import { registerSecret } from './redact.js';
import { outside } from './text-gate.js';
import { isLoopbackUrl, type Profile } from './settings.js';

export interface TokenSet {
  idToken?: string;
  idTokenExpiresAt?: number;
  refreshToken?: string;
  accessToken: string;
  claims?: { sub: string; email?: string; name?: string };
}

/** The Context's HTTP ports, as the IdP calls use them. */
export interface IdpHttp {
  fetch: typeof fetch;
  timeoutMs: number;
}

/** Discovery, for a public client (`clientSecret` only for IdPs that require one of installed apps, like Google). */
export async function discover(
  profile: Pick<Profile, 'issuer' | 'clientId'>,
  clientSecret?: string,
  http: IdpHttp = { fetch: boundedFetch(), timeoutMs: httpTimeoutSeconds() * 1000 },
): Promise<client.Configuration> {
  const issuer = new URL(profile.issuer);
  // openid-client passes fetch-compatible options; its body type is merely declared narrower.
  const fetchImpl = http.fetch as unknown as client.CustomFetch;
  const timeout = Math.max(1, Math.round(http.timeoutMs / 1000));
  if (clientSecret) registerSecret(clientSecret);
  const auth = clientSecret ? client.ClientSecretPost(clientSecret) : client.None();
  try {
    const config = await client.discovery(issuer, profile.clientId, undefined, auth, {
      execute: isLoopbackUrl(issuer) ? [client.allowInsecureRequests] : [],
      timeout,
      [client.customFetch]: fetchImpl,
    });
    config.timeout = timeout;
    config[client.customFetch] = fetchImpl;
    // Check ID token signatures against the IdP's JWKS too, not only TLS to the token endpoint.
    client.enableNonRepudiationChecks(config);
    return config;
  } catch (err) {
    throw idpError(err, `discovery at ${profile.issuer}`);
  }
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

export async function authorizationRequest(
  config: client.Configuration,
  opts: {
    redirectUri: string;
    scopes: string[];
    stateFor?: (random: string, verifier: string) => string;
    /** Off for a code that someone else redeems (lakeFS): they cannot know our nonce. */
    nonce?: boolean;
  },
): Promise<AuthorizationRequest> {
  const verifier = client.randomPKCECodeVerifier();
  const state = opts.stateFor ? opts.stateFor(client.randomState(), verifier) : client.randomState();
  const nonce = client.randomNonce();
  registerSecret(verifier);
  registerSecret(state);
  registerSecret(nonce);
  const params: Record<string, string> = {
    redirect_uri: opts.redirectUri,
    scope: opts.scopes.join(' '),
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(opts.nonce === false ? {} : { nonce }),
  };
  // OIDC Core §11: offline_access needs prompt=consent, or many providers drop it silently.
  if (opts.scopes.includes('offline_access')) params.prompt = 'consent';
  return { url: client.buildAuthorizationUrl(config, params), state, nonce, verifier };
}

export async function redeemCode(config: client.Configuration, callbackUrl: URL, req: AuthorizationRequest): Promise<TokenSet> {
  const code = callbackUrl.searchParams.get('code');
  registerSecret(code);
  try {
    const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
      pkceCodeVerifier: req.verifier,
      expectedState: req.state,
      expectedNonce: req.nonce,
      idTokenExpected: true,
    });
    return toTokenSet(tokens);
  } catch (err) {
    throw idpError(err, 'the code exchange');
  }
}

export async function refresh(config: client.Configuration, refreshToken: string): Promise<TokenSet> {
  try {
    return toTokenSet(await client.refreshTokenGrant(config, refreshToken));
  } catch (err) {
    throw idpError(err, 'the refresh');
  }
}

/** Revokes the refresh token (RFC 7009); 'not-offered' when the IdP has no revocation endpoint. */
export async function revoke(config: client.Configuration, refreshToken: string): Promise<'revoked' | 'not-offered'> {
  if (!config.serverMetadata().revocation_endpoint) return 'not-offered';
  try {
    await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
  } catch (err) {
    throw idpError(err, 'the revocation');
  }
  return 'revoked';
}

function toTokenSet(tokens: client.TokenEndpointResponse & client.TokenEndpointResponseHelpers): TokenSet {
  registerSecret(tokens.access_token);
  registerSecret(tokens.id_token);
  registerSecret(tokens.refresh_token);
  // Stored in the keychain and handed to STS, MinIO and lakeFS: only token alphabets pass.
  const from = 'the identity provider';
  requireShape('opaque-token', tokens.access_token, from, 'access token', 'IDP_REFUSED');
  if (tokens.id_token) requireShape('jwt', tokens.id_token, from, 'ID token', 'IDP_REFUSED');
  if (tokens.refresh_token) requireShape('opaque-token', tokens.refresh_token, from, 'refresh token', 'IDP_REFUSED');
  const claims = tokens.claims();
  const set: TokenSet = { accessToken: tokens.access_token };
  if (tokens.id_token) set.idToken = tokens.id_token;
  if (tokens.refresh_token) set.refreshToken = tokens.refresh_token;
  if (claims) {
    set.idTokenExpiresAt = claims.exp * 1000;
    set.claims = { sub: claims.sub };
    if (typeof claims.email === 'string') set.claims.email = claims.email;
    if (typeof claims.name === 'string') set.claims.name = claims.name;
  }
  return set;
}

/** invalid_grant on refresh: the refresh token is dead and only a new login helps. */
export function isInvalidGrant(err: unknown): boolean {
  const cause = (err as { cause?: unknown }).cause ?? err;
  return (cause as { error?: unknown }).error === 'invalid_grant';
}

export function idpError(err: unknown, during: string): LakekeyError {
  if (err instanceof LakekeyError) return err;
  if (isNetworkError(err)) {
    return new LakekeyError('IDP_UNREACHABLE', `the identity provider is unreachable during ${during}: ${outside(errorText(err))}`, {
      hint: 'Check your network, VPN and proxy settings, then retry.',
      cause: err,
    });
  }
  const e = err as { error?: string; error_description?: string; code?: string; status?: number; cause?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.cause instanceof Response ? e.cause.status : undefined;
  if (status !== undefined && status >= 500) {
    return new LakekeyError('IDP_REFUSED', `the identity provider failed during ${during} (HTTP ${status})`, {
      hint: 'This is a problem at the identity provider, not in your setup: your session is kept; retry in a few minutes.',
      cause: err,
    });
  }
  const detail = e.error ? `${e.error}${e.error_description ? `: ${e.error_description}` : ''}` : errorText(err);
  return new LakekeyError('IDP_REFUSED', `the identity provider refused ${during}: ${outside(detail)}`, { hint: refusalHint(detail), cause: err });
}

/** What to do about a refusal, for the refusals real IdPs are known to give. */
function refusalHint(detail: string): string {
  // Dex keeps one refresh token per user and client: a newer login with the same client id
  // (another profile, or a device login) made this one invalid.
  if (/claimed by another client/i.test(detail)) {
    return 'Your identity provider (Dex) keeps one session per user and client, and a newer login with this client id replaced this one. Log in again; give each profile its own client id to keep both.';
  }
  if (/offline tokens not allowed/i.test(detail)) {
    return 'The identity provider does not give this user or client offline (refresh) tokens. In Keycloak, give the user the offline_access role (it is in the realm\'s default roles); or leave offline_access out of the profile\'s scopes and log in more often.';
  }
  if (/code_challenge/i.test(detail)) {
    return 'The identity provider wants PKCE parameters it did not get; upgrade lakekey, or ask the IdP admin whether the client\'s PKCE setting is S256.';
  }
  return 'Check the profile\'s issuer and client id (`lakekey profile show NAME`), then log in again.';
}

export interface DeviceAuthorization {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  poll(signal?: AbortSignal): Promise<TokenSet>;
}

/** RFC 8628 device authorization: for machines with no browser to show (SSH, headless). */
export async function startDeviceAuthorization(config: client.Configuration, scopes: string[]): Promise<DeviceAuthorization> {
  if (!config.serverMetadata().device_authorization_endpoint) {
    throw new LakekeyError('IDP_REFUSED', 'the identity provider does not offer the device login (RFC 8628)', {
      hint: 'Log in on a machine with a browser, or enable the device authorization grant for this client at your IdP.',
    });
  }
  // PKCE on the device grant too: Keycloak requires it from clients set to "PKCE required"
  // (others ignore the parameters); the verifier goes with every poll.
  const verifier = client.randomPKCECodeVerifier();
  registerSecret(verifier);
  const params: Record<string, string> = {
    scope: scopes.join(' '),
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  };
  if (scopes.includes('offline_access')) params.prompt = 'consent';
  let response: client.DeviceAuthorizationResponse;
  try {
    response = await client.initiateDeviceAuthorization(config, params);
  } catch (err) {
    throw idpError(err, 'the device login');
  }
  registerSecret(response.device_code);
  return {
    // Shown on the terminal: one plain line each, whatever the IdP sent.
    userCode: outside(response.user_code, 64),
    verificationUri: outside(response.verification_uri, 2048),
    verificationUriComplete: response.verification_uri_complete === undefined ? undefined : outside(response.verification_uri_complete, 2048),
    expiresIn: response.expires_in,
    async poll(signal) {
      try {
        return toTokenSet(await client.pollDeviceAuthorizationGrant(config, response, { code_verifier: verifier }, { signal }));
      } catch (err) {
        const e = err as { error?: string };
        if (e.error === 'expired_token' || e.error === 'access_denied') {
          throw new LakekeyError(e.error === 'access_denied' ? 'IDP_REFUSED' : 'LOGIN_TIMEOUT', e.error === 'access_denied' ? 'the device login was denied' : 'the device code expired before the login was finished', {
            hint: 'Run the login again and finish it at the address shown.',
            cause: err,
          });
        }
        throw idpError(err, 'the device login');
      }
    },
  };
}
