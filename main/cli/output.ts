// How the CLI ends: one line (plus a hint) on stderr for errors, the stable exit code, and
// stdout flushed before exit. Imported by the hot path, so it stays tiny.
import { asLakekeyError } from '../core/errors.js';
import { redact } from '../core/redact.js';

export function printError(err: unknown): number {
  const e = asLakekeyError(err);
  process.stderr.write(`lakekey: ${redact(e.message)}\n`);
  if (e.hint) process.stderr.write(`  ${redact(e.hint)}\n`);
  if (process.env.LAKEKEY_DEBUG && e.cause instanceof Error && e.cause.stack) {
    process.stderr.write(redact(e.cause.stack) + '\n');
  }
  return e.exitCode;
}

/** Exit once stdout and stderr have drained (a pipe may still hold our output). */
export function exit(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}
