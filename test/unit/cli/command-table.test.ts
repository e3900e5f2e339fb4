// The command table drives parsing, help, completion and did-you-mean: these check the table
// itself, the parser's words, the completion candidates, and that README's command section
// lists exactly the commands and flags `lakekey help` does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { closest, commandHelp, overview, parseCommand, wantsHelp } from '../../../main/cli/args.js';
import { candidates, completionScript } from '../../../main/cli/completion.js';
import { renewal } from '../../../main/cli/commands/session.js';
import { COMMANDS, findCommand, SHELLS, topWords } from '../../../main/cli/spec.js';
import { parseProfile } from '../../../main/core/config/settings.js';
import { PROFILE_FIELDS, PROFILE_SECTIONS } from '../../../main/shared/profile-fields.js';

const REPO = process.env.LAKEKEY_REPO ?? join(import.meta.dirname, '..', '..', '..', '..');
const spec = (name: string) => findCommand(name) ?? assert.fail(`no command ${name}`);

test('every command has a summary, an example and described, unique flags', () => {
  for (const c of COMMANDS) {
    assert.ok(c.summary && c.example, c.name);
    const names = c.flags.map((f) => f.name);
    assert.equal(new Set(names).size, names.length, `${c.name}: duplicate flag`);
    for (const f of c.flags) assert.ok(f.help, `${c.name} --${f.name} has no description`);
    const help = commandHelp(c);
    for (const f of c.flags) assert.match(help, new RegExp(`^  --${f.name}\\b`, 'm'), `${c.name} help lists --${f.name}`);
    assert.match(help, /^Example:\n {2}\S/m);
  }
});

test('did you mean: the nearest command or flag, nothing for a word far from all', () => {
  assert.equal(closest('logn', topWords()), 'login');
  assert.equal(closest('lgoin', topWords()), 'login');
  assert.equal(closest('stauts', topWords()), 'status');
  assert.equal(closest('confgure-aws', topWords()), 'configure-aws');
  assert.equal(closest('xyzzy', topWords()), undefined);
  assert.equal(
    closest(
      'tiemout',
      spec('login').flags.map((f) => f.name),
    ),
    'timeout',
  );
});

test("parsing: typed values, and errors that name the flag in lakekey's words", () => {
  const a = parseCommand(spec('login'), ['work', '--timeout', '30']);
  assert.equal(a.positionals[0], 'work');
  assert.equal(a.integer('timeout', 10, 3600), 30);
  assert.equal(a.flag('device'), false);
  assert.throws(() => parseCommand(spec('login'), ['work', '--tiemout', '30']), /unknown flag "--tiemout" for `lakekey login`; did you mean "--timeout"\?/);
  assert.throws(() => parseCommand(spec('login'), ['work', '--timeout']), /--timeout needs a value \(SECONDS\)/);
  assert.throws(() => parseCommand(spec('login'), ['work', '--device=yes']), /--device takes no value/);
  assert.throws(() => parseCommand(spec('login'), []), /`lakekey login` needs NAME/);
  assert.throws(() => parseCommand(spec('login'), ['a', 'b']), /unexpected argument "b"/);
  assert.throws(() => parseCommand(spec('env'), ['w', '--format', 'csh']), /--format takes sh, fish, powershell, json, not "csh"/);
  assert.throws(
    () => parseCommand(spec('login'), ['w', '--timeout', 'soon']).integer('timeout', 10, 3600),
    /--timeout takes a whole number from 10 to 3600, not "soon"/,
  );
  // A secret read from stdin is `--client-secret -`: the dash is the value, not a flag.
  assert.equal(parseCommand(spec('profile add'), ['w', '--client-secret', '-']).string('client-secret'), '-');
  const exec = parseCommand(spec('exec'), ['w', '--static', '--', 'aws', '--help']);
  assert.deepEqual(exec.rest, ['aws', '--help']);
  assert.throws(() => parseCommand(spec('exec'), ['w']), /expected: lakekey exec NAME/);
  assert.equal(wantsHelp(['w', '--', 'aws', '--help']), false, "exec's command's own --help is not ours");
  assert.equal(wantsHelp(['w', '-h']), true);
});

test('completion candidates: commands, subcommands, flags, flag values and profile names', () => {
  const profiles = () => ['work', 'home'];
  const c = (line: string[]) => candidates(line.length, ['lakekey', ...line], profiles);
  assert.deepEqual(c(['lo']), ['login', 'logout']);
  assert.deepEqual(c(['profile', '']), ['add', 'set', 'list', 'show', 'remove', 'import']);
  assert.deepEqual(c(['login', '']), ['work', 'home']);
  assert.deepEqual(c(['login', 'w']), ['work']);
  assert.deepEqual(c(['profile', 'set', 'h']), ['home']);
  assert.deepEqual(c(['profile', 'add', '']), [], 'a new name is not an existing profile');
  assert.deepEqual(c(['login', 'work', '--t']), ['--timeout']);
  assert.deepEqual(c(['env', 'work', '--format', '']), ['sh', 'fish', 'powershell', 'json']);
  assert.deepEqual(c(['completion', '']), [...SHELLS]);
  assert.deepEqual(c(['help', 'prof']), ['profile']);
  assert.deepEqual(c(['exec', 'work', '--', '']), [], "exec's command is the shell's to complete");
  assert.ok(!c(['status', '--json', '--']).includes('--json'), 'a flag given once is not offered again');
  assert.deepEqual(candidates(1, ['lakekey', 'logi'], profiles, true), ['login\tlog in through your identity provider in the browser']);
});

test('each shell script asks the same __complete protocol and registers for `lakekey`', () => {
  for (const shell of SHELLS) {
    const script = completionScript(shell);
    assert.match(script, new RegExp(`lakekey __complete ${shell} `), shell);
  }
  assert.match(completionScript('bash'), /^complete -o default -F _lakekey lakekey$/m);
  assert.match(completionScript('zsh'), /^compdef _lakekey lakekey$/m);
  assert.match(completionScript('fish'), /^complete -c lakekey -f -a '\(__lakekey_complete\)'$/m);
  assert.match(completionScript('powershell'), /Register-ArgumentCompleter -Native -CommandName lakekey/);
});

test("README's command section lists exactly the commands and flags of `lakekey help`", () => {
  const readme = readFileSync(join(REPO, 'README.md'), 'utf8');
  const section = /^## Commands\n+```\n([\s\S]*?)\n```/m.exec(readme)?.[1] ?? assert.fail('README has no ## Commands code block');
  const help = overview();
  const flags = (text: string) => new Set([...text.matchAll(/--[a-z0-9-]+/g)].map((m) => m[0]).filter((f) => f !== '--help'));
  const commands = (text: string) => new Set([...text.matchAll(/^\s*lakekey ([a-z-]+(?: (?:add|set|list|show|remove|import))?)/gm)].map((m) => m[1]));
  assert.deepEqual([...flags(section)].sort(), [...flags(help)].sort(), 'flags');
  assert.deepEqual([...commands(section)].sort(), [...commands(help)].sort(), 'commands');
  assert.deepEqual([...commands(help)].sort(), COMMANDS.map((c) => c.name).sort());
});

test('`login` and `status` say one thing about renewal: lakeFS tokens only by a browser login', () => {
  const idp = { issuer: 'https://idp.example.com', clientId: 'c' };
  const s3 = parseProfile('a', { ...idp, s3: { stsEndpoint: 'https://minio.example.com' } });
  const lakefs = parseProfile('b', { ...idp, lakefs: { endpoint: 'https://lakefs.example.com' } });
  const both = parseProfile('c', { ...idp, s3: { stsEndpoint: 'https://minio.example.com' }, lakefs: { endpoint: 'https://lakefs.example.com' } });
  const viaLakefs = parseProfile('d', { ...idp, s3: { tokenSource: 'lakefs' }, lakefs: { endpoint: 'https://lakefs.example.com' } });
  const refreshable = { signedIn: true, canRefresh: true };
  assert.equal(renewal(s3, refreshable), 'silently');
  assert.equal(renewal(s3, { signedIn: true, canRefresh: false }), 'needs login');
  assert.equal(renewal(lakefs, refreshable), 'by browser login');
  assert.equal(renewal(both, refreshable), 'S3 silently, lakeFS by browser login');
  assert.equal(renewal(viaLakefs, refreshable), 'by browser login', 'S3 through lakeFS lives as long as the lakeFS token');
});

test('the profile flags are the shared profile fields: --unset offers the optional ones (and the S3 and lakeFS parts), add requires the others', () => {
  const add = COMMANDS.find((c) => c.name === 'profile add');
  const unset = COMMANDS.find((c) => c.name === 'profile set')?.flags.find((f) => f.name === 'unset');
  assert.deepEqual([...(unset?.choices ?? [])].sort(), [...PROFILE_FIELDS.filter((f) => !f.required).map((f) => f.flag), ...PROFILE_SECTIONS].sort());
  for (const field of PROFILE_FIELDS) {
    const flag = add?.flags.find((f) => f.name === field.flag);
    assert.ok(flag, `profile add has --${field.flag}`);
    assert.equal(Boolean(flag.required), Boolean(field.required), field.flag);
    assert.equal(flag.type === 'boolean', Boolean(field.boolean), field.flag);
  }
  const c = (line: string[]) => candidates(line.length, ['lakekey', ...line], () => ['work']);
  assert.deepEqual(c(['profile', 'set', 'work', '--unset', 'lakefs']), ['lakefs-endpoint', 'lakefs-ttl', 'lakefs']);
});
