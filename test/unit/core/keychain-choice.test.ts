// Which keychain holds the secrets: LAKEKEY_KEYCHAIN over the settings' "keychain" over the OS
// keychain; chosen explicitly, kept by every settings write, refused where it cannot be.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import {
  chooseKeychain,
  chosenKeychain,
  kernelKeyringOffer,
  kernelMaxItemBytes,
  KERNEL_USER_KEY_MAX_BYTES,
  sayExpiry,
} from '../../../main/core/keychain/keychain-choice.js';
import { parseProfile, readSettings } from '../../../main/core/config/settings.js';
import { updateSettings } from '../../../main/core/config/settings-write.js';

test('LAKEKEY_KEYCHAIN wins over the setting, which wins over the OS keychain', () => {
  assert.deepEqual(chooseKeychain({}, undefined, 'linux'), { kind: 'os', from: 'default' });
  assert.deepEqual(chooseKeychain({}, 'kernel', 'linux'), { kind: 'kernel', from: 'settings' });
  assert.deepEqual(chooseKeychain({ LAKEKEY_KEYCHAIN: 'kernel' }, undefined, 'linux'), { kind: 'kernel', from: 'env' });
  assert.deepEqual(chooseKeychain({ LAKEKEY_KEYCHAIN: 'os' }, 'kernel', 'linux'), { kind: 'os', from: 'env' });
  assert.deepEqual(chooseKeychain({ LAKEKEY_KEYCHAIN: '' }, 'kernel', 'linux'), { kind: 'kernel', from: 'settings' }, 'empty is unset');
});

test('an unknown LAKEKEY_KEYCHAIN is a configuration error (exit 2), never a guess', () => {
  for (const bad of ['Kernel', 'keyctl', 'secret-service', 'file']) {
    assert.throws(
      () => chosenKeychain({ LAKEKEY_KEYCHAIN: bad }, undefined, 'linux'),
      (err: Error & { exitCode?: number; hint?: string }) => {
        assert.equal(err.exitCode, 2);
        assert.match(err.message, /LAKEKEY_KEYCHAIN=.* is not a keychain lakekey knows/);
        assert.match(err.hint ?? '', /"kernel".*"os"/);
        return true;
      },
    );
  }
});

test('the kernel keyring is refused off Linux, saying which setting to change', () => {
  assert.throws(
    () => chosenKeychain({ LAKEKEY_KEYCHAIN: 'kernel' }, undefined, 'darwin'),
    (err: Error & { exitCode?: number; hint?: string }) => {
      assert.equal(err.exitCode, 2);
      assert.match(err.message, /a Linux keychain, and this is darwin/);
      assert.match(err.hint ?? '', /Unset LAKEKEY_KEYCHAIN/);
      return true;
    },
  );
  assert.throws(
    () => chosenKeychain({}, 'kernel', 'win32'),
    (err: Error & { hint?: string }) => /lakekey keychain os/.test(err.hint ?? ''),
  );
  assert.equal(chosenKeychain({}, undefined, 'darwin'), 'os');
});

test('the settings file keeps "keychain" through every write, and refuses a bad one', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'lakekey-keychain-'));
  assert.equal(readSettings(dir).keychain, undefined);
  await updateSettings(dir, (s) => {
    s.keychain = 'kernel';
  });
  // A later write that does not touch it (profile add) keeps it.
  await updateSettings(dir, (s) => {
    s.profiles.work = parseProfile('work', { issuer: 'https://idp.example.com', clientId: 'abc' });
  });
  const onDisk = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
  assert.equal(onDisk.keychain, 'kernel');
  assert.equal(readSettings(dir).keychain, 'kernel');
  assert.equal(onDisk.profiles.work.clientId, 'abc');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ ...onDisk, keychain: 'plaintext' }));
  assert.throws(
    () => readSettings(dir),
    (err: Error & { exitCode?: number }) => err.exitCode === 2 && /"keychain" must be "os" or "kernel", not "plaintext"/.test(err.message),
  );
});

test("the kernel keyring's offer says what it means: memory only, gone at reboot, the persistent keyring's lifetime", () => {
  const offer = kernelKeyringOffer();
  assert.match(offer, /lakekey keychain kernel/);
  assert.match(offer, /LAKEKEY_KEYCHAIN=kernel/);
  assert.match(offer, /kernel memory only/);
  assert.match(offer, /gone at reboot/);
  const expiry = Number(readFileSync('/proc/sys/kernel/keys/persistent_keyring_expiry', 'utf8'));
  assert.match(offer, new RegExp(`${sayExpiry(expiry)} after lakekey last used them`));
  assert.equal(sayExpiry(259200), '3 days');
  assert.equal(sayExpiry(3600), '60 min');
});

test("the kernel keyring's item limit: a user key's 32767 bytes, or less under a small key quota", () => {
  const rootQuota = Number(readFileSync('/proc/sys/kernel/keys/root_maxbytes', 'utf8'));
  const userQuota = Number(readFileSync('/proc/sys/kernel/keys/maxbytes', 'utf8'));
  assert.equal(kernelMaxItemBytes(0), Math.min(KERNEL_USER_KEY_MAX_BYTES, rootQuota - 256));
  assert.equal(kernelMaxItemBytes(1000), Math.min(KERNEL_USER_KEY_MAX_BYTES, userQuota - 256));
});
