// Bad input around the credentials endpoint gets a clear error and loses nothing (issue 22): a
// port in use, `exec --server` on a profile with no S3 settings or one that needs a login (log
// in first, as `exec` says), a child that cannot be run (126/127, as a shell says), and
// `--server --static` refused before anything else happens. Real IdP, MinIO STS and the CLI.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type Peers, sandbox, type Sandbox, startPeers } from '../helpers/world.js';

let peers: Peers;
before(async () => {
  peers = await startPeers();
});
after(async () => {
  await peers?.stop();
});

const RAN = 'the job ran';

describe('exec --server before any login', () => {
  let box: Sandbox;
  before(async () => {
    box = await sandbox(peers); // no browser: nobody can log in from here
  });

  test('a profile that needs a login: exit 3 naming the login, and the job does not run', async () => {
    const r = await box.cli(['exec', box.name, '--server', '--', 'sh', '-c', `echo ${RAN}`]);
    assert.equal(r.code, 3, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`lakekey login ${box.name}`));
  });

  test('--server with --static is a usage error before the profile is even looked at (no login asked)', async () => {
    const r = await box.cli(['exec', box.name, '--server', '--static', '--', 'sh', '-c', `echo ${RAN}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--server and --static are two ways/);
    assert.doesNotMatch(r.stderr, /lakekey login/);
  });

  test('a profile with no S3 settings: exit 2 saying what to set, and the job does not run', async () => {
    const idpOnly = `${box.name}-idp`;
    const add = await box.cli(['profile', 'add', idpOnly, '--issuer', peers.idp.issuer, '--client-id', peers.idp.clientId]);
    assert.equal(add.code, 0, add.stderr);
    const r = await box.cli(['exec', idpOnly, '--server', '--', 'sh', '-c', `echo ${RAN}`]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /has no S3 settings|hands over none/);
  });
});

describe('after a login', () => {
  let box: Sandbox;
  before(async () => {
    box = await sandbox(peers, { browser: true });
    const login = await box.cli(['login', box.name]);
    assert.equal(login.code, 0, login.stderr);
    delete box.env.LAKEKEY_BROWSER;
  });

  test('exec --server: a command not found is 127, one that cannot be run 126, each said', async () => {
    const missing = await box.cli(['exec', box.name, '--server', '--', 'no-such-command-xyz']);
    assert.equal(missing.code, 127, missing.stderr);
    assert.match(missing.stderr, /cannot run "no-such-command-xyz": command not found/);
    const plain = join(mkdtempSync(join(tmpdir(), 'lakekey-noexec-')), 'not-a-program');
    writeFileSync(plain, 'just text\n', { mode: 0o644 });
    const notExecutable = await box.cli(['exec', box.name, '--server', '--', plain]);
    assert.equal(notExecutable.code, 126, notExecutable.stderr);
    assert.match(notExecutable.stderr, /permission denied/);
  });

  test('serve --port on a port in use: exit 2 naming the port and what to do, nothing left running', async () => {
    const taken: Server = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as AddressInfo).port;
    try {
      const r = await box.cli(['serve', box.name, '--port', String(port)]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`Port ${port} is in use: pick another with --port`));
      const env = await box.cli(['env', box.name, '--server']);
      assert.notEqual(env.code, 0, 'no endpoint was registered for env --server to find');
    } finally {
      await new Promise((resolve) => taken.close(resolve));
    }
  });
});
