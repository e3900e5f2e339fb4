// The tray's credentials endpoint lifecycle (main/app/tray-endpoint.ts) with a fake server: it
// starts once, for the first enabled profile, follows the settings without restarting, withholds
// a profile for the length of a logout, says a failure to start once however often it recurs,
// and closes what it started even when quit comes mid-start. The real server is in main-wiring.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { endpointProfiles, TrayEndpoint, type RunningEndpoint } from '../../../main/app/tray-endpoint.js';
import { parseProfile, type Profile } from '../../../main/core/config/settings.js';

const idp = { issuer: 'https://idp.example.com', clientId: 'c' };
const s3 = { stsEndpoint: 'https://minio.example.com' };

test('endpointProfiles: the profiles with S3 that enable the endpoint, by name', () => {
  const profiles: Record<string, Profile> = {
    zeta: parseProfile('zeta', { ...idp, s3, endpoint: true }),
    alpha: parseProfile('alpha', { ...idp, s3, endpoint: true }),
    off: parseProfile('off', { ...idp, s3 }),
    lakefs: parseProfile('lakefs', { ...idp, lakefs: { endpoint: 'https://lakefs.example.com' } }),
  };
  assert.deepEqual(endpointProfiles(profiles), ['alpha', 'zeta']);
  assert.deepEqual(endpointProfiles({}), []);
});

/** A fake endpoint host: what was started, served and closed, and a start that can be held or fail. */
function world() {
  let enabled: string[] = [];
  const said: string[] = [];
  const starts: string[][] = [];
  let fail: Error | undefined;
  let gate: Promise<void> | undefined;
  let served = new Set<string>();
  let closed = 0;
  const running: RunningEndpoint = {
    place: { port: 4242, tokenFile: '/cfg/endpoint-tray.token' },
    served: () => [...served].sort(),
    serveOnly: (names) => void (served = new Set(names)),
    close: async () => void (closed += 1),
  };
  const ep = new TrayEndpoint({
    enabled: () => enabled,
    start: async (names) => {
      starts.push([...names]);
      await gate;
      if (fail) throw fail;
      served = new Set(names);
      return running;
    },
    say: (text) => void said.push(text),
  });
  return {
    ep,
    said,
    starts,
    served: () => running.served(),
    closed: () => closed,
    enable: (...names: string[]) => void (enabled = names),
    fail: (e: Error | undefined) => void (fail = e),
    hold: () => {
      let release!: () => void;
      gate = new Promise<void>((r) => (release = r));
      return () => {
        gate = undefined;
        release();
      };
    },
  };
}

test('nothing enabled: nothing starts; the first enabled profile starts it, later changes only change what it serves', async () => {
  const w = world();
  await w.ep.sync();
  assert.deepEqual(w.starts, []);
  assert.equal(w.ep.place(), undefined);
  w.enable('work');
  await w.ep.sync();
  assert.deepEqual(w.starts, [['work']]);
  assert.deepEqual(w.ep.place(), { port: 4242, tokenFile: '/cfg/endpoint-tray.token' });
  w.enable('work', 'spark');
  await w.ep.sync();
  assert.deepEqual(w.served(), ['spark', 'work']);
  w.enable();
  await w.ep.sync();
  assert.deepEqual(w.served(), [], 'the last one disabled: it keeps running (same port and token), serving nothing');
  w.enable('work');
  await w.ep.sync();
  assert.deepEqual(w.starts, [['work']], "started once for the tray's life");
  assert.ok(w.ep.serves('work'));
});

test('syncs that come while it starts start nothing more, and the last settings win', async () => {
  const w = world();
  const release = w.hold();
  w.enable('a');
  const first = w.ep.sync();
  w.enable('a', 'b');
  const second = w.ep.sync();
  w.enable('b');
  const third = w.ep.sync();
  release();
  await Promise.all([first, second, third]);
  assert.deepEqual(w.starts, [['a']]);
  assert.deepEqual(w.served(), ['b']);
});

test('a start that fails is said once however often it is retried, and a later start works', async () => {
  const w = world();
  w.enable('work');
  w.fail(new Error('EEXIST: file already exists'));
  await w.ep.sync();
  await w.ep.sync();
  await w.ep.sync();
  assert.equal(w.starts.length, 3, 'tried again at each settings change');
  assert.equal(w.said.length, 1);
  assert.match(w.said[0], /^The credentials endpoint could not start: .*EEXIST/);
  w.fail(undefined);
  await w.ep.sync();
  assert.deepEqual(w.served(), ['work']);
});

test('a logout withholds its profile from the first moment to the end, then it is served as the settings say', async () => {
  const w = world();
  w.enable('work', 'other');
  await w.ep.sync();
  let during: string[] = [];
  const { result, wasServed } = await w.ep.withholding('work', async () => {
    // A settings change meanwhile does not bring it back early.
    await w.ep.sync();
    during = w.served();
    return 'logged out';
  });
  assert.equal(result, 'logged out');
  assert.equal(wasServed, true);
  assert.deepEqual(during, ['other']);
  assert.deepEqual(w.served(), ['other', 'work']);
  // A failed logout ends the withholding too; a profile that was not served says so.
  await assert.rejects(
    w.ep.withholding('work', async () => Promise.reject(new Error('keychain locked'))),
    /keychain locked/,
  );
  assert.deepEqual(w.served(), ['other', 'work']);
  assert.equal((await w.ep.withholding('off', async () => 1)).wasServed, false);
});

test('quit: closes what runs, and what was still starting; nothing starts after', async () => {
  const w = world();
  w.enable('work');
  await w.ep.sync();
  await w.ep.close();
  assert.equal(w.closed(), 1);
  assert.equal(w.ep.place(), undefined);
  await w.ep.sync();
  assert.equal(w.starts.length, 1);

  const mid = world();
  const release = mid.hold();
  mid.enable('work');
  const starting = mid.ep.sync();
  const closing = mid.ep.close();
  release();
  await Promise.all([starting, closing]);
  assert.equal(mid.closed(), 1, 'the endpoint that came up after quit is closed at once');
  assert.equal(mid.ep.place(), undefined);
});
