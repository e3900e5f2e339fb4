// A redacting logger. It logs steps and outcomes, never values. Each field value is redacted
// and encoded (JSON-quoted unless it is plain), and the whole line passes the output gate
// before it reaches stderr (LAKEKEY_DEBUG=1) or the log file: one event is always one line.
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { redact } from './redact.js';
import { gateLine } from './text-gate.js';
import type { Logger } from './ports.js';

const MAX_LOG_BYTES = 1024 * 1024;

export function format(level: string, step: string, fields?: Record<string, unknown>): string {
  const parts = [new Date().toISOString(), level, step];
  for (const [k, v] of Object.entries(fields ?? {})) {
    if (v === undefined) continue;
    parts.push(`${k}=${encodeField(v)}`);
  }
  return gateLine(parts.join(' '));
}

/** A field value as one token: plain text as is, anything else JSON-quoted (newlines become `\n`). */
export function encodeField(value: unknown): string {
  const text = redact(typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value)));
  return typeof value === 'string' && !/^[\w.:/@+,=~%[\]-]*$/.test(text) ? JSON.stringify(text) : text;
}

/** Logs to `<dir>/lakekey.log` (rotated at 1 MiB, owner-only) and to stderr when debugging. */
export function createLogger(opts: { dir?: string; debug?: boolean; stderr?: (line: string) => void }): Logger {
  const file = opts.dir ? join(opts.dir, 'lakekey.log') : undefined;
  const toStderr = opts.stderr ?? ((line: string) => process.stderr.write(line + '\n'));
  const write = (level: string, step: string, fields?: Record<string, unknown>) => {
    const line = format(level, step, fields);
    if (opts.debug) toStderr(line);
    if (!file || level === 'debug') return;
    try {
      mkdirSync(opts.dir!, { recursive: true, mode: 0o700 });
      try {
        if (statSync(file).size > MAX_LOG_BYTES) renameSync(file, file + '.1');
      } catch {
        /* no log yet */
      }
      appendFileSync(file, line + '\n', { mode: 0o600 });
    } catch {
      /* logging must never break a credential request */
    }
  };
  return {
    debug: (s, f) => write('debug', s, f),
    info: (s, f) => write('info', s, f),
    warn: (s, f) => write('warn', s, f),
  };
}

export const silentLogger: Logger = { debug() {}, info() {}, warn() {} };
