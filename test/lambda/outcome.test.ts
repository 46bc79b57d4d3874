/**
 * What isComplete reports: the attributes (Data) and the reason of a failure stay within
 * CloudFormation's 4 KB response, whatever statuses Polytomic sends, for the largest
 * canceller (25 syncs).
 */
import { randomUUID } from 'node:crypto';
import { Logger } from '../../lambda/logger';
import { MAX_SUMMARY_BYTES, deadlineMessage, describePending, outcomeData, resumeData } from '../../lambda/outcome';
import { pausedSyncsOf } from '../../lambda/pause-id';
import { parseProperties } from '../../lambda/properties';
import { MAX_STATUS_BYTES, SyncProgress } from '../../lambda/sync-watcher';
import { MAX_SYNCS } from '../../src/shared/limits';
import { STACK_ID, SimulatedClock, resourceProperties, testDeps } from '../fixtures/events';
import { API_KEY, DeploymentRun, deploy, worldPerTest } from '../fixtures/harness';

const progress = (syncId: string, status: string, extra: Partial<SyncProgress> = {}): SyncProgress => ({ syncId, done: false, status, ...extra });

describe('outcome', () => {
  test('every sync gets an attribute, unknown when never read, and a summary', () => {
    const data = outcomeData(['a', 'b', 'c'], [progress('a', 'completed', { done: true }), progress('b', 'completed', { done: true })], false);
    expect(data).toEqual({ a: 'completed', b: 'completed', c: 'unknown', TimedOut: 'false', Summary: '2 completed, 1 unknown' });
  });

  test('the summary is bounded however many different statuses there are', () => {
    const ids = Array.from({ length: MAX_SYNCS }, (_, i) => `sync-${i}`);
    const data = outcomeData(ids, ids.map((id, i) => progress(id, `${i}-${'s'.repeat(MAX_STATUS_BYTES - 4)}`)), true);
    expect(Buffer.byteLength(data.Summary)).toBeLessThanOrEqual(MAX_SUMMARY_BYTES);
  });

  test('the deadline message names at most 8 pending syncs, and what it waited', () => {
    const rounds = Array.from({ length: 10 }, (_, i) => progress(`sync-${i}`, 'running', i === 0 ? { lastError: 'GET status answered HTTP 503' } : {}));
    expect(describePending(rounds)).toMatch(/^sync-0 last seen running \(last error: GET status answered HTTP 503\); sync-1 last seen running; .*; and 2 more$/);
    const props = parseProperties(resourceProperties({ SyncIds: rounds.map((p) => p.syncId), TimeoutSeconds: '600' }));
    expect(deadlineMessage(props, rounds, false)).toMatch(/^timed out after 10 min waiting for 10 of 10 Polytomic bulk sync\(s\) to stop: sync-0/);
    expect(deadlineMessage(props, rounds, true)).toMatch(/^timed out after the rollback wait/);
    expect(deadlineMessage(props, [], false, 'could not read the key')).toMatch(/to stop: could not read the key$/);
  });
});

describe('the response to CloudFormation stays under 4 KB, for 25 syncs and any status strings', () => {
  const world = worldPerTest();

  /** Statuses no sane API sends: huge, non-ASCII, control characters, JSON escapes, the key. */
  const wildStatus = (i: number): string => [
    () => `${i}-${'x'.repeat(100_000)}`,
    () => `${i}-${'状態🚀é'.repeat(5_000)}`,
    () => `${i}-${'"\\\u0000\u001b\n'.repeat(2_000)}`,
    () => `${i}-${API_KEY}-${API_KEY.toUpperCase()}-${'k'.repeat(500)}`,
    () => `${i}\u202e${'\ud83d'.repeat(300)}`,
  ][i % 5]();

  /** The body the Provider framework PUTs to the response URL, with the longest values CloudFormation allows around ours. */
  function responseBody(run: DeploymentRun, physicalResourceId: string): string {
    return JSON.stringify({
      Status: run.error ? 'FAILED' : 'SUCCESS',
      // the framework reports a failure by its stack, which deploymentError keeps to the message
      Reason: run.error ? run.error.stack : 'SUCCESS',
      StackId: STACK_ID.replace('stack/app/', `stack/${'s'.repeat(128)}/`),
      RequestId: randomUUID(),
      PhysicalResourceId: physicalResourceId,
      LogicalResourceId: 'L'.repeat(255),
      NoEcho: false,
      Data: run.result?.Data,
    });
  }

  async function run25(mode: 'success' | 'continue' | 'rollback' | 'fail', haltMode: 'CANCEL' | 'PAUSE_AND_RESUME' = 'CANCEL'): Promise<{ body: string; run: DeploymentRun }> {
    const ids = Array.from({ length: MAX_SYNCS }, () => world.sim.addSync({ running: true, cancelAfterPolls: 1_000 }));
    ids.forEach((id, i) => world.sim.fault({ method: 'GET', path: `/api/bulk/syncs/${id}/status`, times: Infinity }, {
      type: 'json',
      body: mode === 'success'
        ? { data: { current_execution: null, last_execution: { id: `e-${i}`, status: wildStatus(i) } } }
        : { data: { current_execution: { id: `e-${i}`, status: wildStatus(i) } } },
    }));
    const clock = new SimulatedClock();
    const deps = {
      ...testDeps(clock),
      clock,
      requestTimeoutMs: 1_000,
      ...mode === 'rollback' ? { stackStatus: async () => 'UPDATE_ROLLBACK_IN_PROGRESS' } : {},
    };
    const props = world.props({ SyncIds: ids, TimeoutSeconds: '60', OnTimeout: mode === 'continue' ? 'CONTINUE' : 'FAIL', HaltMode: haltMode });
    const run = await deploy(mode === 'rollback' ? 'Update' : 'Create', props, deps);
    const output = [...deps.lines, run.error?.stack ?? '', JSON.stringify(run.result ?? {})].join('\n');
    expect(output).not.toContain('DO-NOT-LOG');
    expect(output.toLowerCase()).not.toContain('do-not-log');
    return { body: responseBody(run, run.physicalResourceId ?? 'polytomic-canceller-0123456789abcdef'), run };
  }

  test('all terminal (SUCCESS with 25 statuses)', async () => {
    const { body, run } = await run25('success');
    expect(run.result?.IsComplete).toBe(true);
    expect(Object.keys(run.result?.Data ?? {})).toHaveLength(MAX_SYNCS + 2); // TimedOut, Summary
    expect(Buffer.byteLength(body)).toBeLessThan(4096);
  });

  test('timeout with OnTimeout CONTINUE', async () => {
    const { body, run } = await run25('continue');
    expect(run.result?.Data?.TimedOut).toBe('true');
    expect(Buffer.byteLength(body)).toBeLessThan(4096);
  });

  test('a rollback that gives up', async () => {
    const { body, run } = await run25('rollback');
    expect(run.result?.Data?.Summary).toBe('rollback: not confirmed');
    expect(Buffer.byteLength(body)).toBeLessThan(4096);
  });

  test('a failure (the reason)', async () => {
    const { body, run } = await run25('fail');
    expect(run.error?.message).toMatch(/^timed out after 1 min waiting for 25 of 25/);
    expect(Buffer.byteLength(body)).toBeLessThan(4096);
  });

  // a pause names the 25 syncs it deactivated in its physical id, which counts too
  test.each(['success', 'continue', 'fail'] as const)('PAUSE_AND_RESUME, all 25 paused: %s', async (mode) => {
    const { body, run } = await run25(mode, 'PAUSE_AND_RESUME');
    expect(pausedSyncsOf(run.physicalResourceId)).toHaveLength(MAX_SYNCS);
    expect(Buffer.byteLength(body)).toBeLessThan(4096);
  });

  test('the resume, 25 syncs still paused', () => {
    const ids = Array.from({ length: MAX_SYNCS }, () => randomUUID());
    const data = resumeData({ resumed: [], stillPaused: ids, started: 0, start: true }, 'x'.repeat(10_000));
    const body = JSON.stringify({
      Status: 'SUCCESS',
      Reason: 'SUCCESS',
      StackId: STACK_ID.replace('stack/app/', `stack/${'s'.repeat(128)}/`),
      RequestId: randomUUID(),
      PhysicalResourceId: `polytomic-resume-${'0'.repeat(16)}`,
      LogicalResourceId: 'L'.repeat(255),
      NoEcho: false,
      Data: data,
    });
    expect(data.StillPaused.split(',')).toEqual(ids);
    expect(Buffer.byteLength(body)).toBeLessThan(4096);
  });

  test('each status is shown printable and bounded', async () => {
    const { run } = await run25('success');
    for (const [key, value] of Object.entries(run.result?.Data ?? {})) {
      if (key === 'Summary' || key === 'TimedOut') continue;
      expect(Buffer.byteLength(value)).toBeLessThanOrEqual(MAX_STATUS_BYTES);
      expect(value).toMatch(/^[\x20-\x7e]*…?$/);
      expect(value).not.toMatch(/["\\]/);
    }
  });

  test('the redaction sees what a status becomes: lower-cased, it is still redacted', () => {
    const logger = new Logger(() => undefined);
    logger.addSecret(API_KEY);
    expect(logger.redact(`status ${API_KEY.toLowerCase()} and ${API_KEY.toUpperCase()}`)).toBe('status *** and ***');
  });
});
