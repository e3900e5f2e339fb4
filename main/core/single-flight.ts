// At most one run per key at a time; callers asking while it runs share its result. Every
// interactive login goes through one of these (the tray's menu, settings window and notification
// clicks, and CLI requests through the login broker), so one profile never gets two browser tabs.
export function singleFlight<K, T>(fn: (key: K) => Promise<T>): { run(key: K): Promise<T> } {
  const inflight = new Map<K, Promise<T>>();
  return {
    run(key) {
      let p = inflight.get(key);
      if (!p) {
        p = Promise.resolve()
          .then(() => fn(key))
          .finally(() => inflight.delete(key));
        inflight.set(key, p);
      }
      return p;
    },
  };
}
