import assert from 'node:assert/strict';
import { test } from 'node:test';
import { redact, registerSecret } from '../../../main/core/redact.js';

test('redacts registered values and secret-shaped text', () => {
  registerSecret('refresh-sentinel-123456');
  const line = 'rt=refresh-sentinel-123456 Authorization: Bearer abc.def code=SplxlOBeZQQ state=xyz123 eyJhbGciOi.eyJzdWIiOi.sig AKIAABCDEFGHIJKLMNOP';
  const out = redact(line);
  for (const s of ['refresh-sentinel-123456', 'abc.def', 'SplxlOBeZQQ', 'xyz123', 'eyJhbGciOi', 'AKIAABCDEFGHIJKLMNOP'])
    assert.ok(!out.includes(s), `${s} leaked: ${out}`);
  assert.match(out, /Bearer \[redacted\]/);
  assert.equal(redact('nothing secret here'), 'nothing secret here');
});
