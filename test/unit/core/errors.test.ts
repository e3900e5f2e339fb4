// errors.ts: the one walker of an error's `cause` chain (causeChain) and the three readers that
// use it (the network check, the network words' codes, the CLI's file-problem words); and the
// factories of the errors several places throw, one wording each.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fileProblem } from '../../../main/cli/file-problem.js';
import { causeChain, ExitCode, isNetworkError, noLakefsSettings, noS3Settings } from '../../../main/core/errors.js';
import { codesOf } from '../../../main/core/net/network-words.js';

/** fetch's shape: TypeError('fetch failed') ← undici's error ← the socket's errno error. */
function nested(...codes: string[]): Error {
  let err: Error | undefined;
  for (const code of codes.reverse()) err = Object.assign(new Error(`e ${code}`, { cause: err }), { code });
  return err!;
}

test('causeChain lists the error and its causes outermost first, objects only', () => {
  const inner = new Error('inner');
  const middle = new Error('middle', { cause: inner });
  const outer = new Error('outer', { cause: middle });
  assert.deepEqual(causeChain(outer), [outer, middle, inner]);
  assert.deepEqual(causeChain(new Error('x', { cause: 'a string cause' })).length, 1);
  assert.deepEqual(causeChain(undefined), []);
  assert.deepEqual(causeChain('text'), []);
});

test('causeChain ends on a chain that loops back on itself', () => {
  const a = new Error('a');
  const b = new Error('b', { cause: a });
  (a as { cause?: unknown }).cause = b;
  const chain = causeChain(a);
  assert.ok(chain.length > 2 && chain.length < 10, `${chain.length}`);
});

test('the readers find a code five causes deep', () => {
  const deep = nested('OUTER1', 'OUTER2', 'OUTER3', 'OUTER4', 'ECONNREFUSED');
  assert.equal(isNetworkError(deep), true);
  assert.deepEqual(codesOf(deep), ['OUTER1', 'OUTER2', 'OUTER3', 'OUTER4', 'ECONNREFUSED']);
  assert.equal(isNetworkError(nested('OUTER1', 'EINVAL')), false);
  const eacces = Object.assign(new Error('denied', { cause: Object.assign(new Error('EACCES'), { code: 'EACCES', path: '/x/settings.json' }) }), {
    code: 'WRAPPED',
  });
  assert.match(fileProblem(eacces)?.message ?? '', /cannot write \/x\/settings\.json: permission denied/);
});

test('"no S3 settings" and "no lakeFS endpoint": one wording each, a CONFIG error (exit 2) with the fix, which a caller may replace', () => {
  const s3 = noS3Settings('dev', 'so there is nothing to serve');
  assert.equal(s3.message, 'profile "dev" has no S3 settings, so there is nothing to serve');
  assert.match(s3.hint ?? '', /lakekey profile set dev --s3-sts-endpoint URL/);
  assert.equal(s3.code, 'CONFIG');
  assert.equal(s3.exitCode, ExitCode.usage);
  const lakefs = noLakefsSettings('dev');
  assert.equal(lakefs.message, 'profile "dev" has no lakeFS endpoint');
  assert.equal(lakefs.hint, 'Add one with `lakekey profile set dev --lakefs-endpoint URL`.');
  assert.equal(lakefs.code, 'CONFIG');
  assert.equal(lakefs.exitCode, ExitCode.usage);
  assert.equal(noLakefsSettings('dev', 'Check its S3 half.').hint, 'Check its S3 half.');
  assert.equal(noS3Settings('dev', '', 'Check its lakeFS half.').message, 'profile "dev" has no S3 settings');
});
