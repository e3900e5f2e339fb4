// The settings form validates with the core's own rules, maps errors to fields, and the window's
// quick client-side checks agree with the core on what is acceptable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultDraft, draftToRaw, profileToDraft, validateDraft } from '../../../main/app/profile-form.js';
import { parseProfile } from '../../../main/core/config/settings.js';
import type { ProfileDraft } from '../../../main/ipc.js';
import { checkDraft } from '../../../renderer/src/validate.js';

const good: ProfileDraft = {
  ...defaultDraft(),
  issuer: 'https://login.example.com/realms/data/',
  clientId: 'lakekey',
  s3Enabled: true,
  s3StsEndpoint: 'https://minio.example.com',
};

test('a valid draft becomes the profile the CLI would write', () => {
  const r = validateDraft('work', good, { existing: [] });
  assert.ok(r.ok);
  assert.deepEqual(
    r.profile,
    parseProfile('work', { issuer: 'https://login.example.com/realms/data', clientId: 'lakekey', s3: { stsEndpoint: 'https://minio.example.com' } }),
  );
  assert.deepEqual(profileToDraft(r.profile).s3StsEndpoint, 'https://minio.example.com');
  const named = validateDraft('work', { ...good, s3SessionName: ' lk-{email} ' }, { existing: [] });
  assert.ok(named.ok);
  assert.equal(named.profile.s3?.sessionName, 'lk-{email}');
  assert.equal(profileToDraft(named.profile).s3SessionName, 'lk-{email}', 'the form shows the template it saved');
  assert.deepEqual(draftToRaw(profileToDraft(r.profile)), draftToRaw({ ...good, issuer: 'https://login.example.com/realms/data' }));
  const browser = validateDraft('work', { ...good, browser: ' chrome --profile-directory=Work ' }, { existing: [] });
  assert.ok(browser.ok);
  assert.equal(browser.profile.browser, 'chrome --profile-directory=Work');
  assert.equal(profileToDraft(browser.profile).browser, 'chrome --profile-directory=Work', 'the form shows the browser it saved');
  assert.equal(r.profile.browser, undefined, 'an empty field: no browser of its own');
});

test('errors point at their field', () => {
  const cases: Array<[string, Partial<ProfileDraft>, string, RegExp]> = [
    ['work', { issuer: 'http://login.example.com' }, 'issuer', /https/],
    ['work', { clientId: ' ' }, 'clientId', /non-empty/],
    ['work', { refreshBeforeSeconds: '30' }, 'refreshBeforeSeconds', /60 to 43200/],
    ['work', { s3DurationSeconds: '100' }, 's3DurationSeconds', /900 to 43200/],
    ['work', { s3StsEndpoint: 'ftp://x' }, 's3StsEndpoint', /https/],
    ['work', { s3StsEndpoint: '' }, 's3RoleArn', /role/],
    ['work', { lakefsEnabled: true, lakefsEndpoint: 'http://lakefs.example.com' }, 'lakefsEndpoint', /https/],
    ['work', { lakefsEnabled: true, lakefsEndpoint: 'https://l.example.com', lakefsTtlSeconds: '99999' }, 'lakefsTtlSeconds', /60 to 43200/],
    ['work', { s3SessionName: '{email' }, 's3SessionName', /^"\{email" has an unclosed "\{"/],
    [
      'work',
      { s3SessionName: '{email}', s3TokenSource: 'lakefs', lakefsEnabled: true, lakefsEndpoint: 'https://l.example.com' },
      's3SessionName',
      /only claim that names the user is \{sub\}/,
    ],
    ['work', { browser: 'firefx' }, 'browser', /^"firefx" starts with "firefx", which is not a browser lakekey knows/],
    ['../bad', {}, 'name', /letters/],
    ['taken', {}, 'name', /already exists/],
  ];
  for (const [name, change, field, message] of cases) {
    const r = validateDraft(name, { ...good, ...change }, { existing: ['taken'] });
    assert.equal(r.ok, false, `${field} should fail`);
    const e = !r.ok && r.errors.find((x) => x.field === field);
    assert.ok(e, `${field}: ${JSON.stringify(!r.ok && r.errors)}`);
    assert.match(e.message, message);
  }
  assert.ok(validateDraft('taken', good, { existing: ['taken'], originalName: 'taken' }).ok, 'editing keeps its own name');
});

test("the window's quick checks agree with the core on accept/reject", () => {
  const variants: Array<Partial<ProfileDraft>> = [
    {},
    { issuer: 'http://127.0.0.1:9000' },
    { issuer: 'http://localhost:1/x' },
    { issuer: 'http://[::1]:1' },
    { issuer: 'http://example.com' },
    { issuer: 'https://a.example.com/?q' },
    { issuer: 'https://u:p@a.example.com' },
    { issuer: 'nope' },
    { clientId: '' },
    { redirectPort: '70000' },
    { redirectPort: '8080' },
    { redirectPort: '-1' },
    { refreshBeforeSeconds: '59' },
    { refreshBeforeSeconds: '43200' },
    { refreshBeforeSeconds: '1.5' },
    { s3DurationSeconds: '899' },
    { s3DurationSeconds: '900' },
    { s3Enabled: false, s3DurationSeconds: 'x' },
    { lakefsEnabled: true, lakefsEndpoint: '' },
    { lakefsEnabled: true, lakefsEndpoint: 'https://l.example.com', lakefsTtlSeconds: '59' },
    { s3TokenSource: 'lakefs' },
    { s3TokenSource: 'lakefs', lakefsEnabled: true, lakefsEndpoint: 'https://l.example.com' },
    { scopes: 'openid "x' },
    { s3SessionName: '{email}' },
    { s3SessionName: 'lk-{preferred_username}' },
    { s3SessionName: '{email' },
    { s3SessionName: 'everyone' },
    { s3SessionName: 'a}' },
    { browser: 'firefox' },
    { browser: 'firefx' },
    { browser: 'b {url}' },
    { browser: '"unclosed' },
    { browser: 'b {URL}' },
  ];
  for (const v of variants) {
    const d = { ...good, ...v };
    const core = validateDraft('work', d, { existing: [] }).ok;
    const window = checkDraft('work', d).length === 0;
    assert.equal(window, core, JSON.stringify(v));
  }
  assert.equal(checkDraft('', good)[0].field, 'name');
});

test('the credentials endpoint checkbox maps to "endpoint": true, and only with S3 (the form keeps it in the S3 part)', () => {
  const on = validateDraft('work', { ...good, endpointEnabled: true }, { existing: [] });
  assert.ok(on.ok);
  assert.equal(on.profile.endpoint, true);
  assert.deepEqual(
    on.profile,
    parseProfile('work', {
      issuer: 'https://login.example.com/realms/data',
      clientId: 'lakekey',
      s3: { stsEndpoint: 'https://minio.example.com' },
      endpoint: true,
    }),
  );
  assert.equal(profileToDraft(on.profile).endpointEnabled, true);
  const off = validateDraft('work', good, { existing: [] });
  assert.ok(off.ok);
  assert.equal(off.profile.endpoint, undefined);
  assert.equal(profileToDraft(off.profile).endpointEnabled, false);
  // S3 unticked: the endpoint goes with it, rather than failing on a box the user cannot see.
  const noS3 = validateDraft('work', { ...good, s3Enabled: false, endpointEnabled: true }, { existing: [] });
  assert.ok(noS3.ok);
  assert.equal(noS3.profile.endpoint, undefined);
  assert.equal(draftToRaw({ ...good, s3Enabled: false, endpointEnabled: true }).endpoint, undefined);
});
