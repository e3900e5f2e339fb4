// How lakekey says a span of time and a moment, in one place: "10 s", "4 min", "2 h 5 min";
// and "valid 59 min, until 21:10 local". Node-free (plain Date), so core, app and renderer can share it.

/** Seconds below a minute ("45 s"), then minutes ("4 min"), from two hours hours and minutes ("2 h 5 min"). */
export function sayDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.round(s / 60);
  if (minutes < 120) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

/** The local clock time of `epochMs` as HH:MM (24 h). */
export function sayClock(epochMs: number): string {
  const d = new Date(epochMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** "valid 59 min, until 21:10 local" — or "expired" once the moment has passed. */
export function sayValidity(expiresAtMs: number, nowMs: number): string {
  const left = (expiresAtMs - nowMs) / 1000;
  if (left <= 0) return `expired at ${sayClock(expiresAtMs)} local`;
  return `valid ${sayDuration(left)}, until ${sayClock(expiresAtMs)} local`;
}
