// The cool-down rule after a failed renewal (renewal.ts): pure; the record it reads is the
// Context's \`failures\` port (ports.ts RenewalFailures, the files of renewal-failures.ts).
import type { RenewalFailure } from '../ports.js';

/**
 * Whether `now` falls in the cool-down after `failure`. A failure stamped after `now` (the clock
 * went back since it was written) starts no cool-down: lakekey tries again, and the next failure
 * is stamped on the clock as it now is.
 */
export function inCooldown(failure: RenewalFailure | undefined, now: number, cooldownMs: number): failure is RenewalFailure {
  if (!failure) return false;
  const since = now - failure.at;
  return since >= 0 && since < cooldownMs;
}
