// The wall clock: the one place the core reads it (a Context's `clock` port is this, or a test's).
import type { Clock } from './ports.js';

export const systemClock: Clock = { now: () => Date.now() };
