// Importing a team's profiles (`lakekey profile import FILE`, and the settings window's "Import
// profiles…"): the settings file's own shape, `{ "profiles": { NAME: {...} } }`, as JSON or YAML,
// each profile validated as the settings file's profiles are. It never carries a secret (a client
// secret goes to the keychain with `profile set --client-secret -`), so a field that looks like one
// is refused. The plan says what importing would do — new, the same as yours, or differing field
// by field — and a profile that differs from yours is replaced only when asked (`force`). Nothing
// is planned, so nothing is written, unless every profile in the file is valid. The hosts read the
// file and print or show the plan; this module parses, plans and applies.
import { extname } from 'node:path';
import { configError, LakekeyError, usageError } from '../errors.js';
import { outside } from '../text-gate.js';
import { isObject } from '../../shared/is-object.js';
import { checkProfile, PROFILE_NAME, type Profile, type Settings } from './settings.js';

/**
 * Field names a settings file never has and a secret would: refused wherever they appear
 * (`s3.tokenSource` and `lakefs.lakectlCache` are settings, not secrets).
 */
const SECRET_FIELD = /secret|password|passphrase|private.?key|access.?key|credential|^token$|(refresh|id|access|session|bearer).?token/i;

const FILE_SHAPE = 'Give the file as lakekey writes its settings: { "profiles": { "NAME": { "issuer": …, "clientId": … } } }';

/** What importing one profile of the file does to yours. */
export type ImportPlan = { name: string; profile: Profile } & ({ kind: 'new' } | { kind: 'same' } | { kind: 'differs'; changes: string[] });

export type ImportKind = ImportPlan['kind'];

/** The mark of each kind in a plan's listing: `+ new`, `= same`, `~ differs`. */
export const PLAN_MARK: Record<ImportKind, string> = { new: '+', same: '=', differs: '~' };

/** What an import did: the names added, replaced (differing, with force) and kept (differing, without). */
export interface ImportResult {
  added: string[];
  replaced: string[];
  kept: string[];
}

/** A team file is YAML when its name ends in .yaml or .yml; JSON otherwise. */
export function isYamlFile(file: string): boolean {
  return ['.yaml', '.yml'].includes(extname(file).toLowerCase());
}

/** The file's text as data; `file` names it in the error (the path, or what the user sees). */
export async function parseTeamFile(file: string, text: string, yaml: boolean): Promise<unknown> {
  try {
    if (yaml) return (await import('yaml')).parse(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw configError(
      `${outside(file)} is not valid ${yaml ? 'YAML' : 'JSON'} (${outside(err instanceof Error ? err.message : String(err), 200)})`,
      `${FILE_SHAPE} (.yaml or .yml for YAML).`,
    );
  }
}

/** What importing `raw` would do to `current`: every profile validated, all problems said at once. */
export function planImport(file: string, raw: unknown, current: Pick<Settings, 'profiles' | 'broken'>): ImportPlan[] {
  const profiles = isObject(raw) && isObject(raw.profiles) ? raw.profiles : undefined;
  if (!profiles) throw configError(`${outside(file)} has no "profiles" object`, `${FILE_SHAPE}.`);
  const secrets = secretFields(profiles);
  if (secrets.length) {
    throw configError(
      `${outside(file)} holds what looks like a secret (${secrets
        .slice(0, 3)
        .map((f) => outside(f, 80))
        .join(', ')}); lakekey never imports secrets`,
      'Remove it from the file and give each person their own: `lakekey profile set NAME --client-secret -` keeps a client secret in the keychain.',
    );
  }
  const problems: string[] = [];
  const plans: ImportPlan[] = [];
  for (const [name, rawProfile] of Object.entries(profiles)) {
    if (!PROFILE_NAME.test(name)) {
      problems.push(`"${outside(name, 80)}" is not a valid profile name (letters, digits, ".", "_" and "-", at most 64)`);
      continue;
    }
    let profile: Profile;
    try {
      profile = checkProfile(name, rawProfile, outside(file)).profile;
    } catch (err) {
      if (!(err instanceof LakekeyError)) throw err;
      problems.push(err.message); // it names the file and the profile
      continue;
    }
    const mine = Object.hasOwn(current.profiles, name) ? current.profiles[name] : undefined;
    if (!mine && !current.broken.has(name)) plans.push({ name, profile, kind: 'new' });
    else {
      const changes = mine ? differences(mine, profile) : ['yours is broken in your settings'];
      plans.push(changes.length ? { name, profile, kind: 'differs', changes } : { name, profile, kind: 'same' });
    }
  }
  if (problems.length) {
    throw configError(
      `${outside(file)} has ${problems.length} profile${problems.length === 1 ? '' : 's'} lakekey cannot use, so nothing was imported:\n  ${problems.join('\n  ')}`,
      'Fix them in the file (or remove them), then import it again.',
    );
  }
  if (!plans.length) throw usageError(`${outside(file)} has no profiles`, 'Give the file as lakekey writes its settings: { "profiles": { "NAME": { … } } }.');
  return plans;
}

/** One plan in words: "new", "the same as yours", "differs: s3.durationSeconds 3600 → 7200". */
export function describePlan(p: ImportPlan): string {
  if (p.kind === 'new') return 'new';
  if (p.kind === 'same') return 'the same as yours';
  return `differs: ${p.changes.join('; ')}`;
}

/** What importing the plans does, without doing it: new ones are added, differing ones replaced only with `force`. */
export function importResult(plans: ImportPlan[], force: boolean): ImportResult {
  const names = (pick: (p: ImportPlan) => boolean) => plans.filter(pick).map((p) => p.name);
  return {
    added: names((p) => p.kind === 'new'),
    replaced: names((p) => p.kind === 'differs' && force),
    kept: names((p) => p.kind === 'differs' && !force),
  };
}

/** Whether importing the plans changes the settings at all. */
export function importWrites(result: ImportResult): boolean {
  return result.added.length > 0 || result.replaced.length > 0;
}

/**
 * Imports the plans into `s` (the settings being changed, inside a settings update): the profiles
 * `importResult` adds or replaces are written, a broken one of the same name is dropped. Answers that result.
 */
export function applyImport(s: Pick<Settings, 'profiles' | 'broken'>, plans: ImportPlan[], force: boolean): ImportResult {
  const result = importResult(plans, force);
  const writes = new Set([...result.added, ...result.replaced]);
  for (const p of plans) {
    if (!writes.has(p.name)) continue;
    s.broken.delete(p.name);
    s.profiles[p.name] = p.profile;
  }
  return result;
}

/** Field by field, `path: yours → the file's`, for fields that differ (nested parts by dotted path). */
function differences(mine: Profile, theirs: Profile): string[] {
  const a = flatten(mine);
  const b = flatten(theirs);
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    if (a[key] !== b[key]) out.push(`${key} ${a[key] ?? '(none)'} → ${b[key] ?? '(none)'}`);
  }
  return out;
}

function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (isObject(v)) for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  else if (v !== undefined) out[prefix] = outside(Array.isArray(v) ? v.join(' ') : String(v), 120);
  return out;
}

function secretFields(v: unknown, path = ''): string[] {
  if (!isObject(v)) return [];
  return Object.entries(v).flatMap(([k, x]) => {
    const here = path ? `${path}.${k}` : k;
    return [...(SECRET_FIELD.test(k) ? [here] : []), ...secretFields(x, here)];
  });
}
