// The preload API surface: exactly one method per channel of main/ipc.ts, each a single invoke on
// its channel, plus one subscribe function per event channel whose listener gets no Electron
// event; and the shipped bundle (vite-built, sandbox-compatible) exposes only that.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { runInNewContext } from 'node:vm';
import { API_CHANNELS, API_GLOBAL, channels, EVENT_CHANNELS } from '../../../main/ipc.js';
import { buildApi } from '../../../main/preload/api.js';
import { shippedArtifacts, PRELOAD_BUNDLE } from '../../helpers/vite-build.js';

test('buildApi: one frozen method per channel, forwarding the request unchanged', async () => {
  const calls: Array<[string, unknown]> = [];
  const api = buildApi(
    async (channel, request) => {
      calls.push([channel, request]);
      return { ok: true, value: channel };
    },
    () => () => undefined,
  );
  assert.deepEqual(Object.keys(api).sort(), [...Object.keys(API_CHANNELS), ...Object.keys(EVENT_CHANNELS)].sort());
  assert.ok(Object.isFrozen(api));
  assert.equal(new Set(channels()).size, channels().length, 'no channel used twice');
  for (const [method, channel] of Object.entries(API_CHANNELS)) {
    const out = await (api as unknown as Record<string, (r: unknown) => Promise<unknown>>)[method]({ name: 'x' });
    assert.deepEqual(out, { ok: true, value: channel });
  }
  assert.deepEqual(
    calls.map((c) => c[0]),
    Object.values(API_CHANNELS),
  );
  await api.listProfiles(null);
  assert.deepEqual(calls.at(-1), ['profiles:list', null]);
});

test('buildApi: an event subscription calls the listener with nothing and can be undone', () => {
  const listeners = new Map<string, () => void>();
  const api = buildApi(
    async () => undefined,
    (channel, listener) => {
      listeners.set(channel, listener);
      return () => listeners.delete(channel);
    },
  );
  const seen: unknown[][] = [];
  const stop = api.onProfilesChanged((...args: unknown[]) => void seen.push(args));
  listeners.get('profiles:changed')!();
  assert.deepEqual(seen, [[]]);
  stop();
  assert.equal(listeners.size, 0);
  assert.throws(() => (api.onProfilesChanged as (l: unknown) => void)('not a function'), /needs a function/);
});

test('the shipped preload bundle requires only electron and exposes only the typed API', async () => {
  await shippedArtifacts();
  const code = readFileSync(PRELOAD_BUNDLE, 'utf8');
  const requires = [...code.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
  assert.deepEqual([...new Set(requires)], ['electron'], 'a sandboxed preload can require nothing else');
  const exposed: Array<[string, Record<string, unknown>]> = [];
  const invoked: Array<[string, unknown]> = [];
  const subscribed: Array<[string, (...args: unknown[]) => void]> = [];
  const removed: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, value: Record<string, unknown>) => exposed.push([key, value]) },
    ipcRenderer: {
      invoke: async (channel: string, request: unknown) => void invoked.push([channel, request]),
      on: (channel: string, fn: (...args: unknown[]) => void) => void subscribed.push([channel, fn]),
      removeListener: (channel: string) => void removed.push(channel),
    },
  };
  const module = { exports: {} };
  runInNewContext(code, { require: (name: string) => (name === 'electron' ? electron : assert.fail(`required ${name}`)), module, exports: module.exports });
  assert.equal(exposed.length, 1);
  assert.equal(exposed[0][0], API_GLOBAL);
  const api = exposed[0][1];
  assert.deepEqual(Object.keys(api).sort(), [...Object.keys(API_CHANNELS), ...Object.keys(EVENT_CHANNELS)].sort());
  for (const [method, fn] of Object.entries(api)) {
    assert.equal(typeof fn, 'function');
    if (method in EVENT_CHANNELS) continue;
    await (fn as (r: unknown) => Promise<void>)({ name: 'work' });
    assert.deepEqual(invoked.at(-1), [API_CHANNELS[method as keyof typeof API_CHANNELS], { name: 'work' }]);
  }
  // Events: only the declared channels, and Electron's event object (it holds `sender`) stays behind.
  const calls: unknown[][] = [];
  const stop = (api.onProfilesChanged as (l: (...a: unknown[]) => void) => () => void)((...args) => void calls.push(args));
  assert.deepEqual(
    subscribed.map(([c]) => c),
    [EVENT_CHANNELS.onProfilesChanged],
  );
  subscribed[0][1]({ sender: 'the ipcRenderer event' }, 'extra');
  assert.deepEqual(calls, [[]]);
  stop();
  assert.deepEqual(removed, [EVENT_CHANNELS.onProfilesChanged]);
  assert.ok(!/ipcRenderer\.(send|sendSync|sendToHost)\b/.test(code), 'no sends from the window, no sync IPC');
});
