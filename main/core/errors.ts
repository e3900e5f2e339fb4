// Errors with stable codes. Each class maps to one CLI exit code (DESIGN §3), and every
// message says what to do next. Messages never carry secret values: callers pass redacted
// text, and the `cause` is kept non-enumerable so printing an error never dumps a response.
// Text from outside (a server's answer, a library's error) enters a message only through
// outside() (text-gate.ts): redacted, one line, no control characters.
import { outside } from './text-gate.js';

export const ExitCode = {
  ok: 0,
  unexpected: 1,
  usage: 2,
  loginRequired: 3,
  keychain: 4,
  remote: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Every error code, once: the union below and the login broker's wire check both come from it. */
export const ERROR_CODES = [
  'USAGE',
  'CONFIG',
  'LOGIN_REQUIRED',
  'LOGIN_TIMEOUT',
  'LOGIN_ABORTED',
  'KEYCHAIN_UNAVAILABLE',
  'KEYCHAIN_LOCKED',
  'KEYCHAIN_BUSY',
  'IDP_UNREACHABLE',
  'IDP_REFUSED',
  'STS_UNREACHABLE',
  'STS_REFUSED',
  'LAKEFS_UNREACHABLE',
  'LAKEFS_REFUSED',
  'NOT_RENEWED',
  'FORBIDDEN',
  'LOCK_TIMEOUT',
  'INTERNAL',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && (ERROR_CODES as readonly string[]).includes(code);
}

const exitFor: Record<ErrorCode, ExitCode> = {
  USAGE: ExitCode.usage,
  CONFIG: ExitCode.usage,
  LOGIN_REQUIRED: ExitCode.loginRequired,
  LOGIN_TIMEOUT: ExitCode.loginRequired,
  LOGIN_ABORTED: ExitCode.loginRequired,
  KEYCHAIN_UNAVAILABLE: ExitCode.keychain,
  KEYCHAIN_LOCKED: ExitCode.keychain,
  KEYCHAIN_BUSY: ExitCode.keychain,
  IDP_UNREACHABLE: ExitCode.remote,
  IDP_REFUSED: ExitCode.remote,
  STS_UNREACHABLE: ExitCode.remote,
  STS_REFUSED: ExitCode.remote,
  LAKEFS_UNREACHABLE: ExitCode.remote,
  LAKEFS_REFUSED: ExitCode.remote,
  /** The tray could not renew yet: IdP or STS unreachable. */
  NOT_RENEWED: ExitCode.remote,
  /** The tray refused a request (wrong secret, wrong sender): a bug or a tampering attempt. */
  FORBIDDEN: ExitCode.unexpected,
  LOCK_TIMEOUT: ExitCode.unexpected,
  INTERNAL: ExitCode.unexpected,
};

export class LakekeyError extends Error {
  readonly code: ErrorCode;
  /** What the user should do next; printed after the message. */
  readonly hint: string | undefined;

  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message);
    this.name = 'LakekeyError';
    this.code = code;
    this.hint = options.hint;
    if (options.cause !== undefined) {
      Object.defineProperty(this, 'cause', { value: options.cause, enumerable: false, writable: true });
    }
  }

  get exitCode(): ExitCode {
    return exitFor[this.code];
  }
}

export function usageError(message: string, hint?: string): LakekeyError {
  return new LakekeyError('USAGE', message, { hint: hint ?? 'Run `lakekey --help` for usage.' });
}

export function configError(message: string, hint?: string): LakekeyError {
  return new LakekeyError('CONFIG', message, { hint });
}

/**
 * The one "no S3 settings" error; `so` says what could not be done ("so there is nothing to
 * serve"); `hint` replaces the fix (adding them) where the caller knows a better next step.
 */
export function noS3Settings(profile: string, so = '', hint?: string): LakekeyError {
  return configError(
    `profile "${profile}" has no S3 settings${so ? `, ${so}` : ''}`,
    hint ?? `Add them with \`lakekey profile set ${profile} --s3-sts-endpoint URL\` (MinIO, lakeFS) or \`--s3-role-arn ARN\` (AWS).`,
  );
}

/** The one "no lakeFS endpoint" error; `hint` replaces the fix (adding one) where the caller knows a better next step. */
export function noLakefsSettings(profile: string, hint?: string): LakekeyError {
  return configError(`profile "${profile}" has no lakeFS endpoint`, hint ?? `Add one with \`lakekey profile set ${profile} --lakefs-endpoint URL\`.`);
}

export function loginRequired(profile: string, why: string): LakekeyError {
  return new LakekeyError('LOGIN_REQUIRED', `${why}`, {
    hint: `Run \`lakekey login ${profile}\` in a terminal (or use the tray's Login), then retry.`,
  });
}

export function asLakekeyError(err: unknown): LakekeyError {
  if (err instanceof LakekeyError) return err;
  return new LakekeyError('INTERNAL', `unexpected error: ${outside(errorText(err))}`, {
    hint: 'Run with LAKEKEY_DEBUG=1 for details and report it if it persists.',
    cause: err,
  });
}

/** A short description of any thrown value, for wrapping. Callers redact it. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    // Bun's fetch ends its socket errors with advice for the programmer, never for our user.
    const message = err.message.replace(/\s*For more information, pass `verbose: true` in the second argument to fetch\(\)\.?/, '');
    return typeof code === 'string' && !message.includes(code) ? `${message} (${code})` : message;
  }
  return String(err);
}

/** How deep causeChain looks: far enough for every wrapper seen (fetch → undici → socket), and a cycle ends. */
const CAUSE_DEPTH = 6;

/**
 * An error and the errors it was caused by, outermost first: the one walker of a `cause` chain
 * (Node's fetch, undici, openid-client and our own LakekeyError all nest the real failure there).
 * Only objects are listed; the walk stops at CAUSE_DEPTH, so a chain that loops back ends.
 */
export function causeChain(err: unknown): object[] {
  const chain: object[] = [];
  for (let e = err; typeof e === 'object' && e !== null && chain.length < CAUSE_DEPTH; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

/** Network-level failure (refused, reset, DNS, timeout) as opposed to an HTTP answer. */
export function isNetworkError(err: unknown): boolean {
  return causeChain(err).some((e) => {
    const { code, name } = e as { code?: unknown; name?: unknown };
    if (
      typeof code === 'string' &&
      /^(ECONNREFUSED|ECONNRESET|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|UND_ERR_\w+|ConnectionRefused|ConnectionClosed|FailedToOpenSocket)$/.test(
        code,
      )
    )
      return true;
    if (name === 'TimeoutError' || name === 'AbortError') return true;
    return e instanceof TypeError && /fetch failed|terminated|other side closed/i.test(e.message);
  });
}
