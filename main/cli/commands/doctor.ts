// `lakekey doctor`: the core's diagnosis (diagnose.ts), printed as it goes — or as JSON.
import { diagnose, exitCodeOf, type CheckResult } from '../../core/usecases/diagnose.js';
import { checkedSettingsDir } from '../../core/config/paths.js';
import type { Args } from '../args.js';
import { compose } from '../compose.js';
import { wslNetwork } from '../../core/compose.js';
import { print, printJson } from '../render.js';

export async function doctorCommand(a: Args): Promise<number> {
  const dir = checkedSettingsDir(process.env, process.platform);
  const ctx = compose(dir);
  const json = a.flag('json');
  const results = await diagnose(
    // The context's fetch (proxies, the HTTP bound), with doctor's own shorter wait per check.
    {
      dir,
      vault: ctx.vault,
      clock: ctx.clock,
      env: process.env,
      platform: process.platform,
      wsl: () => wslNetwork(process.env, process.platform),
      fetch: (url, init) => ctx.fetch(url, { ...init, signal: AbortSignal.timeout(5000) }),
    },
    { profile: a.positionals[0], onResult: json ? undefined : (r) => print(line(r)) },
  );
  if (json) printJson(results);
  return exitCodeOf(results);
}

/** One line per check; a failure's fix on the next line, a warning's advice (or information's command) on the same one. */
function line(r: CheckResult): string {
  const label = { ok: 'ok  ', info: 'info', skip: 'skip', warn: 'warn', fail: 'FAIL' }[r.status];
  const fix = !r.fix ? '' : r.status === 'fail' ? `\n      fix: ${r.fix}` : ` — ${r.fix}`;
  return `${label}  ${r.name}: ${r.words}${fix}`;
}
