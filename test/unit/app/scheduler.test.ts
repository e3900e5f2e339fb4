import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffMs, BACKOFF_BASE_MS, jitterMs, Scheduler, WAKE_DELAY_MS, type Notice, type Presence, type ScheduleInput } from '../../../main/app/scheduler.js';
import { LakekeyError } from '../../../main/core/errors.js';
import { FakeClock } from '../../helpers/fake-clock.js';

const MIN = 60_000;

function world(inputs: ScheduleInput[], opts: { random?: number } = {}) {
  const clock = new FakeClock();
  const calls = { refresh: [] as Array<{ name: string; at: number }>, login: [] as string[] };
  const notices: Notice[] = [];
  let presence: Presence = 'active';
  let refreshImpl: (name: string) => Promise<void> = async () => {};
  const state = { inputs };
  const scheduler = new Scheduler({
    clock,
    random: () => opts.random ?? 0.5,
    load: async () => state.inputs,
    refresh: async (name) => {
      calls.refresh.push({ name, at: clock.now() });
      await refreshImpl(name);
    },
    login: async (name) => void calls.login.push(name),
    presence: () => presence,
    notify: (n) => notices.push(n),
  });
  return {
    clock,
    calls,
    notices,
    scheduler,
    state,
    setPresence: (p: Presence) => (presence = p),
    onRefresh: (fn: (name: string) => Promise<void>) => (refreshImpl = fn),
  };
}

function s3Profile(clock: FakeClock, expiresInMin: number, extra: Partial<ScheduleInput> = {}): ScheduleInput {
  return {
    name: 'work',
    refreshBeforeSeconds: 1200,
    signedIn: true,
    canRefresh: true,
    wantsS3: true,
    s3ExpiresAt: clock.now() + expiresInMin * MIN,
    wantsLakefs: false,
    ...extra,
  };
}

test('refreshes once, shortly before refreshBeforeSeconds, with jitter', async () => {
  const w = world([]);
  const input = s3Profile(w.clock, 60);
  w.state.inputs = [input];
  await w.scheduler.update();
  const jitter = jitterMs(1200, 0.5);
  assert.ok(jitter > 0 && jitter <= 60_000);
  const expected = input.s3ExpiresAt! - 1200_000 - jitter;
  assert.equal(w.scheduler.schedule('work')?.next?.at, expected);
  assert.equal(w.scheduler.schedule('work')?.next?.kind, 'refresh');
  await w.clock.advance(expected - w.clock.now() - 1);
  assert.equal(w.calls.refresh.length, 0, 'not before its time');
  // The renewal succeeds and yields new credentials for another hour.
  w.onRefresh(async () => {
    w.state.inputs = [{ ...input, s3ExpiresAt: w.clock.now() + 60 * MIN }];
  });
  await w.clock.advance(1);
  assert.deepEqual(
    w.calls.refresh.map((c) => c.at),
    [expected],
  );
  assert.equal(w.scheduler.schedule('work')?.next?.at, w.clock.now() + 60 * MIN - 1200_000 - jitter);
  assert.equal(w.clock.timers.size, 1, 'one timer per profile, no polling');
});

test('re-planning keeps the jitter drawn for an expiry', async () => {
  const clock = new FakeClock();
  let r = 0.1;
  const input = s3Profile(clock, 60);
  const s = new Scheduler({
    clock,
    random: () => r,
    load: async () => [input],
    refresh: async () => {},
    login: async () => {},
    presence: () => 'active',
    notify: () => {},
  });
  await s.update();
  const first = s.schedule('work')?.next?.at;
  r = 0.9;
  await s.update();
  assert.equal(s.schedule('work')?.next?.at, first);
});

test('after sleep, resume runs the overdue refresh promptly (timers slept through it)', async () => {
  const w = world([]);
  w.state.inputs = [s3Profile(w.clock, 30)];
  w.onRefresh(async () => {
    w.state.inputs = [s3Profile(w.clock, 60)];
  });
  await w.scheduler.update();
  w.clock.sleep(3 * 60 * MIN); // three hours asleep: the credentials expired meanwhile
  await w.scheduler.resume();
  assert.equal(w.scheduler.schedule('work')?.next?.at, w.clock.now() + WAKE_DELAY_MS);
  await w.clock.advance(WAKE_DELAY_MS);
  assert.equal(w.calls.refresh.length, 1);
  assert.equal(w.scheduler.schedule('work')?.next?.at, w.clock.now() + 60 * MIN - 1200_000 - jitterMs(1200, 0.5));
});

test('a refresh that serves the cached credentials (IdP down) backs off instead of firing again at once', async () => {
  const w = world([]);
  w.state.inputs = [s3Profile(w.clock, 10)];
  await w.scheduler.update();
  await w.clock.advance(0);
  assert.equal(w.calls.refresh.length, 1);
  assert.equal(w.scheduler.schedule('work')?.failures, 1);
  assert.equal(w.scheduler.schedule('work')?.next?.at, w.clock.now() + BACKOFF_BASE_MS);
});

test('failures back off exponentially; a network change retries promptly; the user hears after three', async () => {
  const w = world([]);
  w.state.inputs = [s3Profile(w.clock, 10)]; // already inside the refresh window
  w.onRefresh(async () => {
    throw new LakekeyError('IDP_UNREACHABLE', 'the identity provider is unreachable');
  });
  await w.scheduler.update();
  await w.clock.advance(0);
  assert.equal(w.calls.refresh.length, 1);
  const gaps: number[] = [];
  for (let i = 0; i < 3; i++) {
    const before = w.clock.now();
    const next = w.scheduler.schedule('work')!.next!;
    assert.equal(next.kind, 'refresh');
    gaps.push(next.at - before);
    await w.clock.advance(next.at - before);
  }
  assert.deepEqual(gaps, [backoffMs(1, 0.5), backoffMs(2, 0.5), backoffMs(3, 0.5)]);
  assert.deepEqual(gaps, [BACKOFF_BASE_MS, 2 * BACKOFF_BASE_MS, 4 * BACKOFF_BASE_MS]);
  assert.equal(w.notices.filter((n) => n.kind === 'refresh-failed').length, 1);
  assert.equal(w.scheduler.schedule('work')?.failures, 4);
  await w.scheduler.networkChanged();
  assert.equal(w.scheduler.schedule('work')?.next?.at, w.clock.now() + WAKE_DELAY_MS);
  assert.equal(backoffMs(30, 0.5), 30 * MIN, 'capped at 30 min');
});

test('LOGIN_REQUIRED: no browser opens; a notice ahead of expiry, and the click renews', async () => {
  const w = world([]);
  w.state.inputs = [s3Profile(w.clock, 50)];
  w.onRefresh(async () => {
    throw new LakekeyError('LOGIN_REQUIRED', 'your session at the identity provider has ended');
  });
  await w.scheduler.update();
  const at = w.scheduler.schedule('work')!.next!.at;
  await w.clock.advance(at - w.clock.now());
  assert.equal(w.calls.refresh.length, 1);
  assert.equal(w.scheduler.schedule('work')?.loginRequired, true);
  assert.equal(w.calls.login.length, 0, 'never a browser unasked');
  assert.equal(w.scheduler.schedule('work')?.next?.kind, 'notify');
  await w.clock.advance(MIN);
  assert.equal(w.calls.login.length, 0, 'never a browser unasked');
  const notice = w.notices.find((n) => n.kind === 'login-needed');
  assert.ok(notice?.actionable);
  assert.match(notice!.body, /^Your credentials are valid \d+ min, until \d\d:\d\d local\. Click to renew in your browser\.$/);
  assert.equal(await w.scheduler.renew('work'), 'done');
  assert.deepEqual(w.calls.login, ['work']);
});

test('no refresh token: notify ahead of expiry, not a silent refresh', async () => {
  const w = world([]);
  const input = s3Profile(w.clock, 60, { canRefresh: false });
  w.state.inputs = [input];
  await w.scheduler.update();
  assert.deepEqual(w.scheduler.schedule('work')?.next, { kind: 'notify', at: input.s3ExpiresAt! - 1200_000 });
  await w.clock.advance(60 * MIN);
  assert.equal(w.calls.refresh.length, 0);
  assert.equal(w.notices.length, 1, 'one notice per expiry');
});

test('lakeFS tokens cannot be refreshed: notice ahead of the token expiry even with a refresh token', async () => {
  const w = world([]);
  const input: ScheduleInput = {
    name: 'lake',
    refreshBeforeSeconds: 600,
    signedIn: true,
    canRefresh: true,
    wantsS3: false,
    wantsLakefs: true,
    lakefsExpiresAt: w.clock.now() + 30 * MIN,
  };
  w.state.inputs = [input];
  await w.scheduler.update();
  assert.deepEqual(w.scheduler.schedule('lake')?.next, { kind: 'notify', at: input.lakefsExpiresAt! - 600_000 });
  await w.clock.advance(20 * MIN);
  assert.match(w.notices[0].body, /lakeFS token/);
});

test('a profile with S3 and lakeFS: the lakeFS notice says S3 keeps renewing, and S3 renewals go on past the lakeFS expiry', async () => {
  const w = world([]);
  const input = s3Profile(w.clock, 60, { wantsLakefs: true, lakefsExpiresAt: w.clock.now() + 30 * MIN });
  w.state.inputs = [input];
  w.onRefresh(async () => {
    w.state.inputs = [{ ...w.state.inputs[0], s3ExpiresAt: w.clock.now() + 60 * MIN }];
  });
  await w.scheduler.update();
  await w.clock.advance(30 * MIN);
  assert.equal(w.notices.length, 1);
  assert.match(w.notices[0].body, /^Your lakeFS token .*S3 credentials keep renewing on their own\.$/);
  await w.clock.advance(2 * 60 * MIN);
  assert.ok(w.calls.refresh.length >= 2, 'S3 renewed silently after the lakeFS token ran out');
  assert.equal(w.notices.length, 1, 'one notice for the lakeFS expiry, none for S3');
  // S3 that needs a person too: the notice does not promise it renews.
  const both = world([]);
  both.state.inputs = [s3Profile(both.clock, 60, { canRefresh: false, wantsLakefs: true, lakefsExpiresAt: both.clock.now() + 30 * MIN })];
  await both.scheduler.update();
  await both.clock.advance(60 * MIN);
  assert.ok(both.notices.length >= 1);
  assert.ok(both.notices.every((n) => !/keep renewing/.test(n.body)));
});

for (const away of ['idle', 'locked'] as const) {
  test(`while the user is ${away}: no notice and no browser; both wait until they are back`, async () => {
    const w = world([]);
    w.state.inputs = [s3Profile(w.clock, 25, { canRefresh: false })];
    w.setPresence(away);
    await w.scheduler.update();
    await w.clock.advance(10 * MIN);
    assert.equal(w.notices.length, 0);
    assert.equal(w.scheduler.schedule('work')?.noticePending, true);
    assert.equal(await w.scheduler.renew('work'), 'deferred');
    assert.equal(w.calls.login.length, 0);
    w.setPresence('active');
    w.scheduler.presenceChanged();
    assert.equal(w.notices.length, 1);
    assert.equal(await w.scheduler.renew('work'), 'done');
    assert.deepEqual(w.calls.login, ['work']);
  });
}

test('signed-out profiles get no timer; removed profiles lose theirs', async () => {
  const w = world([]);
  w.state.inputs = [s3Profile(w.clock, 60), { ...s3Profile(w.clock, 60), name: 'other', signedIn: false }];
  await w.scheduler.update();
  assert.equal(w.clock.timers.size, 1);
  w.state.inputs = [];
  await w.scheduler.update();
  assert.equal(w.clock.timers.size, 0);
  assert.equal(w.scheduler.schedule('work'), undefined);
});
