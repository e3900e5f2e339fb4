// The STS role session name (issue 24): the template over the web identity token's claims, its
// checks when a profile is saved, STS's character and length rules, and the error when a claim
// the template names is missing from the token at mint time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { roleSessionName } from '../../../main/core/exchange/role-session-name.js';
import { LakekeyError } from '../../../main/core/errors.js';
import { parseSettings, type Profile, type S3Settings } from '../../../main/core/config/settings.js';
import { changedS3, s3Mint } from '../../../main/core/keychain/minted-with.js';
import { parseSessionNameTemplate, renderSessionName, stsSessionName } from '../../../main/shared/session-name.js';
import type { SecretRecord } from '../../../main/core/keychain/record.js';
import { sessionNameProblem } from '../../../renderer/src/validate.js';

const jwt = (claims: Record<string, unknown>) => `eyJhbGciOiJSUzI1NiIsImtpZCI6ImsifQ.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.c2ln`;
const STS_RULE = /^[\w+=,.@-]{2,64}$/;

function fill(template: string, claims: Record<string, unknown>) {
  const parsed = parseSessionNameTemplate(template);
  if ('problem' in parsed) assert.fail(parsed.problem);
  return renderSessionName(parsed.parts, claims);
}

test("a template fills claims into literal text, and the result keeps to STS's rules", () => {
  assert.deepEqual(fill('{email}', { email: 'alice@example.com' }), { name: 'alice@example.com' });
  assert.deepEqual(fill('lk-{preferred_username}.{sub}', { preferred_username: 'alice', sub: 'u-1' }), { name: 'lk-alice.u-1' });
  assert.deepEqual(fill('{https://example.com/user}', { 'https://example.com/user': 'bob' }), { name: 'bob' }, 'namespaced claims');
  assert.deepEqual(fill('{uid}', { uid: 1234 }), { name: '1234' }, 'numbers are text');
  // Characters STS refuses become "-" (one per character, an emoji too); too long is cut at 64; too short gets a prefix.
  assert.deepEqual(fill('{name}', { name: 'José Müller/ops' }), { name: 'Jos--M-ller-ops' });
  assert.deepEqual(fill('{name}', { name: 'a😀b' }), { name: 'a-b' });
  const long = fill('{email}', { email: `${'x'.repeat(80)}@example.com` });
  assert.ok('name' in long && long.name.length === 64 && STS_RULE.test(long.name));
  assert.deepEqual(fill('{sub}', { sub: 'a' }), { name: 'lakekey-a' });
  for (const value of ['a b', 'x'.repeat(200), '\u0000\u001f', '"quoted";rm -rf', 'ü']) {
    const r = fill('p-{v}', { v: value });
    assert.ok('name' in r && STS_RULE.test(r.name), `${JSON.stringify(value)} -> ${JSON.stringify(r)}`);
  }
  assert.equal(stsSessionName(undefined), 'lakekey-');
});

test('a claim that is absent, empty or not a single value is named, not filled with nothing', () => {
  assert.deepEqual(fill('{preferred_username}', { sub: 'alice' }), { claim: 'preferred_username', gap: 'absent' });
  assert.deepEqual(fill('{email}', { email: '' }), { claim: 'email', gap: 'empty' });
  assert.deepEqual(fill('{email}', { email: null }), { claim: 'email', gap: 'absent' });
  assert.deepEqual(fill('{groups}', { groups: ['a', 'b'] }), { claim: 'groups', gap: 'not-text' });
  assert.deepEqual(fill('{email_verified}', { email_verified: true }), { claim: 'email_verified', gap: 'not-text' });
  assert.deepEqual(fill('{toString}', {}), { claim: 'toString', gap: 'absent' }, "only the token's own claims");
});

test('a malformed template is refused with what is wrong in it', () => {
  const problem = (t: string) => {
    const p = parseSessionNameTemplate(t);
    return 'problem' in p ? p.problem : '';
  };
  assert.match(problem('{email'), /unclosed "\{" \(at character 1\)/);
  assert.match(problem('x-{a{b}'), /unclosed "\{" \(at character 3\)/);
  assert.match(problem('email}'), /"\}" without its "\{" \(at character 6\)/);
  assert.match(problem('{}'), /empty "\{\}"/);
  assert.match(problem('{e mail}'), /"\{e mail\}" is not a claim name/);
  assert.match(problem('lakekey'), /names no claim, so every user would get the same session name/);
  assert.match(problem('{a}\n'), /control characters/);
  assert.match(problem(`{a}${'x'.repeat(300)}`), /longer than 256/);
  assert.equal(problem('{email}'), '');
  assert.equal(sessionNameProblem(''), '', 'the window: blank is the default');
  assert.match(sessionNameProblem('{email'), /unclosed/, 'the window checks with the same rule as you type');
});

test('the settings refuse a bad template naming the field, and a claim the lakeFS token does not carry', () => {
  const base = { issuer: 'https://idp.example.com', clientId: 'c' };
  const read = (s3: Record<string, unknown>, lakefs?: Record<string, unknown>) =>
    parseSettings({ profiles: { p: { ...base, s3, ...(lakefs ? { lakefs } : {}) } } });
  const ok = read({ stsEndpoint: 'https://minio.example.com', sessionName: '{email}' });
  assert.equal(ok.profiles.p.s3?.sessionName, '{email}');
  const bad = read({ stsEndpoint: 'https://minio.example.com', sessionName: '{email' }).broken.get('p');
  assert.match(bad?.problem.message ?? '', /s3\.sessionName: "\{email" has an unclosed "\{"/);
  assert.match(bad?.problem.hint ?? '', /--s3-session-name VALUE.*--unset s3-session-name/);
  const lakefs = { endpoint: 'https://lakefs.example.com' };
  assert.equal(read({ tokenSource: 'lakefs', sessionName: 'lakefs-{sub}' }, lakefs).profiles.p.s3?.sessionName, 'lakefs-{sub}');
  const viaLakefs = read({ tokenSource: 'lakefs', sessionName: '{email}' }, lakefs).broken.get('p');
  assert.match(viaLakefs?.problem.message ?? '', /the lakeFS token, whose only claim that names the user is \{sub\} \(the lakeFS username\), not \{email\}/);
});

function profile(s3: Partial<S3Settings> = {}): Profile & { s3: S3Settings } {
  return {
    issuer: 'https://idp.example.com',
    clientId: 'c',
    scopes: ['openid'],
    redirectPort: 0,
    refreshBeforeSeconds: 1200,
    s3: { region: 'us-east-1', durationSeconds: 3600, tokenSource: 'idp', ...s3 },
  };
}
const record: SecretRecord = { v: 1, updatedAt: 0, idp: { subject: 'alice-sub', email: 'alice@example.com' } };

test('minting: the default is the email, else the subject; a template reads the claims of the token STS is given', () => {
  const token = jwt({ iss: 'https://idp.example.com', sub: 'alice-sub', preferred_username: 'alice', email: 'alice@example.com' });
  assert.equal(roleSessionName('work', profile(), record, token), 'alice@example.com');
  assert.equal(roleSessionName('work', profile(), { ...record, idp: { subject: 'alice sub' } }, token), 'alice-sub');
  assert.equal(roleSessionName('work', profile({ sessionName: 'lk-{preferred_username}' }), record, token), 'lk-alice');
  // S3 through lakeFS: the lakeFS token's sub is the lakeFS username.
  const lakefsToken = jwt({ sub: 'alice.lakefs', aud: 'login' });
  assert.equal(roleSessionName('gw', profile({ tokenSource: 'lakefs', sessionName: '{sub}' }), record, lakefsToken), 'alice.lakefs');
});

test('minting with a template whose claim the token lacks: CONFIG (exit 2) naming the claim, the flag, the claims it has, and the fixes; no value leaks', () => {
  const token = jwt({ iss: 'https://idp.example.com', aud: 'c', sub: 'alice-sub', email: 'secret-ish@example.com', groups: ['g'], nonce: 'n' });
  const err = (() => {
    try {
      roleSessionName('work', profile({ sessionName: '{preferred_username}' }), record, token);
    } catch (e) {
      return e;
    }
    return assert.fail('no error');
  })();
  assert.ok(err instanceof LakekeyError);
  assert.equal(err.code, 'CONFIG');
  assert.equal(err.exitCode, 2);
  assert.match(
    err.message,
    /the ID token has no "preferred_username" claim, and profile "work" names it in its role session name \(--s3-session-name "\{preferred_username\}"\), so no S3 credentials were minted/,
  );
  assert.match(err.hint ?? '', /it has \{sub\}, \{email\}\)/);
  assert.doesNotMatch(err.hint ?? '', /\{iss\}|\{aud\}|\{nonce\}|\{groups\}/, 'only claims that could fill it');
  assert.match(err.hint ?? '', /lakekey profile set work --s3-session-name "\{CLAIM\}"/);
  assert.match(err.hint ?? '', /admin to put "preferred_username" in the ID token/);
  assert.match(err.hint ?? '', /lakekey profile set work --unset s3-session-name/);
  assert.doesNotMatch(`${err.message} ${err.hint}`, /secret-ish|alice-sub/, 'names, never values');
});

test('credentials minted under another session name template are stale (re-minted), older ones without it are not', () => {
  const minted = s3Mint(profile())!;
  const creds = { accessKeyId: 'A', secretAccessKey: 's', sessionToken: 't', expiresAt: 0, minted };
  assert.deepEqual(changedS3(profile(), creds), []);
  assert.deepEqual(changedS3(profile({ sessionName: '{email}' }), creds), ['s3-session-name']);
  const { sessionName: _none, ...before } = minted;
  assert.deepEqual(changedS3(profile(), { ...creds, minted: before }), [], 'parts minted before the setting existed still match the default');
});
