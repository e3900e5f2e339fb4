// The `lakekey` command as its users meet it (issue 13): help for every command, did-you-mean,
// real shell completion (bash and fish run here), `profile set`, `profile remove` cleaning up
// the AWS config, errors that name flags, file problems said as such (exit 2), `--json` for
// scripts, and the live countdown on a real pseudo-terminal. Real CLI, shells, AWS CLI and IdP.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COMMANDS } from '../../main/cli/spec.js';
import { CLI, run, runCli } from '../helpers/cli.js';
import { OTHER_UID, reachableCli, runAsOtherUser } from '../helpers/other-user.js';
import { securityBox } from '../helpers/security-world.js';
import { startIdp, type Idp } from '../peers/idp.js';

let idp: Idp;
before(async () => {
  idp = await startIdp();
});
after(async () => {
  await idp?.stop();
});

/** A fresh settings folder and AWS config, nothing in them. */
function emptyWorld() {
  const root = mkdtempSync(join(tmpdir(), 'lakekey-ux-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    LAKEKEY_CONFIG_DIR: join(root, 'lakekey'),
    AWS_CONFIG_FILE: join(root, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(root, 'aws-credentials'),
  };
  delete env.LAKEKEY_BROWSER;
  return { root, env, cli: (args: string[]) => runCli(args, { env }) };
}

const S3 = ['--s3-sts-endpoint', 'http://127.0.0.1:9', '--s3-region', 'us-east-1'];

describe('help, did-you-mean', () => {
  test('every command answers --help, -h and `help CMD` with its own usage, flags and example (exit 0)', async () => {
    const { cli } = emptyWorld();
    for (const c of COMMANDS) {
      const words = c.name.split(' ');
      const viaFlag = await cli([...words, '--help']);
      assert.equal(viaFlag.code, 0, `${c.name} --help: ${viaFlag.stderr}`);
      assert.match(viaFlag.stdout, new RegExp(`^lakekey ${c.name} — `), c.name);
      assert.ok(viaFlag.stdout.includes(`Example:\n  ${c.example}`), `${c.name} shows its example`);
      for (const f of c.flags) assert.match(viaFlag.stdout, new RegExp(`^  --${f.name}\\b`, 'm'), `${c.name} lists --${f.name}`);
      if (c.name === 'help') continue;
      assert.equal((await cli([...words, '-h'])).stdout, viaFlag.stdout, `${c.name} -h`);
      assert.equal((await cli(['help', ...words])).stdout, viaFlag.stdout, `help ${c.name}`);
    }
    const group = await cli(['profile', '--help']);
    assert.equal(group.code, 0);
    assert.match(group.stdout, /^ {2}profile set +change some fields/m);
  });

  test('a mistyped command or flag: did you mean, exit 2', async () => {
    const { cli } = emptyWorld();
    const logn = await cli(['logn']);
    assert.equal(logn.code, 2);
    assert.match(logn.stderr, /^lakekey: unknown command "logn"; did you mean "login"\?$/m);
    const lst = await cli(['profile', 'lst']);
    assert.equal(lst.code, 2);
    assert.match(lst.stderr, /unknown command "profile lst"; did you mean "profile list"\?/);
    const flag = await cli(['login', 'work', '--tiemout', '30']);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /unknown flag "--tiemout" for `lakekey login`; did you mean "--timeout"\?/);
    const top = await cli(['--verison']);
    assert.equal(top.code, 2);
    assert.match(top.stderr, /did you mean "--version"\?/);
  });
});

describe('shell completion', () => {
  /** A `lakekey` on PATH (the scripts call it by name), and a settings folder with two profiles. */
  async function completionWorld() {
    const w = emptyWorld();
    const bin = join(w.root, 'bin');
    mkdirSync(bin);
    writeFileSync(join(bin, 'lakekey'), `#!/bin/sh\nexec "${CLI}" "$@"\n`, { mode: 0o755 });
    w.env.PATH = `${bin}:${process.env.PATH}`;
    for (const name of ['work', 'home']) assert.equal((await w.cli(['profile', 'add', name, '--issuer', idp.issuer, '--client-id', 'c', ...S3])).code, 0);
    return w;
  }

  test('bash: the real completion function offers commands, subcommands, flags, values and profile names', async () => {
    const w = await completionWorld();
    const script = (await w.cli(['completion', 'bash'])).stdout;
    writeFileSync(join(w.root, 'lakekey.bash'), script);
    const complete = async (...words: string[]) => {
      const cmd = `source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _lakekey; printf '%s\\n' "\${COMPREPLY[@]}"`;
      const r = await run('bash', ['-c', cmd, 'bash', join(w.root, 'lakekey.bash'), 'lakekey', ...words], { env: w.env });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(await complete('lo'), ['login', 'logout']);
    assert.deepEqual(await complete('profile', 's'), ['set', 'show']);
    assert.deepEqual((await complete('login', '')).sort(), ['home', 'work']);
    assert.deepEqual(await complete('login', 'work', '--no'), ['--no-browser']);
    assert.deepEqual(await complete('env', 'work', '--format', 'p'), ['powershell']);
    assert.deepEqual(await complete('profile', 'set', 'work', '--unset', 's3-r'), ['s3-region', 's3-role-arn']);
    assert.ok(!(await complete('profile', 'set', 'work', '--unset', '')).includes('issuer'), 'a required field is not offered');
    const registered = await run('bash', ['-c', `source "$1"; complete -p lakekey`, 'bash', join(w.root, 'lakekey.bash')], { env: w.env });
    assert.match(registered.stdout, /complete -o default -F _lakekey lakekey/);
  });

  test('fish: `complete -C` offers commands (with descriptions) and profile names', async () => {
    const w = await completionWorld();
    writeFileSync(join(w.root, 'lakekey.fish'), (await w.cli(['completion', 'fish'])).stdout);
    const complete = async (line: string) => {
      const r = await run('fish', ['--no-config', '-c', `source $argv[1]; complete -C "${line}"`, join(w.root, 'lakekey.fish')], { env: w.env });
      assert.equal(r.code, 0, r.stderr);
      return r.stdout.split('\n').filter(Boolean);
    };
    assert.deepEqual(await complete('lakekey lo'), [
      'login\tlog in through your identity provider in the browser',
      "logout\tforget the profile's secrets and end its sign-in (for every profile sharing it); revoke the refresh token where the IdP offers it, and say which",
    ]);
    assert.deepEqual((await complete('lakekey status ')).map((l) => l.split('\t')[0]).sort(), ['home', 'work']);
    assert.deepEqual((await complete('lakekey doctor --')).map((l) => l.split('\t')[0]).sort(), ['--help', '--json']);
  });

  test('zsh and PowerShell: their scripts use the same protocol, which answers as bash and fish are answered', async (t) => {
    // Neither shell is installed on this machine (checked below); so this checks the generated
    // scripts' registration and the exact call they make, run for real without the shell.
    const installed = ['zsh', 'pwsh'].filter((s) => spawnSync('sh', ['-c', `command -v ${s}`]).status === 0);
    if (installed.length) t.diagnostic(`installed here: ${installed.join(', ')} (this test still only checks the scripts' text)`);
    const w = await completionWorld();
    const zsh = (await w.cli(['completion', 'zsh'])).stdout;
    assert.match(zsh, /^#compdef lakekey$/m);
    assert.match(zsh, /command lakekey __complete zsh \$\(\(CURRENT - 1\)\) "\$\{words\[@\]\}"/);
    const ps = (await w.cli(['completion', 'powershell'])).stdout;
    assert.match(ps, /& lakekey __complete powershell \(\$words\.Count - 1\) @words/);
    // What zsh's `words` (1-based, CURRENT=3) and PowerShell's elements send for "lakekey login w":
    const asked = await run('lakekey', ['__complete', 'zsh', '2', 'lakekey', 'login', 'w'], { env: w.env });
    assert.deepEqual(asked.stdout.split('\n').filter(Boolean), ['work']);
    const unknownShell = await w.cli(['completion', 'tcsh']);
    assert.equal(unknownShell.code, 2);
  });
});

describe('profiles', () => {
  test('errors name the flag: --s3-duration, --redirect-port, a missing --client-id, a bad role ARN', async () => {
    const { cli } = emptyWorld();
    const base = ['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c'];
    const duration = await cli([...base, ...S3, '--s3-duration', '5']);
    assert.equal(duration.code, 2);
    assert.match(duration.stderr, /^lakekey: --s3-duration: expected a whole number from 900 to 43200, got "5"$/m);
    assert.doesNotMatch(duration.stderr, /durationSeconds/);
    const port = await cli([...base, '--redirect-port', '99999']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--redirect-port: expected a whole number from 0 to 65535/);
    assert.doesNotMatch(port.stderr, /redirectPort/);
    const issuerOnly = await cli(['profile', 'add', 'p', '--issuer', idp.issuer]);
    assert.equal(issuerOnly.code, 2);
    assert.match(issuerOnly.stderr, /^lakekey: --client-id is required$/m);
    const arn = await cli([...base, '--s3-role-arn', 'arn:aws:iam::1234:role/data']);
    assert.equal(arn.code, 2);
    assert.match(arn.stderr, /--s3-role-arn: expected a role ARN, got "arn:aws:iam::1234:role\/data"/);
    // AWS partitions and MinIO's ARNs are accepted.
    assert.equal((await cli([...base, '--s3-role-arn', 'arn:aws-cn:iam::123456789012:role/data'])).code, 0);
    assert.equal(
      (await cli(['profile', 'add', 'm', '--issuer', idp.issuer, '--client-id', 'c', ...S3, '--s3-role-arn', 'arn:minio:iam:::role/dF8SRzt2cd0Yv9Y4'])).code,
      0,
    );
    // Neither S3 nor lakeFS: allowed (a login checks the IdP wiring), and said.
    const bare = await cli(['profile', 'add', 'bare', '--issuer', idp.issuer, '--client-id', 'c']);
    assert.equal(bare.code, 0, bare.stderr);
    assert.match(bare.stderr, /has neither S3 nor lakeFS settings, so it hands out no credentials/);
  });

  test('profile set changes one field and keeps the others; its errors name flags too', async () => {
    const { cli } = emptyWorld();
    assert.equal((await cli(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c', ...S3, '--scope', 'email'])).code, 0);
    const set = await cli(['profile', 'set', 'p', '--s3-duration', '7200']);
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stderr, /Changed --s3-duration of profile "p"/);
    const shown = JSON.parse((await cli(['profile', 'show', 'p', '--json'])).stdout);
    assert.equal(shown.s3.durationSeconds, 7200);
    assert.equal(shown.s3.stsEndpoint, 'http://127.0.0.1:9');
    assert.deepEqual(shown.scopes, ['openid', 'email']);
    assert.equal(shown.clientId, 'c');
    const bad = await cli(['profile', 'set', 'p', '--s3-duration', '5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--s3-duration: expected a whole number/);
    assert.equal(JSON.parse((await cli(['profile', 'show', 'p', '--json'])).stdout).s3.durationSeconds, 7200, 'a refused change writes nothing');
    const none = await cli(['profile', 'set', 'nope', '--s3-duration', '900']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no profile named "nope"/);
  });

  test('profile set --unset clears optional fields (repeatable) and refuses required and unknown ones', async () => {
    const { cli } = emptyWorld();
    const add = await cli([
      'profile',
      'add',
      'p',
      '--issuer',
      idp.issuer,
      '--client-id',
      'c',
      ...S3,
      '--s3-role-arn',
      'arn:aws:iam::123456789012:role/data',
      '--redirect-port',
      '8400',
      '--lakefs-endpoint',
      'http://127.0.0.1:9/api/v1',
    ]);
    assert.equal(add.code, 0, add.stderr);
    const unset = await cli(['profile', 'set', 'p', '--unset', 's3-role-arn', '--unset', 'redirect-port', '--unset', 'lakefs']);
    assert.equal(unset.code, 0, unset.stderr);
    assert.match(unset.stderr, /Changed --unset s3-role-arn, --unset redirect-port, --unset lakefs of profile "p"/);
    const shown = JSON.parse((await cli(['profile', 'show', 'p', '--json'])).stdout);
    assert.equal(shown.s3.roleArn, undefined);
    assert.equal(shown.s3.stsEndpoint, 'http://127.0.0.1:9', 'the other fields stay');
    assert.equal(shown.redirectPort, 0, 'back to its default');
    assert.equal(shown.lakefs, undefined);
    const required = await cli(['profile', 'set', 'p', '--unset', 'issuer']);
    assert.equal(required.code, 2);
    assert.match(required.stderr, /--unset issuer: a profile cannot be without its issuer\n.*`lakekey profile set p --issuer VALUE`/);
    const unknown = await cli(['profile', 'set', 'p', '--unset', 's3-role']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /did you mean "s3-role-arn"\?/);
    const both = await cli(['profile', 'set', 'p', '--unset', 's3-region', '--s3-region', 'eu-west-1']);
    assert.equal(both.code, 2);
    // The empty value is still refused: --unset is the way to clear, and the message is about the value.
    assert.equal((await cli(['profile', 'set', 'p', '--s3-role-arn', ''])).code, 2);
    // Unsetting what makes STS work on AWS is checked like any change.
    const noSts = await cli(['profile', 'set', 'p', '--unset', 's3-sts-endpoint']);
    assert.equal(noSts.code, 2);
    assert.match(noSts.stderr, /AWS STS needs a role to assume/);
  });

  test('--endpoint / --no-endpoint: the tray serves the profile from its credentials endpoint; S3 profiles only; shown; gone with the S3 part', async () => {
    const { cli, env } = emptyWorld();
    const add = await cli(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c', ...S3, '--endpoint']);
    assert.equal(add.code, 0, add.stderr);
    assert.match(
      add.stderr,
      /The tray serves profile "p" from its credentials endpoint while it runs: `eval "\$\(lakekey env p --server\)"` points a shell at it\./,
    );
    const settings = () => JSON.parse(readFileSync(join(env.LAKEKEY_CONFIG_DIR!, 'config.json'), 'utf8')).profiles;
    assert.equal(settings().p.endpoint, true);
    assert.equal(JSON.parse((await cli(['profile', 'show', 'p', '--json'])).stdout).endpoint, true);
    assert.match((await cli(['profile', 'show', 'p'])).stdout, /^credentials endpoint +served by the tray while it runs \(`lakekey env p --server`\)$/m);

    const off = await cli(['profile', 'set', 'p', '--no-endpoint']);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stderr, /Changed --no-endpoint of profile "p"/);
    assert.equal(settings().p.endpoint, undefined, "off is the field's absence");
    assert.match((await cli(['profile', 'show', 'p'])).stdout, /^credentials endpoint +off$/m);
    const on = await cli(['profile', 'set', 'p', '--endpoint']);
    assert.equal(on.code, 0, on.stderr);
    assert.equal(settings().p.endpoint, true);
    // No tray running: `env --server` says where the endpoint would come from.
    const noTray = await cli(['env', 'p', '--server']);
    assert.equal(noTray.code, 2);
    assert.match(
      noTray.stderr,
      /no credentials endpoint is serving profile "p"\n {2}The tray serves it while it runs: start the tray, or start one with `lakekey serve p`/,
    );
    const both = await cli(['profile', 'set', 'p', '--endpoint', '--no-endpoint']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--endpoint and --no-endpoint ask for opposite things/);
    assert.equal((await cli(['profile', 'set', 'p', '--unset', 'endpoint'])).code, 0);
    assert.equal(settings().p.endpoint, undefined);

    // It serves S3 credentials: a profile without S3 settings is refused, saying what to do.
    const bare = await cli([
      'profile',
      'add',
      'bare',
      '--issuer',
      idp.issuer,
      '--client-id',
      'c',
      '--lakefs-endpoint',
      'http://127.0.0.1:9/api/v1',
      '--endpoint',
    ]);
    assert.equal(bare.code, 2);
    assert.match(
      bare.stderr,
      /^lakekey: --endpoint: the credentials endpoint serves S3 credentials, and profile "bare" has no S3 settings\n.*--s3-sts-endpoint URL.*or leave the endpoint off\./m,
    );
    assert.equal(settings().bare, undefined, 'nothing written');
    // Dropping the S3 part drops the endpoint with it; asking for both at once is refused.
    assert.equal((await cli(['profile', 'set', 'p', '--endpoint', '--lakefs-endpoint', 'http://127.0.0.1:9/api/v1'])).code, 0);
    assert.equal((await cli(['profile', 'set', 'p', '--unset', 's3', '--endpoint'])).code, 2);
    const noS3 = await cli(['profile', 'set', 'p', '--unset', 's3']);
    assert.equal(noS3.code, 0, noS3.stderr);
    assert.equal(settings().p.endpoint, undefined);
    assert.equal(settings().p.s3, undefined);

    // Enabled by hand on a profile without S3: that profile alone is broken, and the fix is said.
    const file = join(env.LAKEKEY_CONFIG_DIR!, 'config.json');
    const stored = JSON.parse(readFileSync(file, 'utf8'));
    stored.profiles.p.endpoint = true;
    writeFileSync(file, JSON.stringify(stored));
    const broken = await cli(['profile', 'show', 'p', '--json']);
    assert.equal(JSON.parse(broken.stdout).broken.fix.includes('lakekey profile set p --unset endpoint'), true, broken.stdout);
    assert.equal((await cli(['profile', 'set', 'p', '--unset', 'endpoint'])).code, 0);
    assert.equal(JSON.parse((await cli(['profile', 'show', 'p', '--json'])).stdout).broken, undefined);
  });

  test('--refresh-before must be shorter than --s3-duration: refused when typed, fitted and said when not', async () => {
    const { cli } = emptyWorld();
    const typed = await cli(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c', ...S3, '--s3-duration', '900', '--refresh-before', '1200']);
    assert.equal(typed.code, 2);
    assert.match(
      typed.stderr,
      /--refresh-before 1200 is not shorter than the S3 credentials' lifetime \(--s3-duration 900\), so every call would mint new ones\n {2}Pass --refresh-before 300/,
    );
    const fitted = await cli(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c', ...S3, '--s3-duration', '900']);
    assert.equal(fitted.code, 0, fitted.stderr);
    assert.match(fitted.stderr, /renews its S3 credentials 300 s before they expire \(--refresh-before\): 1200 s would not fit their 900 s lifetime/);
    assert.equal(JSON.parse((await cli(['profile', 'show', 'p', '--json'])).stdout).refreshBeforeSeconds, 300);
    const set = await cli(['profile', 'set', 'p', '--refresh-before', '900']);
    assert.equal(set.code, 2, 'a later change is held to the same rule');
  });

  test('profile remove also removes the AWS profiles lakekey wrote for it (only those), unless --keep-aws-config', async () => {
    const w = emptyWorld();
    for (const name of ['p', 'q']) assert.equal((await w.cli(['profile', 'add', name, '--issuer', idp.issuer, '--client-id', 'c', ...S3])).code, 0);
    const mine =
      '[default]\nregion = eu-west-1\n\n[profile keep]\n# not lakekey: another tool that happens to take the same words\ncredential_process = /usr/bin/other-tool credential-process p\n';
    writeFileSync(w.env.AWS_CONFIG_FILE!, mine);
    for (const args of [['p'], ['p', '--aws-profile', 'p-alias'], ['q']]) assert.equal((await w.cli(['configure-aws', ...args])).code, 0);
    const removed = await w.cli(['profile', 'remove', 'p']);
    assert.equal(removed.code, 0, removed.stderr);
    assert.match(removed.stderr, /Removed \[profile p\], \[profile p-alias\] from .*aws-config( \(backup: .*\))?\./);
    const text = readFileSync(w.env.AWS_CONFIG_FILE!, 'utf8');
    assert.ok(text.startsWith(mine), `the user's sections stay as they were:\n${text}`);
    assert.doesNotMatch(text, /\[profile p\]|\[profile p-alias\]/);
    assert.match(text, /\[profile q\]/);
    // The AWS CLI reads the result without complaint, and no longer knows the removed profiles.
    const profiles = await run('/usr/bin/aws', ['configure', 'list-profiles'], { env: w.env });
    assert.equal(profiles.code, 0, profiles.stderr);
    assert.deepEqual(profiles.stdout.split('\n').filter(Boolean).sort(), ['default', 'keep', 'q']);
    const kept = await w.cli(['profile', 'remove', 'q', '--keep-aws-config']);
    assert.equal(kept.code, 0, kept.stderr);
    assert.match(readFileSync(w.env.AWS_CONFIG_FILE!, 'utf8'), /\[profile q\]/);
  });
});

describe('file problems are the user\'s to fix: exit 2 with the path, never "unexpected"', () => {
  async function withProfile() {
    const w = emptyWorld();
    assert.equal((await w.cli(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c', ...S3])).code, 0);
    return w;
  }

  test('the AWS config file is a folder', async () => {
    const w = await withProfile();
    mkdirSync(w.env.AWS_CONFIG_FILE!);
    const r = await w.cli(['configure-aws', 'p']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`the AWS config file ${w.env.AWS_CONFIG_FILE} is a folder`));
    assert.doesNotMatch(r.stderr, /unexpected|report it/);
    const doctor = await w.cli(['doctor', 'p']);
    assert.match(doctor.stdout, new RegExp(`^FAIL {2}p: AWS config: ${w.env.AWS_CONFIG_FILE} is a folder, not a file\n\\s+fix: Move the folder aside`, 'm'));
  });

  test('a read-only AWS config file is left as it is', async () => {
    const w = await withProfile();
    writeFileSync(w.env.AWS_CONFIG_FILE!, '[default]\nregion = eu-west-1\n');
    chmodSync(w.env.AWS_CONFIG_FILE!, 0o444);
    const r = await w.cli(['configure-aws', 'p']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /is read-only, so lakekey leaves it as it is\n {2}Make it writable \(`chmod u\+w /);
    assert.equal(readFileSync(w.env.AWS_CONFIG_FILE!, 'utf8'), '[default]\nregion = eu-west-1\n');
    assert.equal(statSync(w.env.AWS_CONFIG_FILE!).mode & 0o777, 0o444);
  });

  test('a file where the settings folder should be', async () => {
    const w = emptyWorld();
    writeFileSync(join(w.root, 'afile'), '');
    w.env.LAKEKEY_CONFIG_DIR = join(w.root, 'afile', 'lakekey');
    const r = await w.cli(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /afile/);
    assert.doesNotMatch(r.stderr, /unexpected|report it/);
  });

  test('an unwritable settings folder and ~/.aws (EACCES)', async () => {
    // root writes anywhere, so as root the CLI runs as "nobody" (setpriv) for this test, from a
    // copy that user can reach wherever the checkout lives (a private home, a mktemp -d).
    const root = process.getuid?.() === 0;
    const w = emptyWorld();
    const locked = join(w.root, 'locked');
    mkdirSync(locked);
    if (root) chownSync(w.root, OTHER_UID, OTHER_UID);
    if (root) chownSync(locked, OTHER_UID, OTHER_UID);
    chmodSync(locked, 0o555);
    const asUser = (args: string[], env: NodeJS.ProcessEnv) =>
      root ? runAsOtherUser(reachableCli(), args, { env: { ...env, HOME: w.root } }) : runCli(args, { env });
    const settings = await asUser(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c'], {
      ...w.env,
      LAKEKEY_CONFIG_DIR: join(locked, 'lakekey'),
    });
    assert.equal(settings.code, 2, settings.stderr);
    assert.match(settings.stderr, new RegExp(`cannot write ${locked}.*: permission denied`));
    assert.doesNotMatch(settings.stderr, /unexpected|report it/);
    const env = { ...w.env, LAKEKEY_CONFIG_DIR: join(w.root, 'lakekey'), AWS_CONFIG_FILE: join(locked, '.aws', 'config') };
    assert.equal((await asUser(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c', ...S3], env)).code, 0);
    const aws = await asUser(['configure-aws', 'p'], env);
    assert.equal(aws.code, 2, aws.stderr);
    assert.match(aws.stderr, new RegExp(`cannot write the AWS config file ${env.AWS_CONFIG_FILE}: .* is not writable \\(EACCES\\)`));
  });
});

describe('for scripts: --json', () => {
  test('status, profile list, doctor and configure-aws --dry-run speak JSON; empty is []', async () => {
    const w = emptyWorld();
    assert.deepEqual(JSON.parse((await w.cli(['status', '--json'])).stdout), []);
    assert.deepEqual(JSON.parse((await w.cli(['profile', 'list', '--json'])).stdout), []);
    assert.equal((await w.cli(['profile', 'add', 'p', '--issuer', idp.issuer, '--client-id', 'c', ...S3])).code, 0);
    const [status] = JSON.parse((await w.cli(['status', '--json'])).stdout);
    assert.deepEqual([status.name, status.signedIn, status.renews], ['p', false, '—']);
    assert.deepEqual(JSON.parse((await w.cli(['logout', 'p', '--json'])).stdout), { profile: 'p', revocation: 'no-session', removed: { keychain: false } });
    const dry = JSON.parse((await w.cli(['configure-aws', 'p', '--dry-run', '--json'])).stdout);
    assert.equal(dry.changed, true);
    assert.equal(dry.written, false);
    assert.match(dry.diff, /^\+\[profile p\]$/m);
    const doctor = await w.cli(['doctor', 'p', '--json']);
    assert.notEqual(doctor.code, 0, 'STS at port 9 is down, and nobody logged in');
    const results = JSON.parse(doctor.stdout) as Array<{ name: string; status: string; words: string; fix?: string }>;
    assert.deepEqual(
      results.map((r) => [r.name, r.status]),
      [
        ['settings', 'ok'],
        ['keychain', 'ok'],
        ['p: identity provider', 'ok'],
        ['p: STS', 'fail'],
        ['p: clock', 'ok'],
        ['p: AWS config', 'info'],
        ['p: S3 endpoint', 'skip'],
        ['p: session', 'fail'],
      ],
    );
    assert.ok(
      results.filter((r) => r.status === 'fail').every((r) => r.fix),
      'every failure names a fix',
    );
  });
});

describe('the login wait is alive on a terminal', () => {
  test('a countdown on one line of a real pseudo-terminal; none when stderr is not a terminal', async () => {
    const box = await securityBox(idp.issuer, idp.clientId);
    const cmd = `"${CLI}" login ${box.name} --no-browser --timeout 10`;
    const tty = await run('script', ['-qfec', cmd, '/dev/null'], { env: box.env, timeoutMs: 120_000 });
    assert.equal(tty.code, 3, tty.stdout);
    // eslint-disable-next-line no-control-regex -- the escape sequence is what is checked
    assert.match(tty.stdout, /\r\x1b\[2K[|/\\-] waiting for the login: \d+ s left \(Ctrl-C to stop\)/);
    assert.match(tty.stdout, /no login completed within 10 s/);
    const piped = await box.cli(['login', box.name, '--no-browser', '--timeout', '10']);
    assert.equal(piped.code, 3);
    // eslint-disable-next-line no-control-regex -- the escape sequence is what is checked
    assert.doesNotMatch(piped.stderr, /waiting for the login:|\x1b/);
  });
});
