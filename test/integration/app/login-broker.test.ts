// The login broker over real sockets: CLI processes asking the tray for a login at the same time
// share one login; a wrong secret is refused; a stale socket means "no tray".
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { brokerEndpoint, brokerSecretPath, requestLoginViaTray, startLoginBroker } from '../../../main/core/login/login-broker.js';
import { LakekeyError } from '../../../main/core/errors.js';

const CLIENT = join(import.meta.dirname, 'broker-client.js');

function tempDir(): string {
  return join(mkdtempSync(join(tmpdir(), 'lk-broker-')), 'cfg');
}

function client(dir: string, profile: string, timeoutMs = 10_000): Promise<{ result?: string; error?: string; message?: string; ms: number }> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLIENT, dir, profile, String(timeoutMs)], { timeout: 30_000 }, (err, stdout) => {
      if (err) reject(err);
      else resolve(JSON.parse(stdout.trim()));
    });
  });
}

function rawRequest(endpoint: string, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(endpoint);
    let out = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.write(line));
    s.on('data', (d: string) => (out += d));
    s.on('end', () => resolve(out));
    s.on('error', reject);
  });
}

test('two CLI processes asking at once get ONE interactive login, and both hear it finished', async () => {
  const dir = tempDir();
  let logins = 0;
  const broker = await startLoginBroker({
    platform: process.platform,
    dir,
    login: async () => {
      logins += 1;
      await new Promise((r) => setTimeout(r, 600)); // the user logging in
    },
  });
  try {
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(broker.endpoint).mode & 0o777, 0o600);
    assert.equal(statSync(brokerSecretPath(dir)).mode & 0o777, 0o600);
    const [a, b] = await Promise.all([client(dir, 'work'), client(dir, 'work')]);
    assert.equal(a.result, 'done');
    assert.equal(b.result, 'done');
    assert.equal(logins, 1);
    // Another profile is its own login; a later request for the same one is a new login.
    const [c, d] = await Promise.all([client(dir, 'other'), client(dir, 'work')]);
    assert.deepEqual([c.result, d.result], ['done', 'done']);
    assert.equal(logins, 3);
  } finally {
    await broker.close();
  }
});

test('a login that fails reaches every waiting client with its code', async () => {
  const dir = tempDir();
  const broker = await startLoginBroker({
    platform: process.platform,
    dir,
    login: async (name) => {
      await new Promise((r) => setTimeout(r, 200));
      throw new LakekeyError('LOGIN_REQUIRED', 'the screen is locked', { hint: `Run \`lakekey login ${name}\`.` });
    },
  });
  try {
    const [a, b] = await Promise.all([client(dir, 'work'), client(dir, 'work')]);
    assert.deepEqual([a.error, b.error], ['LOGIN_REQUIRED', 'LOGIN_REQUIRED']);
    await assert.rejects(
      requestLoginViaTray(dir, 'work', 5000, process.platform),
      (e: LakekeyError) => e.code === 'LOGIN_REQUIRED' && /lakekey login work/.test(e.hint ?? ''),
    );
  } finally {
    await broker.close();
  }
});

test('a wrong secret, a malformed request and a bad profile name are refused without a login', async () => {
  const dir = tempDir();
  let logins = 0;
  const broker = await startLoginBroker({ platform: process.platform, dir, login: async () => void (logins += 1) });
  try {
    const wrong = JSON.parse(await rawRequest(broker.endpoint, JSON.stringify({ secret: 'f'.repeat(64), op: 'login', profile: 'work' }) + '\n'));
    assert.equal(wrong.ok, false);
    assert.equal(wrong.code, 'FORBIDDEN');
    const garbage = JSON.parse(await rawRequest(broker.endpoint, 'not json\n'));
    assert.equal(garbage.code, 'FORBIDDEN');
    const secret = readFileSync(brokerSecretPath(dir), 'utf8').trim();
    const badName = JSON.parse(await rawRequest(broker.endpoint, JSON.stringify({ secret, op: 'login', profile: '../x' }) + '\n'));
    assert.equal(badName.code, 'USAGE');
    assert.equal(logins, 0);
    // A client holding the wrong secret file gets the refusal as an error, not a login.
    writeFileSync(brokerSecretPath(dir), 'e'.repeat(64), { mode: 0o600 });
    await assert.rejects(requestLoginViaTray(dir, 'work', 5000, process.platform), /refused/);
    assert.equal(logins, 0);
  } finally {
    await broker.close();
  }
});

test('no tray: no secret file, or a stale socket left by a crashed tray → "no-tray" fast', async () => {
  const dir = tempDir();
  const t0 = Date.now();
  assert.equal(await requestLoginViaTray(dir, 'work', 10_000, process.platform), 'no-tray');
  // A crashed tray: its secret file and socket file remain, nothing listens.
  const first = await startLoginBroker({ platform: process.platform, dir, login: async () => {} });
  const secret = readFileSync(brokerSecretPath(dir), 'utf8');
  await first.close();
  writeFileSync(brokerSecretPath(dir), secret, { mode: 0o600 });
  await makeDeadSocket(brokerEndpoint(dir, process.platform));
  assert.ok(statSync(brokerEndpoint(dir, process.platform)).isSocket());
  const r = await client(dir, 'work');
  assert.equal(r.result, 'no-tray');
  assert.ok(Date.now() - t0 < 10_000);
  assert.ok(r.ms < 5000, `answered in ${r.ms} ms: it waited for its 10 s limit instead of seeing nobody listens`);
  // A new tray starts over the stale socket.
  let logins = 0;
  const next = await startLoginBroker({ platform: process.platform, dir, login: async () => void (logins += 1) });
  try {
    assert.equal(await requestLoginViaTray(dir, 'work', 5000, process.platform), 'done');
    assert.equal(logins, 1);
    await assert.rejects(startLoginBroker({ platform: process.platform, dir, login: async () => {} }), /already running/);
  } finally {
    await next.close();
  }
});

/** Leaves a socket file with no listener, as a killed process does. */
function makeDeadSocket(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = `const s=require('net').createServer();s.listen(${JSON.stringify(path)},()=>process.kill(process.pid,'SIGKILL'));`;
    execFile(process.execPath, ['-e', script], () => resolve());
    setTimeout(() => reject(new Error('timeout')), 10_000).unref();
  });
}
