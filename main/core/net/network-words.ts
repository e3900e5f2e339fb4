// Why a server could not be reached, in words a person understands, with the fix: what Node's
// fetch (undici), Bun's fetch and TLS really throw — a refused connection, DNS, a timeout, an
// untrusted certificate — instead of `fetch failed` or Bun's "pass `verbose: true` in the second
// argument to fetch()". Pure. Used by the server checks (server-checks.ts) behind both
// `lakekey doctor` and the settings window's Check, and by every error that says a server is
// unreachable (unreachableWords), so a runtime's own text never reaches a message.
import { causeChain, isNetworkError } from '../errors.js';

/** The codes Node's fetch (undici) and TLS put on an error or its causes, outermost first. */
export function codesOf(err: unknown): string[] {
  const codes: string[] = [];
  for (const e of causeChain(err)) {
    const { code, name, message } = e as { code?: unknown; name?: unknown; message?: unknown };
    if (typeof code === 'string') codes.push(code);
    if (name === 'TimeoutError') codes.push('TIMEOUT');
    // fetch refuses the ports of the Fetch standard's block list (9, 25, 6000…) before connecting.
    if (message === 'bad port') codes.push('BAD_PORT');
  }
  return codes;
}

const TLS_CODES =
  /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT(_LOCALLY)?|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|CERT_HAS_EXPIRED|CERT_NOT_YET_VALID|ERR_TLS_CERT_ALTNAME_INVALID)$/;

/** The host (and port) of a URL, or the text itself when it is not one. */
export function hostOf(target: string): string {
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
  if (has(/^BAD_PORT$/))
    return {
      says: `lakekey cannot connect to port ${new URL(target).port || '?'}: it is a blocked port (like browsers, fetch refuses it).`,
      fix: `Use the port the ${server} really listens on.`,
    };
  // Bun before 1.2 named its codes in CamelCase (ConnectionRefused, ConnectionClosed).
  if (has(/^(ECONNREFUSED|ConnectionRefused)$/))
    return { says: `Nothing answers at ${host}: the connection was refused.`, fix: `Check the address and the port, and that the ${server} is running.` };
  if (has(/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME)$/))
    return {
      says: `The name ${hostOf(target).replace(/:\d+$/, '')} cannot be found (DNS).`,
      fix: 'Check the spelling of the address; for a company server, connect to the VPN first.',
    };
  if (has(/^(TIMEOUT|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT)$/)) {
    const within = timeoutMs ? ` within ${Math.round(timeoutMs / 1000)} s` : ' in time';
    return { says: `${host} did not answer${within}.`, fix: 'Check your network, VPN and proxy settings; the server may also be down.' };
  }
  if (has(/^(EHOSTUNREACH|ENETUNREACH)$/))
    return { says: `${host} cannot be reached from this network.`, fix: 'Connect to the network or VPN the server is on, then check again.' };
  const tls = has(TLS_CODES);
  if (tls) {
    return {
      says: `The TLS certificate of ${host} is not trusted (${tls}).`,
      fix: 'If your company uses its own certificate authority, set NODE_EXTRA_CA_CERTS to its certificate file and restart lakekey.',
    };
  }
  if (has(/^(ECONNRESET|UND_ERR_SOCKET|EPIPE|ConnectionClosed)$/))
    return {
      says: `${host} closed the connection before answering.`,
      fix: 'A proxy or firewall may be in the way, or the server wants https: check the address and the proxy settings.',
    };
  return undefined;
}

/**
 * A network failure in lakekey's words only, or undefined when `err` is not one: networkWords()
 * when it knows the failure, else a plain sentence — never the runtime's text, which says nothing
 * a user can act on (undici's `fetch failed`, Bun's advice to pass `verbose: true` to fetch()).
 * `reason` reads after "is unreachable: " (lower-case start, no final stop); `says` is the sentence.
 */
export function unreachableWords(err: unknown, target: string, server: string, timeoutMs?: number): { says: string; reason: string; fix: string } | undefined {
  const words =
    networkWords(err, target, server, timeoutMs) ??
    (isNetworkError(err)
      ? { says: `The connection to ${hostOf(target)} failed before it answered.`, fix: 'Check the address, your network, VPN and proxy settings, then retry.' }
      : undefined);
  return words && { ...words, reason: clause(words.says) };
}

/** "Nothing answers at h: …." as a clause: "nothing answers at h: …" (a leading host or "lakekey" stays as written). */
function clause(sentence: string): string {
  const text = sentence.replace(/\.$/, '');
  return /^[A-Z][a-z]/.test(text) ? `${text.charAt(0).toLowerCase()}${text.slice(1)}` : text;
}
