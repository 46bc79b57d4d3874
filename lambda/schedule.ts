/**
 * Time policy as pure functions of "now": the retry backoff of one request and the plan of
 * the next status poll. Nothing here reads a clock, so tests and property checks drive it
 * with simulated time.
 */
import {
  ADAPTIVE_POLL_PERCENT, BACKOFF_BASE_MS, BACKOFF_MAX_MS, FAST_POLL_MS, FAST_POLL_PHASE_MS, FIRST_RECHECK_MS, MAX_RETRY_AFTER_MS, SECOND_MS,
} from '../src/shared/time-budget';

export interface BackoffPolicy {
  /** first retry waits up to this long */
  readonly baseDelayMs: number;
  /** no single wait is longer than this */
  readonly maxDelayMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseDelayMs: BACKOFF_BASE_MS, maxDelayMs: BACKOFF_MAX_MS };

/**
 * Wait before retry number `attempt` (0 for the first retry): "full jitter", a uniform draw
 * below an exponentially growing cap, so many handlers retrying at once spread out.
 * A server's `Retry-After` is a floor: we never come back sooner than it asked (up to MAX_RETRY_AFTER_MS).
 */
export function backoffDelay(attempt: number, random: number, policy: BackoffPolicy = DEFAULT_BACKOFF, retryAfterMs?: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.min(attempt, 30));
  const jittered = Math.floor(cap * Math.min(Math.max(random, 0), 1));
  const floor = retryAfterMs === undefined ? 0 : Math.min(Math.max(retryAfterMs, 0), MAX_RETRY_AFTER_MS);
  return Math.max(jittered, floor);
}

/**
 * When the retry after `attempt` should start, or `undefined` when it could not finish before
 * `deadline` (a retry needs `reserveMs` to run). Never returns a time past the deadline.
 */
export function nextRetryAt(args: {
  readonly attempt: number;
  readonly now: number;
  readonly deadline: number;
  readonly reserveMs: number;
  readonly random: number;
  readonly retryAfterMs?: number;
  readonly policy?: BackoffPolicy;
}): number | undefined {
  const at = args.now + backoffDelay(args.attempt, args.random, args.policy, args.retryAfterMs);
  return at + args.reserveMs <= args.deadline ? at : undefined;
}

/** `Retry-After` as milliseconds from `now`: delta-seconds or an HTTP date; undefined if unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * SECOND_MS);
  if (!/[a-z]/i.test(text)) return undefined; // an HTTP date has a weekday and a month name
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** What an isComplete invocation does after a round of polls that left work outstanding. */
export type PollPlan =
  /** wait `waitMs`, then poll again within this invocation */
  | { readonly kind: 'poll'; readonly waitMs: number }
  /** wait `waitMs`, then return IsComplete:false; the framework calls again after its interval */
  | { readonly kind: 'yield'; readonly waitMs: number }
  /** the wait is over */
  | { readonly kind: 'deadline' };

/**
 * Plans the next poll so that polls are `pollIntervalMs` apart, across invocations too: when
 * the next poll does not fit in this invocation, it waits so that the framework's own
 * interval ends about when the next poll is due.
 */
export function planNextPoll(args: {
  /** now */
  readonly now: number;
  /** when the last round of polls started */
  readonly lastPollAt: number;
  readonly pollIntervalMs: number;
  /** the construct's timeout, as an absolute time */
  readonly deadline: number;
  /** when this invocation must have returned */
  readonly invocationEnd: number;
  /** the framework's wait between isComplete invocations */
  readonly frameworkIntervalMs: number;
  /** time a round of polls may take */
  readonly roundReserveMs: number;
}): PollPlan {
  if (args.now >= args.deadline) return { kind: 'deadline' };
  // the last poll is always made at the deadline itself, so a late terminal state still counts
  const due = Math.max(args.now, Math.min(args.lastPollAt + args.pollIntervalMs, args.deadline));
  if (due + args.roundReserveMs <= args.invocationEnd) {
    return { kind: 'poll', waitMs: due - args.now };
  }
  const yieldAt = Math.min(due - args.frameworkIntervalMs, args.invocationEnd - args.roundReserveMs);
  return { kind: 'yield', waitMs: Math.max(0, yieldAt - args.now) };
}

/**
 * The wait before the next round of polls, `sinceMs` after the wait began (the first cancel):
 * FIRST_RECHECK_MS at first, then FAST_POLL_MS until FAST_POLL_PHASE_MS, so a cancel that
 * lands within it is seen within FAST_POLL_MS; then ADAPTIVE_POLL_PERCENT of the time
 * elapsed, so a longer one is seen within that share of its own duration, at a cost that
 * grows only with the logarithm of it. Never longer than `pollIntervalMs`.
 */
export function adaptivePollDelayMs(sinceMs: number, pollIntervalMs: number): number {
  const since = Math.max(0, sinceMs);
  let delay: number;
  if (since < FIRST_RECHECK_MS) delay = FIRST_RECHECK_MS;
  else if (since < FAST_POLL_PHASE_MS) delay = FAST_POLL_MS;
  else delay = Math.max(FAST_POLL_MS, Math.floor((since * ADAPTIVE_POLL_PERCENT) / 100));
  return Math.min(delay, pollIntervalMs);
}
