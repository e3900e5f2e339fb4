// What a credential may look like when it arrives from a server (issue 9 §2). A value that is
// handed to a shell (`lakekey env`, `lakekey token`) or stored for later must not carry quotes,
// whitespace, controls or any character outside its alphabet: a hostile IdP, STS or lakeFS
// could otherwise smuggle code into `eval "$(lakekey env …)"` or `| Invoke-Expression`.
// Each shape is an allow-list with a bounded length; everything else is refused at arrival
// with exit 5 (the server's *_REFUSED code), naming the server and the field, never the value.
import { LakekeyError, type ErrorCode } from '../errors.js';

export type CredentialKind = 'jwt' | 'opaque-token' | 'access-key-id' | 'secret-access-key' | 'session-token';

const MAX_TOKEN = 16 * 1024;

/** RFC 7519 compact JWS: three base64url segments (the signature may be empty only for alg none, which openid-client refuses). */
const JWT = /^[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*$/;
/**
 * Opaque OAuth tokens (RFC 6749 allows any VSCHAR): base64, base64url and JWT alphabets plus
 * `. ~ ! * $` that real IdPs use (Microsoft's refresh tokens carry `!`, `*` and `$`). No quote of
 * any shell, no whitespace, no `;`, `&`, `|`, `<`, `>`, backtick, parentheses or non-ASCII.
 */
const OPAQUE = /^[A-Za-z0-9._~+/=!*$-]+$/;
/** AWS AccessKeyIdType: [\w]+, 16–128 characters (MinIO and lakeFS issue 20 upper-case alphanumerics). */
const ACCESS_KEY_ID = /^[A-Za-z0-9_]{16,128}$/;
/** AWS secret keys are 40 base64 characters; MinIO and lakeFS use the same alphabet. */
const SECRET_ACCESS_KEY = /^[A-Za-z0-9/+=_-]{16,256}$/;
/** AWS session tokens are base64 (`/ + =`); MinIO's are JWTs. */
const SESSION_TOKEN = /^[A-Za-z0-9/+=._-]+$/;

const rules: Record<CredentialKind, { re: RegExp; max: number; says: string }> = {
  jwt: { re: JWT, max: MAX_TOKEN, says: 'a JWT (three base64url parts)' },
  'opaque-token': { re: OPAQUE, max: MAX_TOKEN, says: 'a token of base64/base64url characters' },
  'access-key-id': { re: ACCESS_KEY_ID, max: 128, says: 'an AWS access key id (16–128 letters and digits)' },
  'secret-access-key': { re: SECRET_ACCESS_KEY, max: 256, says: 'an AWS secret key (base64 characters)' },
  'session-token': { re: SESSION_TOKEN, max: MAX_TOKEN, says: 'an AWS session token (base64 or JWT characters)' },
};

export function hasShape(kind: CredentialKind, value: unknown): boolean {
  const rule = rules[kind];
  return typeof value === 'string' && value.length <= rule.max && rule.re.test(value);
}

/**
 * Returns `value` if it has the shape of `kind`; otherwise throws `code` (exit 5) naming the
 * server (`from`, e.g. "lakeFS at https://…") and the field, never the value.
 */
export function requireShape(kind: CredentialKind, value: string, from: string, field: string, code: ErrorCode): string {
  if (hasShape(kind, value)) return value;
  const rule = rules[kind];
  const why = value.length > rule.max ? `longer than ${rule.max} characters` : `not ${rule.says}`;
  throw new LakekeyError(code, `${from} sent a malformed ${field} (${why}); lakekey refused it and stored nothing`, {
    hint: 'A server that sends such a value is misconfigured or hostile: check that the endpoint is the right server, and tell its admin. Nothing was handed to your shell.',
  });
}
