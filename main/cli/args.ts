// Typed argument parsing, help pages and did-you-mean, all from the command table (spec.ts).
// node:util's parseArgs does the splitting; its error texts (an unclosed quote, "Unknown
// option") never reach the user: unknown flags and missing values are found here first and said
// in lakekey's words, with the closest known name.
import { parseArgs } from 'node:util';
import { usageError } from '../core/errors.js';
import { COMMANDS, GROUPS, subWords, topWords, usageLine, usageParts, type CommandSpec } from './spec.js';

/** What a command receives: its positionals and its flags, read by type. */
export class Args {
  constructor(
    readonly spec: CommandSpec,
    readonly positionals: string[],
    private readonly values: Record<string, string | boolean | string[] | undefined>,
    /** Words after `--` (exec's command). */
    readonly rest: string[] = [],
  ) {}

  string(flag: string): string | undefined {
    const v = this.values[this.known(flag, 'string')];
    return typeof v === 'string' ? v : undefined;
  }

  list(flag: string): string[] | undefined {
    const v = this.values[this.known(flag, 'string')];
    return Array.isArray(v) ? v : undefined;
  }

  flag(flag: string): boolean {
    return this.values[this.known(flag, 'boolean')] === true;
  }

  /** Whether the user passed the flag at all. */
  has(flag: string): boolean {
    return this.values[flag] !== undefined;
  }

  /** A whole number flag in [min, max], or undefined when absent; the error names the flag. */
  integer(flag: string, min: number, max: number): number | undefined {
    const v = this.string(flag);
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max)
      throw usageError(`--${flag} takes a whole number from ${min} to ${max}, not ${JSON.stringify(v)}`, this.hint());
    return Number(v);
  }

  hint(): string {
    const usage = usageLine(this.spec);
    return usage.length <= 100 ? `Usage: ${usage}` : `Run \`lakekey ${this.spec.name} --help\` for its flags.`;
  }

  private known(flag: string, type: 'string' | 'boolean'): string {
    // A typo in a command's code is a bug, not a user error: fail loudly in tests.
    if (!this.spec.flags.some((f) => f.name === flag && f.type === type)) throw new Error(`lakekey ${this.spec.name} has no ${type} flag --${flag}`);
    return flag;
  }
}

/** Whether the words ask for help (`-h`/`--help` before any `--`). */
export function wantsHelp(words: string[]): boolean {
  const end = words.indexOf('--');
  return (end === -1 ? words : words.slice(0, end)).some((w) => w === '--help' || w === '-h');
}

export function parseCommand(spec: CommandSpec, words: string[]): Args {
  let rest: string[] = [];
  if (spec.passthrough) {
    const dash = words.indexOf('--');
    if (dash === -1 || dash === words.length - 1) throw usageError(`expected: ${usageLine(spec)}`, `Example: ${spec.example}`);
    rest = words.slice(dash + 1);
    words = words.slice(0, dash);
  }
  const byName = new Map(spec.flags.map((f) => [f.name, f]));
  const hint = new Args(spec, [], {}).hint();
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === '--') break;
    if (!w.startsWith('-') || w === '-') continue;
    const name = w.replace(/^--?/, '').split('=')[0];
    const flag = w.startsWith('--') ? byName.get(name) : undefined;
    if (!flag) {
      const near = closest(
        name,
        spec.flags.map((f) => f.name),
      );
      throw usageError(`unknown flag "${w.split('=')[0]}" for \`lakekey ${spec.name}\`${near ? `; did you mean "--${near}"?` : ''}`, hint);
    }
    if (flag.type === 'string' && !w.includes('=')) {
      if (i + 1 >= words.length) throw usageError(`--${flag.name} needs a value (${flag.value ?? 'VALUE'})`, hint);
      i++; // the value, whatever it looks like ("--client-secret -")
    }
    if (flag.type === 'boolean' && w.includes('=')) throw usageError(`--${flag.name} takes no value`, hint);
  }
  const options = Object.fromEntries(spec.flags.map((f) => [f.name, { type: f.type, ...(f.multiple ? { multiple: true } : {}) }]));
  let parsed;
  try {
    parsed = parseArgs({ args: words, options, allowPositionals: true, strict: true, allowNegative: false });
  } catch (err) {
    // Left for parseArgs: a value that looks like a flag ("--issuer --client-id").
    throw usageError(((err as Error).message.split('.')[0] ?? 'bad arguments').replace(/'/g, '"'), hint);
  }
  const { positionals, values } = parsed;
  if (positionals.length < spec.min)
    throw usageError(
      `\`lakekey ${spec.name}\` needs ${spec.args
        .slice(positionals.length)
        .filter((a) => !a.startsWith('['))
        .join(' ')}`,
      hint,
    );
  if (positionals.length > spec.max) throw usageError(`unexpected argument "${positionals[spec.max]}" for \`lakekey ${spec.name}\``, hint);
  for (const f of spec.flags) {
    if (f.type === 'string' && f.choices && typeof values[f.name] === 'string' && !f.choices.includes(values[f.name] as string)) {
      throw usageError(`--${f.name} takes ${f.choices.join(', ')}, not ${JSON.stringify(values[f.name])}`, hint);
    }
  }
  return new Args(spec, positionals, values as Record<string, string | boolean | string[] | undefined>, rest);
}

/** The closest known word within a small edit distance, for "did you mean". */
export function closest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = k.startsWith(word) && word.length >= 2 ? 1 : distance(word, k);
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(1, Math.floor(word.length / 3)) + 1 && bestDistance < word.length ? best : undefined;
}

/** Damerau–Levenshtein distance (adjacent swaps count one: "lgoin" → "login"). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0][j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

export function unknownCommand(word: string, group?: string): Error {
  const known = group ? subWords(group) : topWords();
  const near = closest(word, known);
  const what = group ? `unknown command "${group} ${word}"` : `unknown command "${word}"`;
  return usageError(`${what}${near ? `; did you mean "${group ? `${group} ` : ''}${near}"?` : ''}`, 'Run `lakekey help` for the list of commands.');
}

// ---- help ------------------------------------------------------------------------------------

const WIDTH = 100;

/** Words (or `parts`) wrapped to the page, each continuation line indented. */
function wrap(text: string | string[], indent: number, first = indent): string {
  const out: string[] = [];
  let line = ' '.repeat(first);
  for (const word of typeof text === 'string' ? text.split(' ') : text) {
    if (line.trim() && line.length + 1 + word.length > WIDTH) {
      out.push(line);
      line = ' '.repeat(indent) + word;
    } else line += (line.trim() ? ' ' : '') + word;
  }
  out.push(line);
  return out.join('\n');
}

export function commandHelp(c: CommandSpec): string {
  const flagWords = (f: (typeof c.flags)[number]) => `--${f.name}${f.type === 'string' ? ` ${f.value ?? 'VALUE'}` : ''}`;
  const rows: Array<[string, string]> = [
    ...c.flags.map((f): [string, string] => [flagWords(f), f.help + (f.required ? ' (required)' : '')]),
    ['-h, --help', 'show this help'],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  const lines = [`lakekey ${c.name} — ${c.summary}`, '', 'Usage:', wrap(usageParts(c), 10, 2), ...(c.alsoUsage ?? []).map((u) => `  ${u}`)];
  if (c.details) lines.push('', wrap(c.details, 0));
  lines.push('', 'Flags:', ...rows.map(([k, v]) => `  ${k.padEnd(width)}${wrap(v, width + 2).slice(width + 2)}`));
  lines.push('', 'Example:', `  ${c.example}`);
  return lines.join('\n');
}

export function groupHelp(group: string): string {
  const subs = COMMANDS.filter((c) => c.name.startsWith(`${group} `));
  const width = Math.max(...subs.map((c) => c.name.length)) + 2;
  return [
    `lakekey ${group} — ${GROUPS[group]}`,
    '',
    'Commands:',
    ...subs.map((c) => `  ${c.name.padEnd(width)}${c.summary}`),
    '',
    `Run \`lakekey ${group} COMMAND --help\` for a command's flags.`,
  ].join('\n');
}

export const ENVIRONMENT = [
  'LAKEKEY_CONFIG_DIR (settings folder), LAKEKEY_BROWSER (browser command),',
  'AWS_CONFIG_FILE (for configure-aws), LAKEKEY_HTTP_TIMEOUT_SECONDS (default 10),',
  'LAKEKEY_KEYCHAIN=os|kernel (where secrets are kept; see `lakekey keychain`),',
  'LAKEKEY_DEBUG=1 (redacted debug log on stderr).',
];

export const EXIT_CODES = [
  '0 ok, 1 unexpected, 2 usage or configuration, 3 login required,',
  '4 keychain unavailable or locked, 5 identity provider, STS or lakeFS refused or unreachable.',
];

/** `lakekey help`: every command's usage line, then the environment and exit codes. */
export function overview(): string {
  return [
    'lakekey — short-lived lakeFS and S3 credentials from your identity provider',
    '',
    'Usage:',
    ...COMMANDS.map((c) => [wrap(usageParts(c), 10, 2), ...(c.alsoUsage ?? []).map((u) => `  ${u}`)].join('\n')),
    '',
    'Run `lakekey help COMMAND` (or `lakekey COMMAND --help`) for what a command does, its flags and an example.',
    '',
    'Environment:',
    ...ENVIRONMENT.map((l) => `  ${l}`),
    'Exit codes:',
    ...EXIT_CODES.map((l) => `  ${l}`),
  ].join('\n');
}
