// What the commands print: data on stdout (print), aligned tables, and secrets read from stdin.
import { stripControls } from '../core/text-gate.js';
import { streamOut } from './output.js';

/** Standard output: what was asked for (a token, an env file, JSON), with controls replaced and the program's newlines kept. */
export function print(text: string): void {
  streamOut(stripControls(text, true) + '\n');
}

export function printJson(value: unknown): void {
  print(JSON.stringify(value, null, 2));
}

export function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

/** All of standard input, for secrets passed as `-` (never on the command line, where others can read them). */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
