// The server checks of a profile — can the identity provider, STS and lakeFS be reached, and do
// they answer as they should — said in words with the fix. One implementation behind both
// `lakekey doctor` (diagnose.ts) and the settings window's Check (main/app/handlers.ts, on a
// profile not saved yet). Every request goes through the fetch the caller passes (the
// Context's: bounded and proxy-aware); every word from a server passes outside().
import type { Clock } from '../ports.js';
import { systemClock } from '../clock.js';
import { asLakekeyError, type ErrorCode } from '../errors.js';
import { hostOf, unreachableWords } from '../net/network-words.js';
import { readSome } from '../net/read-some.js';
import type { Profile } from '../config/settings.js';
import { outside } from '../text-gate.js';

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
  /**
   * The identity provider's finding, when its discovery answer carried a Date header: how far this
   * computer's clock is ahead of the IdP's (negative: behind), in ms. Doctor's clock check reads it.
   */
  clockAheadMs?: number;
}

export interface ServerCheckDeps {
  fetch: typeof fetch;
  /** The bound the caller's fetch applies, for the words of a timeout ("within 5 s"). */
  timeoutMs: number;
  /** This computer's clock, compared with the IdP's Date header (default: the wall clock). */
  clock?: Clock;
}

const SERVER: Record<ServerName, string> = { 'Identity provider': 'identity provider', STS: 'STS service', lakeFS: 'lakeFS server' };

/** The checks that apply to the profile (the IdP always; STS and lakeFS when configured), run together; `name` goes in the fixes' commands. */
export function checkServers(deps: ServerCheckDeps, profile: Profile, name?: string): Promise<ServerFinding[]> {
  const checks = [checkIdp(deps, profile, name)];
  if (profile.s3) checks.push(checkSts(deps, { ...profile, s3: profile.s3 }));
  if (profile.lakefs) checks.push(checkLakefs(deps, profile.lakefs.endpoint));
  return Promise.all(checks);
}

async function checkIdp(deps: ServerCheckDeps, profile: Profile, name?: string): Promise<ServerFinding> {
  const base = { name: 'Identity provider' as const, target: profile.issuer };
  // The discovery answer's Date header, read as it arrives, for doctor's clock check.
  let clockAheadMs: number | undefined;
  const fetch: typeof deps.fetch = async (input, init) => {
    const res = await deps.fetch(input, init);
    const date = Date.parse(res.headers.get('date') ?? '');
    if (clockAheadMs === undefined && Number.isFinite(date)) clockAheadMs = (deps.clock ?? systemClock).now() - date;
    return res;
  };
  try {
    const { discover } = await import('../login/oidc.js');
    const meta = (await discover(profile, undefined, { ...deps, fetch }, name)).serverMetadata();
    const jwks = meta.jwks_uri ? await deps.fetch(meta.jwks_uri).then((r) => (r.ok ? (r.json() as Promise<{ keys?: unknown[] }>) : undefined)) : undefined;
    const keys = jwks?.keys?.length ?? 0;
    if (!keys) {
      return {
        ...base,
        status: 'fail',
        code: 'IDP_REFUSED',
        says: `The identity provider publishes no signing keys at ${outside(meta.jwks_uri ?? '(no jwks_uri)')}.`,
        fix: 'Check the issuer URL: it must be the OpenID issuer, not a login page.',
      };
    }
    const extras = [
      meta.revocation_endpoint ? 'it can revoke sessions at logout' : '',
      meta.device_authorization_endpoint ? 'device login is available' : '',
    ].filter(Boolean);
    const says = `Discovery works: issuer ${outside(meta.issuer)}, ${keys} signing key${keys === 1 ? '' : 's'}${extras.length ? `; ${extras.join(', ')}` : ''}.`;
    const clock = clockAheadMs === undefined ? {} : { clockAheadMs };
    if (meta.code_challenge_methods_supported && !meta.code_challenge_methods_supported.includes('S256')) {
      return {
        ...base,
        ...clock,
        status: 'warn',
        says: `${says.slice(0, -1)}, but it does not advertise S256 PKCE.`,
        fix: 'lakekey always sends PKCE (S256); if logins fail, enable PKCE for this client at the identity provider.',
      };
    }
    return { ...base, ...clock, status: 'ok', says };
  } catch (err) {
    return failure(base, err, deps.timeoutMs, 'IDP_UNREACHABLE');
  }
}

/** The made-up web identity token of the STS probe: every STS turns it down, in its own words. */
const PROBE_TOKEN = 'lakekey-doctor-probe';
/** How much of an answer the STS probe reads (an STS error document is a few hundred bytes). */
const PROBE_BODY_LIMIT = 16 * 1024;

/**
 * The STS service, asked the way lakekey asks it (an unsigned AssumeRoleWithWebIdentity, with the
 * profile's role) but with a made-up token. A real STS turns it down with HTTP 400 and an STS error
 * document (AWS: InvalidIdentityToken; MinIO and lakeFS: InvalidParameterValue or
 * InvalidIdentityToken), which is the healthy answer. Anything else — a 403 from a proxy, a 404
 * from a wrong path, a redirect, a login page — means the credentials will not come through.
 */
async function checkSts(deps: ServerCheckDeps, profile: Profile & { s3: NonNullable<Profile['s3']> }): Promise<ServerFinding> {
  const { stsTarget } = await import('../exchange/mint-s3.js');
  const { defaultStsEndpoint } = await import('../exchange/sts.js');
  let base = { name: 'STS' as const, target: profile.s3.stsEndpoint ?? defaultStsEndpoint(profile.s3.region) };
  try {
    const { endpoint, roleArn } = await stsTarget(profile);
    base = { ...base, target: endpoint };
    const form = new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleSessionName: 'lakekey-doctor',
      WebIdentityToken: PROBE_TOKEN,
      DurationSeconds: String(profile.s3.durationSeconds),
    });
    if (roleArn) form.set('RoleArn', roleArn);
    const res = await deps.fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: form.toString(),
      redirect: 'manual',
    });
    const body = await readSome(res, PROBE_BODY_LIMIT);
    return { ...base, ...stsAnswer(endpoint, res.status, body, res.headers.get('location')) };
  } catch (err) {
    return failure(base, err, deps.timeoutMs, 'STS_UNREACHABLE');
  }
}

type Verdict = Pick<ServerFinding, 'status' | 'says' | 'fix' | 'code'>;

/** What an STS endpoint's answer to the probe says about it (exported for tests). */
export function stsAnswer(endpoint: string, status: number, body: string, location: string | null): Verdict {
  const host = hostOf(endpoint);
  const sts = stsError(body);
  const check =
    "Check the STS endpoint in this profile (AWS: https://sts.REGION.amazonaws.com; MinIO: the server's base URL, with no path) and any proxy between (HTTPS_PROXY, NO_PROXY).";
  if (sts) {
    const said = `${sts.code}${sts.message ? `: ${sts.message}` : ''}`;
    if (status >= 500) {
      return {
        status: 'fail',
        code: 'STS_REFUSED',
        says: `The STS service answers, but with an error of its own (HTTP ${status}, ${said}).`,
        fix: 'This is a problem at the STS service, not in your setup: check again in a few minutes.',
      };
    }
    if (/^InvalidAction$/i.test(sts.code) || /unsupported action|could not find operation/i.test(sts.message)) {
      return { status: 'fail', code: 'STS_REFUSED', says: `An STS service answers, but it does not offer AssumeRoleWithWebIdentity (${said}).`, fix: check };
    }
    if (/\brole\b.*\bdoes not exist\b/i.test(sts.message)) {
      return {
        status: 'fail',
        code: 'STS_REFUSED',
        says: `The STS service does not know the role lakekey asks for (${said}).`,
        fix: 'Check --s3-role-arn (MinIO prints its RoleArn at startup), and that the STS service has your identity provider configured.',
      };
    }
    if (status === 400)
      return { status: 'ok', says: `An STS service answers: it turned down a test request with a made-up token, as it should (${sts.code}).` };
    return {
      status: 'warn',
      says: `An STS service answers, but with HTTP ${status} where a made-up token gets 400 (${said}).`,
      fix: 'Check the role ARN and the STS endpoint in this profile; a login will show whether credentials come through.',
    };
  }
  if (status >= 200 && status < 300 && /<AssumeRoleWithWebIdentityResponse[\s>]/.test(body)) {
    return {
      status: 'warn',
      says: 'The STS service accepted a test request with a made-up token.',
      fix: 'Check that this is the STS service you mean: a real one refuses such a token.',
    };
  }
  // Not an STS's answer: something else is at this address, or in the way.
  if (status >= 300 && status < 400) {
    const to = location ? ` to ${outside(location, 200)}` : '';
    return {
      status: 'fail',
      code: 'STS_REFUSED',
      says: `${host} redirects${to} (HTTP ${status}) instead of answering as an STS service; lakekey, like the AWS SDK, does not follow it.`,
      fix: `Use the address it redirects to as --s3-sts-endpoint, if that is the STS service. ${check}`,
    };
  }
  if (status === 407) {
    return {
      status: 'fail',
      code: 'STS_REFUSED',
      says: `A proxy between wants a login of its own (HTTP 407) before it lets the request to ${host} through.`,
      fix: "Put the proxy's user and password in HTTPS_PROXY (http://user:pass@proxy:port), or add the STS host to NO_PROXY.",
    };
  }
  if (status === 401 || status === 403) {
    return {
      status: 'fail',
      code: 'STS_REFUSED',
      says: `${host} refused the request (HTTP ${status}), and not in an STS service's words: a proxy or firewall may block it, or this address is not the STS endpoint.`,
      fix: check,
    };
  }
  if (status === 404 || status === 405) {
    return {
      status: 'fail',
      code: 'STS_REFUSED',
      says: `${host} answers HTTP ${status}: nothing takes STS requests at this address (a wrong path?).`,
      fix: check,
    };
  }
  if (status === 502 || status === 503 || status === 504) {
    return {
      status: 'fail',
      code: 'STS_UNREACHABLE',
      says: `A gateway or proxy answered HTTP ${status}: the STS service behind it did not.`,
      fix: 'Check that the STS service is running, and your proxy settings (HTTPS_PROXY, NO_PROXY).',
    };
  }
  return { status: 'fail', code: 'STS_REFUSED', says: `${host} answers HTTP ${status}, but not as an STS service does (no STS error document).`, fix: check };
}

/** The Code and Message of an STS error document (`<ErrorResponse><Error><Code>…`), or undefined. */
function stsError(body: string): { code: string; message: string } | undefined {
  if (!/<ErrorResponse[\s>]/.test(body)) return undefined;
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(body)?.[1];
  if (!code) return undefined;
  const message = /<Message>([^<]{0,1000})<\/Message>/.exec(body)?.[1] ?? '';
  return { code: outside(code.trim(), 100), message: outside(unescapeXml(message.trim()), 300) };
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|quot|apos|amp);/g, (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] ?? '');
}

async function checkLakefs(deps: ServerCheckDeps, endpoint: string): Promise<ServerFinding> {
  const { lakefsApi } = await import('../exchange/lakefs.js');
  const base = { name: 'lakeFS' as const, target: `${lakefsApi(endpoint)}/healthcheck` };
  try {
    const res = await deps.fetch(base.target, { method: 'GET', redirect: 'manual' });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { ...base, status: 'ok', says: 'lakeFS is healthy.' };
    return {
      ...base,
      status: 'fail',
      code: 'LAKEFS_REFUSED',
      says: `Something answers, but not as lakeFS does: its health check answered HTTP ${res.status}.`,
      fix: "Check that the lakeFS URL is the server's base address (without /api/v1).",
    };
  } catch (err) {
    return failure(base, err, deps.timeoutMs, 'LAKEFS_UNREACHABLE');
  }
}

/** A check that threw: a network failure in words, else the core's own error and hint. */
function failure(base: { name: ServerName; target: string }, err: unknown, timeoutMs: number, unreachable: ErrorCode): ServerFinding {
  const words = unreachableWords(err, base.target, SERVER[base.name], timeoutMs);
  if (words) return { ...base, status: 'fail', code: unreachable, says: words.says, fix: words.fix };
  const e = asLakekeyError(err);
  return {
    ...base,
    status: 'fail',
    code: e.code,
    says: sentence(outside(e.message, 500)),
    fix: e.hint ?? `Check the ${SERVER[base.name]}'s address in this profile.`,
  };
}

function sentence(text: string): string {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}
