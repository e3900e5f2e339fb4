// Editing the AWS shared config file: add or update only our profile's `credential_process`
// (and region, if the section has none), keeping every other line, comment and profile as it
// was. Pure text functions plus one atomic file write with a one-time backup.
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { configError } from './errors.js';

export function awsConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config');
}

/**
 * The command line for `credential_process`: every word double-quoted, absolute paths only,
 * no `~` and no variables, so botocore (POSIX and Windows splitting) and the JS SDK (a shell)
 * all read it the same way.
 */
export function credentialProcessCommand(argv: string[]): string {
  return argv
    .map((a) => {
      // Neither botocore's splitting nor a shell agree on escapes, so refuse what needs one.
      if (/["$`%\n]/.test(a)) {
        throw configError(`cannot write a credential_process line for the path ${JSON.stringify(a)}`, 'Install lakekey in a folder whose path has no quote, $, ` or % characters.');
      }
      return /^[\w@+=:,.-]+$/.test(a) ? a : `"${a}"`;
    })
    .join(' ');
}

/**
 * The AWS config file as botocore reads it: Python's configparser (RawConfigParser: `=` or `:`
 * delimiters, case-insensitive keys, `#`/`;` comment lines, a more-indented line continues the
 * value above it, a header is `[` … last `]` of a line) and botocore's profile naming
 * (`[default]`, or `[profile NAME]` split shell-style so `[profile "a b"]` is "a b").
 */
interface Entry {
  key: string;
  /** First line of the entry and one past its last continuation line. */
  start: number;
  end: number;
  indent: string;
}

interface Section {
  header: string;
  start: number;
  /** One past the section's last line (the next header, or the end of the file). */
  end: number;
  entries: Entry[];
}

function parseSections(lines: string[]): Section[] {
  const sections: Section[] = [];
  let current: Section | undefined;
  let entry: Entry | undefined;
  let indentLevel = 0;
  lines.forEach((line, i) => {
    const value = line.trim();
    if (value === '' || value.startsWith('#') || value.startsWith(';')) return;
    const indent = line.length - line.trimStart().length;
    if (current && entry && indent > indentLevel) {
      entry.end = i + 1;
      return;
    }
    indentLevel = indent;
    const header = /^\[(.+)\]/.exec(value);
    if (header) {
      if (current) current.end = i;
      current = { header: header[1], start: i, end: lines.length, entries: [] };
      sections.push(current);
      entry = undefined;
      return;
    }
    const option = /^(.*?)\s*[=:]/.exec(value);
    entry = current && option ? { key: option[1].trimEnd().toLowerCase(), start: i, end: i + 1, indent: line.slice(0, indent) } : undefined;
    if (entry) current!.entries.push(entry);
  });
  return sections;
}

/** The profile a section header names for botocore, if any. */
export function profileOfHeader(header: string): string | undefined {
  if (header === 'default') return 'default';
  if (!header.startsWith('profile')) return undefined;
  const parts = shellSplit(header);
  return parts?.length === 2 ? parts[1] : undefined;
}

/** Python's shlex.split (POSIX mode, no comments); undefined where it would raise. */
function shellSplit(text: string): string[] | undefined {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "'" || c === '"') {
      const close = c === "'" ? text.indexOf("'", i + 1) : findDoubleQuoteEnd(text, i + 1);
      if (close === -1) return undefined;
      const inner = text.slice(i + 1, close);
      word += c === '"' ? inner.replace(/\\(["\\$`])/g, '$1') : inner;
      inWord = true;
      i = close;
    } else if (c === '\\') {
      if (i + 1 >= text.length) return undefined;
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) words.push(word);
  return words;
}

function findDoubleQuoteEnd(text: string, from: number): number {
  for (let i = from; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function headerFor(awsProfile: string): string {
  return awsProfile === 'default' ? 'default' : `profile ${awsProfile}`;
}

export interface Setting {
  key: string;
  value: string;
  /** Only add it when the section has no such key; never overwrite the user's value. */
  onlyIfMissing?: boolean;
}

/** Returns the new text of the config file with the profile's settings applied. */
export function applyProfileSettings(text: string, awsProfile: string, settings: Setting[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  // botocore lets a later section for the same profile win: edit the one it reads.
  const section = parseSections(lines).filter((sec) => profileOfHeader(sec.header) === awsProfile).pop();
  if (!section) {
    const block = [`[${headerFor(awsProfile)}]`, ...settings.map((s) => `${s.key} = ${s.value}`)];
    const sep = lines.length && lines[lines.length - 1].trim() !== '' ? [''] : [];
    return [...lines, ...sep, ...block].join(eol) + eol;
  }
  // Edits as [start, end, replacement lines], applied bottom-up so indices stay valid.
  const edits: Array<[number, number, string[]]> = [];
  const additions: string[] = [];
  for (const s of settings) {
    const found = section.entries.filter((e) => e.key === s.key.toLowerCase());
    if (!found.length) {
      additions.push(`${s.key} = ${s.value}`);
      continue;
    }
    if (s.onlyIfMissing) continue;
    // Ours replaces the first (with its continuation lines); later duplicates go, as configparser refuses them.
    edits.push([found[0].start, found[0].end, [`${found[0].indent}${s.key} = ${s.value}`]]);
    for (const dup of found.slice(1)) edits.push([dup.start, dup.end, []]);
  }
  if (additions.length) {
    // After the section's last non-blank line, so blank lines between sections stay put.
    let at = section.end;
    while (at > section.start + 1 && lines[at - 1].trim() === '') at--;
    edits.push([at, at, additions]);
  }
  edits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  for (const [start, end, replacement] of edits) lines.splice(start, end - start, ...replacement);
  return lines.join(eol) + eol;
}

/** Reads a key of a profile section as botocore would (for doctor and tests). */
export function readProfileSetting(text: string, awsProfile: string, key: string): string | undefined {
  const lines = text.split(/\r?\n/);
  const section = parseSections(lines).filter((sec) => profileOfHeader(sec.header) === awsProfile).pop();
  const entry = section?.entries.find((e) => e.key === key.toLowerCase());
  return entry ? lines[entry.start].trim().replace(/^.*?\s*[=:]\s*/, '') : undefined;
}

export interface ConfigureResult {
  file: string;
  changed: boolean;
  backup?: string;
  before: string;
  after: string;
}

/** Applies the settings to the file; backs it up before the first change ever made to it. */
export function configureAwsProfile(file: string, awsProfile: string, settings: Setting[], opts: { dryRun?: boolean } = {}): ConfigureResult {
  const before = readConfig(file);
  const after = applyProfileSettings(before, awsProfile, settings);
  const result: ConfigureResult = { file, changed: after !== before, before, after };
  if (!result.changed || opts.dryRun) return result;
  result.backup = writeConfig(file, before, after);
  return result;
}

/**
 * The AWS profiles in `text` that are lakekey's for lakekey profile `name`: their
 * credential_process runs a `lakekey` program (lakekey, lakekey.js, lakekey.exe) with
 * `credential-process NAME`. Nothing else is ever ours to remove.
 */
export function lakekeyAwsProfiles(text: string, name: string): string[] {
  const lines = text.split(/\r?\n/);
  const found: string[] = [];
  for (const sec of parseSections(lines)) {
    const awsProfile = profileOfHeader(sec.header);
    const entry = sec.entries.find((e) => e.key === 'credential_process');
    if (awsProfile === undefined || !entry) continue;
    const words = shellSplit(lines[entry.start].trim().replace(/^.*?\s*[=:]\s*/, '')) ?? [];
    const program = words.slice(0, -2).some((w) => /^lakekey(\.js|\.exe)?$/i.test(w.split(/[\\/]/).pop() ?? ''));
    if (program && words.at(-2) === 'credential-process' && words.at(-1) === name && !found.includes(awsProfile)) found.push(awsProfile);
  }
  return found;
}

/** The text without the sections of `awsProfiles` (the comment and blank lines around them stay). */
export function removeProfileSections(text: string, awsProfiles: string[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const doomed = parseSections(lines).filter((sec) => awsProfiles.includes(profileOfHeader(sec.header) ?? '\0'));
  for (const sec of doomed.reverse()) {
    // The header and its entries; a comment or blank line after the last entry belongs to what follows.
    let end = Math.max(sec.start + 1, ...sec.entries.map((e) => e.end));
    // One blank line that separated this section from the next goes with it.
    if (lines[end]?.trim() === '' && (sec.start === 0 || lines[sec.start - 1].trim() === '')) end++;
    lines.splice(sec.start, end - sec.start);
  }
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  return lines.length ? lines.join(eol) + eol : '';
}

export interface RemoveResult {
  file: string;
  removed: string[];
  backup?: string;
}

/** Removes the AWS profiles configure-aws wired to lakekey profile `name` (see lakekeyAwsProfiles). */
export function removeLakekeyAwsProfiles(file: string, name: string): RemoveResult {
  const before = readConfig(file);
  const removed = lakekeyAwsProfiles(before, name);
  if (!removed.length) return { file, removed };
  return { file, removed, backup: writeConfig(file, before, removeProfileSections(before, removed)) };
}

/** The AWS config file's text ('' when there is none yet); a folder or an unreadable file is the user's to fix. */
function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    if (code === 'EISDIR') throw configError(`the AWS config file ${file} is a folder`, `Move the folder aside (the AWS CLI needs a file there), or point AWS_CONFIG_FILE at a file.`);
    throw configError(`cannot read the AWS config file ${file} (${code ?? (err as Error).message})`, `Check its permissions: \`ls -l ${file}\`; it should be yours and readable.`);
  }
}

/**
 * Writes `after` atomically (a temp file renamed over it), keeping the file's mode, after a
 * one-time backup of `before`. A file the user made read-only is left alone: lakekey says so
 * rather than replace it. Returns the backup's path when one was made now.
 */
function writeConfig(file: string, before: string, after: string): string | undefined {
  const existing = existsSync(file) ? statSync(file) : undefined;
  if (existing && (existing.mode & 0o200) === 0) {
    throw configError(`the AWS config file ${file} is read-only, so lakekey leaves it as it is`, `Make it writable (\`chmod u+w ${file}\`) and run the command again, or set AWS_CONFIG_FILE to another file.`);
  }
  const where = dirname(file);
  let backup: string | undefined;
  try {
    mkdirSync(where, { recursive: true, mode: 0o700 });
    if (before !== '' && !existsSync(`${file}.lakekey-backup`)) {
      copyFileSync(file, `${file}.lakekey-backup`);
      backup = `${file}.lakekey-backup`;
    }
    const tmp = `${file}.lakekey-${process.pid}.tmp`;
    writeFileSync(tmp, after, { mode: existing ? existing.mode & 0o777 : 0o600 });
    renameSync(tmp, file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const path = (err as NodeJS.ErrnoException).path ?? where;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw configError(`cannot write the AWS config file ${file}: ${path} is not writable (${code})`, `Check the folder's owner and permissions (\`ls -ld ${where}\`; it should be yours), or set AWS_CONFIG_FILE to a file you can write.`);
    }
    if (code === 'ENOTDIR' || code === 'EEXIST') {
      throw configError(`cannot write the AWS config file ${file}: a part of ${where} is a file, not a folder`, 'Move that file aside, or set AWS_CONFIG_FILE to another path.');
    }
    throw err;
  }
  return backup;
}

/** Splits text into lines that keep their '\n' (the last one may lack it). */
function linesOf(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * A unified diff of `before` → `after` for --dry-run: one hunk over the changed region with up to
 * `context` unchanged lines on each side, counted in the `@@` header as `patch` and `git apply`
 * expect, and the "\ No newline at end of file" marker where a file ends without one. The last
 * line has no '\n': the caller prints it as a line.
 */
export function unifiedDiff(before: string, after: string, file: string, context = 3): string {
  const a = linesOf(before);
  const b = linesOf(after);
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const from = Math.max(0, start - context);
  const trailing = Math.min(context, a.length - endA);
  const oldCount = endA + trailing - from;
  const newCount = endB + trailing - from;
  const range = (first: number, count: number) => `${count === 0 ? first : first + 1},${count}`;
  const out = [`--- ${file}`, `+++ ${file}`, `@@ -${range(from, oldCount)} +${range(from, newCount)} @@`];
  const push = (prefix: string, line: string) => {
    out.push(prefix + line.replace(/\n$/, ''));
    if (!line.endsWith('\n')) out.push('\\ No newline at end of file');
  };
  for (const l of a.slice(from, start)) push(' ', l);
  for (const l of a.slice(start, endA)) push('-', l);
  for (const l of b.slice(start, endB)) push('+', l);
  for (const l of a.slice(endA, endA + trailing)) push(' ', l);
  return out.join('\n');
}
