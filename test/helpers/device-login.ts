// Finishing a device login (RFC 8628) the way a user on an SSH host does: the CLI prints an
// address and a code, and a browser elsewhere (here: Chromium driven through the test IdP's
// pages) completes it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { driveLogin } from './browser.js';

/** Starts a command, waits for the device-login URL in its output, and finishes it in a browser elsewhere. */
export async function finishDeviceLogin(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; output: string }> {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  child.stdout.on('data', (d) => {
    stdout += d;
    output += d;
  });
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((r) => child.on('close', r));
  const deadline = Date.now() + 30_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /or open (http\S+user_code=\S+)/.exec(output)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.ok(match, `no device URL in: ${output}`);
  const page = await driveLogin(match[1].replace(/\r$/, ''), { device: true });
  assert.match(page.finalText, /Sign-in Success/);
  return { code: await exited, stdout, output };
}
