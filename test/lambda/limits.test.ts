/**
 * Props given as tokens (a CfnParameter) escape the construct's synth checks; the handler
 * checks them at deploy time, with the construct's limits and in its words.
 */
import { Duration } from 'aws-cdk-lib';
import * as fc from 'fast-check';
import { onEvent } from '../../lambda/on-event';
import { checkProperties, parseProperties } from '../../lambda/properties';
import { STATE_KEY } from '../../src/shared/contract';
import { humanDuration } from '../../src/shared/limits';
import { Limits, apiUrlErrors, timingErrors } from '../../src/validation';
import { SimulatedClock, cfnEvent, resourceProperties, testDeps } from '../fixtures/events';
import { deploy, worldDeps, worldPerTest } from '../fixtures/harness';

/** What the construct says at synth about these values, had they not been tokens. */
function synthProblems(apiUrl: string, timeoutSeconds: number, pollSeconds: number): string[] {
  return [...apiUrlErrors(apiUrl), ...timingErrors(Duration.millis(timeoutSeconds * 1000), Duration.millis(pollSeconds * 1000))];
}

/** What the handler says at deploy time about the same values, as CloudFormation passes them. */
function deployProblems(apiUrl: string, timeoutSeconds: number, pollSeconds: number): string[] {
  return checkProperties(resourceProperties({ ApiUrl: apiUrl, TimeoutSeconds: String(timeoutSeconds), PollIntervalSeconds: String(pollSeconds) }));
}

describe('the construct and the handler say the same', () => {
  test.each([
    ['https://app.polytomic.com', 1800, 15],
    ['https://app.polytomic.com', 59, 15],
    ['https://app.polytomic.com', 59.5, 30],
    ['https://app.polytomic.com', 3360, 121],
    ['https://app.polytomic.com', 7200, 0.5],
    ['https://app.polytomic.com', 60, 90],
    ['https://app.polytomic.com', 90, 1.5],
    ['http://polytomic.example.com', 600, 15],
    ['ftp://polytomic.example.com', 600, 15],
    ['not a url', 600, 15],
    ['https://user:pass@polytomic.example.com', 600, 15],
    ['https://app.polytomic.com/?token=x', 600, 15],
    ['https://app.polytomic.com/#x', 20, 200],
  ])('%s, timeout %p s, pollInterval %p s', (apiUrl, timeout, poll) => {
    expect(deployProblems(apiUrl, timeout, poll)).toEqual(synthProblems(apiUrl, timeout, poll));
  });

  test('property: for any timing, the same messages', () => {
    const seconds = fc.oneof(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 200_000 }).map((ms) => ms / 1000));
    fc.assert(fc.property(seconds, seconds, (timeout, poll) => {
      expect(deployProblems('https://app.polytomic.com', timeout, poll)).toEqual(synthProblems('https://app.polytomic.com', timeout, poll));
    }), { numRuns: 300 });
  });

  test('the messages read as before', () => {
    expect(deployProblems('https://app.polytomic.com', 59, 15))
      .toEqual(['timeout is 59 seconds: it must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource)']);
    expect(deployProblems('https://app.polytomic.com', 60, 90)).toEqual(['pollInterval (1 minute 30 seconds) is longer than timeout (1 minute): it must not be']);
    expect(deployProblems('http://polytomic.example.com', 600, 15))
      .toEqual(['apiUrl "http://polytomic.example.com" does not use https: the key is sent with every request, so only https is accepted']);
    // a query is not echoed: it could hold what should not be printed
    expect(deployProblems('https://app.polytomic.com/p?token=x', 600, 15)).toEqual(['apiUrl "https://app.polytomic.com/p" has a query or fragment: give the base URL only']);
  });

  test('the limits are the construct\'s', () => {
    const limits = [Limits.MIN_TIMEOUT, Limits.MAX_TIMEOUT, Limits.MIN_POLL_INTERVAL, Limits.MAX_POLL_INTERVAL];
    expect(limits.map((d) => d.toSeconds())).toEqual([60, 3300, 1, 120]);
    expect(humanDuration(3300)).toBe('55 minutes');
    expect(humanDuration(3661)).toBe('1 hour 1 minute');
    expect(humanDuration(1.5)).toBe('1.5 seconds');
    expect(humanDuration(1)).toBe('1 second');
  });

  test('plain http to a loopback host: the handler accepts it, the construct does not', () => {
    for (const url of ['http://127.0.0.1:8080', 'http://127.1.2.3', 'http://localhost:3000/base', 'http://[::1]:9000']) {
      expect(deployProblems(url, 600, 15)).toEqual([]);
      expect(apiUrlErrors(url)).toEqual([`apiUrl "${url}" does not use https: the key is sent with every request, so only https is accepted`]);
    }
    expect(deployProblems('http://127.0.0.1.example.com', 600, 15)).toHaveLength(1);
    expect(deployProblems('http://128.0.0.1', 600, 15)).toHaveLength(1);
  });
});

describe('the handler refuses at deploy time', () => {
  const world = worldPerTest();

  test.each([
    [{ ApiUrl: 'http://polytomic.example.com' }, 'apiUrl "http://polytomic.example.com" does not use https: the key is sent with every request, so only https is accepted'],
    [{ TimeoutSeconds: '3360' }, 'timeout is 56 minutes: it must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource)'],
    [{ TimeoutSeconds: '30' }, 'timeout is 30 seconds: it must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource)'],
    [{ PollIntervalSeconds: '0.5' }, 'pollInterval is 0.5 seconds: it must be between 1 second and 2 minutes'],
    [{ PollIntervalSeconds: '121' }, 'pollInterval is 2 minutes 1 second: it must be between 1 second and 2 minutes'],
    [{ TimeoutSeconds: '60', PollIntervalSeconds: '90' }, 'pollInterval (1 minute 30 seconds) is longer than timeout (1 minute): it must not be'],
    [{ TimeoutSeconds: 'soon' }, 'timeout is "soon": a number of seconds is expected'],
  ])('%p, on Create and Update, before anything is read or sent', async (overrides, message) => {
    for (const requestType of ['Create', 'Update'] as const) {
      const run = await deploy(requestType, world.props(overrides), worldDeps());
      expect(run.error?.message).toBe(message);
      expect(run.invocations).toBe(0);
    }
    expect(world.sim.requests).toHaveLength(0);
    expect(world.secrets.requests).toHaveLength(0);
  });

  test('all problems in one line', async () => {
    const run = await deploy('Create', world.props({ ApiUrl: 'http://polytomic.example.com', TimeoutSeconds: '30', PollIntervalSeconds: '0' }), worldDeps());
    expect(run.error?.message.split('; ')).toEqual(checkProperties(world.props({ ApiUrl: 'http://polytomic.example.com', TimeoutSeconds: '30', PollIntervalSeconds: '0' })));
    expect(run.error?.message).not.toContain('\n');
    expect(run.error?.message.split('; ')).toHaveLength(3);
  });

  test('isComplete never sends the key to a URL that is not https, whatever onEvent decided', async () => {
    const sent: string[] = [];
    const realFetch = globalThis.fetch;
    globalThis.fetch = async (input, init) => {
      sent.push(String(input));
      return realFetch(input, init);
    };
    try {
      // a rollback: onEvent lets it through, isComplete must not call Polytomic
      const deps = { ...worldDeps(), stackStatus: async () => 'UPDATE_ROLLBACK_IN_PROGRESS' };
      const run = await deploy('Update', world.props({ ApiUrl: 'http://polytomic.example.com' }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.IsComplete).toBe(true);
      expect(run.result?.Data?.Summary).toBe('rollback: not confirmed');
      expect(sent).toEqual([]);
      expect(world.secrets.requests).toHaveLength(0);
      const warnings = deps.entries().filter((e) => e.level === 'WARN').map((e) => JSON.stringify(e)).join('\n');
      expect(warnings).toContain('does not use https');
    } finally {
      globalThis.fetch = realFetch;
    }
  });
});

describe('a rollback never fails on them: it clamps, warns and goes on', () => {
  const world = worldPerTest();

  test('out-of-range timeout and poll interval are clamped into range', () => {
    expect(parseProperties(resourceProperties({ TimeoutSeconds: '10', PollIntervalSeconds: '600' }))).toMatchObject({ timeoutMs: 60_000, pollIntervalMs: 60_000 });
    expect(parseProperties(resourceProperties({ TimeoutSeconds: '7200', PollIntervalSeconds: '0.2' }))).toMatchObject({ timeoutMs: 3_300_000, pollIntervalMs: 1_000 });
    expect(parseProperties(resourceProperties({ TimeoutSeconds: '600', PollIntervalSeconds: '300' }))).toMatchObject({ pollIntervalMs: 120_000 });
  });

  test('onEvent: a rollback with a 10 s timeout and a 10 min poll interval waits 1 min, and says why', async () => {
    const clock = new SimulatedClock();
    const deps = { ...testDeps(clock), stackStatus: async () => 'UPDATE_ROLLBACK_IN_PROGRESS' };
    const result = await onEvent(cfnEvent('Update', resourceProperties({ TimeoutSeconds: '10', PollIntervalSeconds: '600' })), deps);
    const state = result[STATE_KEY]!;
    expect(state.rollback).toBe(true);
    expect(state.deadline - state.startedAt).toBe(60_000);
    const warning = deps.entries().find((e) => e.level === 'WARN');
    expect(warning?.problems).toEqual([
      'timeout is 10 seconds: it must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource)',
      'pollInterval is 10 minutes: it must be between 1 second and 2 minutes',
    ]);
  });

  test('the whole rollback waits the clamped minute, polling about once a second, then goes on', async () => {
    const syncId = world.sim.addSync({ running: true, cancelAfterPolls: 100_000 });
    const deps = { ...worldDeps(), stackStatus: async () => 'UPDATE_ROLLBACK_IN_PROGRESS' };
    const start = deps.clock.now();
    const run = await deploy('Update', world.props({ SyncIds: [syncId], TimeoutSeconds: '5', PollIntervalSeconds: '0.01' }), deps, 200);
    expect(run.error).toBeUndefined();
    expect(run.result?.Data).toMatchObject({ [syncId]: 'canceling', TimedOut: 'true', Summary: 'rollback: not confirmed' });
    // 5 s unclamped; 60 s clamped (and no more: the rollback wait is at most 5 min)
    expect(deps.clock.now() - start).toBeGreaterThanOrEqual(60_000);
    expect(deps.clock.now() - start).toBeLessThan(120_000);
    // every 10 ms unclamped would be thousands of polls
    const polls = world.sim.requests.filter((r) => r.method === 'GET').length;
    expect(polls).toBeGreaterThan(10);
    expect(polls).toBeLessThanOrEqual(70);
  });
});
