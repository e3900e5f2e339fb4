// Editing the AWS shared config file: add or update only our profile's `credential_process`
// (and region, if the section has none), keeping every other line, comment and profile as it
// was, and noting in a comment which keys are lakekey's so that removing them later leaves the
// user's own. Pure text functions plus one locked, atomic file write with a one-time backup.
// The file's folder may be shared with other users (AWS_CONFIG_FILE anywhere): nothing lakekey
// creates there follows or replaces what someone else put at its name.
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  fchmodSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { configError, LakekeyError } from '../errors.js';
import { acquireLockFile } from '../lock.js';
import { shellSplit } from './shlex.js';

export function awsConfigPath(env: NodeJS.ProcessEnv): string {
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
        throw configError(
          `cannot write a credential_process line for the path ${JSON.stringify(a)}`,
          'Install lakekey in a folder whose path has no quote, $, ` or % characters.',
        );
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

function headerFor(awsProfile: string): string {
  return awsProfile === 'default' ? 'default' : `profile ${awsProfile}`;
}

export interface Setting {
  key: string;
  value: string;
  /** Only add it when the section has no such key; never overwrite the user's value. */
  onlyIfMissing?: boolean;
}

/**
 * The comment configure-aws keeps in its section, naming the keys lakekey wrote there: a
 * section is often the user's too (their region, or a role_arn added later), and only this says
 * which lines `profile remove` may take out. Comments are invisible to botocore.
 */
const MARKER = /^[#;]\s*keys written by lakekey\b[^:]*:(.*)$/i;

export function markerLine(keys: string[]): string {
  return `# keys written by lakekey (\`lakekey profile remove\` takes them out): ${keys.join(', ')}`;
}

/** The marker lines of a section and the keys they name. */
function markersOf(lines: string[], section: Section): { at: number[]; keys: Set<string> } {
  const at: number[] = [];
  const keys = new Set<string>();
  for (let i = section.start + 1; i < section.end; i++) {
    const m = MARKER.exec(lines[i].trim());
    // One inside a value's continuation lines goes with that value; it is not one to edit.
    if (!m || section.entries.some((e) => i > e.start && i < e.end)) continue;
    at.push(i);
    for (const k of m[1].toLowerCase().match(/[\w-]+/g) ?? []) keys.add(k);
  }
  return { at, keys };
}

/** Returns the new text of the config file with the profile's settings applied. */
export function applyProfileSettings(text: string, awsProfile: string, settings: Setting[]): string {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  // botocore lets a later section for the same profile win: edit the one it reads.
  const section = parseSections(lines)
    .filter((sec) => profileOfHeader(sec.header) === awsProfile)
    .pop();
  if (!section) {
    const block = [`[${headerFor(awsProfile)}]`, markerLine(settings.map((s) => s.key.toLowerCase())), ...settings.map((s) => `${s.key} = ${s.value}`)];
    const sep = lines.length && lines[lines.length - 1].trim() !== '' ? [''] : [];
    return [...lines, ...sep, ...block].join(eol) + eol;
  }
  // Edits as [start, end, replacement lines], applied bottom-up so indices stay valid.
  const edits: Array<[number, number, string[]]> = [];
  const additions: string[] = [];
  const written = new Set<string>();
  for (const s of settings) {
    const found = section.entries.filter((e) => e.key === s.key.toLowerCase());
    if (!found.length) {
      additions.push(`${s.key} = ${s.value}`);
      written.add(s.key.toLowerCase());
      continue;
    }
    if (s.onlyIfMissing) continue;
    written.add(s.key.toLowerCase());
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
  // Ours: what was written now, and what an earlier run wrote that is still there (a region
  // lakekey added stays lakekey's even though this run leaves it alone).
  const markers = markersOf(lines, section);
  const present = new Set(section.entries.map((e) => e.key));
  const order = settings.map((s) => s.key.toLowerCase());
  const ours = [...new Set([...order, ...[...markers.keys].sort()])].filter((k) => written.has(k) || (markers.keys.has(k) && present.has(k)));
  // Pushed last: at the same line as an addition (a header-only section) it lands above it.
  if (markers.at.length) {
    edits.push([markers.at[0], markers.at[0] + 1, [markerLine(ours)]]);
    for (const extra of markers.at.slice(1)) edits.push([extra, extra + 1, []]);
  } else edits.push([section.start + 1, section.start + 1, [markerLine(ours)]]);
  edits.sort((a, b) => b[0] - a[0] || b[1] - a[1]);
  for (const [start, end, replacement] of edits) lines.splice(start, end - start, ...replacement);
  return lines.join(eol) + eol;
}

/** Reads a key of a profile section as botocore would (for doctor and tests). */
export function readProfileSetting(text: string, awsProfile: string, key: string): string | undefined {
  const lines = text.split(/\r?\n/);
  const section = parseSections(lines)
    .filter((sec) => profileOfHeader(sec.header) === awsProfile)
    .pop();
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

/**
 * Applies the settings to the file; backs it up before the first change ever made to it. Read,
 * edit and write happen under the file's lock, so lakekey processes writing at once (two
 * configure-aws, or one with a profile remove) each start from the other's result.
 */
export async function configureAwsProfile(file: string, awsProfile: string, settings: Setting[], opts: { dryRun?: boolean } = {}): Promise<ConfigureResult> {
  const edit = (): ConfigureResult => {
    const before = readConfig(file);
    const after = applyProfileSettings(before, awsProfile, settings);
    return { file, changed: after !== before, before, after };
  };
  if (opts.dryRun) return edit();
  return withConfigLock(file, () => {
    const result = edit();
    if (result.changed) result.backup = writeConfig(file, result.before, result.after);
    return result;
  });
}

/** Whether a section's credential_process entry runs a `lakekey` program (lakekey, lakekey.js, lakekey.exe) with `credential-process NAME`. */
function runsLakekey(lines: string[], entry: Entry, name: string): boolean {
  const words = shellSplit(lines[entry.start].trim().replace(/^.*?\s*[=:]\s*/, '')) ?? [];
  const program = words.slice(0, -2).some((w) => /^lakekey(\.js|\.exe)?$/i.test(w.split(/[\\/]/).pop() ?? ''));
  return program && words.at(-2) === 'credential-process' && words.at(-1) === name;
}

/** The sections configure-aws wired to lakekey profile `name`, by their credential_process. Nothing else is ever ours to remove. */
function lakekeySections(lines: string[], name: string): Array<{ sec: Section; awsProfile: string }> {
  return parseSections(lines).flatMap((sec) => {
    const awsProfile = profileOfHeader(sec.header);
    const entry = sec.entries.find((e) => e.key === 'credential_process');
    return awsProfile !== undefined && entry && runsLakekey(lines, entry, name) ? [{ sec, awsProfile }] : [];
  });
}

/** The AWS profiles in `text` that are lakekey's for lakekey profile `name` (see lakekeySections). */
export function lakekeyAwsProfiles(text: string, name: string): string[] {
  return [...new Set(lakekeySections(text.split(/\r?\n/), name).map((s) => s.awsProfile))];
}

/** What configure-aws wrote before it kept a marker; region and endpoint_url may be the user's. */
const LEGACY_KEYS = new Set(['credential_process', 'region', 'endpoint_url']);

export interface Removal {
  text: string;
  /** AWS profiles whose section went whole: nothing of the user's was in it. */
  removed: string[];
  /** AWS profiles whose section stays with the user's own keys, without lakekey's. */
  trimmed: string[];
}

/**
 * The text without what configure-aws wrote for lakekey profile `name`. In each section whose
 * credential_process is lakekey's for it, the keys its marker names (and credential_process)
 * go; the user's own keys and comments stay. A section with no key of the user's left goes
 * whole (the comment and blank lines around it stay, but for one blank line that separated it).
 * A section written before the marker existed loses only credential_process, unless region and
 * endpoint_url are all there is beside it: whose those are cannot be told, so they are kept.
 */
export function removeLakekeyKeys(text: string, name: string): Removal {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const removed: string[] = [];
  const trimmed: string[] = [];
  const cuts: Array<[number, number]> = [];
  for (const { sec, awsProfile } of lakekeySections(lines, name)) {
    const markers = markersOf(lines, sec);
    const legacyWhole = !markers.at.length && sec.entries.every((e) => LEGACY_KEYS.has(e.key));
    const ours = markers.at.length ? new Set([...markers.keys, 'credential_process']) : legacyWhole ? LEGACY_KEYS : new Set(['credential_process']);
    if (sec.entries.every((e) => ours.has(e.key))) {
      // The header and its entries; a comment or blank line after the last entry belongs to what follows.
      let end = Math.max(sec.start + 1, ...sec.entries.map((e) => e.end));
      // One blank line that separated this section from the next goes with it.
      if (lines[end]?.trim() === '' && (sec.start === 0 || lines[sec.start - 1].trim() === '')) end++;
      cuts.push([sec.start, end], ...markers.at.filter((m) => m >= end).map((m): [number, number] => [m, m + 1]));
      if (!removed.includes(awsProfile)) removed.push(awsProfile);
    } else {
      cuts.push(
        ...sec.entries.filter((e) => ours.has(e.key)).map((e): [number, number] => [e.start, e.end]),
        ...markers.at.map((m): [number, number] => [m, m + 1]),
      );
      if (!trimmed.includes(awsProfile)) trimmed.push(awsProfile);
    }
  }
  if (!cuts.length) return { text, removed, trimmed };
  cuts.sort((a, b) => b[0] - a[0]);
  for (const [start, end] of cuts) lines.splice(start, end - start);
  while (lines.length && lines.at(-1)!.trim() === '') lines.pop();
  return { text: lines.length ? lines.join(eol) + eol : '', removed, trimmed };
}

export interface RemoveResult {
  file: string;
  removed: string[];
  trimmed: string[];
  backup?: string;
}

/** Removes what configure-aws wrote for lakekey profile `name` (see removeLakekeyKeys), under the file's lock. */
export async function removeLakekeyAwsProfiles(file: string, name: string): Promise<RemoveResult> {
  // Most profiles were never wired: look before taking the lock (which creates the folder).
  if (!lakekeyAwsProfiles(readConfig(file), name).length) return { file, removed: [], trimmed: [] };
  return withConfigLock(file, () => {
    const before = readConfig(file);
    const { text, removed, trimmed } = removeLakekeyKeys(before, name);
    return { file, removed, trimmed, ...(text !== before ? { backup: writeConfig(file, before, text) } : {}) };
  });
}

/** The AWS config file's text ('' when there is none yet); a folder or an unreadable file is the user's to fix. */
function readConfig(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return '';
    if (code === 'EISDIR')
      throw configError(
        `the AWS config file ${file} is a folder`,
        `Move the folder aside (the AWS CLI needs a file there), or point AWS_CONFIG_FILE at a file.`,
      );
    throw configError(
      `cannot read the AWS config file ${file} (${code ?? (err as Error).message})`,
      `Check its permissions: \`ls -l ${file}\`; it should be yours and readable.`,
    );
  }
}

/** The lock every lakekey writer of the AWS config file holds, beside it. */
export function awsConfigLockPath(file: string): string {
  return `${file}.lakekey-lock`;
}

/** Runs `fn` (read, edit, write) holding the AWS config file's lock; creates the file's folder for it. */
async function withConfigLock<T>(file: string, fn: () => T): Promise<T> {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  } catch (err) {
    throw fileProblem(file, err);
  }
  let lock;
  try {
    lock = await acquireLockFile(
      awsConfigLockPath(file),
      { what: `on the AWS config file ${file}`, doing: 'configure-aws or profile remove' },
      { waitMs: 20_000 },
    );
  } catch (err) {
    // A folder lakekey cannot write: said about the AWS config file, which is what the user named.
    const cause = err instanceof LakekeyError && err.code === 'CONFIG' ? (err as { cause?: unknown }).cause : undefined;
    throw cause ? fileProblem(file, cause) : err;
  }
  try {
    return fn();
  } finally {
    lock.release();
  }
}

/**
 * Writes `after` atomically (a temp file renamed over it), keeping the file's mode, after a
 * one-time backup of `before`. A file the user made read-only is left alone: lakekey says so
 * rather than replace it. Returns the backup's path when one was made now.
 */
function writeConfig(file: string, before: string, after: string): string | undefined {
  const existing = statSyncOrUndefined(file);
  if (existing && (existing.mode & 0o200) === 0) {
    throw configError(
      `the AWS config file ${file} is read-only, so lakekey leaves it as it is`,
      `Make it writable (\`chmod u+w ${file}\`) and run the command again, or set AWS_CONFIG_FILE to another file.`,
    );
  }
  try {
    const backup = before !== '' ? backUp(file, before) : undefined;
    replaceFile(file, after, existing ? existing.mode & 0o777 : 0o600);
    return backup;
  } catch (err) {
    throw fileProblem(file, err);
  }
}

function statSyncOrUndefined(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

/** A file system error while writing the AWS config file, said as the user's to fix where it is. */
function fileProblem(file: string, err: unknown): unknown {
  const where = dirname(file);
  const code = (err as NodeJS.ErrnoException).code;
  const path = (err as NodeJS.ErrnoException).path ?? where;
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return configError(
      `cannot write the AWS config file ${file}: ${path} is not writable (${code})`,
      `Check the folder's owner and permissions (\`ls -ld ${where}\`; it should be yours), or set AWS_CONFIG_FILE to a file you can write.`,
    );
  }
  if (code === 'ENOTDIR' || code === 'EEXIST') {
    return configError(
      `cannot write the AWS config file ${file}: a part of ${where} is a file, not a folder`,
      'Move that file aside, or set AWS_CONFIG_FILE to another path.',
    );
  }
  return err;
}

/**
 * Created new or not at all: a file or symlink someone planted at the name (in a folder others
 * can write, with fs.protected_symlinks off) fails with EEXIST instead of being followed or
 * truncated. O_EXCL alone never follows a symlink; O_NOFOLLOW, where the OS has it, says so twice.
 */
const CREATE_NEW = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0);

/** Writes `text` to a new private (0600) file at `path`; false when something is there already. */
function writeNew(path: string, text: string, mode?: number): boolean {
  let fd: number;
  try {
    fd = openSync(path, CREATE_NEW, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    const data = Buffer.from(text, 'utf8');
    for (let at = 0; at < data.length;) at += writeSync(fd, data, at);
    if (mode !== undefined) fchmodSync(fd, mode);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(path);
    throw err;
  }
  closeSync(fd);
  return true;
}

/** `base` with a random tail, created by `create`; an occupied name is passed over, never reused. */
function underFreshName(base: string, create: (path: string) => boolean): string {
  for (let i = 0; i < 8; i++) {
    const path = `${base}-${randomBytes(6).toString('hex')}`;
    if (create(path)) return path;
  }
  throw configError(
    `cannot create a new file beside ${base}: every name tried was taken`,
    `Look at what fills ${dirname(base)} (\`ls -la ${dirname(base)}\`), and remove what is not yours.`,
  );
}

/**
 * The file as it was before lakekey first changed it, kept once as `<file>.lakekey-backup`.
 * Something at that name that is not a plain file of ours (a symlink, a hard link, another
 * user's file) is left untouched, and this backup goes to a fresh name of its own.
 */
function backUp(file: string, text: string): string | undefined {
  const name = `${file}.lakekey-backup`;
  if (writeNew(name, text)) return name;
  const st = lstatSync(name);
  const uid = process.getuid?.();
  if (st.isFile() && st.nlink === 1 && (uid === undefined || st.uid === uid)) return undefined; // an earlier run's: the original stays
  return underFreshName(name, (path) => writeNew(path, text));
}

/** Replaces `file` with `text` in one rename, from a temp file of its own beside it. */
function replaceFile(file: string, text: string, mode: number): void {
  const tmp = underFreshName(`${file}.lakekey-${process.pid}`, (path) => writeNew(`${path}.tmp`, text, mode)) + '.tmp';
  try {
    renameSync(tmp, file);
  } catch (err) {
    try {
      unlinkSync(tmp);
    } catch {
      /* gone already */
    }
    throw err;
  }
}
