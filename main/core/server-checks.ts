// The server checks of a profile — can the identity provider, STS and lakeFS be reached, and do
// they answer as they should — said in words with the fix. One implementation behind both
// `lakekey doctor` (diagnose.ts) and the settings window's Check (main/app/handlers.ts, on a
// profile not saved yet). Every request goes through the fetch the caller passes (the
// Context's: bounded and proxy-aware); every word from a server passes outside().
import { asLakekeyError, type ErrorCode } from './errors.js';
import { unreachableWords } from './network-words.js';
import type { Profile } from './settings.js';
import { outside } from './text-gate.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';
export type ServerName = 'Identity provider' | 'STS' | 'lakeFS';

/** One server check: what, where, what was found (one sentence) and, unless ok, what to do. */
export interface ServerFinding {
  name: ServerName;
  target: string;
  status: CheckStatus;
  says: string;
  fix?: string;
  /** A failure's error code (doctor's exit code comes from it). */
  code?: ErrorCode;
}

export interface ServerCheckDeps {
  fetch: typeof fetch;
  /** The bound the caller's fetch applies, for the words of a timeout ("within 5 s"). */
  timeoutMs: number;
}

const SERVER: Record<ServerName, string> = { 'Identity provider': 'identity provider', STS: 'STS service', lakeFS: 'lakeFS server' };

/** The checks that apply to the profile (the IdP always; STS and lakeFS when configured), run together; `name` goes in the fixes' commands. */
export function checkServers(deps: ServerCheckDeps, profile: Profile, name?: string): Promise<ServerFinding[]> {
  const checks = [checkIdp(deps, profile, name)];
  if (profile.s3) checks.push(checkSts(deps, profile.s3));
  if (profile.lakefs) checks.push(checkLakefs(deps, profile.lakefs.endpoint));
  return Promise.all(checks);
}

async function checkIdp(deps: ServerCheckDeps, profile: Profile, name?: string): Promise<ServerFinding> {
  const base = { name: 'Identity provider' as const, target: profile.issuer };
  try {
    const { discover } = await import('./oidc.js');
    const meta = (await discover(profile, undefined, deps, name)).serverMetadata();
    const jwks = meta.jwks_uri ? await deps.fetch(meta.jwks_uri).then((r) => (r.ok ? (r.json() as Promise<{ keys?: unknown[] }>) : undefined)) : undefined;
    const keys = jwks?.keys?.length ?? 0;
    if (!keys) {
      return { ...base, status: 'fail', code: 'IDP_REFUSED', says: `The identity provider publishes no signing keys at ${outside(meta.jwks_uri ?? '(no jwks_uri)')}.`, fix: 'Check the issuer URL: it must be the OpenID issuer, not a login page.' };
    }
    const extras = [meta.revocation_endpoint ? 'it can revoke sessions at logout' : '', meta.device_authorization_endpoint ? 'device login is available' : ''].filter(Boolean);
    const says = `Discovery works: issuer ${outside(meta.issuer)}, ${keys} signing key${keys === 1 ? '' : 's'}${extras.length ? `; ${extras.join(', ')}` : ''}.`;
    if (meta.code_challenge_methods_supported && !meta.code_challenge_methods_supported.includes('S256')) {
      return { ...base, status: 'warn', says: `${says.slice(0, -1)}, but it does not advertise S256 PKCE.`, fix: 'lakekey always sends PKCE (S256); if logins fail, enable PKCE for this client at the identity provider.' };
    }
    return { ...base, status: 'ok', says };
  } catch (err) {
    return failure(base, err, deps.timeoutMs, 'IDP_UNREACHABLE');
  }
}

async function checkSts(deps: ServerCheckDeps, s3: NonNullable<Profile['s3']>): Promise<ServerFinding> {
  const { defaultStsEndpoint } = await import('./sts.js');
  const base = { name: 'STS' as const, target: s3.stsEndpoint ?? defaultStsEndpoint(s3.region) };
  try {
    // Any HTTP answer counts: a GET without an action is refused by every STS, but it answered.
    const res = await deps.fetch(base.target, { method: 'GET', redirect: 'manual' });
    await res.body?.cancel();
    return { ...base, status: 'ok', says: `Answers (HTTP ${res.status}).` };
  } catch (err) {
    return failure(base, err, deps.timeoutMs, 'STS_UNREACHABLE');
  }
}

async function checkLakefs(deps: ServerCheckDeps, endpoint: string): Promise<ServerFinding> {
  const { lakefsApi } = await import('./lakefs.js');
  const base = { name: 'lakeFS' as const, target: `${lakefsApi(endpoint)}/healthcheck` };
  try {
    const res = await deps.fetch(base.target, { method: 'GET', redirect: 'manual' });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ...base, status: 'ok', says: 'lakeFS is healthy.' };
    return { ...base, status: 'fail', code: 'LAKEFS_REFUSED', says: `Something answers, but not as lakeFS does: its health check answered HTTP ${res.status}.`, fix: 'Check that the lakeFS URL is the server\'s base address (without /api/v1).' };
  } catch (err) {
    return failure(base, err, deps.timeoutMs, 'LAKEFS_UNREACHABLE');
  }
}

/** A check that threw: a network failure in words, else the core's own error and hint. */
function failure(base: { name: ServerName; target: string }, err: unknown, timeoutMs: number, unreachable: ErrorCode): ServerFinding {
  const words = unreachableWords(err, base.target, SERVER[base.name], timeoutMs);
  if (words) return { ...base, status: 'fail', code: unreachable, says: words.says, fix: words.fix };
  const e = asLakekeyError(err);
  return { ...base, status: 'fail', code: e.code, says: sentence(outside(e.message, 500)), fix: e.hint ?? `Check the ${SERVER[base.name]}'s address in this profile.` };
}

function sentence(text: string): string {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}
