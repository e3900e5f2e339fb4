// `lakekey keychain [os|kernel]` in the command table: the words it takes are the core's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KEYCHAINS } from '../../../main/core/keychain/keychain-choice.js';
import { candidates } from '../../../main/cli/completion.js';
import { findCommand, KEYCHAIN_WORDS } from '../../../main/cli/spec.js';

test('the CLI offers (and completes) the keychains the core knows', () => {
  assert.deepEqual([...KEYCHAIN_WORDS], [...KEYCHAINS]);
  assert.deepEqual(findCommand('keychain')?.args, [`[${KEYCHAINS.join('|')}]`]);
  assert.deepEqual(
    candidates(2, ['lakekey', 'keychain', ''], () => []),
    ['os', 'kernel'],
  );
  assert.deepEqual(
    candidates(2, ['lakekey', 'keychain', 'k'], () => []),
    ['kernel'],
  );
});
