// `npm run build:cli -- --target …` cross-builds every other platform's executable on this
// machine, with the keychain addon each needs: none on Linux (D-Bus), the target's own
// keyring.node from its @napi-rs/keyring-<platform> npm package on macOS and Windows. Checked by
// the binaries' headers (they cannot run here): the right format and CPU for each file.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { REPO } from '../helpers/cli.js';

/** The first 4 KiB of a file. */
function head(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const b = Buffer.alloc(4096);
    return b.subarray(0, readSync(fd, b, 0, b.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** "elf-aarch64", "macho-arm64", "macho-x64", "pe-x64", or what else the header says. */
function kind(file: string): string {
  const b = head(file);
  if (b.readUInt32BE(0) === 0x7f454c46) return `elf-${({ 0x3e: 'x64', 0xb7: 'aarch64' } as Record<number, string>)[b.readUInt16LE(18)] ?? b.readUInt16LE(18)}`;
  if (b.readUInt32LE(0) === 0xfeedfacf)
    return `macho-${({ 0x01000007: 'x64', 0x0100000c: 'arm64' } as Record<number, string>)[b.readUInt32LE(4)] ?? b.readUInt32LE(4)}`;
  if (b.toString('latin1', 0, 2) === 'MZ') {
    const pe = b.readUInt32LE(0x3c);
    assert.equal(b.toString('latin1', pe, pe + 4), 'PE\0\0');
    return `pe-${({ 0x8664: 'x64', 0xaa64: 'arm64' } as Record<number, string>)[b.readUInt16LE(pe + 4)] ?? b.readUInt16LE(pe + 4)}`;
  }
  return 'unknown';
}

test('cross-built executables for linux-arm64, darwin-arm64, darwin-x64 and windows-x64, each with the addon its keychain needs', async () => {
  // The runtimes and addons come from the npm registry; they are cached across runs in the
  // suite's cache (each test file has a fresh HOME).
  const cache = process.env.LAKEKEY_TEST_CACHE;
  assert.ok(cache, 'the test runner sets LAKEKEY_TEST_CACHE');
  const env = { ...process.env, XDG_CACHE_HOME: cache, BUN_INSTALL_CACHE_DIR: join(cache, 'bun-install') };
  const targets = ['linux-arm64', 'darwin-arm64', 'darwin-x64', 'windows-x64'];
  await promisify(execFile)(process.execPath, [join(REPO, 'scripts', 'build-cli.mjs'), ...targets.flatMap((t) => ['--target', t])], {
    cwd: REPO,
    env,
    maxBuffer: 1 << 24,
  });
  const out = (t: string) => join(REPO, 'dist', 'cli', t);
  const expect: Record<string, Record<string, string>> = {
    'linux-arm64': { lakekey: 'elf-aarch64' },
    'darwin-arm64': { lakekey: 'macho-arm64', 'keyring.node': 'macho-arm64' },
    'darwin-x64': { lakekey: 'macho-x64', 'keyring.node': 'macho-x64' },
    'windows-x64': { 'lakekey.exe': 'pe-x64', 'keyring.node': 'pe-x64' },
  };
  for (const t of targets) {
    assert.deepEqual(readdirSync(out(t)).sort(), Object.keys(expect[t]).sort(), `${t}: the files beside each other`);
    for (const [file, want] of Object.entries(expect[t])) assert.equal(kind(join(out(t), file)), want, `${t}/${file}`);
  }
  assert.equal(kind(join(REPO, 'dist', 'cli', 'lakekey')), `elf-${process.arch === 'arm64' ? 'aarch64' : 'x64'}`, 'the host build stays where it was');
});
