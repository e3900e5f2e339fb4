// Check results in words. A probe's raw outcome (an HTTP answer, or the error fetch threw) becomes
// a CheckFinding — a name, ok/warn/fail, one sentence a person understands and the fix — instead
// of `failed: unreachable: fetch failed`. Pure; doctor's structured checks (main/core/diagnose.ts)
// have the same CheckFinding shape and can be shown by the window as they are.
import type { CheckFinding } from '../ipc.js';

export type ProbeName = 'Identity provider' | 'STS' | 'lakeFS';

export type ProbeOutcome =
  | { name: ProbeName; target: string; ok: true; httpStatus?: number; says?: string; warning?: { says: string; fix: string } }
  | { name: ProbeName; target: string; ok: false; error: unknown; timeoutMs?: number };

/** The codes Node's fetch (undici) and TLS put on an error or its causes, outermost first. */
function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 6; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (name === 'TimeoutError') codes.push('TIMEOUT');
    // fetch refuses the ports of the Fetch standard's block list (9, 25, 6000…) before connecting.
    if (message === 'bad port') codes.push('BAD_PORT');
  }
  return codes;
}

const TLS_CODES = /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;

function hostOf(target: string): string {
  try {
    return new URL(target).host;
  } catch {
    return target;
  }
}

/** Why a server could not be reached, in words, with the fix; undefined when the error is not a network one. */
export function networkWords(err: unknown, target: string, server: string, timeoutMs?: number): { says: string; fix: string } | undefined {
  const host = hostOf(target);
  const codes = codesOf(err);
  const has = (re: RegExp) => codes.find((c) => re.test(c));
  if (has(/^BAD_PORT$/)) return { says: `lakekey cannot connect to port ${new URL(target).port || '?'}: it is a blocked port (like browsers, fetch refuses it).`, fix: `Use the port the ${server} really listens on.` };
  if (has(/^ECONNREFUSED$/)) return { says: `Nothing answers at ${host}: the connection was refused.`, fix: `Check the address and the port, and that the ${server} is running.` };
  if (has(/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$/)) return { says: `The name ${hostOf(target).replace(/:\d+$/, '')} cannot be found (DNS).`, fix: 'Check the spelling of the address; for a company server, connect to the VPN first.' };
  if (has(/^(TIMEOUT|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT)$/)) {
    const within = timeoutMs ? ` within ${Math.round(timeoutMs / 1000)} s` : ' in time';
    return { says: `${host} did not answer${within}.`, fix: 'Check your network, VPN and proxy settings; the server may also be down.' };
  }
  if (has(/^(EHOSTUNREACH|ENETUNREACH)$/)) return { says: `${host} cannot be reached from this network.`, fix: 'Connect to the network or VPN the server is on, then check again.' };
  const tls = has(TLS_CODES);
  if (tls) {
    return {
      says: `The TLS certificate of ${host} is not trusted (${tls}).`,
      fix: 'If your company uses its own certificate authority, set NODE_EXTRA_CA_CERTS to its certificate file and restart lakekey.',
    };
  }
  if (has(/^(ECONNRESET|UND_ERR_SOCKET|EPIPE)$/)) return { says: `${host} closed the connection before answering.`, fix: 'A proxy or firewall may be in the way, or the server wants https: check the address and the proxy settings.' };
  return undefined;
}

const SERVER: Record<ProbeName, string> = { 'Identity provider': 'identity provider', STS: 'STS service', lakeFS: 'lakeFS server' };

export function checkFinding(o: ProbeOutcome): CheckFinding {
  const base = { name: o.name, target: o.target };
  if (o.ok) {
    if (o.warning) return { ...base, status: 'warn', says: o.warning.says, fix: o.warning.fix };
    return { ...base, status: 'ok', says: o.says ?? `Answers${o.httpStatus ? ` (HTTP ${o.httpStatus})` : ''}.` };
  }
  const words = networkWords(o.error, o.target, SERVER[o.name], o.timeoutMs);
  if (words) return { ...base, status: 'fail', ...words };
  // Not a network failure: the server answered and refused (the core's error says how).
  const e = o.error as { message?: unknown; hint?: unknown };
  const message = typeof e?.message === 'string' && e.message ? e.message : 'the check failed for an unknown reason';
  return {
    ...base,
    status: 'fail',
    says: sentence(message),
    fix: typeof e?.hint === 'string' && e.hint ? e.hint : `Check the ${SERVER[o.name]}'s address in this profile.`,
  };
}

function sentence(text: string): string {
  const t = text.trim();
  return `${t.charAt(0).toUpperCase()}${t.slice(1)}${/[.!?]$/.test(t) ? '' : '.'}`;
}
