// Why a server could not be reached, in words a person understands, with the fix: what Node's
// fetch (undici) and TLS really throw — a refused connection, DNS, a timeout, an untrusted
// certificate — instead of `fetch failed`. Pure. Used by the server checks (server-checks.ts)
// behind both `lakekey doctor` and the settings window's Check.

/** The codes Node's fetch (undici) and TLS put on an error or its causes, outermost first. */
export function codesOf(err: unknown): string[] {
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
