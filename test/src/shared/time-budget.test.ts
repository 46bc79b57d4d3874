/**
 * The rules that tie the durations of src/shared/time-budget.ts together, checked for every
 * timeout and poll interval a user may give; and a scan of src/ and lambda/ that keeps every
 * duration in that module and every reading of time in the handler's clock.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import * as path from 'node:path';
import * as fc from 'fast-check';
import * as budget from '../../../src/shared/time-budget';

const {
  ANSWER_AFTER_DEADLINE_MAX_MS, BACKOFF_MAX_MS, CLOUDFORMATION_MAX_WAIT_MS, FRAMEWORK_QUERY_INTERVAL_MS, FRAMEWORK_TOTAL_TIMEOUT_MS,
  INVOCATION_SAFETY_MS, IS_COMPLETE_TIMEOUT_MS, MAX_POLL_INTERVAL_MS, MAX_TIMEOUT_MS, MIN_CALL_TIME_MS, MIN_POLL_INTERVAL_MS,
  MIN_ROUND_RETRY_MS, MIN_TIMEOUT_MS, MINUTE_MS, ON_EVENT_STATUS_READ_BUDGET_MS, ON_EVENT_TIMEOUT_MS, REQUEST_TIMEOUT_MS,
  ROLLBACK_MAX_WAIT_MS, ROUND_RESERVE_MS, SECOND_MS, SECRET_READ_TIMEOUT_MS, STACK_STATUS_ATTEMPT_TIMEOUT_MS,
  STACK_STATUS_READ_MAX_MS, STATUS_MAX_AGE_MS, COMPENSATION_WINDOW_MS, ABANDONED_PAUSE_HOLD_MS, FRAMEWORK_OVERHEAD_MS, STOP_MARGIN_MS,
  invocationBounds, serviceTimeoutSeconds,
} = budget;

/** Every whole-second timeout a user may give. */
function* allowedTimeouts(): Generator<number> {
  for (let ms = MIN_TIMEOUT_MS; ms <= MAX_TIMEOUT_MS; ms += SECOND_MS) yield ms;
}

describe('rules over every allowed timeout', () => {
  test('CloudFormation waits for the handler, and never longer than its hour', () => {
    let checked = 0;
    for (const timeoutMs of allowedTimeouts()) {
      const serviceTimeoutMs = serviceTimeoutSeconds(timeoutMs) * SECOND_MS;
      // the handler's last answer comes before CloudFormation stops waiting
      expect(timeoutMs + ANSWER_AFTER_DEADLINE_MAX_MS).toBeLessThanOrEqual(serviceTimeoutMs);
      // a ServiceTimeout above one hour is refused by CloudFormation
      expect(serviceTimeoutMs).toBeLessThanOrEqual(CLOUDFORMATION_MAX_WAIT_MS);
      // the framework's waiter does not give up before CloudFormation would
      expect(FRAMEWORK_TOTAL_TIMEOUT_MS).toBeGreaterThanOrEqual(serviceTimeoutMs);
      // a rollback's shorter wait fits too
      expect(Math.min(timeoutMs, ROLLBACK_MAX_WAIT_MS) + ANSWER_AFTER_DEADLINE_MAX_MS).toBeLessThanOrEqual(serviceTimeoutMs);
      // a pause answers after its compensation window, still before CloudFormation and the waiter stop
      const pauseTimeoutMs = serviceTimeoutSeconds(timeoutMs, true) * SECOND_MS;
      expect(timeoutMs + COMPENSATION_WINDOW_MS + ANSWER_AFTER_DEADLINE_MAX_MS).toBeLessThanOrEqual(pauseTimeoutMs);
      expect(pauseTimeoutMs).toBeLessThanOrEqual(Math.min(CLOUDFORMATION_MAX_WAIT_MS, FRAMEWORK_TOTAL_TIMEOUT_MS));
      // a pause's Delete that holds for an abandoned Create answers in time too
      expect(ON_EVENT_STATUS_READ_BUDGET_MS + ABANDONED_PAUSE_HOLD_MS + FRAMEWORK_OVERHEAD_MS).toBeLessThan(pauseTimeoutMs);
      checked++;
    }
    expect(checked).toBe((MAX_TIMEOUT_MS - MIN_TIMEOUT_MS) / SECOND_MS + 1);
  });
});

describe('rules over every allowed poll interval', () => {
  test('an interval and its round fit inside one isComplete invocation, after the key read', () => {
    for (let intervalMs = MIN_POLL_INTERVAL_MS; intervalMs <= MAX_POLL_INTERVAL_MS; intervalMs += SECOND_MS) {
      expect(intervalMs + ROUND_RESERVE_MS).toBeLessThanOrEqual(IS_COMPLETE_TIMEOUT_MS - INVOCATION_SAFETY_MS);
    }
    // the first invocation reads the key, then makes at least one round
    expect(SECRET_READ_TIMEOUT_MS + ROUND_RESERVE_MS).toBeLessThanOrEqual(IS_COMPLETE_TIMEOUT_MS - INVOCATION_SAFETY_MS);
    // a pause keeps the compensation window at the end of each invocation: the longest interval still fits
    expect(MAX_POLL_INTERVAL_MS + ROUND_RESERVE_MS).toBeLessThanOrEqual(IS_COMPLETE_TIMEOUT_MS - COMPENSATION_WINDOW_MS - INVOCATION_SAFETY_MS);
    expect(SECRET_READ_TIMEOUT_MS + ROUND_RESERVE_MS).toBeLessThanOrEqual(IS_COMPLETE_TIMEOUT_MS - COMPENSATION_WINDOW_MS - INVOCATION_SAFETY_MS);
  });
});

describe('one invocation', () => {
  test('for any start and deadline: rounds end before calls stop, calls stop before the Lambda does', () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 10 * CLOUDFORMATION_MAX_WAIT_MS }),
      fc.integer({ min: -IS_COMPLETE_TIMEOUT_MS, max: 2 * CLOUDFORMATION_MAX_WAIT_MS }),
      (start, deadlineFromStart) => {
        const lambdaEnd = start + IS_COMPLETE_TIMEOUT_MS;
        const deadline = start + deadlineFromStart;
        const { invocationEnd, stopBy } = invocationBounds(lambdaEnd, deadline);
        // the planner starts a round only if it fits before invocationEnd: a request it starts ends before the calls stop
        const lastRoundStart = invocationEnd - ROUND_RESERVE_MS;
        expect(lastRoundStart + REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(stopBy);
        // and the invocation ends its work before its Lambda timeout
        expect(invocationEnd).toBeLessThanOrEqual(lambdaEnd - INVOCATION_SAFETY_MS);
        // what is left after the calls stop is for the answer
        expect(stopBy).toBeLessThanOrEqual(lambdaEnd - STOP_MARGIN_MS);
        // no call runs more than one round past the deadline
        expect(stopBy).toBeLessThanOrEqual(deadline + ROUND_RESERVE_MS);
      },
    ), { numRuns: 2_000 });
  });

  test('a round holds a request and a retry; a request is never started with less than its minimum', () => {
    expect(ROUND_RESERVE_MS).toBeGreaterThan(REQUEST_TIMEOUT_MS);
    expect(BACKOFF_MAX_MS + REQUEST_TIMEOUT_MS).toBeLessThanOrEqual(MIN_ROUND_RETRY_MS);
    expect(MIN_CALL_TIME_MS).toBeLessThan(REQUEST_TIMEOUT_MS);
  });
});

describe('stack status reads', () => {
  test('onEvent reads the status, with every retry, inside its budget and its minute', () => {
    expect(STACK_STATUS_READ_MAX_MS).toBeLessThanOrEqual(ON_EVENT_STATUS_READ_BUDGET_MS);
    expect(ON_EVENT_STATUS_READ_BUDGET_MS + STOP_MARGIN_MS).toBeLessThanOrEqual(ON_EVENT_TIMEOUT_MS);
    // with PAUSE_AND_RESUME it also reads the key and every sync's activation
    expect(budget.ON_EVENT_WORK_MAX_MS + STOP_MARGIN_MS).toBeLessThanOrEqual(ON_EVENT_TIMEOUT_MS);
  });

  test('while isComplete waits, no minute passes without a read', () => {
    expect(STATUS_MAX_AGE_MS + FRAMEWORK_QUERY_INTERVAL_MS + STACK_STATUS_ATTEMPT_TIMEOUT_MS).toBeLessThanOrEqual(MINUTE_MS);
    expect(STATUS_MAX_AGE_MS).toBeGreaterThan(0);
  });
});

// ---------------------------------------------------------------------------------------
// Durations live in the time budget; time is read through the handler's clock
// ---------------------------------------------------------------------------------------

const ROOT = path.join(__dirname, '..', '..', '..');

/** Patterns of a duration written outside the time budget, and of time read outside the clock. */
const DURATION_LITERAL: ReadonlyArray<readonly [string, RegExp]> = [
  ['a Duration from a number', /\bDuration\.(millis|seconds|minutes|hours|days)\(\s*\d/],
  ['a number assigned to a duration name', /\b\w*(MS|Ms|SECONDS|Seconds|TIMEOUT|Timeout|INTERVAL|Interval|DELAY|Delay|AGE|Age)\b\??\s*[:=]\s*\(?\s*\d/],
  ['a sleep of a literal', /\bsleep\(\s*\d/],
  ['minutes written as 60 000 ms or 60 s', /\b60_?000\b|\b\d+\s*\*\s*60(_000)?\b|\b60\s*\*\s*\d/],
  ['a seconds ↔ ms conversion by a literal', /[*/]\s*1_?000\b/],
];
const TIME_READ: ReadonlyArray<readonly [string, RegExp]> = [
  ['Date.now()', /\bDate\.now\b/],
  ['a timer', /\b(setTimeout|setInterval|setImmediate)\(/],
  ['a timeout signal', /\bAbortSignal\.timeout\(/],
  ['new Date() without a time', /new Date\(\s*\)/],
];

function findings(source: string, patterns: ReadonlyArray<readonly [string, RegExp]>): string[] {
  const found: string[] = [];
  source.split('\n').forEach((line, index) => {
    const code = line.replace(/\/\/.*$/, '').replace(/^\s*\*.*$/, ''); // comments may name durations
    for (const [what, pattern] of patterns) if (pattern.test(code)) found.push(`${index + 1}: ${what}: ${line.trim()}`);
  });
  return found;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) return sourceFiles(file);
    return file.endsWith('.ts') && !file.endsWith('.d.ts') ? [file] : [];
  });
}

describe('where durations and time live', () => {
  test('the scan finds what it looks for', () => {
    expect(findings('const X_TIMEOUT_MS = 5_000;\nawait sleep(1000);\nDuration.minutes(5)\nconst s = ms / 1000;', DURATION_LITERAL)).toHaveLength(4);
    expect(findings('const t = Date.now();\nsetTimeout(f, 5);\nAbortSignal.timeout(ms)', TIME_READ)).toHaveLength(3);
    expect(findings('// waits 60_000 ms\nconst MAX_REASON_BYTES = 1000;', DURATION_LITERAL)).toEqual([]);
  });

  const files = [...sourceFiles(path.join(ROOT, 'src')), ...sourceFiles(path.join(ROOT, 'lambda'))];
  const budgetFile = path.join(ROOT, 'src', 'shared', 'time-budget.ts');
  const clockFile = path.join(ROOT, 'lambda', 'clock.ts');

  test.each(files.filter((f) => f !== budgetFile).map((f) => [path.relative(ROOT, f), f]))('%s has no duration literal', (_name, file) => {
    expect(findings(readFileSync(file, 'utf8'), DURATION_LITERAL)).toEqual([]);
  });

  test.each(files.filter((f) => f.includes(`${path.sep}lambda${path.sep}`) && f !== clockFile).map((f) => [path.relative(ROOT, f), f]))(
    '%s reads time only through the clock', (_name, file) => {
      expect(findings(readFileSync(file, 'utf8'), TIME_READ)).toEqual([]);
    });
});
