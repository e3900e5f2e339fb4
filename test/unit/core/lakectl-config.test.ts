// `lakectl login` (lakekey as lakectl's plugin): which file and variables lakectl's server comes from, read as
// lakectl reads them (cmd/lakectl/cmd/root.go initConfig at the pinned lakeFS commit), and which lakekey profile
// that server picks. Real files in a temporary home; the e2e run with the real lakectl is in test/e2e/lakefs.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { lakectlConfigFile, lakefsServerKey, pickLakectlProfile, readLakectlConfig, type LakectlConfig } from '../../../main/core/config/lakectl-config.js';
import { LakekeyError } from '../../../main/core/errors.js';
import { parseProfile, type Profile } from '../../../main/core/config/settings.js';
import { startedAsLakectlLogin } from '../../../main/cli/invoked-as.js';

const homes: string[] = [];
after(() => homes.forEach((h) => rmSync(h, { recursive: true, force: true })));
function home(files: Record<string, string> = {}): string {
  const h = mkdtempSync(join(tmpdir(), 'lakectl-home-'));
  homes.push(h);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(h, name), text);
  return h;
}

const YAML = 'credentials:\n  access_key_id: ""\nserver:\n  endpoint_url: https://lakefs.example.com/api/v1\n';

test("lakectl's file: --config, else LAKECTL_CONFIG_FILE, else viper's search of the home folder (json before yaml; a folder named .lakectl is no file)", () => {
  const h = home({ '.lakectl.yaml': YAML, '.lakectl.yml': YAML });
  mkdirSync(join(h, '.lakectl')); // lakectl's cache folder
  assert.deepEqual(lakectlConfigFile({}, h), { file: join(h, '.lakectl.yaml') });
  assert.deepEqual(lakectlConfigFile({ LAKECTL_CONFIG_FILE: '/etc/l.yaml' }, h), { file: '/etc/l.yaml', named: 'LAKECTL_CONFIG_FILE' });
  assert.deepEqual(lakectlConfigFile({ LAKECTL_CONFIG_FILE: '/etc/l.yaml' }, h, '/x.yaml'), { file: '/x.yaml', named: '--config' });
  assert.deepEqual(lakectlConfigFile({ LAKECTL_CONFIG_FILE: '' }, h), { file: join(h, '.lakectl.yaml') }, 'an empty variable is unset');
  writeFileSync(join(h, '.lakectl.json'), '{"server":{"endpoint_url":"https://json.example.com"}}');
  assert.deepEqual(lakectlConfigFile({}, h), { file: join(h, '.lakectl.json') });
  assert.deepEqual(lakectlConfigFile({}, home()), {});
});

test("lakectl's server: LAKECTL_SERVER_ENDPOINT_URL over the file; the file read as YAML (JSON too); an access key is noticed, never read out", async () => {
  const h = home({ '.lakectl.yaml': YAML });
  assert.deepEqual(await readLakectlConfig({}, h), {
    endpoint: 'https://lakefs.example.com/api/v1',
    endpointFrom: `server.endpoint_url in ${join(h, '.lakectl.yaml')}`,
    file: join(h, '.lakectl.yaml'),
  });
  const env = { LAKECTL_SERVER_ENDPOINT_URL: 'https://other.example.com' };
  assert.equal((await readLakectlConfig(env, h)).endpoint, 'https://other.example.com');
  assert.equal((await readLakectlConfig(env, h)).endpointFrom, 'LAKECTL_SERVER_ENDPOINT_URL');
  assert.equal((await readLakectlConfig({ LAKECTL_SERVER_ENDPOINT_URL: '' }, h)).endpoint, 'https://lakefs.example.com/api/v1');
  const json = home({ '.lakectl.json': '{"server":{"endpoint_url":"https://json.example.com"}}' });
  assert.equal((await readLakectlConfig({}, json)).endpoint, 'https://json.example.com');
  assert.deepEqual(await readLakectlConfig({}, home()), {}, 'no file, no variable: no server');
  const keyed = home({
    '.lakectl.yaml': 'credentials:\n  access_key_id: AKIAEXAMPLE\n  secret_access_key: s3cr3t\nserver:\n  endpoint_url: https://lakefs.example.com\n',
  });
  const withKey = await readLakectlConfig({}, keyed);
  assert.equal(withKey.accessKeyFrom, `credentials.access_key_id in ${join(keyed, '.lakectl.yaml')}`);
  assert.doesNotMatch(JSON.stringify(withKey), /AKIAEXAMPLE|s3cr3t/);
  assert.equal((await readLakectlConfig({ LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY: 'x' }, h)).accessKeyFrom, 'LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY');
});

test("lakectl's file that cannot be used: exit 2 naming it and where it was named", async () => {
  const h = home({ '.lakectl.yaml': 'server: [unclosed\n', 'l.toml': 'x = 1' });
  const refused = async (p: Promise<unknown>, re: RegExp) => {
    const err = await p.then(
      () => assert.fail('expected a refusal'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof LakekeyError);
    assert.equal(err.exitCode, 2);
    assert.match(err.message, re);
  };
  await refused(readLakectlConfig({}, h), /\.lakectl\.yaml is not valid YAML/);
  await refused(readLakectlConfig({}, h, join(h, 'missing.yaml')), /missing\.yaml \(from --config\): no such file/);
  await refused(readLakectlConfig({ LAKECTL_CONFIG_FILE: join(h, 'l.toml') }, h), /YAML or JSON only.*from LAKECTL_CONFIG_FILE/);
});

test('one lakeFS server, however it is written: case of scheme and host, default port, trailing slashes, /api/v1', () => {
  const key = lakefsServerKey('https://lakefs.example.com');
  for (const same of [
    'https://LAKEFS.example.com/',
    'https://lakefs.example.com:443/api/v1',
    'https://lakefs.example.com/api/v1/',
    ' https://lakefs.example.com//',
  ]) {
    assert.equal(lakefsServerKey(same), key, same);
  }
  for (const other of ['http://lakefs.example.com', 'https://lakefs.example.com:8443', 'https://lakefs.example.org', 'https://lakefs.example.com/lakefs']) {
    assert.notEqual(lakefsServerKey(other), key, other);
  }
  assert.equal(lakefsServerKey('http://127.0.0.1:8000/lakefs/api/v1'), lakefsServerKey('http://127.0.0.1:8000/lakefs'));
  assert.equal(lakefsServerKey('lakefs.example.com'), undefined);
  assert.equal(lakefsServerKey('ftp://lakefs.example.com'), undefined);
});

const idp = { issuer: 'https://idp.example.com', clientId: 'lakekey' };
const lakefsProfile = (endpoint: string): Profile => parseProfile('p', { ...idp, lakefs: { endpoint, lakectlCache: true } });
const profiles: Record<string, Profile> = {
  work: lakefsProfile('https://lakefs.example.com'),
  lab: lakefsProfile('https://lab.example.com/api/v1'),
  s3only: parseProfile('s3only', { ...idp, s3: { stsEndpoint: 'https://minio.example.com' } }),
};
const at = (endpoint: string): LakectlConfig => ({ endpoint, endpointFrom: 'LAKECTL_SERVER_ENDPOINT_URL' });

function refusal(f: () => unknown): LakekeyError {
  try {
    f();
  } catch (err) {
    assert.ok(err instanceof LakekeyError, String(err));
    assert.equal(err.exitCode, 2, err.message);
    return err;
  }
  return assert.fail('expected a refusal');
}

test("the profile for lakectl's server: the one whose lakeFS endpoint matches, or the one named when it is that server's", () => {
  assert.equal(pickLakectlProfile(profiles, at('https://lakefs.example.com/api/v1')), 'work');
  assert.equal(pickLakectlProfile(profiles, at('https://lab.example.com')), 'lab');
  assert.equal(pickLakectlProfile(profiles, at('https://lab.example.com'), 'lab'), 'lab');
  // A name the caller checks itself (getProfile, noLakefsSettings) comes back unchanged.
  assert.equal(pickLakectlProfile(profiles, at('https://lab.example.com'), 'nope'), 'nope');
  assert.equal(pickLakectlProfile(profiles, at('https://lab.example.com'), 's3only'), 's3only');
});

test("no profile for lakectl's server, several, none with lakeFS, no server at all: exit 2, each saying what to do", () => {
  const none = refusal(() => pickLakectlProfile(profiles, at('https://elsewhere.example.com')));
  assert.match(none.message, /no lakekey profile logs in to lakectl's server https:\/\/elsewhere\.example\.com \(LAKECTL_SERVER_ENDPOINT_URL\)/);
  assert.match(none.message, /work \(https:\/\/lakefs\.example\.com\), lab/);
  assert.match(none.hint!, /lakekey profile set NAME --lakefs-endpoint https:\/\/elsewhere\.example\.com/);
  const twice = { ...profiles, again: lakefsProfile('https://lakefs.example.com/api/v1/') };
  const several = refusal(() => pickLakectlProfile(twice, at('https://lakefs.example.com')));
  assert.match(several.message, /2 lakekey profiles log in to lakectl's server https:\/\/lakefs\.example\.com: work, again/);
  assert.match(several.hint!, /lakectl login --profile work/);
  const empty = refusal(() => pickLakectlProfile({ s3only: profiles.s3only }, at('https://lakefs.example.com')));
  assert.match(empty.message, /no lakekey profile has lakeFS settings/);
  assert.match(empty.hint!, /--lakefs-endpoint https:\/\/lakefs\.example\.com --lakectl-cache/);
  const unset = refusal(() => pickLakectlProfile(profiles, {}));
  assert.match(unset.message, /lakectl has no lakeFS server configured/);
  const unsetNamed = refusal(() => pickLakectlProfile(profiles, {}, 'work'));
  assert.match(unsetNamed.hint!, /export LAKECTL_SERVER_ENDPOINT_URL=https:\/\/lakefs\.example\.com/);
  const mismatch = refusal(() => pickLakectlProfile(profiles, at('https://lab.example.com'), 'work'));
  assert.match(mismatch.message, /profile "work" logs in to lakeFS at https:\/\/lakefs\.example\.com, but lakectl calls https:\/\/lab\.example\.com/);
  const bad = refusal(() => pickLakectlProfile(profiles, at('lakefs.example.com')));
  assert.match(bad.message, /is not an http\(s\) URL/);
});

test('started as lakectl-login: by argv[0] (the compiled executable) or the script (Node), .exe on Windows', () => {
  assert.equal(startedAsLakectlLogin('lakectl-login', undefined), true);
  assert.equal(startedAsLakectlLogin('/home/a/.local/bin/lakectl-login', '/$bunfs/root/lakekey'), true);
  assert.equal(startedAsLakectlLogin('C:\\Users\\a\\bin\\lakectl-login.exe', undefined), true);
  assert.equal(startedAsLakectlLogin('node', '/home/a/bin/lakectl-login'), true);
  for (const not of ['lakekey', '/usr/bin/lakekey', 'lakectl-login-old', 'my-lakectl-login.sh', 'lakectl']) {
    assert.equal(startedAsLakectlLogin(not, '/$bunfs/root/lakekey'), false, not);
  }
});
