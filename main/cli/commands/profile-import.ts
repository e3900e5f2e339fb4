// `lakekey profile import FILE`: the profiles of a team's settings file (the settings file's own
// shape, `{ "profiles": { NAME: {...} } }`, as JSON or YAML), each validated as the settings file's
// profiles are. It never carries a secret (a client secret goes to the keychain with `profile set
// --client-secret -`), so a field that looks like one is refused. The plan is printed first — new,
// the same as yours, or differing field by field — and `--dry-run` stops there; a profile that
// differs from yours is replaced only with `--force`. Nothing is written unless every profile in
// the file is valid. Parsing, planning and applying are the core's (main/core/config/profile-import.ts,
// shared with the settings window); this command reads the file and says what happens.
import { readFileSync } from 'node:fs';
import { readSettings } from '../../core/config/settings.js';
import { updateSettings } from '../../core/config/settings-write.js';
import { applyImport, describePlan, importResult, importWrites, isYamlFile, parseTeamFile, planImport, PLAN_MARK } from '../../core/config/profile-import.js';
import { configError } from '../../core/errors.js';
import { outside } from '../../core/text-gate.js';
import type { Args } from '../args.js';
import { fileProblem } from '../file-problem.js';
import { say } from '../output.js';
import { writableSettingsDir } from './profile.js';

export async function importProfiles(a: Args): Promise<number> {
  const file = a.positionals[0];
  const raw = await readTeamFile(file);
  const dir = writableSettingsDir();
  const plans = planImport(file, raw, readSettings(dir));
  say(`${plans.length} profile${plans.length === 1 ? '' : 's'} in ${outside(file)}:\n`);
  for (const p of plans) say(`  ${PLAN_MARK[p.kind]} ${p.name.padEnd(20)} ${describePlan(p)}\n`);
  if (a.flag('dry-run')) {
    say('Nothing written (--dry-run).\n');
    return 0;
  }
  const force = a.flag('force');
  const result = importResult(plans, force);
  const { added, replaced, kept } = result;
  if (importWrites(result)) await updateSettings(dir, (s) => void applyImport(s, plans, force));
  if (added.length) say(`Added ${quoted(added)}. Next: \`lakekey login ${added[0]}\`.\n`);
  if (replaced.length) {
    say(
      `Replaced ${quoted(replaced)}: what was made with the old settings is renewed on next use (a new login where the identity provider settings changed).\n`,
    );
  }
  if (kept.length)
    say(
      `Kept your ${quoted(kept)}, which differ${kept.length === 1 ? 's' : ''} from the file: pass --force to replace ${kept.length === 1 ? 'it' : 'them'}.\n`,
    );
  if (!added.length && !replaced.length && !kept.length) say('Nothing to change: every profile in the file is the same as yours.\n');
  return 0;
}

async function readTeamFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw configError(`there is no file ${outside(file)}`, "Give the path of the team's settings file (JSON, or YAML as .yaml or .yml).");
    }
    throw fileProblem(err) ?? err;
  }
  return parseTeamFile(file, text, isYamlFile(file));
}

function quoted(names: string[]): string {
  return names.map((n) => `"${n}"`).join(', ');
}
