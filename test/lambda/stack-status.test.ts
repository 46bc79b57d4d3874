/**
 * The stack-status reader with the real `@aws-sdk/client-cloudformation` client against a
 * loopback CloudFormation (AWS_ENDPOINT_URL_CLOUDFORMATION), and the decisions taken from
 * the status: rollback, abandoned request.
 */
import { Logger } from '../../lambda/logger';
import { StackWatch, UNKNOWN_STATUS, WatchStart, isAbandoned, isRollbackUpdate, readStackStatus } from '../../lambda/stack-status';
import { RECHECK_MAX_AGE_MS, STATUS_MAX_AGE_MS } from '../../src/shared/time-budget';
import { STACK_ID, SimulatedClock } from '../fixtures/events';
import { FakeCloudFormation } from '../simulator/fake-cloudformation';

let cfn: FakeCloudFormation;
let lines: string[];
let logger: Logger;
let clock: SimulatedClock;

beforeEach(async () => {
  cfn = await FakeCloudFormation.start({ stacks: { [STACK_ID]: 'UPDATE_IN_PROGRESS' } });
  process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cfn.url;
  lines = [];
  logger = new Logger((line) => lines.push(line));
  clock = new SimulatedClock();
});

afterEach(async () => {
  delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
  await cfn.close();
});

const read = (options: { stopBy?: number; attemptTimeoutMs?: number } = {}) =>
  readStackStatus(STACK_ID, { logger, clock, stopBy: options.stopBy ?? Infinity, attemptTimeoutMs: options.attemptTimeoutMs });

describe('readStackStatus (real SDK client, loopback CloudFormation)', () => {
  test.each(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'CREATE_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'])('answers %s as read', async (status) => {
    cfn.setStatus(STACK_ID, status);
    await expect(read()).resolves.toBe(status);
  });

  test('asks DescribeStacks for the stack by its id, signed for the stack\'s own region, in the awsQuery protocol', async () => {
    await read();
    expect(cfn.requests).toHaveLength(1);
    expect(cfn.requests[0]).toMatchObject({ action: 'DescribeStacks', stackName: STACK_ID, region: 'eu-west-1', service: 'cloudformation', responseStatus: 200 });
    expect(cfn.requests[0].headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  });

  test('throttled: tried 3 times with growing pauses on the clock, then unknown instead of a throw', async () => {
    cfn.fault({ type: 'throttling' }, Infinity);
    await expect(read()).resolves.toBe(UNKNOWN_STATUS);
    expect(cfn.describeStacksRequests()).toHaveLength(3);
    expect(clock.sleeps).toEqual([1_000, 2_000]);
    expect(lines.join('\n')).toMatch(/could not read the stack status.*(Throttling|Rate exceeded)/);
  });

  test.each([['internal', 500], ['denied', 403], ['throttling', 400]] as const)('a passing %s error (HTTP %d) is retried', async (type, httpStatus) => {
    cfn.fault({ type });
    cfn.setStatus(STACK_ID, 'UPDATE_ROLLBACK_IN_PROGRESS');
    await expect(read()).resolves.toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    expect(cfn.requests.map((r) => r.responseStatus)).toEqual([httpStatus, 200]);
  });

  test('a hung endpoint: each attempt is aborted at its timeout; unknown after 3', async () => {
    cfn.fault({ type: 'hang' }, Infinity);
    const started = Date.now();
    await expect(read({ attemptTimeoutMs: 200 })).resolves.toBe(UNKNOWN_STATUS);
    expect(cfn.describeStacksRequests()).toHaveLength(3);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  test('no attempt is started without the time for it', async () => {
    await expect(read({ stopBy: clock.now() + 1_000 })).resolves.toBe(UNKNOWN_STATUS);
    expect(cfn.requests).toHaveLength(0);
    expect(lines.join('\n')).toMatch(/no time left to read the stack status/);
  });

  test('no retry runs past stopBy: the pauses count on the clock', async () => {
    cfn.fault({ type: 'internal' }, Infinity);
    // attempt 1 at 0 s, pause 1 s, attempt 2 (ends by 6 s), pause 2 s: a third would end at 8 s
    await expect(read({ stopBy: clock.now() + 7_500 })).resolves.toBe(UNKNOWN_STATUS);
    expect(cfn.describeStacksRequests()).toHaveLength(2);
  });

  test('an unknown stack answers unknown', async () => {
    const other = STACK_ID.replace('/app/', '/other/');
    await expect(readStackStatus(other, { logger, clock, stopBy: Infinity })).resolves.toBe(UNKNOWN_STATUS);
    expect(cfn.requests[0].responseStatus).toBe(400);
  });

  test('the client follows AWS_ENDPOINT_URL_CLOUDFORMATION when it changes (cached per region and endpoint)', async () => {
    await read();
    const second = await FakeCloudFormation.start({ stacks: { [STACK_ID]: 'UPDATE_COMPLETE' } });
    try {
      process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = second.url;
      await expect(read()).resolves.toBe('UPDATE_COMPLETE');
      expect(second.requests).toHaveLength(1);
      expect(cfn.requests).toHaveLength(1);
    } finally {
      await second.close();
    }
  });
});

describe('decisions from the status', () => {
  test.each([
    ['UPDATE_ROLLBACK_IN_PROGRESS', true],
    ['ROLLBACK_IN_PROGRESS', true],
    ['IMPORT_ROLLBACK_IN_PROGRESS', true],
    ['UPDATE_IN_PROGRESS', false],
    ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', false],
    ['CREATE_IN_PROGRESS', false],
    [UNKNOWN_STATUS, false],
  ])('isRollbackUpdate(Update, %s) = %s', (status, expected) => {
    expect(isRollbackUpdate('Update', status)).toBe(expected);
  });

  test.each(['Create', 'Delete'])('a %s is never a rollback, whatever the status', (requestType) => {
    expect(isRollbackUpdate(requestType, 'UPDATE_ROLLBACK_IN_PROGRESS')).toBe(false);
    expect(isRollbackUpdate(requestType, 'ROLLBACK_IN_PROGRESS')).toBe(false);
  });

  test.each([
    // the request started in a known status: any other known status abandons it
    ['UPDATE_IN_PROGRESS', 'UPDATE_IN_PROGRESS', false],
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_IN_PROGRESS', true],
    ['UPDATE_ROLLBACK_COMPLETE', 'UPDATE_ROLLBACK_IN_PROGRESS', true],
    ['ROLLBACK_IN_PROGRESS', 'CREATE_IN_PROGRESS', true],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_IN_PROGRESS', true],
    [UNKNOWN_STATUS, 'UPDATE_IN_PROGRESS', false],
    // the starting status is not known: only a status in which nothing is awaited
    ['UPDATE_ROLLBACK_IN_PROGRESS', undefined, false],
    ['UPDATE_IN_PROGRESS', UNKNOWN_STATUS, false],
    ['UPDATE_COMPLETE', undefined, true],
    ['UPDATE_ROLLBACK_FAILED', undefined, true],
    ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', undefined, true],
    ['ROLLBACK_IN_PROGRESS', undefined, true],
    ['DELETE_IN_PROGRESS', undefined, true],
    [UNKNOWN_STATUS, undefined, false],
  ])('isAbandoned(%s, started in %s) = %s', (status, startedIn, expected) => {
    expect(isAbandoned(status, startedIn)).toBe(expected);
  });
});

describe('StackWatch', () => {
  function watchOf(answers: string[], start: Partial<WatchStart> & { readAt: number }) {
    const reads: number[] = [];
    const watch = new StackWatch(async () => { reads.push(clock.now()); return answers.shift() ?? UNKNOWN_STATUS; }, clock,
      { requestType: 'Update', rollback: false, ...start });
    return { watch, reads };
  }

  test('reads only once the last read is too old, and reports a change of status', async () => {
    const { watch, reads } = watchOf(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS'], { status: 'UPDATE_IN_PROGRESS', readAt: clock.now() });
    await expect(watch.check()).resolves.toBeUndefined();
    expect(reads).toHaveLength(0);
    clock.advance(STATUS_MAX_AGE_MS);
    await expect(watch.check()).resolves.toBeUndefined();
    clock.advance(STATUS_MAX_AGE_MS);
    await expect(watch.check()).resolves.toBe('UPDATE_ROLLBACK_IN_PROGRESS');
    expect(reads).toHaveLength(2);
  });

  test('onEvent could not read it: the first status read stands for the starting one', async () => {
    const { watch } = watchOf(['UPDATE_IN_PROGRESS', UNKNOWN_STATUS, 'UPDATE_ROLLBACK_IN_PROGRESS'], { status: UNKNOWN_STATUS, readAt: clock.now() });
    await expect(watch.check()).resolves.toBeUndefined(); // due at once: onEvent's read failed
    clock.advance(STATUS_MAX_AGE_MS);
    await expect(watch.check()).resolves.toBeUndefined(); // a failed read changes nothing
    expect(watch.latest).toBe('UPDATE_IN_PROGRESS');
    clock.advance(STATUS_MAX_AGE_MS);
    await expect(watch.check()).resolves.toBe('UPDATE_ROLLBACK_IN_PROGRESS');
  });

  test('a state from an older version (no status): a settled stack is abandoned at the first read', async () => {
    const { watch } = watchOf(['UPDATE_COMPLETE'], { readAt: clock.now() });
    await expect(watch.check()).resolves.toBe('UPDATE_COMPLETE');
  });

  describe('beforeFailing', () => {
    test('a rollback onEvent found stays one, without another read', async () => {
      const { watch, reads } = watchOf(['UPDATE_COMPLETE'], { rollback: true, status: 'UPDATE_ROLLBACK_IN_PROGRESS', readAt: -Infinity });
      await expect(watch.beforeFailing()).resolves.toEqual({ kind: 'rollback' });
      expect(reads).toHaveLength(0);
    });

    test('otherwise the status is read again, unless it was read within RECHECK_MAX_AGE_MS', async () => {
      const { watch, reads } = watchOf(['UPDATE_IN_PROGRESS'], { status: 'UPDATE_IN_PROGRESS', readAt: clock.now() });
      await expect(watch.beforeFailing()).resolves.toEqual({ kind: 'fail' });
      expect(reads).toHaveLength(0);
      clock.advance(RECHECK_MAX_AGE_MS);
      await expect(watch.beforeFailing()).resolves.toEqual({ kind: 'fail' });
      expect(reads).toHaveLength(1);
    });

    test('the stack moved on: abandoned', async () => {
      const { watch } = watchOf(['UPDATE_ROLLBACK_IN_PROGRESS'], { status: 'UPDATE_IN_PROGRESS', readAt: clock.now() - RECHECK_MAX_AGE_MS });
      await expect(watch.beforeFailing()).resolves.toEqual({ kind: 'abandoned', stackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' });
    });

    test('onEvent could not read the status: an Update found rolling back now is a rollback; a Create is not', async () => {
      const update = watchOf(['UPDATE_ROLLBACK_IN_PROGRESS'], { status: UNKNOWN_STATUS, readAt: clock.now() });
      await expect(update.watch.beforeFailing()).resolves.toEqual({ kind: 'rollback' });
      const create = watchOf(['ROLLBACK_IN_PROGRESS'], { requestType: 'Create', readAt: clock.now() });
      await expect(create.watch.beforeFailing()).resolves.toEqual({ kind: 'abandoned', stackStatus: 'ROLLBACK_IN_PROGRESS' });
    });
  });
});
