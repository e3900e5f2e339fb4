// The device authorization grant (RFC 8628) for machines with no browser: `login --device`,
// and the automatic fallback in credential-process when there is a terminal but no desktop.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CLI } from '../helpers/cli.js';
import { finishDeviceLogin } from '../helpers/device-login.js';
import { securityBox } from '../helpers/security-world.js';
import { readRecord, sandbox, startPeers, type Peers } from '../helpers/world.js';
import { startIdp } from '../peers/idp.js';

let peers: Peers;
before(async () => {
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
});

test('login --device signs in through a browser on another device and gets S3 credentials', async () => {
  const box = await sandbox(peers);
  const before = { ...peers.idp.counts };
  const result = await finishDeviceLogin(CLI, ['login', box.name, '--device'], box.env);
  assert.equal(result.code, 0, result.output);
  assert.match(result.output, /enter the code [A-Z-]+/);
  assert.equal(peers.idp.counts.deviceGrants - before.deviceGrants, 1);
  const record = await readRecord(box.name);
  assert.equal(record.idp?.email, 'alice@example.com');
  assert.ok(record.idp?.refreshToken, 'a refresh token, so later renewals stay silent');
  assert.ok(record.s3 && record.s3.expiresAt > Date.now() + 3000_000);
});

test('credential-process with a terminal but no desktop falls back to the device login on the terminal', async () => {
  const box = await sandbox(peers);
  // `script` gives the CLI a real pseudo-terminal as its controlling terminal; the AWS CLI would
  // capture stderr, so the instructions must reach the terminal itself.
  const command = `"${CLI}" credential-process ${box.name} 2>/dev/null`;
  const result = await finishDeviceLogin('script', ['-qfec', command, '/dev/null'], box.env);
  assert.equal(result.code, 0, result.output);
  const json = /\{"Version":1,.*\}/.exec(result.stdout);
  assert.ok(json, `credentials on stdout: ${result.stdout}`);
  assert.equal(JSON.parse(json[0]).AccessKeyId, (await readRecord(box.name)).s3?.accessKeyId);
});

test('login --device sends PKCE S256 (an IdP that requires it, as Keycloak does, accepts the login)', async () => {
  const idp = await startIdp({ devicePkceRequired: true });
  try {
    const box = await securityBox(idp.issuer, idp.clientId);
    const result = await finishDeviceLogin(CLI, ['login', box.name, '--device'], box.env);
    assert.equal(result.code, 0, result.output);
    assert.equal(idp.counts.deviceGrants, 1, 'the device-code grant passed the PKCE check');
    assert.doesNotMatch(result.output, /code_challenge/);
    assert.equal((await readRecord(box.name)).idp?.subject, 'alice');
  } finally {
    await idp.stop();
  }
});
