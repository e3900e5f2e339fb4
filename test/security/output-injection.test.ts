// What servers send cannot become code or screen control (issue 9 §2, §3):
// - `env --format sh|fish|powershell` quotes every quote-class character of its shell: hostile
//   values round-trip through the real dash, bash and fish unchanged and run nothing; PowerShell
//   (not installable here) is checked by a tokenizer of its single-quoted string literal, written
//   from the language specification (§2.3.5.2: single-quote-character is ' U+2018 U+2019 U+201A
//   U+201B; two in a row inside the literal stand for one).
// - credentials of an unexpected shape are refused where they arrive (exit 5), never handed out;
// - control characters from servers never reach stderr or the log raw; the program's own text
//   (the `--lakefs` usage hint) is never eaten by the redactor.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { renderEnv } from '../../main/cli/commands.js';
import { requireShape } from '../../main/core/exchange/credential-shape.js';
import { LakekeyError } from '../../main/core/errors.js';
import { gate, gateLine, outside } from '../../main/core/text-gate.js';
import { runCli } from '../helpers/cli.js';

const HOSTILE = [
  "x'; echo PWNED; '",
  'x\u2019; Write-Output PWNED; \u2019',
  '\u2018\u2019\u201A\u201B\u201C\u201D\u201E',
  '$(echo PWNED)`echo PWNED`${HOME}',
  "back\\slash\\\\ and \\' mixed",
  'semi;colon|pipe&amp>redir<in',
  'new\nline and \ttab',
  '*?[glob] ~user !history %PATH%',
  "'",
  "''",
  '',
];

/** What each real shell holds in $V after evaluating renderEnv's line. */
function roundTrip(shell: 'dash' | 'bash' | 'fish', value: string): { out: string; stderr: string } {
  const code = renderEnv({ V: value }, shell === 'fish' ? 'fish' : 'sh');
  const script = shell === 'fish' ? `${code}\nprintf '%s' "$V"` : `${code}\nprintf '%s' "$V"`;
  const r = spawnSync(shell, ['-c', script], { encoding: 'utf8', env: { PATH: process.env.PATH, HOME: '/nonexistent' } });
  assert.equal(r.status, 0, `${shell}: ${r.stderr}`);
  return { out: r.stdout, stderr: r.stderr };
}

for (const shell of ['dash', 'bash', 'fish'] as const) {
  test(`env --format ${shell === 'fish' ? 'fish' : 'sh'}: hostile values round-trip through real ${shell} and run nothing`, () => {
    for (const value of HOSTILE) {
      const { out } = roundTrip(shell, value);
      assert.equal(out, value, `${shell} round trip of ${JSON.stringify(value)}`);
      assert.ok(!out.includes('PWNED') || value.includes('PWNED'), 'nothing ran');
    }
  });
}

const PS_QUOTES = new Set(["'", '\u2018', '\u2019', '\u201A', '\u201B']);

/**
 * Tokenizes `$Env:NAME = '<literal>'` as PowerShell does: the literal ends at the first
 * single-quote-character that is not doubled. Returns the value and whatever follows the
 * literal on the line (which PowerShell would run as code).
 */
function powershellAssignment(line: string): { name: string; value: string; rest: string } {
  const m = /^\$Env:(\w+) = /.exec(line);
  assert.ok(m, `not an assignment: ${line}`);
  let i = m[0].length;
  assert.ok(PS_QUOTES.has(line[i]), 'opens with a single-quote-character');
  i++;
  let value = '';
  for (; i < line.length; i++) {
    const c = line[i];
    if (PS_QUOTES.has(c)) {
      if (PS_QUOTES.has(line[i + 1])) {
        value += c;
        i++;
        continue;
      }
      return { name: m[1], value, rest: line.slice(i + 1) };
    }
    value += c;
  }
  throw new Error(`unterminated literal: ${line}`);
}

test('env --format powershell: every quote-class character is doubled, so no value ends its literal early', () => {
  for (const value of HOSTILE.filter((v) => !v.includes('\n'))) {
    const line = renderEnv({ V: value }, 'powershell');
    const t = powershellAssignment(line);
    assert.equal(t.rest, '', `nothing after the literal for ${JSON.stringify(value)}: ${JSON.stringify(t.rest)}`);
    assert.equal(t.value, value);
  }
  // The tokenizer itself catches the attack on naive quoting (doubling only the ASCII quote).
  const naive = `$Env:V = '${'x\u2019; Write-Output PWNED; \u2019'.replace(/'/g, "''")}'`;
  assert.match(powershellAssignment(naive).rest, /Write-Output PWNED/);
});

test('credentials of an unexpected shape are refused at arrival (exit 5 class), naming the server, never the value', () => {
  const hostile = 'x\u2019; Write-Output PWNED; \u2019';
  for (const [kind, code] of [
    ['jwt', 'LAKEFS_REFUSED'],
    ['session-token', 'STS_REFUSED'],
    ['access-key-id', 'STS_REFUSED'],
    ['secret-access-key', 'STS_REFUSED'],
    ['opaque-token', 'IDP_REFUSED'],
  ] as const) {
    let err: unknown;
    try {
      requireShape(kind, hostile, 'the test server', 'credential', code);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof LakekeyError, `${kind} refused`);
    assert.equal(err.code, code);
    assert.equal(err.exitCode, 5);
    assert.ok(!err.message.includes('PWNED') && !err.message.includes('\u2019'), 'the value is not echoed');
  }
});

test("control characters from servers are replaced; one log event stays one line; the program's own text is untouched", () => {
  const attack = '\x1b]0;owned\x07\x1b[2K\r\u009b31mlakekey: Logged in to profile "x"\nforged line\u202e';
  const cleaned = outside(attack);
  // eslint-disable-next-line no-control-regex -- asserting the absence of control characters
  assert.doesNotMatch(cleaned, /[\x00-\x08\x0a-\x1f\x7f-\x9f\u202e]/, 'no C0/C1/bidi controls, no newline');
  assert.match(cleaned, /owned/, 'the printable text survives');
  assert.doesNotMatch(gateLine(`notice: ${attack}`), /\n/, 'a log line stays one line');
  const own = 'lakekey: say which token: --lakefs\nUsage: lakekey token NAME --lakefs\nname\tissuer\tkinds';
  assert.equal(gate(own), own, "the program's own text, newlines included, passes unchanged");
});

test("the usage hint of `token` keeps its --lakefs (the redactor never touches the program's own text)", async () => {
  const r = await runCli(['token', 'anything']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /say which token: --lakefs/);
  assert.match(r.stderr, /Usage: lakekey token NAME --lakefs/);
});
