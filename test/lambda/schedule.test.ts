import * as fc from 'fast-check';
import { DEFAULT_BACKOFF, backoffDelay, nextRetryAt, parseRetryAfter, planNextPoll } from '../../lambda/schedule';
import { MAX_RETRY_AFTER_MS } from '../../src/shared/time-budget';

describe('backoffDelay', () => {
  test('grows exponentially up to the cap, with full jitter', () => {
    expect(backoffDelay(0, 1)).toBe(DEFAULT_BACKOFF.baseDelayMs);
    expect(backoffDelay(3, 1)).toBe(DEFAULT_BACKOFF.baseDelayMs * 8);
    expect(backoffDelay(20, 1)).toBe(DEFAULT_BACKOFF.maxDelayMs);
    expect(backoffDelay(3, 0.25)).toBe(DEFAULT_BACKOFF.baseDelayMs * 2);
    expect(backoffDelay(3, 0)).toBe(0);
  });

  test('Retry-After is a floor, clamped to a minute', () => {
    expect(backoffDelay(0, 0, DEFAULT_BACKOFF, 7_000)).toBe(7_000);
    expect(backoffDelay(0, 0, DEFAULT_BACKOFF, 3_600_000)).toBe(MAX_RETRY_AFTER_MS);
  });

  test('property: always within [0, max(cap, retryAfter clamp)]', () => {
    const retryAfterArb = fc.option(fc.integer({ min: -10_000, max: 10_000_000 }), { nil: undefined });
    fc.assert(fc.property(fc.nat(100), fc.double({ min: -1, max: 2, noNaN: true }), retryAfterArb,
      (attempt, random, retryAfter) => {
        const delay = backoffDelay(attempt, random, DEFAULT_BACKOFF, retryAfter);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(Math.max(DEFAULT_BACKOFF.maxDelayMs, MAX_RETRY_AFTER_MS));
      }));
  });
});

describe('nextRetryAt', () => {
  test('property: a retry is never scheduled that could not finish before the deadline', () => {
    fc.assert(fc.property(
      fc.nat(50), fc.integer({ min: 0, max: 1e9 }), fc.integer({ min: 0, max: 600_000 }), fc.integer({ min: 0, max: 30_000 }),
      fc.double({ min: 0, max: 1, noNaN: true }), fc.option(fc.nat(120_000), { nil: undefined }),
      (attempt, now, budget, reserveMs, random, retryAfterMs) => {
        const deadline = now + budget;
        const at = nextRetryAt({ attempt, now, deadline, reserveMs, random, retryAfterMs });
        if (at !== undefined) {
          expect(at).toBeGreaterThanOrEqual(now);
          expect(at + reserveMs).toBeLessThanOrEqual(deadline);
          if (retryAfterMs !== undefined) expect(at - now).toBeGreaterThanOrEqual(Math.min(retryAfterMs, MAX_RETRY_AFTER_MS));
        }
      }));
  });

  test('gives up when the wait asked for by the server does not fit', () => {
    expect(nextRetryAt({ attempt: 0, now: 0, deadline: 5_000, reserveMs: 1_000, random: 0, retryAfterMs: 10_000 })).toBeUndefined();
    expect(nextRetryAt({ attempt: 0, now: 0, deadline: 20_000, reserveMs: 1_000, random: 0, retryAfterMs: 10_000 })).toBe(10_000);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 28, 12, 0, 0);
  test.each([
    ['3', 3_000],
    ['0', 0],
    ['1.5', 1_500],
    [new Date(now + 9_000).toUTCString(), 9_000],
    [new Date(now - 9_000).toUTCString(), 0],
  ])('%s → %d ms', (header, expected) => {
    expect(parseRetryAfter(header, now)).toBe(expected);
  });
  test.each([[null], [undefined], ['soon'], ['-3']])('%s is unreadable', (header) => {
    expect(parseRetryAfter(header, now)).toBeUndefined();
  });
});

describe('planNextPoll', () => {
  const base = { pollIntervalMs: 15_000, frameworkIntervalMs: 10_000, roundReserveMs: 15_000 };

  test('polls again inside the invocation when the next poll fits', () => {
    expect(planNextPoll({ ...base, now: 2_000, lastPollAt: 0, deadline: 1e9, invocationEnd: 200_000 })).toEqual({ kind: 'poll', waitMs: 13_000 });
  });

  test('yields so that the framework interval ends when the next poll is due', () => {
    const plan = planNextPoll({ ...base, now: 180_000, lastPollAt: 178_000, deadline: 1e9, invocationEnd: 200_000 });
    // next poll due at 193 000, too late for this invocation: return at 183 000, framework adds 10 s
    expect(plan).toEqual({ kind: 'yield', waitMs: 3_000 });
  });

  test('the last poll happens at the deadline, then the wait is over', () => {
    expect(planNextPoll({ ...base, now: 95_000, lastPollAt: 94_000, deadline: 100_000, invocationEnd: 500_000 })).toEqual({ kind: 'poll', waitMs: 5_000 });
    expect(planNextPoll({ ...base, now: 100_000, lastPollAt: 100_000, deadline: 100_000, invocationEnd: 500_000 })).toEqual({ kind: 'deadline' });
  });

  test('property: never waits past the invocation end or the deadline', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 1e7 }), fc.integer({ min: 0, max: 60_000 }), fc.integer({ min: 1_000, max: 120_000 }),
      fc.integer({ min: -60_000, max: 3_600_000 }), fc.integer({ min: 0, max: 300_000 }),
      (now, sinceLastPoll, pollIntervalMs, untilDeadline, untilEnd) => {
        const args = { ...base, now, lastPollAt: now - sinceLastPoll, pollIntervalMs, deadline: now + untilDeadline, invocationEnd: now + untilEnd };
        const plan = planNextPoll(args);
        if (untilDeadline <= 0) {
          expect(plan.kind).toBe('deadline');
          return;
        }
        expect(plan.kind).not.toBe('deadline');
        if (plan.kind === 'deadline') return;
        expect(plan.waitMs).toBeGreaterThanOrEqual(0);
        expect(now + plan.waitMs).toBeLessThanOrEqual(Math.max(now, args.deadline));
        if (plan.kind === 'poll') expect(now + plan.waitMs + base.roundReserveMs).toBeLessThanOrEqual(args.invocationEnd);
        else expect(now + plan.waitMs).toBeLessThanOrEqual(Math.max(now, args.invocationEnd - base.roundReserveMs));
      }));
  });
});
