// The credentials endpoint as shipped (SECURITY.md "The credentials endpoint"): the attacks of
// endpoint.test.ts that depend on the HTTP server's runtime, against a real `lakekey serve` —
// the bun executable built by `npm run build:cli`, not the Node module — serving a profile logged
// in at the real IdP with credentials from MinIO. Then where its token may show up while
// `lakekey serve` and `lakekey exec --server` run: no command line of any process, no log, no
// record, no output; only its 0600 file in the 0700 settings folder.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ENDPOINT_PATH } from '../../main/core/endpoint/server.js';
import { CLI, walkFiles } from '../helpers/cli.js';
import { ask, assertNothingSecret as check, type Raw, trickle } from '../helpers/endpoint-raw.js';
import { startServe, type ServeProcess } from '../helpers/serve-process.js';
import { s3ProfileArgs, sandbox, startPeers, type Peers, type Sandbox } from '../helpers/world.js';

let peers: Peers;
let box: Sandbox;
let srv: ServeProcess;
/** The credentials the right request got: none may show in a refusal. */
let secrets: string[] = [];

before(async () => {
  peers = await startPeers();
  box = await sandbox(peers, { browser: true });
  const login = await box.cli(['login', box.name]);
  assert.equal(login.code, 0, login.stderr);
  delete box.env.LAKEKEY_BROWSER; // unattended from here on
  srv = await startServe(box);
});
after(async () => {
  await srv?.stop();
  await peers?.stop();
});

const get = (path: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Raw> => ask(srv, path, headers, method);
const work = () => `${ENDPOINT_PATH}${encodeURIComponent(box.name)}`;
const assertNothingSecret = (r: Raw) => check(r, [...secrets, srv.token]);

/** The right request, answered with MinIO's credentials (so a refusal is never a server that serves nobody). */
async function assertServed(): Promise<void> {
  const r = await get(work());
  assert.equal(r.status, 200, r.body);
  const body = JSON.parse(r.body) as Record<string, string>;
  assert.deepEqual(Object.keys(body).sort(), ['AccessKeyId', 'Expiration', 'SecretAccessKey', 'Token']);
  secrets = [body.AccessKeyId, body.SecretAccessKey, body.Token];
}

describe('`lakekey serve` (the bun executable) under attack', () => {
  test('the right request gets MinIO credentials, no-store, no CORS header', async () => {
    await assertServed();
    const r = await get(work());
    assert.match(r.headers, /cache-control: no-store/i);
    assert.doesNotMatch(r.headers, /access-control-/i);
  });

  test('a missing, wrong or nearly right token gets 401, whatever its length', async () => {
    const t = srv.token;
    const flip = (i: number) => t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
    for (const auth of ['', 'wrong', t.slice(0, -1), `${t}x`, `Bearer ${t}`, flip(0), flip(t.length - 1)]) {
      const r = await get(work(), { Authorization: auth });
      assert.equal(r.status, 401, `Authorization of ${auth.length} characters`);
      assertNothingSecret(r);
    }
    await assertServed();
  });

  test('a Host other than 127.0.0.1:<port> (DNS rebinding) is refused, even with the token', async () => {
    for (const host of [`localhost:${srv.port}`, `evil.example:${srv.port}`, '127.0.0.1', `127.0.0.1:${srv.port + 1}`]) {
      const r = await get(work(), { Host: host });
      assert.equal(r.status, 403, `Host "${host}"`);
      assertNothingSecret(r);
    }
    // No Host at all: the HTTP parser's own 400.
    const none = await get(work(), { Host: '' });
    assert.equal(none.status, 400);
    assertNothingSecret(none);
  });

  test('a request carrying Origin (a web page) is refused, even with the token', async () => {
    for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${srv.port}`]) {
      const r = await get(work(), { Origin: origin });
      assert.equal(r.status, 403, origin);
      assertNothingSecret(r);
    }
  });

  test('any method but GET is refused (405, Allow: GET)', async () => {
    for (const method of ['POST', 'PUT', 'OPTIONS', 'DELETE', 'HEAD']) {
      const r = await get(work(), {}, method);
      assert.equal(r.status, 405, method);
      assert.match(r.headers, /allow: GET/i);
      assertNothingSecret(r);
    }
  });

  test('only the profile it was started for: another profile (sharing the sign-in), an unknown path, a traversal', async () => {
    // A second profile on the same IdP: it shares the sign-in, so it could be served — but not here.
    const other = `${box.name}-other`;
    const add = await box.cli(['profile', 'add', other, ...s3ProfileArgs(peers)]);
    assert.equal(add.code, 0, add.stderr);
    const expected: Array<[string, number]> = [
      [`${ENDPOINT_PATH}${other}`, 404],
      [`${ENDPOINT_PATH}nobody`, 404],
      [`${work()}/`, 404],
      [`${ENDPOINT_PATH}..%2F${box.name}`, 404],
      ['/', 404],
      ['/v1/credentials', 404],
      [`//evil${work()}`, 400],
      [`http://127.0.0.1:${srv.port}${work()}`, 400],
    ];
    const mints = peers.sts.count();
    for (const [path, status] of expected) {
      const r = await get(path);
      assert.equal(r.status, status, `${path}: ${r.body}`);
      assertNothingSecret(r);
    }
    assert.equal(peers.sts.count(), mints, 'nothing was minted for a profile it does not serve');
  });

  test('oversized requests are refused by their size and never hold the server', async () => {
    const long = await get(`${ENDPOINT_PATH}${'a'.repeat(5000)}`);
    assert.equal(long.status, 400, long.body);
    assertNothingSecret(long);
    for (const kib of [12, 20]) {
      const big = await get(work(), { 'X-Padding': 'a'.repeat(kib * 1024) });
      assert.equal(big.status, 431, `${kib} KiB header`);
      assertNothingSecret(big);
    }
    for (const body of [{ 'Content-Length': '100000000' }, { 'Transfer-Encoding': 'chunked' }] as Array<Record<string, string>>) {
      const r = await get(work(), { ...body, Connection: '' });
      assert.equal(r.status, 413, `${JSON.stringify(body)}: ${r.status} ${r.body}`);
      assertNothingSecret(r);
      assert.ok(r.closedByServer, `${JSON.stringify(body)}: the server kept the connection open for a body`);
    }
    await assertServed();
  });

  test('slowloris: a head trickled a byte every 1.5 s (never idle) is cut long before it could finish', async () => {
    const head = `GET ${work()} HTTP/1.1\r\nHost: 127.0.0.1:${srv.port}\r\nAuthorization: ${srv.token}\r\n\r\n`;
    const slow = trickle(srv.port, head, 1500, 60_000);
    await assertServed(); // answered meanwhile
    const t = await slow;
    // The head deadline is 5 s; 30 s is only the bound past which the defence is missing.
    assert.ok(t.closedAfterMs !== undefined && t.closedAfterMs < 30_000, `the server held a trickling client ${t.closedAfterMs ?? 'for all of 60 s'} ms`);
    assert.ok(t.sent < head.length, 'the head was never complete');
    for (const s of secrets) assert.ok(!t.data.includes(s));
  });

  test('it said what it refused on stderr, without the token or a credential', () => {
    const said = srv.stderr();
    assert.match(said, /refused a request without the right token/);
    assert.match(said, /refused a request with a body/);
    for (const s of [srv.token, ...secrets]) assert.ok(!said.includes(s) && !srv.stdout().includes(s));
  });
});

describe('the token is only ever in its file', () => {
  test('while `serve` and `exec --server` run: on no command line, in no log, record or output; its file 0600 in a 0700 folder', async () => {
    const root = dirname(box.dir);
    const seen = join(root, 'exec-seen');
    // The job writes down what it was given (the token, and the AWS files lakekey made for it),
    // then waits; LAKEKEY_DEBUG=1 sends lakekey's debug log to its stderr too.
    const script = `printf '%s\\n%s\\n%s\\n' "$AWS_CONTAINER_AUTHORIZATION_TOKEN" "$AWS_CONFIG_FILE" "$AWS_SHARED_CREDENTIALS_FILE" > "$1.tmp" && mv "$1.tmp" "$1"; trap 'kill $! 2>/dev/null; exit 0' TERM; sleep 120 & wait`;
    const job = spawn(CLI, ['exec', box.name, '--server', '--', 'sh', '-c', script, 'sh', seen], { env: { ...box.env, LAKEKEY_DEBUG: '1' } });
    let jobOut = '';
    job.stdout.on('data', (d) => (jobOut += d));
    job.stderr.on('data', (d) => (jobOut += d));
    const exited = new Promise<number | null>((resolve) => job.once('exit', (code) => resolve(code)));
    let tokens: string[] = [];
    const leaks = (text: string) => tokens.some((t) => text.includes(t));
    try {
      for (let i = 0; i < 600 && !existsSync(seen); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(existsSync(seen), `the job never started: ${jobOut}`);
      const [execToken, awsConfig, awsCredentials] = readFileSync(seen, 'utf8').split('\n');
      assert.ok(execToken.length >= 43, 'exec --server handed the job a token');
      tokens = [srv.token, execToken];

      // Every process's command line that can be read (all of them, where /proc has no hidepid).
      const pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p));
      const lines = new Map<string, string>();
      for (const pid of pids) {
        try {
          lines.set(pid, readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
        } catch {
          /* ended */
        }
      }
      assert.match(lines.get(String(srv.child.pid)) ?? '', /serve/, 'the serving process was among those read');
      assert.match(lines.get(String(job.pid)) ?? '', /exec/, 'the exec process was among those read');
      assert.ok(
        [...lines.values()].some((l) => l.includes(seen) && l.startsWith('sh')),
        'the job itself was among those read',
      );
      const onCommandLine = [...lines].filter(([, l]) => leaks(l)).map(([pid, l]) => `${pid}: ${l.replaceAll('\0', ' ').slice(0, 80)}`);
      assert.deepEqual(onCommandLine, [], 'the token on a command line');

      // The log, the records, the settings and AWS files: everything under the sandbox, and the
      // AWS files exec made for the job, but the token file itself and what the job wrote down.
      const log = join(box.dir, 'lakekey.log');
      assert.ok(existsSync(log), 'lakekey logs there');
      assert.ok(existsSync(srv.recordFile), 'the record is there');
      const files = [...walkFiles(root, (p) => p === srv.tokenFile || p === seen), awsConfig, awsCredentials];
      assert.ok(files.includes(log) && files.includes(srv.recordFile));
      assert.deepEqual(
        files.filter((f) => existsSync(f) && leaks(readFileSync(f, 'latin1'))),
        [],
        'the token in a file',
      );
      assert.ok(!leaks(srv.stdout()) && !leaks(srv.stderr()), 'the token in what serve printed');

      // Its file: owner-only, in the owner-only settings folder.
      const file = statSync(srv.tokenFile);
      assert.equal(file.mode & 0o777, 0o600);
      assert.equal(file.uid, process.getuid!());
      assert.equal(statSync(dirname(srv.tokenFile)).mode & 0o777, 0o700);
      assert.equal(readFileSync(srv.tokenFile, 'utf8'), srv.token);
    } finally {
      job.kill('SIGTERM');
    }
    assert.equal(await exited, 0);
    assert.ok(!leaks(jobOut), 'the token in what exec --server printed (with LAKEKEY_DEBUG=1)');
  });
});
