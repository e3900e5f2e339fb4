// Test doubles for the tray's pure modules: a fake clock with timers (the in-memory keychain is
// test/helpers/memory-store.ts).
import type { TimerClock } from '../../main/app/scheduler.js';

export class FakeClock implements TimerClock {
  private seq = 0;
  readonly timers = new Map<number, { at: number; fn: () => void }>();
  constructor(public t = Date.UTC(2030, 0, 1, 9, 0, 0)) {}
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => {
    this.timers.delete(h as number);
  };
  /** Runs timers due up to t + ms in order, letting promises settle between them. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (let n = 0; ; n++) {
      if (n > 1000) throw new Error('timers keep firing: a tight loop');
      const due = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = Math.max(this.t, due[1].at);
      due[1].fn();
      await settle();
    }
    this.t = end;
    await settle();
  }
  /** The machine slept: time passes and no timer fires. */
  sleep(ms: number): void {
    this.t += ms;
  }
  nextAt(): number | undefined {
    const all = [...this.timers.values()].map((v) => v.at);
    return all.length ? Math.min(...all) : undefined;
  }
}

export async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
}
