// How the CLI ends: one line (plus a hint) on stderr for errors, the stable exit code, and
// stdout flushed before exit. Imported by the hot path, so it stays tiny. Everything the CLI
// writes to stderr goes through say(), the output gate (text-gate.ts).
import { asLakekeyError } from '../core/errors.js';
import { redact } from '../core/redact.js';
import { gate } from '../core/text-gate.js';

export function printError(err: unknown): number {
  const e = asLakekeyError(err);
  say(`lakekey: ${e.message}\n`);
  if (e.hint) say(`  ${e.hint}\n`);
  if (process.env.LAKEKEY_DEBUG && e.cause instanceof Error && e.cause.stack) {
    say(redact(e.cause.stack) + '\n');
  }
  return e.exitCode;
}

/** Writes to stderr through the output gate: secrets masked, control characters replaced, the program's own newlines kept. */
export function say(text: string): void {
  process.stderr.write(gate(text));
}

/** A warning that does not stop the command (a setting adjusted on read): one line on stderr. */
export function warn(line: string): void {
  say(`lakekey: warning: ${line}\n`);
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
