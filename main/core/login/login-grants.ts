// The authorization requests one browser login makes, in the order the tab visits them: ours
// (we redeem the code for an ID token and a refresh token) and, for lakeFS profiles, lakeFS's
// (lakeFS's remote authenticator redeems that code for a lakeFS token). A profile that wants
// both gets the two-grant lakeFS login: the first callback forwards the same tab to the second
// authorization, and the IdP session makes it silent (DESIGN §1).
import type { Configuration } from 'openid-client';
import type { AccountRequest, AuthorizationRequest, TokenSet } from './oidc.js';
import type { LakefsToken } from '../keychain/record.js';
import type { Profile } from '../config/settings.js';
import type { Context } from '../ports.js';

/** One authorization request in the login: ours (we redeem the code) or lakeFS's. */
export type Grant = 'idp' | 'lakefs';

/** The grants a profile needs, in the order the browser tab visits them. */
export function grantsFor(profile: Profile): Grant[] {
  const grants: Grant[] = [];
  if (!profile.lakefs || profile.s3?.tokenSource === 'idp') grants.push('idp');
  if (profile.lakefs) grants.push('lakefs');
  return grants;
}

/** One grant's authorization request; `account` (another account, a login hint) goes on the login's first request only, whose sign-in the next one reuses. */
export async function authorizationFor(
  grant: Grant,
  config: Configuration,
  profile: Profile,
  redirectUri: string,
  account?: AccountRequest,
): Promise<AuthorizationRequest> {
  const { authorizationRequest } = await import('./oidc.js');
  if (grant === 'idp') return authorizationRequest(config, { redirectUri, scopes: profile.scopes, account });
  const { lakefsState } = await import('../exchange/lakefs.js');
  // lakeFS's leg needs no refresh token, so no offline_access (and no consent prompt).
  return authorizationRequest(config, {
    redirectUri,
    scopes: profile.scopes.filter((s) => s !== 'offline_access'),
    stateFor: lakefsState,
    nonce: false,
    account,
  });
}

/** What the browser login produced so far. */
export interface Redeemed {
  tokens?: TokenSet;
  lakefsToken?: LakefsToken;
}

/** Redeems one grant's callback: at the IdP for ours, at lakeFS's /sts/login for lakeFS's. */
export async function redeem(
  ctx: Context,
  grant: Grant,
  profile: Profile,
  config: Configuration,
  callback: URL,
  request: AuthorizationRequest,
  redirectUri: string,
  sofar: Redeemed,
): Promise<Redeemed> {
  if (grant === 'idp') {
    const { redeemCode } = await import('./oidc.js');
    return { ...sofar, tokens: await redeemCode(config, callback, request) };
  }
  const lakefs = profile.lakefs;
  if (!lakefs) throw new Error('a lakeFS grant for a profile without lakeFS settings');
  const { stsLogin } = await import('../exchange/lakefs.js');
  const subject = sofar.tokens?.claims?.sub;
  const lakefsToken = await stsLogin(
    lakefs.endpoint,
    {
      code: callback.searchParams.get('code') ?? '',
      state: request.state,
      redirectUri,
      ttlSeconds: lakefs.ttlSeconds,
      // From our own leg of a combined login, when there is one: names the external id in a 404.
      ...(subject ? { idpSubject: subject } : {}),
    },
    { now: ctx.clock.now(), fetch: ctx.fetch, secrets: ctx.secrets },
  );
  return { ...sofar, lakefsToken };
}
