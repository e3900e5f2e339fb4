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

const HEADER = /^\s*\[([^\]]*)\]\s*(?:[#;].*)?$/;

function sectionName(awsProfile: string): string {
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
  const wanted = sectionName(awsProfile);
  const start = lines.findIndex((l) => {
    const m = HEADER.exec(l);
    return m !== null && m[1].trim().replace(/\s+/g, ' ') === wanted;
  });
  if (start === -1) {
    const block = [`[${wanted}]`, ...settings.map((s) => `${s.key} = ${s.value}`)];
    const sep = lines.length && lines[lines.length - 1].trim() !== '' ? [''] : [];
    return [...lines, ...sep, ...block].join(eol) + eol;
  }
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (HEADER.test(lines[i])) {
      end = i;
      break;
    }
  }
  const section = lines.slice(start + 1, end);
  for (const s of settings) {
    const keyRe = new RegExp(`^\\s*${s.key}\\s*=`);
    const found = section.findIndex((l) => keyRe.test(l));
    if (found !== -1) {
      if (!s.onlyIfMissing) section[found] = `${s.key} = ${s.value}`;
      // Drop later duplicates of a key we own: the first one wins in botocore.
      for (let i = section.length - 1; i > found; i--) if (!s.onlyIfMissing && keyRe.test(section[i])) section.splice(i, 1);
    } else {
      // Insert after the section's last non-blank line, so trailing blank lines stay between sections.
      let at = section.length;
      while (at > 0 && section[at - 1].trim() === '') at--;
      section.splice(at, 0, `${s.key} = ${s.value}`);
    }
  }
  return [...lines.slice(0, start + 1), ...section, ...lines.slice(end)].join(eol) + eol;
}

/** Reads a key of a profile section (for doctor and tests). */
export function readProfileSetting(text: string, awsProfile: string, key: string): string | undefined {
  const wanted = sectionName(awsProfile);
  let inSection = false;
  for (const line of text.split(/\r?\n/)) {
    const m = HEADER.exec(line);
    if (m) {
      inSection = m[1].trim().replace(/\s+/g, ' ') === wanted;
      continue;
    }
    const kv = /^\s*([\w-]+)\s*=\s*(.*)$/.exec(line);
    if (inSection && kv && kv[1] === key) return kv[2].trim();
  }
  return undefined;
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
  const before = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const after = applyProfileSettings(before, awsProfile, settings);
  const result: ConfigureResult = { file, changed: after !== before, before, after };
  if (!result.changed || opts.dryRun) return result;
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const backup = `${file}.lakekey-backup`;
  if (before !== '' && !existsSync(backup)) {
    copyFileSync(file, backup);
    result.backup = backup;
  }
  const mode = existsSync(file) ? statSync(file).mode & 0o777 : 0o600;
  const tmp = `${file}.lakekey-${process.pid}.tmp`;
  writeFileSync(tmp, after, { mode });
  renameSync(tmp, file);
  return result;
}
