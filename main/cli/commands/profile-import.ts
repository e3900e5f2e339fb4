// `lakekey profile import FILE`: the profiles of a team's settings file (the settings file's own
// shape, `{ "profiles": { NAME: {...} } }`, as JSON or YAML), each validated as the settings file's
// profiles are. It never carries a secret (a client secret goes to the keychain with `profile set
// --client-secret -`), so a field that looks like one is refused. The plan is printed first — new,
// the same as yours, or differing field by field — and `--dry-run` stops there; a profile that
// differs from yours is replaced only with `--force`. Nothing is written unless every profile in
// the file is valid.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { configError, LakekeyError, usageError } from '../../core/errors.js';
import { checkProfile, PROFILE_NAME, readSettings, type Profile } from '../../core/config/settings.js';
import { updateSettings } from '../../core/config/settings-write.js';
import { outside } from '../../core/text-gate.js';
import type { Args } from '../args.js';
import { fileProblem } from '../file-problem.js';
import { say } from '../output.js';
import { writableSettingsDir } from './profile.js';

/**
 * Field names a settings file never has and a secret would: refused wherever they appear
 * (`s3.tokenSource` and `lakefs.lakectlCache` are settings, not secrets).
 */
const SECRET_FIELD = /secret|password|passphrase|private.?key|access.?key|credential|^token$|(refresh|id|access|session|bearer).?token/i;

type Plan = { name: string; profile: Profile } & ({ kind: 'new' } | { kind: 'same' } | { kind: 'differs'; changes: string[] });

export async function importProfiles(a: Args): Promise<number> {
  const file = a.positionals[0];
  const raw = await readTeamFile(file);
  const dir = writableSettingsDir();
  const plans = planImport(file, raw, readSettings(dir));
  say(`${plans.length} profile${plans.length === 1 ? '' : 's'} in ${outside(file)}:\n`);
  for (const p of plans) say(`  ${{ new: '+', same: '=', differs: '~' }[p.kind]} ${p.name.padEnd(20)} ${describePlan(p)}\n`);
  if (a.flag('dry-run')) {
    say('Nothing written (--dry-run).\n');
    return 0;
  }
  const force = a.flag('force');
  const writes = plans.filter((p) => p.kind === 'new' || (p.kind === 'differs' && force));
  const kept = plans.filter((p) => p.kind === 'differs' && !force);
  if (writes.length) {
    await updateSettings(dir, (s) => {
      for (const p of writes) {
        s.broken.delete(p.name);
        s.profiles[p.name] = p.profile;
      }
    });
  }
  const added = writes.filter((p) => p.kind === 'new').map((p) => p.name);
  const replaced = writes.filter((p) => p.kind === 'differs').map((p) => p.name);
  if (added.length) say(`Added ${quoted(added)}. Next: \`lakekey login ${added[0]}\`.\n`);
  if (replaced.length) {
    say(
      `Replaced ${quoted(replaced)}: what was made with the old settings is renewed on next use (a new login where the identity provider settings changed).\n`,
    );
  }
  if (kept.length)
    say(
      `Kept your ${quoted(kept.map((p) => p.name))}, which differ${kept.length === 1 ? 's' : ''} from the file: pass --force to replace ${kept.length === 1 ? 'it' : 'them'}.\n`,
    );
  if (!added.length && !replaced.length && !kept.length) say('Nothing to change: every profile in the file is the same as yours.\n');
  return 0;
}

async function readTeamFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw fileProblem(err) ?? err;
  }
  const yaml = ['.yaml', '.yml'].includes(extname(file).toLowerCase());
  try {
    if (yaml) return (await import('yaml')).parse(text) as unknown;
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw configError(
      `${outside(file)} is not valid ${yaml ? 'YAML' : 'JSON'} (${outside(err instanceof Error ? err.message : String(err), 200)})`,
      'Give the file as lakekey writes its settings: { "profiles": { "NAME": { "issuer": …, "clientId": … } } } (.yaml or .yml for YAML).',
    );
  }
}

/** What importing `raw` would do to `current`: every profile validated, all problems said at once. */
export function planImport(file: string, raw: unknown, current: { profiles: Record<string, Profile>; broken: Map<string, unknown> }): Plan[] {
  const profiles = isObject(raw) && isObject(raw.profiles) ? raw.profiles : undefined;
  if (!profiles) {
    throw configError(
      `${outside(file)} has no "profiles" object`,
      'Give the file as lakekey writes its settings: { "profiles": { "NAME": { "issuer": …, "clientId": … } } }.',
    );
  }
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
  const plans: Plan[] = [];
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

function describePlan(p: Plan): string {
  if (p.kind === 'new') return 'new';
  if (p.kind === 'same') return 'the same as yours';
  return `differs: ${p.changes.join('; ')}`;
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

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function quoted(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
