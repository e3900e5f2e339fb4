// core/config/client-versions.ts: which installed AWS clients are too old for endpoint_url and for the
// credentials endpoint's token file, read from what `aws --version` and botocore print.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ENDPOINT_URL, newEnough, older, TOKEN_FILE, tooOld } from '../../../main/core/config/client-versions.js';

const v2 = (v: string) => `aws-cli/${v} Python/3.11.8 Linux/6.1.0 exe/x86_64.debian.12 prompt/off`;
const v1 = (v: string, botocore: string) => `aws-cli/${v} Python/3.11.2 Linux/6.1.0 botocore/${botocore}`;

test('the token file: AWS CLI v2 from 2.15.0, botocore (and AWS CLI v1 through it) from 1.32.0', () => {
  assert.deepEqual(tooOld({ aws: v2('2.14.6') }, TOKEN_FILE), ['the AWS CLI on PATH (aws-cli/2.14.6)']);
  assert.deepEqual(tooOld({ aws: v2('2.15.0') }, TOKEN_FILE), []);
  // v1 is judged by the botocore it names: 1.29.85 pins botocore 1.31.85, 1.30.0 pins 1.32.0.
  assert.deepEqual(tooOld({ aws: v1('1.29.85', '1.31.85') }, TOKEN_FILE), ['the AWS CLI on PATH (aws-cli/1.29.85)']);
  assert.deepEqual(tooOld({ aws: v1('1.30.0', '1.32.0') }, TOKEN_FILE), []);
  assert.deepEqual(tooOld({ botocore: '1.31.85\n' }, TOKEN_FILE), ["python3's botocore 1.31.85 (boto3, s3fs)"]);
  assert.deepEqual(tooOld({ botocore: '1.32.0' }, TOKEN_FILE), []);
  // Debian bookworm's: both too old.
  const debian = { aws: 'aws-cli/2.9.19 Python/3.11.2 Linux/6.1.0-18-amd64 source/x86_64.debian.12 prompt/off', botocore: '1.29.27' };
  assert.equal(tooOld(debian, TOKEN_FILE).length, 2);
  assert.deepEqual(newEnough(debian, TOKEN_FILE), []);
  assert.deepEqual(newEnough({ aws: v2('2.31.4'), botocore: '1.29.27' }, TOKEN_FILE), ['AWS CLI 2.31.4']);
});

test('endpoint_url keeps its own minimums (AWS CLI v2 2.13, botocore 1.31), read the same way', () => {
  assert.deepEqual(tooOld({ aws: v2('2.12.7'), botocore: '1.30.9' }, ENDPOINT_URL), [
    'the AWS CLI on PATH (aws-cli/2.12.7)',
    "python3's botocore 1.30.9 (boto3, s3fs)",
  ]);
  assert.deepEqual(tooOld({ aws: v2('2.13.0'), botocore: '1.31.0' }, ENDPOINT_URL), []);
  assert.deepEqual(tooOld({ aws: v2('2.14.0') }, ENDPOINT_URL), [], 'new enough for endpoint_url, not for the token file');
});

test('versions compare part by part as numbers; what is not a version says nothing', () => {
  assert.equal(older('2.9.19', '2.15.0'), true, '9 < 15, not "9" > "1"');
  assert.equal(older('2.15', '2.15.0'), false);
  assert.equal(older('1.34.41', '1.32.0'), false);
  assert.deepEqual(tooOld({ aws: 'command not found', botocore: "ModuleNotFoundError: No module named 'botocore'" }, TOKEN_FILE), []);
  assert.deepEqual(newEnough({}, TOKEN_FILE), []);
});
