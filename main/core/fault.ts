// Named points in a refresh where the crash-safety suite kills the process (kill -9 semantics)
// to prove that the next run recovers. Inert unless LAKEKEY_FAULT names the point.

export type FaultPoint =
  /** The IdP answered a refresh; the rotated refresh token is not stored yet. */
  | 'after-idp-grant'
  /** The rotated refresh token is stored; STS not called yet. */
  | 'after-refresh-stored'
  /** STS answered; the new S3 credentials are not stored yet. */
  | 'after-sts'
  /** Some chunks of a split keychain record are written; the head item is not. */
  | 'mid-keychain-write';

export function faultPoint(point: FaultPoint): void {
  if (process.env.LAKEKEY_FAULT === point) process.kill(process.pid, 'SIGKILL');
}
