/**
 * The handler's one source of time. Everything in lambda/ reads the time, waits, and bounds
 * a call through a `Clock`, so tests drive it with simulated time; `realClock` is the only
 * code in lambda/ that reads the system clock or sets a timer.
 */

export interface Clock {
  /** epoch ms */
  now(): number;
  sleep(ms: number): Promise<void>;
  /** uniform in [0, 1), for jitter */
  random(): number;
  /** A signal that aborts `ms` from now: the bound of one call (fetch, AWS SDK). */
  abortAfter(ms: number): AbortSignal;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
  abortAfter: (ms) => AbortSignal.timeout(ms),
};
