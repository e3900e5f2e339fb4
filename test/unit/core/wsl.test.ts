// WSL (issue 24): what doctor says about a login's loopback callback seen from the Windows
// browser, from the WSL facts and the Windows user's .wslconfig that compose.ts hands over. This
// machine has no WSL: the facts are injected; the README says it is untested on a real WSL 2.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { wslCallbackFinding, wslNetworkSettings, type WslInfo } from '../../../main/core/login/wsl.js';
import { wsl as composedWsl } from '../../../main/core/compose.js';
import { diagnose, exitCodeOf } from '../../../main/core/usecases/diagnose.js';
import { Vault } from '../../../main/core/keychain/vault.js';
import { MemoryStore } from '../../helpers/memory-store.js';

const WSL2: WslInfo = { version: 2, interop: true, distro: 'Ubuntu' };
const CONFIG = '/mnt/c/Users/u/.wslconfig';

test('.wslconfig: networkingMode and localhostForwarding of the [wsl2] section only, comments and case aside', () => {
  assert.deepEqual(wslNetworkSettings('[wsl2]\r\nmemory=4GB\r\nlocalhostForwarding=false # off\r\n'), { localhostForwarding: false });
  assert.deepEqual(wslNetworkSettings('[WSL2]\nnetworkingMode = Mirrored\n'), { networkingMode: 'mirrored' });
  assert.deepEqual(wslNetworkSettings('[experimental]\nlocalhostForwarding=false\n'), {}, 'another section');
  assert.deepEqual(wslNetworkSettings('[wsl2]\n; localhostForwarding=false\nlocalhostForwarding=true\n'), { localhostForwarding: true });
});

test('doctor explains when the Windows browser cannot reach the callback, and what to do', () => {
  const off = wslCallbackFinding(WSL2, { path: CONFIG, text: '[wsl2]\nlocalhostForwarding=false\n' });
  assert.equal(off.status, 'warn');
  assert.match(
    off.words,
    /localhostForwarding=false in \/mnt\/c\/Users\/u\/\.wslconfig: the Windows browser cannot reach lakekey's login callback on 127\.0\.0\.1/,
  );
  assert.match(off.fix ?? '', /Remove localhostForwarding=false .*networkingMode=mirrored.*`wsl --shutdown`.*--browser firefox.*--device/);
  // Mirrored networking wins over the forwarding key (which it does not use).
  assert.equal(wslCallbackFinding(WSL2, { path: CONFIG, text: '[wsl2]\nnetworkingMode=mirrored\nlocalhostForwarding=false\n' }).status, 'ok');
  const none = wslCallbackFinding(WSL2, { path: CONFIG });
  assert.equal(none.status, 'ok');
  assert.match(none.words, /no \/mnt\/c\/Users\/u\/\.wslconfig: the default, on/);
  const unknown = wslCallbackFinding(WSL2, { path: '.wslconfig', problem: "could not find the Windows user's folder to read .wslconfig" });
  assert.equal(unknown.status, 'info');
  assert.match(unknown.fix ?? '', /If your \.wslconfig sets localhostForwarding=false/);
  assert.equal(
    wslCallbackFinding({ version: 1, interop: true }, { path: CONFIG, text: '[wsl2]\nlocalhostForwarding=false\n' }).status,
    'ok',
    'WSL 1 shares the network',
  );
  const noInterop = wslCallbackFinding({ ...WSL2, interop: false }, { path: CONFIG });
  assert.equal(noInterop.status, 'warn');
  assert.match(noInterop.fix ?? '', /\[interop\] enabled=true in \/etc\/wsl\.conf/);
});

test('diagnose reports the WSL line (a warning leaves the exit code 0), and nothing outside WSL', async () => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lk-wsl-')), 'cfg');
  const base = { dir, vault: new Vault(new MemoryStore()), clock: { now: () => Date.now() }, fetch, env: {}, platform: 'linux' as const };
  const inWsl = await diagnose({ ...base, wsl: async () => ({ info: WSL2, wslconfig: { path: CONFIG, text: '[wsl2]\nlocalhostForwarding=false\n' } }) });
  const line = inWsl.find((r) => r.name === 'WSL');
  assert.equal(line?.status, 'warn', JSON.stringify(inWsl));
  assert.equal(exitCodeOf(inWsl), 0);
  const outside = await diagnose({ ...base, wsl: async () => undefined });
  assert.equal(
    outside.find((r) => r.name === 'WSL'),
    undefined,
  );
  // This machine is no WSL: compose.ts's detection, reading the real /proc, says so.
  assert.equal(composedWsl({}, 'linux'), undefined);
});
