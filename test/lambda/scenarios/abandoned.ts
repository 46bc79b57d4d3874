/**
 * Abandoned requests stop: once the stack leaves the status a request started in (another
 * resource failed and the stack rolls back, the update was cancelled, the stack settled),
 * nobody waits for the answer, and isComplete stops calling Polytomic. The stack status is
 * read by the real `@aws-sdk/client-cloudformation` client from a loopback CloudFormation.
 * Part of the handler suite (../handler.test.ts).
 */
import { isComplete } from '../../../lambda/is-complete';
import { onEvent } from '../../../lambda/on-event';
import { readStackStatus } from '../../../lambda/stack-status';
import { STATUS_MAX_AGE_MS, STOP_MARGIN_MS } from '../../../src/shared/time-budget';
import { STACK_ID, cfnEvent, isCompleteEvent, lambdaContext } from '../../fixtures/events';
import { SYNC_A, World, deploy, worldDeps } from '../../fixtures/harness';
import { FakeCloudFormation } from '../../simulator/fake-cloudformation';

/** A sync whose every cancel is undone: it goes back to running after `canceling`, for ever. */
function restarting(): string[] {
  return Array.from({ length: 600 }, (_, i) => (i % 2 === 0 ? 'running' : 'canceling'));
}

export function abandonedScenarios(world: World): void {
  describe('abandoned requests', () => {
    const opened: FakeCloudFormation[] = [];
    afterEach(async () => {
      delete process.env.AWS_ENDPOINT_URL_CLOUDFORMATION;
      await Promise.all(opened.splice(0).map((fake) => fake.close()));
    });

    /** Handler deps reading the stack status from a loopback CloudFormation, in simulated time. */
    async function stackIn(status: string) {
      const deps = worldDeps({ stackStatus: (stackId, options) => readStackStatus(stackId, { ...options, attemptTimeoutMs: 200 }) });
      const cfn = await FakeCloudFormation.start({ stacks: { [STACK_ID]: status }, now: () => deps.clock.now() });
      opened.push(cfn);
      process.env.AWS_ENDPOINT_URL_CLOUDFORMATION = cfn.url;
      return { deps, cfn };
    }

    /** Changes the stack's status `afterMs` into the wait; tells when, and how much was sent by then. */
    function changeLater(deps: ReturnType<typeof worldDeps>, cfn: FakeCloudFormation, afterMs: number, status: string) {
      const change = { at: deps.clock.now() + afterMs, cancels: -1, requests: -1 };
      deps.clock.at(change.at, () => {
        cfn.setStatus(STACK_ID, status);
        change.cancels = world.sim.cancelsApplied(SYNC_A);
        change.requests = world.sim.requests.length;
      });
      return change;
    }

    function warnedAbandoned(deps: ReturnType<typeof worldDeps>, status: string): boolean {
      return deps.entries().some((e) => e.level === 'WARN' && /^abandoned:/.test(String(e.msg)) && e.stackStatus === status);
    }

    test('UPDATE_IN_PROGRESS → UPDATE_ROLLBACK_IN_PROGRESS mid-wait: stops within a minute, no error, nothing sent after', async () => {
      const { deps, cfn } = await stackIn('UPDATE_IN_PROGRESS');
      world.sim.addSync({ id: SYNC_A, statusScript: restarting() });
      const change = changeLater(deps, cfn, 7 * 60_000 + 5_000, 'UPDATE_ROLLBACK_IN_PROGRESS');
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result).toEqual({
        IsComplete: true,
        Data: { [SYNC_A]: expect.any(String), TimedOut: 'false', Summary: 'abandoned: stack is UPDATE_ROLLBACK_IN_PROGRESS' },
      });
      expect(change.cancels).toBeGreaterThan(5); // it was cancelling before the change
      const stoppedAfterMs = deps.clock.now() - change.at;
      expect(stoppedAfterMs).toBeGreaterThanOrEqual(0);
      expect(stoppedAfterMs).toBeLessThanOrEqual(60_000);
      // in the minute before the status was read again, one cancel at most (one per 30 s)
      expect(world.sim.cancelsApplied(SYNC_A) - change.cancels).toBeLessThanOrEqual(2);
      // the read that saw the change was the last call: no Polytomic request after it
      const last = cfn.describeStacksRequests().at(-1)!;
      expect(last.stackStatus).toBe('UPDATE_ROLLBACK_IN_PROGRESS');
      expect(last.at).toBe(deps.clock.now());
      expect(warnedAbandoned(deps, 'UPDATE_ROLLBACK_IN_PROGRESS')).toBe(true);
      // the rollback Update CloudFormation sends next is a request of its own, in rollback mode
      const rollback = await onEvent(cfnEvent('Update', world.props({ SyncIds: [SYNC_A] })), deps);
      expect(rollback.PolytomicCanceller).toMatchObject({ rollback: true, stackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' });
    });

    test('CREATE_IN_PROGRESS → ROLLBACK_IN_PROGRESS (another resource failed): the Create stops', async () => {
      const { deps, cfn } = await stackIn('CREATE_IN_PROGRESS');
      world.sim.addSync({ id: SYNC_A, statusScript: restarting() });
      const change = changeLater(deps, cfn, 3 * 60_000, 'ROLLBACK_IN_PROGRESS');
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.Summary).toBe('abandoned: stack is ROLLBACK_IN_PROGRESS');
      expect(deps.clock.now() - change.at).toBeLessThanOrEqual(60_000);
      expect(warnedAbandoned(deps, 'ROLLBACK_IN_PROGRESS')).toBe(true);
    });

    test('the stack settles (UPDATE_COMPLETE) while the request waits: it stops', async () => {
      const { deps, cfn } = await stackIn('UPDATE_IN_PROGRESS');
      world.sim.addSync({ id: SYNC_A, statusScript: restarting() });
      const change = changeLater(deps, cfn, 12 * 60_000, 'UPDATE_COMPLETE');
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.result?.Data?.Summary).toBe('abandoned: stack is UPDATE_COMPLETE');
      expect(deps.clock.now() - change.at).toBeLessThanOrEqual(60_000);
    });

    test('a rollback request (UPDATE_ROLLBACK_IN_PROGRESS) whose rollback completes: it stops too', async () => {
      const { deps, cfn } = await stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
      world.sim.addSync({ id: SYNC_A, statusScript: restarting() });
      const change = changeLater(deps, cfn, 2 * 60_000, 'UPDATE_ROLLBACK_COMPLETE');
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      // not the rollback's own give-up at its 5-minute deadline
      expect(run.result?.Data?.Summary).toBe('abandoned: stack is UPDATE_ROLLBACK_COMPLETE');
      expect(deps.clock.now() - change.at).toBeLessThanOrEqual(60_000);
    });

    test('the change happens between two invocations: the next one stops before it calls anyone', async () => {
      const { deps, cfn } = await stackIn('UPDATE_IN_PROGRESS');
      world.sim.addSync({ id: SYNC_A, statusScript: restarting() });
      const event = cfnEvent('Update', world.props({ SyncIds: [SYNC_A] }));
      const request = isCompleteEvent(event, await onEvent(event, deps));
      expect(await isComplete(request, lambdaContext(deps.clock), deps)).toEqual({ IsComplete: false });
      cfn.setStatus(STACK_ID, 'UPDATE_ROLLBACK_IN_PROGRESS');
      deps.clock.advance(deps.frameworkIntervalMs);
      const before = world.sim.requests.length;
      const secretReads = world.secrets.requests.length;
      const result = await isComplete(request, lambdaContext(deps.clock, 5 * 60_000, 'invocation-2'), deps);
      expect(result.Data?.Summary).toBe('abandoned: stack is UPDATE_ROLLBACK_IN_PROGRESS');
      expect(world.sim.requests).toHaveLength(before);
      expect(world.secrets.requests).toHaveLength(secretReads);
    });

    test('unchanged status: the wait ends normally, and the stack was watched meanwhile', async () => {
      const { deps, cfn } = await stackIn('UPDATE_IN_PROGRESS');
      world.sim.addSync({ id: SYNC_A, statusScript: [...restarting().slice(0, 30), 'canceled'] });
      // every 15 s: 30 reads are about 7.5 minutes
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), { ...deps, fixedPolling: true });
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toEqual({ [SYNC_A]: 'canceled', TimedOut: 'false', Summary: '1 canceled' });
      expect(cfn.describeStacksRequests().length).toBeGreaterThanOrEqual(7); // ~7.5 min of waiting
    });

    test.each([
      ['500 on every read', (cfn: FakeCloudFormation) => cfn.fault({ type: 'internal' }, Infinity)],
      ['a hung endpoint for the first reads', (cfn: FakeCloudFormation) => cfn.fault({ type: 'hang' }, 6)],
      ['throttled on every read', (cfn: FakeCloudFormation) => cfn.fault({ type: 'throttling' }, Infinity)],
    ])('stack status reads failing (%s): it keeps waiting and completes normally', async (_name, inject) => {
      const { deps, cfn } = await stackIn('UPDATE_IN_PROGRESS');
      inject(cfn);
      world.sim.addSync({ id: SYNC_A, statusScript: [...restarting().slice(0, 16), 'canceled'] });
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toEqual({ [SYNC_A]: 'canceled', TimedOut: 'false', Summary: '1 canceled' });
      expect(cfn.requests.filter((r) => r.fault !== undefined).length).toBeGreaterThanOrEqual(3);
      expect(deps.lines.join('\n')).toMatch(/could not read the stack status/);
    });

    test('a long wait: the stack status is read at least once every simulated minute', async () => {
      const { deps, cfn } = await stackIn('UPDATE_IN_PROGRESS');
      world.sim.addSync({ id: SYNC_A, statusScript: restarting() });
      const start = deps.clock.now();
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A], TimeoutSeconds: '1500', OnTimeout: 'CONTINUE', PollIntervalSeconds: '120' }), deps);
      expect(run.result?.Data?.TimedOut).toBe('true');
      const end = deps.clock.now();
      expect(end - start).toBeGreaterThanOrEqual(25 * 60_000);
      const times = [start, ...cfn.describeStacksRequests().map((r) => r.at), end];
      const gaps = times.slice(1).map((t, i) => t - times[i]);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(60_000);
      expect(cfn.describeStacksRequests().length).toBeGreaterThanOrEqual(25);
    });

    test('every read of isComplete ends before the stop margin of its invocation', async () => {
      const stopBys: number[] = [];
      const deps = worldDeps({ stackStatus: async (_id, options) => { stopBys.push(options.stopBy); return 'UPDATE_IN_PROGRESS'; } });
      world.sim.addSync({ id: SYNC_A, statusScript: restarting() });
      const event = cfnEvent('Update', world.props({ SyncIds: [SYNC_A] }));
      const request = isCompleteEvent(event, await onEvent(event, deps));
      stopBys.length = 0;
      deps.clock.advance(STATUS_MAX_AGE_MS);
      const lambdaEnd = deps.clock.now() + 5 * 60_000;
      await isComplete(request, lambdaContext(deps.clock), deps);
      expect(stopBys.length).toBeGreaterThanOrEqual(5);
      for (const stopBy of stopBys) expect(stopBy).toBe(lambdaEnd - STOP_MARGIN_MS);
    });
  });
}
