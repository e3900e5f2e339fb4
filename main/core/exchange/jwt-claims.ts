// The claims of a JWT we already hold (the ID token, the lakeFS token), read without verifying:
// each was checked when it was received (openid-client verifies the ID token; lakeFS issued its
// own). Used for what the token says about its holder, never to decide whether to trust it.

/** The payload of `token` as an object, or undefined when it is not a JWT with a JSON payload. */
export function jwtClaims(token: string): Record<string, unknown> | undefined {
  try {
    const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as unknown;
    return typeof claims === 'object' && claims !== null && !Array.isArray(claims) ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
