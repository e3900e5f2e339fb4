// OIDC with openid-client 6: discovery, the authorization-code + PKCE (S256) login with
// state, nonce and the `iss` check, refresh and revocation. Loaded only on a cache miss.
import * as client from 'openid-client';
import { configError, errorText, LakekeyError } from '../errors.js';
import { requireShape } from '../exchange/credential-shape.js';
import { refusalError, refusalHint, refusalKind } from './idp-refusal.js';
import { unreachableWords } from '../net/network-words.js';
import { registerSecret } from '../redact.js';
import { outside } from '../text-gate.js';
import { endpointUrl, type Profile } from '../config/settings.js';
import { isLoopbackUrl } from '../../shared/secure-url.js';

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

/**
 * Discovery, for a public client (`clientSecret` only for IdPs that require one of installed apps,
 * like Google). A discovery document that is missing, or that announces another issuer than the
 * profile's, is the profile's configuration: the error names the URL tried or the issuer the IdP
 * announces, and the `profile set` that fixes it (`name` is the profile's, for that command).
 */
export async function discover(
  profile: Pick<Profile, 'issuer' | 'clientId'>,
  clientSecret: string | undefined,
  http: IdpHttp,
  name = 'NAME',
): Promise<client.Configuration> {
  const issuer = new URL(profile.issuer);
  // openid-client passes fetch-compatible options; its body type is merely declared narrower.
  const fetchImpl = http.fetch as unknown as client.CustomFetch;
  const timeout = Math.max(1, Math.round(http.timeoutMs / 1000));
  if (clientSecret) registerSecret(clientSecret);
  const auth = clientSecret ? client.ClientSecretPost(clientSecret) : client.None();
  const discovery = (server: URL) =>
    client.discovery(server, profile.clientId, undefined, auth, {
      execute: isLoopbackUrl(server) ? [client.allowInsecureRequests] : [],
      timeout,
      [client.customFetch]: fetchImpl,
    });
  let config: client.Configuration;
  try {
    config = await discovery(issuer);
  } catch (err) {
    // Settings keep an issuer without its trailing slash, so an IdP that announces one (a path
    // issuer ending in "/") could never match: the same document, so take its spelling.
    const announced = announcedIssuer(err);
    if (announced === undefined || announced.replace(/\/+$/, '') !== profile.issuer.replace(/\/+$/, '')) throw discoveryError(err, profile.issuer, name);
    try {
      config = await discovery(new URL(announced));
    } catch (again) {
      throw discoveryError(again, profile.issuer, name);
    }
  }
  config.timeout = timeout;
  config[client.customFetch] = fetchImpl;
  // Check ID token signatures against the IdP's JWKS too, not only TLS to the token endpoint.
  client.enableNonRepudiationChecks(config);
  return config;
}

/** The issuer a discovery document announced, when openid-client refused it for not being the profile's. */
function announcedIssuer(err: unknown): string | undefined {
  const e = err as { code?: unknown; cause?: { attribute?: unknown; body?: { issuer?: unknown } } };
  if (e.code !== 'OAUTH_JSON_ATTRIBUTE_COMPARISON_FAILED' || e.cause?.attribute !== 'issuer') return undefined;
  return typeof e.cause.body?.issuer === 'string' ? e.cause.body.issuer : undefined;
}

/** Where discovery looks for the document of `issuer` (OpenID Connect Discovery §4). */
function discoveryUrl(issuer: string): string {
  return issuer.includes('/.well-known/') ? issuer : `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/** A failed discovery in words: the issuer the IdP announces, or the URL that has no discovery document, or else idpError's. */
function discoveryError(err: unknown, issuer: string, name: string): LakekeyError {
  const announced = announcedIssuer(err);
  if (announced !== undefined) return issuerMismatch(issuer, announced, name, err);
  const e = err as { code?: unknown; cause?: unknown };
  const url = discoveryUrl(issuer);
  const wrongIssuer = `The issuer is probably wrong: it must be the issuer URL exactly as your identity provider announces it (Keycloak's includes the realm: https://HOST/realms/REALM). Fix it with \`lakekey profile set ${name} --issuer URL\`.`;
  if (e.code === 'OAUTH_RESPONSE_IS_NOT_CONFORM' && e.cause instanceof Response) {
    const res = e.cause;
    void res.body?.cancel().catch(() => undefined);
    // A 5xx is the IdP failing, not a wrong address: idpError says so and keeps the session.
    if (res.status < 500) {
      const location = res.status >= 300 && res.status < 400 ? res.headers.get('location') : null;
      return configError(
        `there is no OpenID discovery document at ${url} (HTTP ${res.status}${location ? `, a redirect to ${outside(location, 200)}` : ''})`,
        wrongIssuer,
      );
    }
  }
  if (e.code === 'OAUTH_RESPONSE_IS_NOT_JSON' || e.code === 'OAUTH_PARSE_ERROR' || e.code === 'OAUTH_INVALID_RESPONSE') {
    return configError(
      `what answers at ${url} is not an OpenID discovery document (${e.code === 'OAUTH_INVALID_RESPONSE' ? 'it names no issuer' : 'it is not JSON'})`,
      wrongIssuer,
    );
  }
  return idpError(err, `discovery at ${issuer}`, url);
}

function issuerMismatch(issuer: string, announced: string, name: string, cause: unknown): LakekeyError {
  const said = outside(announced, 300);
  const hosts = (() => {
    try {
      const a = new URL(issuer);
      const b = new URL(announced);
      return { loopback: isLoopbackUrl(a) && isLoopbackUrl(b), same: a.hostname === b.hostname };
    } catch {
      return { loopback: false, same: false };
    }
  })();
  let usable = false;
  try {
    usable = endpointUrl(announced, 'issuer') === announced;
  } catch {
    usable = false;
  }
  const why = hosts.loopback && !hosts.same ? ' (to OpenID, localhost and 127.0.0.1 are different issuers, though they reach the same server)' : '';
  const command = `\`lakekey profile set ${name} --issuer ${announced}\``;
  // The same host (or loopback under another name) is plainly the same server. Another host may
  // be the IdP's real name (a proxy in front, a hostname setting), or someone else's: the user
  // decides, and is told that an address they do not know is not one to switch to.
  const hint = !usable
    ? "The issuer it announces is not one lakekey can use; ask your identity provider's admin to check its configured issuer (hostname) URL."
    : hosts.same || hosts.loopback
      ? `Set the issuer to what it announces: ${command}.`
      : `If that is your identity provider's real address, set it: ${command}. If you do not recognise it, do not: ask your IdP's admin (a proxy may rewrite the address, or the IdP's hostname setting is wrong).`;
  return new LakekeyError(
    'CONFIG',
    `the identity provider at ${issuer} announces itself as ${said}, so its tokens would not match the profile's issuer${why}`,
    { hint, cause },
  );
}

export interface AuthorizationRequest {
  url: URL;
  state: string;
  nonce: string;
  verifier: string;
}

/** What the first authorization request of a login asks about the account (LoginOptions). */
export interface AccountRequest {
  prompt?: 'select_account' | 'login';
  loginHint?: string;
  /** The IdP lists no prompt values: select_account is a guess, and `login` the fallback when it is refused. */
  unlisted?: true;
}

/**
 * The prompt value that lets the user choose another account: `select_account` when the IdP's
 * discovery document lists it, `login` (sign in again, as anyone) when it lists only that, and
 * `select_account` when it lists no prompt values at all (OIDC Discovery makes the list optional,
 * and Google and Entra ID, which take select_account, publish none); the login's probe of the
 * authorization endpoint then finds out, and an IdP that refuses it (oidc-provider) gets `login`
 * instead (login-browser.ts). Undefined when the list has neither.
 */
export function accountPrompt(metadata: { prompt_values_supported?: unknown }): AccountRequest['prompt'] {
  const listed = metadata.prompt_values_supported;
  if (!Array.isArray(listed)) return 'select_account';
  if (listed.includes('select_account')) return 'select_account';
  if (listed.includes('login')) return 'login';
  return undefined;
}

/** The account part of a login's first authorization request; a USAGE error (exit 2) when the IdP cannot prompt for another account. */
export function accountRequest(config: client.Configuration, opts: { selectAccount?: boolean; loginHint?: string }): AccountRequest {
  const request: AccountRequest = opts.loginHint ? { loginHint: opts.loginHint } : {};
  if (!opts.selectAccount) return request;
  const metadata = config.serverMetadata() as client.ServerMetadata & { prompt_values_supported?: unknown };
  const prompt = accountPrompt(metadata);
  if (!prompt) {
    const listed = (metadata.prompt_values_supported as unknown[]).map((v) => outside(String(v), 40)).join(', ') || 'none';
    throw new LakekeyError(
      'USAGE',
      `--select-account: the identity provider at ${metadata.issuer} supports neither prompt=select_account nor prompt=login (its discovery document lists: ${listed})`,
      {
        hint: 'Sign out at the identity provider in your browser and log in again, or pass --login-hint USER alone.',
      },
    );
  }
  return { ...request, prompt, ...(Array.isArray(metadata.prompt_values_supported) ? {} : { unlisted: true as const }) };
}

export async function authorizationRequest(
  config: client.Configuration,
  opts: {
    redirectUri: string;
    scopes: string[];
    stateFor?: (random: string, verifier: string) => string;
    /** Off for a code that someone else redeems (lakeFS): they cannot know our nonce. */
    nonce?: boolean;
    /** Another account (prompt) or a given one (login_hint): the login's first request only. */
    account?: AccountRequest;
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
  // OIDC Core §11: offline_access needs prompt=consent, or many providers drop it silently. The
  // prompt parameter is a space-separated list: "select_account consent" asks for both.
  const prompts = [...(opts.account?.prompt ? [opts.account.prompt] : []), ...(opts.scopes.includes('offline_access') ? ['consent'] : [])];
  if (prompts.length) params.prompt = prompts.join(' ');
  if (opts.account?.loginHint) params.login_hint = opts.account.loginHint;
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
    throw idpError(err, 'the code exchange', config.serverMetadata().token_endpoint);
  }
}

export async function refresh(config: client.Configuration, refreshToken: string): Promise<TokenSet> {
  try {
    return toTokenSet(await client.refreshTokenGrant(config, refreshToken));
  } catch (err) {
    throw idpError(err, 'the refresh', config.serverMetadata().token_endpoint);
  }
}

/** Revokes the refresh token (RFC 7009); 'not-offered' when the IdP has no revocation endpoint. */
export async function revoke(config: client.Configuration, refreshToken: string): Promise<'revoked' | 'not-offered'> {
  if (!config.serverMetadata().revocation_endpoint) return 'not-offered';
  try {
    await client.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
  } catch (err) {
    throw idpError(err, 'the revocation', config.serverMetadata().revocation_endpoint);
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

/** An IdP error in words; `target` is the URL that was called, for the words of a network failure. */
export function idpError(err: unknown, during: string, target = ''): LakekeyError {
  if (err instanceof LakekeyError) return err;
  const unreachable = unreachableWords(err, target, 'identity provider');
  if (unreachable) {
    return new LakekeyError('IDP_UNREACHABLE', `the identity provider is unreachable during ${during}: ${unreachable.reason}`, {
      hint: unreachable.fix,
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

export interface DeviceAuthorization {
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  poll(signal?: AbortSignal): Promise<TokenSet>;
}

/** RFC 8628 device authorization: for machines with no browser to show (SSH, headless). */
export async function startDeviceAuthorization(config: client.Configuration, scopes: string[], name = 'NAME'): Promise<DeviceAuthorization> {
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
    // A bad client id is refused here at once (RFC 8628 §3.2): say so as the configuration it is.
    const e = err as { error?: unknown; error_description?: unknown };
    if (typeof e.error === 'string' && refusalKind(e.error, '') === 'client') {
      throw refusalError(
        e.error,
        typeof e.error_description === 'string' ? e.error_description : '',
        { name, clientId: config.clientMetadata().client_id, during: 'the device login' },
        err,
      );
    }
    throw idpError(err, 'the device login', config.serverMetadata().device_authorization_endpoint);
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
          throw new LakekeyError(
            e.error === 'access_denied' ? 'IDP_REFUSED' : 'LOGIN_TIMEOUT',
            e.error === 'access_denied' ? 'the device login was denied' : 'the device code expired before the login was finished',
            {
              hint: 'Run the login again and finish it at the address shown.',
              cause: err,
            },
          );
        }
        throw idpError(err, 'the device login', config.serverMetadata().token_endpoint);
      }
    },
  };
}
