// Property-based fuzzing of `configure-aws`'s editor (main/core/config/aws-config.ts applyProfileSettings)
// and of `profile remove`'s (lakekeyAwsProfiles + removeLakekeyKeys)
// on arbitrary AWS config files. Properties: no line that is not ours is lost or reordered; the
// edit is idempotent; and — checked with the real botocore config loader on a sample — whenever
// botocore could read the input, it can read the output, our profile has exactly our
// credential_process, and every other setting botocore sees (in our profile and elsewhere) is
// unchanged.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { applyProfileSettings, lakekeyAwsProfiles, removeLakekeyKeys, type Setting } from '../../main/core/config/aws-config.js';
import { LONG, reportCount, runs } from '../helpers/security-world.js';

const PYTHON = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'lakekey-fuzz-aws-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const OURS = '"/usr/bin/node" "/opt/lake key/dist/main/cli/lakekey.js" credential-process lk';
const REGION = 'us-east-1';

function settingsFor(): Setting[] {
  return [
    { key: 'credential_process', value: OURS },
    { key: 'region', value: REGION, onlyIfMissing: true },
  ];
}

const value = fc.oneof(
  fc.constantFrom(
    'eu-west-1',
    'json',
    'text',
    '/usr/local/bin/other-helper --x',
    'arn:aws:iam::1:role/r',
    'corp',
    '10',
    '',
    'a = b',
    '# not a comment',
    '%(x)s',
  ),
  fc.string({ maxLength: 20 }).map((s) => s.replace(/[\r\n]/g, '')),
);
const key = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('region', 'output', 'credential_process', 'sso_session', 'role_arn', 'source_profile', 'cli_pager', 'endpoint_url') },
  fc.constantFrom('Credential_Process', 'REGION', 'credential_process ', 'credential_processx', 'x_credential_process'),
  fc.stringMatching(/^[a-z_]{1,10}$/),
);
const delimiter = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(' = ', '=', ' =', '= ') }, fc.constantFrom(': ', ' : ', ':'));
const header = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('[default]', '[profile lk]', '[profile other]', '[profile lkx]', '[sso-session corp]', '[services s3svc]') },
  fc.constantFrom(
    '[profile  lk ]',
    '[ profile lk]',
    '[profile "lk"]',
    '[profile lk] # mine',
    '[profile lk] ; mine',
    '[PROFILE lk]',
    '[preview]',
    '  [profile lk]',
    '[default ]',
    '[profile default]',
  ),
);

type Line = string[];
const lineGroup: fc.Arbitrary<Line> = fc.oneof(
  { weight: 3, arbitrary: header.map((h): Line => [h]) },
  { weight: 8, arbitrary: fc.tuple(key, delimiter, value).map(([k, d, v]) => [`${k}${d}${v}`]) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('  ', '\t', '    '), key, value).map(([i, k, v]) => [`${i}${k} = ${v}`]) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('s3', 'sts', 'credential_process'), fc.array(fc.tuple(key, value), { minLength: 1, maxLength: 3 }))
      .map(([k, subs]) => [`${k} =`, ...subs.map(([sk, sv]) => `  ${sk} = ${sv}`)]),
  },
  {
    weight: 2,
    arbitrary: fc.constantFrom('# a comment', '; another comment', '', '   ', '#', '# [profile lk]', '; credential_process = /evil').map((l): Line => [l]),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 25 }).map((s): Line => [s.replace(/[\r\n]/g, '')]) },
);

const fileArb = fc
  .record({
    groups: fc.array(lineGroup, { maxLength: 18 }),
    eol: fc.constantFrom('\n', '\n', '\r\n'),
    trailing: fc.boolean(),
    profile: fc.constantFrom('lk', 'lk', 'default'),
  })
  .map(({ groups, eol, trailing, profile }) => {
    const lines = groups.flat();
    const text = lines.length ? lines.join(eol) + (trailing ? eol : '') : '';
    return { text, profile };
  });

const HEADER = /^\s*\[([^\]]*)\]/;

/**
 * Lines the editor must keep, in order: all outside our section, and in ours every line but our
 * own keys (any case, `=` or `:`) and their values' continuation lines (more indented, as
 * configparser reads them; blank and comment lines between a key and its continuation go too).
 */
function keptLines(text: string, profile: string): string[] {
  const wanted = profile === 'default' ? 'default' : `profile ${profile}`;
  const lines = text === '' ? [] : text.split(/\r?\n/);
  if (lines.length && lines[lines.length - 1] === '') lines.pop();
  const indentOf = (l: string) => l.length - l.trimStart().length;
  const quiet = (l: string) => l.trim() === '' || /^[#;]/.test(l.trim());
  let ours = false;
  const kept: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const m = HEADER.exec(line);
    if (m) {
      const name = m[1].trim().replace(/\s+/g, ' ').replace(/"/g, '');
      // botocore reads [profile default] as the default profile too.
      ours = name === wanted || (profile === 'default' && name === 'profile default');
    }
    if (ours && !m && /^\s*(credential_process|region)\s*[=:]/i.test(line)) {
      const k = indentOf(line);
      let j = i + 1;
      let last = i;
      for (; j < lines.length; j++) {
        if (quiet(lines[j])) continue;
        if (indentOf(lines[j]) > k) last = j;
        else break;
      }
      i = last;
      continue;
    }
    kept.push(line);
  }
  return kept;
}

function isSubsequence(needles: string[], hay: string[]): number {
  let i = 0;
  for (const line of hay) if (i < needles.length && line === needles[i]) i++;
  return i;
}

interface Sample {
  input: string;
  output: string;
  profile: string;
}

const BOTOCORE = `
import json, sys, os, tempfile
from botocore.configloader import raw_config_parse, build_profile_map
cases = json.load(sys.stdin)
out = []
d = tempfile.mkdtemp()
def load(text):
    p = os.path.join(d, 'config')
    with open(p, 'w', newline='') as f:
        f.write(text)
    try:
        raw = raw_config_parse(p)
        return {'ok': True, 'raw': raw, 'profiles': build_profile_map(raw)['profiles']}
    except Exception as e:
        return {'ok': False, 'error': type(e).__name__ + ': ' + str(e)[:200]}
for c in cases:
    out.append({'input': load(c['input']), 'output': load(c['output'])})
json.dump(out, sys.stdout)
`;

interface Loaded {
  ok: boolean;
  error?: string;
  raw?: Record<string, Record<string, unknown>>;
  profiles?: Record<string, Record<string, unknown>>;
}

/** Runs botocore on the inputs and outputs; returns how many inputs it read and every disagreement. */
function botocoreCompare(sample: Sample[]): { parseable: number; failures: string[] } {
  const res = spawnSync(PYTHON, ['-c', BOTOCORE], { input: JSON.stringify(sample), encoding: 'utf8', cwd: dir, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(res.status, 0, res.stderr);
  const loaded = JSON.parse(res.stdout) as Array<{ input: Loaded; output: Loaded }>;
  let parseable = 0;
  const failures: string[] = [];
  loaded.forEach(({ input, output }, i) => {
    const { profile } = sample[i];
    if (!input.ok) return;
    parseable++;
    const where = `\ninput:\n${sample[i].input}\noutput:\n${sample[i].output}`;
    try {
      assert.ok(output.ok, `botocore read the input but not the output (${output.error})${where}`);
      const before = input.profiles![profile] ?? {};
      const after = output.profiles![profile] ?? {};
      assert.equal(after.credential_process, OURS, `our credential_process as botocore reads it${where}`);
      const expected: Record<string, unknown> = { ...before, credential_process: OURS };
      if (before.region === undefined) expected.region = REGION;
      assert.deepEqual(after, expected, `our profile's other settings unchanged${where}`);
      const others = (p: Record<string, unknown>) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== profile));
      assert.deepEqual(others(output.profiles!), others(input.profiles!), `other profiles unchanged${where}`);
    } catch (err) {
      failures.push((err as Error).message);
    }
  });
  return { parseable, failures };
}

test('fuzz: configure-aws keeps every line that is not ours, is idempotent, and botocore agrees', () => {
  let cases = 0;
  const samples: Sample[] = [];
  fc.assert(
    fc.property(fileArb, ({ text, profile }) => {
      cases++;
      const out = applyProfileSettings(text, profile, settingsFor());
      const outLines = out.split(/\r?\n/);
      const kept = keptLines(text, profile);
      const found = isSubsequence(kept, outLines);
      assert.equal(found, kept.length, `line ${JSON.stringify(kept[found])} was lost or reordered\ninput:\n${text}\noutput:\n${out}`);
      assert.equal(applyProfileSettings(out, profile, settingsFor()), out, 'idempotent');
      assert.ok(out.endsWith(text.includes('\r\n') ? '\r\n' : '\n'), "ends with a line break in the file's style");
      samples.push({ input: text, output: out, profile });
    }),
    { numRuns: runs(400) },
  );
  reportCount('aws-config-edit', cases);

  // Botocore on a sample, in one Python process.
  const take = LONG ? 2000 : 200;
  const sample = fc.sample(fc.shuffledSubarray(samples, { minLength: Math.min(take, samples.length), maxLength: Math.min(take, samples.length) }), 1)[0];
  const { parseable, failures } = botocoreCompare(sample);
  reportCount('aws-config-botocore', sample.length);
  process.stdout.write(`fuzz: aws-config-botocore parseable-inputs=${parseable} disagreements=${failures.length}\n`);
  assert.ok(parseable >= sample.length / 10, `enough botocore-readable inputs (${parseable})`);
  if (process.env.LAKEKEY_FUZZ_DUMP) writeFileSync(process.env.LAKEKEY_FUZZ_DUMP, failures.join('\n=====\n'));
  assert.deepEqual(failures.slice(0, 3), [], `${failures.length} botocore disagreements`);
});

test("botocore reads our credential_process and the user's other settings even with key variants, nested keys or continuation lines in our section", () => {
  const examples: Array<[string, string]> = [
    ['colon delimiter', '[profile lk]\ncredential_process: /old/helper\n'],
    ['upper-case key', '[profile lk]\nCredential_Process = /old/helper\nRegion = eu-west-1\n'],
    ['nested sub-key', '[profile lk]\nregion = eu-west-1\nsts =\n  credential_process = /nested\n'],
    ['continuation line', '[profile lk]\ncredential_process = /old/helper\n    --flag\nregion = eu-west-1\n'],
    ['space before "profile"', '[ profile lk]\nregion = eu-west-1\n'],
    ['quoted profile name', '[profile "lk"]\nregion = eu-west-1\noutput = json\n'],
    ['[profile default]', '[profile default]\nregion = eu-west-1\noutput = json\n'],
  ];
  const sample = examples.map(([, input]) => {
    const profile = input.includes('default') ? 'default' : 'lk';
    return { input, output: applyProfileSettings(input, profile, settingsFor()), profile };
  });
  const { parseable, failures } = botocoreCompare(sample);
  assert.equal(parseable, examples.length, 'botocore reads every example input');
  assert.deepEqual(failures, [], 'botocore and lakekey agree on every example');
});

const BOTOCORE_PROFILES = `
import json, sys, os, tempfile
from botocore.configloader import raw_config_parse, build_profile_map
out = []
d = tempfile.mkdtemp()
for text in json.load(sys.stdin):
    p = os.path.join(d, 'config')
    with open(p, 'w', newline='') as f:
        f.write(text)
    try:
        out.append(build_profile_map(raw_config_parse(p))['profiles'])
    except Exception:
        out.append(None)
json.dump(out, sys.stdout)
`;

test('fuzz: profile remove finds the profile configure-aws wired, takes out only what it wrote, and botocore sees every other setting unchanged', () => {
  let cases = 0;
  const samples: Array<{ original: string; input: string; output: string; profile: string }> = [];
  fc.assert(
    fc.property(fileArb, ({ text, profile }) => {
      cases++;
      const wired = applyProfileSettings(text, profile, settingsFor());
      assert.ok(lakekeyAwsProfiles(wired, 'lk').includes(profile), `the wired profile is found\n${wired}`);
      assert.deepEqual(lakekeyAwsProfiles(text.replace(/lakekey/g, 'other'), 'lk'), [], 'nothing is ours without a lakekey program');
      const removed = removeLakekeyKeys(wired, 'lk').text;
      assert.deepEqual(
        lakekeyAwsProfiles(removed, 'lk').filter((p) => p === profile),
        [],
        `no section of ${profile} is left wired\n${removed}`,
      );
      assert.equal(removeLakekeyKeys(removed, 'lk').text, removed, 'idempotent');
      samples.push({ original: text, input: wired, output: removed, profile });
    }),
    { numRuns: runs(300) },
  );
  reportCount('aws-config-remove', cases);
  const sample = samples.slice(0, LONG ? 2000 : 200);
  const res = spawnSync(PYTHON, ['-c', BOTOCORE_PROFILES], {
    input: JSON.stringify(sample.flatMap((c) => [c.original, c.input, c.output])),
    encoding: 'utf8',
    cwd: dir,
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(res.status, 0, res.stderr);
  const loaded = JSON.parse(res.stdout) as Array<Record<string, Record<string, unknown>> | null>;
  let parseable = 0;
  sample.forEach((c, i) => {
    const [original, before, after] = [loaded[3 * i], loaded[3 * i + 1], loaded[3 * i + 2]];
    if (!original || !before) return;
    parseable++;
    const where = `\ninput:\n${c.input}\noutput:\n${c.output}`;
    assert.ok(after, `botocore read the input but not the output${where}`);
    assert.notEqual(after[c.profile]?.credential_process, OURS, `our credential_process is gone${where}`);
    // What the user had, but the credential_process configure-aws replaced; region only if it was theirs.
    const { credential_process: _replaced, ...theirs } = original[c.profile] ?? {};
    if (Object.keys(theirs).length) assert.deepEqual(after[c.profile], theirs, `the user's own settings stay${where}`);
    const others = (p: Record<string, unknown>) => Object.fromEntries(Object.entries(p).filter(([k]) => k !== c.profile));
    assert.deepEqual(others(after), others(before), `every other profile unchanged${where}`);
  });
  assert.ok(parseable >= sample.length / 10, `enough botocore-readable inputs (${parseable})`);
});
