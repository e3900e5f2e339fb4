// How the CLI ends: one line (plus a hint) on stderr for errors, the stable exit code, and what
// was written flushed before exit. Imported by the hot path, so it stays tiny. Everything the CLI
// writes goes through here (lint-enforced): stderr through say(), the output gate (text-gate.ts).
//
// Bun creates process.stdout and process.stderr when first touched, about a millisecond each: a
// credential_process cache hit writes its one line with writeOut() and touches neither stream.
import { writeSync } from 'node:fs';
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

/** The streams this process has written through (only those are flushed at exit). */
const used = { stdout: false, stderr: false };

/** Writes to stderr through the output gate: secrets masked, control characters replaced, the program's own newlines kept. */
export function say(text: string): void {
  writeErr(gate(text));
}

/** Raw stderr (a spinner's carriage returns): the caller has gated the text. */
export function writeErr(text: string): void {
  used.stderr = true;
  process.stderr.write(text);
}

/**
 * A whole answer on stdout (credential_process JSON): straight to fd 1 while nothing else was
 * written there, so the stream is never created; what fd 1 cannot take at once (a full,
 * non-blocking pipe) goes through the stream, which queues it.
 */
export function writeOut(text: string): void {
  let rest: Uint8Array = Buffer.from(text);
  if (!used.stdout) {
    try {
      rest = rest.subarray(writeSync(1, rest));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
  if (rest.length) streamOut(rest);
}

/**
 * Whether stderr is a terminal (a person may be watching), asked without creating the stream;
 * node:tty is loaded only here (under bun its import alone takes milliseconds).
 */
export function stderrIsTerminal(): boolean {
  const tty = (process as unknown as { getBuiltinModule(id: 'node:tty'): typeof import('node:tty') }).getBuiltinModule('node:tty');
  return tty.isatty(2);
}

/** Data on stdout through the stream (it queues what a full pipe cannot take yet). */
export function streamOut(text: string | Uint8Array): void {
  used.stdout = true;
  process.stdout.write(text);
}

/** A warning that does not stop the command (a setting adjusted on read): one line on stderr. */
export function warn(line: string): void {
  say(`lakekey: warning: ${line}\n`);
}

/**
 * Exit once the streams written through have drained (a pipe may still hold our output). The
 * debug log writes to stderr by itself (core's logger), so with LAKEKEY_DEBUG stderr always counts.
 */
export function exit(code: number): void {
  const streams: NodeJS.WriteStream[] = [];
  if (used.stdout) streams.push(process.stdout);
  if (used.stderr || process.env.LAKEKEY_DEBUG) streams.push(process.stderr);
  let pending = streams.length;
  if (!pending) process.exit(code);
  for (const s of streams) s.write('', () => --pending === 0 && process.exit(code));
}
