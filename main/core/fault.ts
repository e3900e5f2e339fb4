// Named points in a refresh where the crash-safety suite kills the process (kill -9 semantics)
// to prove that the next run recovers. Inert unless composeCore armed one (LAKEKEY_FAULT names it).

export type FaultPoint =
  /** The IdP answered a refresh; the rotated refresh token is not stored yet. */
  | 'after-idp-grant'
  /** The rotated refresh token is stored; STS not called yet. */
  | 'after-refresh-stored'
  /** STS answered; the new S3 credentials are not stored yet. */
  | 'after-sts'
  /** Some chunks of a split keychain record are written; the head item is not. */
  | 'mid-keychain-write';

let armed: string | undefined;

/** Arms the named point for this process (composeCore, from LAKEKEY_FAULT); undefined disarms. */
export function armFault(point: string | undefined): void {
  armed = point;
}

export function faultPoint(point: FaultPoint): void {
  if (armed === point) process.kill(process.pid, 'SIGKILL');
}
