/**
 * The halt window (docs/halt-window.md): a sync on a schedule that starts it again defeats
 * CANCEL mode; PAUSE_AND_RESUME deactivates it for the deployment, activates it again after,
 * and undoes the pause on every unsuccessful ending and every rollback. The simulator models
 * schedules (continuous) and activation. Part of the handler suite (../handler.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { isComplete } from '../../../lambda/is-complete';
import { onEvent } from '../../../lambda/on-event';
import { isUuid, pausePhysicalId, pauseTimeOf, pausedSyncsOf, resumePhysicalId, runTagOf } from '../../../lambda/pause-id';
import { checkProperties, checkResumeProperties, parseProperties, parseResumeProperties } from '../../../lambda/properties';
import { CANCELLER_RESOURCE_TYPE, RESUME_RESOURCE_TYPE, STATE_KEY } from '../../../src/shared/contract';
import { MAX_SYNCS } from '../../../src/shared/limits';
import { ABANDONED_PAUSE_HOLD_MS } from '../../../src/shared/time-budget';
import { RequestType, cfnEvent, isCompleteEvent, lambdaContext, resourceProperties } from '../../fixtures/events';
import { API_KEY, SYNC_A, SYNC_B, World, deployEvent, requestsOf, statusReadsOf, worldDeps } from '../../fixtures/harness';

const PAUSE = { HaltMode: 'PAUSE_AND_RESUME' } as const;
/** Run tags of two pauses, a deployment apart. */
const OLDER = runTagOf('an-older-request', Date.UTC(2026, 10, 1));
const NEWER = runTagOf('a-newer-request', Date.UTC(2026, 10, 2));

/** An event of the resume resource (`PauseId` and `RunAfterResume` among `props`). */
function resumeEvent(
  requestType: RequestType, props: Record<string, unknown>, oldProps?: Record<string, unknown>, physicalResourceId = 'polytomic-resume-1',
): CloudFormationCustomResourceEvent {
  const event = cfnEvent(requestType, props, oldProps);
  return {
    ...event,
    ResourceType: RESUME_RESOURCE_TYPE,
    LogicalResourceId: 'ResumeResource',
    ...requestType === 'Create' ? {} : { PhysicalResourceId: physicalResourceId },
  } as CloudFormationCustomResourceEvent;
}

/** A Delete of the pause whose physical id is `physicalResourceId`. */
function pauseDelete(props: Record<string, unknown>, physicalResourceId: string): CloudFormationCustomResourceEvent {
  return { ...cfnEvent('Delete', props), PhysicalResourceId: physicalResourceId } as CloudFormationCustomResourceEvent;
}

/** Deps whose stack stays in `status`; `calls` counts the reads. */
function stackIn(status: string) {
  const calls: string[] = [];
  const deps = worldDeps({ stackStatus: async (stackId) => { calls.push(stackId); return status; } });
  return { deps, calls };
}

export function haltScenarios(world: World): void {
  /** Activation requests Polytomic applied to `syncId`, as `active` values in order. */
  const activations = (syncId: string) => world.sim.inspect(syncId).activations.filter((a) => a.via === 'api').map((a) => a.active);
  const executionsOf = (syncId: string) => world.sim.inspect(syncId).executionIds.length;
  /** A status read as anyone else would make it: an observation, at which a continuous schedule starts the sync. */
  const observe = async (syncId: string) => {
    const res = await fetch(`${world.sim.url}/api/bulk/syncs/${syncId}/status`, { headers: { Authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
  };
  const resumeProps = (pauseId: string | undefined, overrides: Record<string, unknown> = {}) =>
    world.props({ PauseId: pauseId, RunAfterResume: 'false', SyncIds: undefined, GuardedResourcesHash: undefined, ...overrides });

  describe('halt window: a sync that a schedule starts again', () => {
    test('CANCEL mode: continuous syncs start again after every cancel; the deadline failure suggests PAUSE_AND_RESUME', async () => {
      // each cancel lands at the next read, and the schedule starts the sync at the read after: two out of phase never rest together
      world.sim.addSync({ id: SYNC_A, schedule: { frequency: 'continuous' }, cancelAfterPolls: 0 });
      world.sim.addSync({ id: SYNC_B, schedule: { frequency: 'continuous' }, cancelAfterPolls: 0, active: false });
      const deps = worldDeps();
      deps.clock.at(deps.clock.now() + 500, () => world.sim.setActive(SYNC_B, true));
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [SYNC_A, SYNC_B], TimeoutSeconds: '120' })), deps);
      expect(run.error?.message).toMatch(/^timed out after 2 min waiting for 1 of 2 Polytomic bulk sync\(s\) to stop: /);
      expect(run.error?.message).toMatch(
        /started \d+ new executions while the canceller waited: a schedule \(such as continuous\) starts it again; use haltMode PAUSE_AND_RESUME to deactivate it for the deployment/);
      expect(Buffer.byteLength(run.error!.message)).toBeLessThanOrEqual(1000);
      expect(world.sim.inspect(SYNC_A).scheduledStarts).toBeGreaterThan(3);
      // CANCEL mode never touches the activation
      expect(requestsOf(world, /\/activate$/)).toHaveLength(0);
    });

    test('PAUSE_AND_RESUME: the pause deactivates the running continuous sync and waits; nothing starts while paused; the resume activates it again', async () => {
      world.sim.addSync({ id: SYNC_A, schedule: { frequency: 'continuous' }, running: true });
      // inactive before the deployment: neither deactivated nor activated
      world.sim.addSync({ id: SYNC_B, schedule: { frequency: 'continuous' }, active: false });
      const deps = worldDeps();
      const paused = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A, SYNC_B] })), deps);
      expect(paused.error).toBeUndefined();
      expect(paused.result).toEqual({
        IsComplete: true,
        Data: { [SYNC_A]: 'canceled', [SYNC_B]: 'completed', TimedOut: 'false', Summary: '1 canceled, 1 completed' },
      });
      expect(pausedSyncsOf(paused.physicalResourceId)).toEqual([SYNC_A]);
      expect(world.sim.inspect(SYNC_A).active).toBe(false);
      expect(activations(SYNC_A)).toEqual([false]);

      // while the guarded resources change, nothing starts the sync
      const executions = executionsOf(SYNC_A);
      deps.clock.advance(10 * 60_000);
      for (let i = 0; i < 3; i++) await observe(SYNC_A);
      expect(executionsOf(SYNC_A)).toBe(executions);
      expect(world.sim.statusOf(SYNC_A)).toBeUndefined();

      const resumed = await deployEvent(resumeEvent('Create', resumeProps(paused.physicalResourceId)), deps);
      expect(resumed.error).toBeUndefined();
      expect(resumed.result).toEqual({ IsComplete: true, Data: { Resumed: SYNC_A, StillPaused: '', Summary: '1 resumed' } });
      expect(world.sim.inspect(SYNC_A).active).toBe(true);
      expect(activations(SYNC_A)).toEqual([false, true]);
      expect(world.sim.inspect(SYNC_B).active).toBe(false);
      expect(world.sim.inspect(SYNC_B).activations).toEqual([]);
      // the schedule runs again
      await observe(SYNC_A);
      expect(world.sim.statusOf(SYNC_A)).toBe('running');
    });

    test('PAUSE_AND_RESUME with nothing active: the id says none, nothing is deactivated, the resume calls nobody', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const deps = worldDeps();
      const paused = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), deps);
      expect(paused.result?.Data).toMatchObject({ [SYNC_A]: 'completed', TimedOut: 'false' });
      expect(paused.physicalResourceId).toMatch(/^polytomic-pause-[0-9a-f]{16}-none$/);
      const before = world.sim.requests.length;
      const resumed = await deployEvent(resumeEvent('Create', resumeProps(paused.physicalResourceId)), deps);
      expect(resumed.result).toEqual({ IsComplete: true, Data: { Resumed: '', StillPaused: '', Summary: '0 resumed' } });
      expect(world.sim.requests).toHaveLength(before);
      expect(requestsOf(world, /\/activate$/)).toHaveLength(0);
    });

    test('the pause cannot read whether a sync is active: it fails at once, and nothing was paused', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.addSync({ id: SYNC_B, forbidden: true });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A, SYNC_B] })), worldDeps());
      expect(run.error?.message).toMatch(/could not read whether 1 of 2 bulk sync\(s\) are active, so nothing was paused: .*no access to bulk sync 5ff69368/);
      expect(run.invocations).toBe(0);
      expect(requestsOf(world, /\/activate$/)).toHaveLength(0);
    });

    test('the pause refuses sync ids that are not UUIDs (its physical id could not name them)', async () => {
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: ['not-a-uuid'] })), worldDeps());
      expect(run.error?.message).toMatch(/PAUSE_AND_RESUME needs bulk sync ids that are UUIDs: not-a-uuid is not/);
      expect(world.sim.requests).toHaveLength(0);
    });

    test('a transient failure to deactivate is retried in the next round; the pause still completes', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: `/api/bulk/syncs/${SYNC_A}/activate`, times: 20 }, { type: 'status', status: 503 });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toMatchObject({ [SYNC_A]: 'canceled' });
      expect(pausedSyncsOf(run.physicalResourceId)).toEqual([SYNC_A]);
      expect(world.sim.inspect(SYNC_A).active).toBe(false);
    });
  });

  describe('halt window: a pause that ends unsuccessfully activates its syncs again first', () => {
    test('a permanent failure (one sync forbidden after the pause began): both paused syncs are activated again, and the reason says so', async () => {
      world.sim.addSync({ id: SYNC_A, schedule: { frequency: 'continuous' }, running: true });
      world.sim.addSync({ id: SYNC_B });
      world.sim.fault({ method: 'GET', path: `/api/bulk/syncs/${SYNC_B}/status`, times: Infinity }, { type: 'status', status: 403 });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A, SYNC_B] })), worldDeps());
      expect(run.error?.message).toMatch(/no access to bulk sync 5ff69368.*; the 2 syncs it paused were activated again$/);
      expect(activations(SYNC_A)).toEqual([false, true]);
      expect(activations(SYNC_B)).toEqual([false, true]);
      expect(world.sim.inspect(SYNC_A).active).toBe(true);
      expect(world.sim.inspect(SYNC_B).active).toBe(true);
    });

    test('the deadline with OnTimeout FAIL: the paused sync is activated again before the deployment fails', async () => {
      world.sim.addSync({ id: SYNC_A, running: true, cancelAfterPolls: 1_000 });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A], TimeoutSeconds: '60' })), worldDeps());
      expect(run.error?.message).toMatch(/^timed out after 1 min waiting for 1 of 1 .*; the 1 sync it paused was activated again$/);
      expect(activations(SYNC_A)).toEqual([false, true]);
    });

    test('the deadline with Polytomic failing just then: the activation is retried through the compensation window, and succeeds', async () => {
      world.sim.addSync({ id: SYNC_A, running: true, cancelAfterPolls: 1_000 });
      const deps = worldDeps();
      // from just before the deadline, the next 8 activation requests fail (backoff doubles: about half a minute of retries)
      deps.clock.at(deps.clock.now() + 55_000, () => {
        world.sim.fault({ method: 'POST', path: `/api/bulk/syncs/${SYNC_A}/activate`, times: 8 }, { type: 'status', status: 503 });
      });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A], TimeoutSeconds: '60' })), deps);
      expect(run.error?.message).toMatch(/^timed out after 1 min waiting for 1 of 1 .*; the 1 sync it paused was activated again$/);
      expect(activations(SYNC_A)).toEqual([false, true]);
      expect(requestsOf(world, new RegExp(`/api/bulk/syncs/${SYNC_A}/activate$`)).length).toBe(10);
    });

    test('the deadline with OnTimeout CONTINUE: the syncs stay paused (the resume activates them), the physical id names them', async () => {
      world.sim.addSync({ id: SYNC_A, running: true, cancelAfterPolls: 1_000 });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A], TimeoutSeconds: '60', OnTimeout: 'CONTINUE' })), worldDeps());
      expect(run.result?.Data).toMatchObject({ TimedOut: 'true' });
      expect(pausedSyncsOf(run.physicalResourceId)).toEqual([SYNC_A]);
      expect(activations(SYNC_A)).toEqual([false]);
    });

    test('a sync that cannot be activated again is named, with what to do', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.addSync({ id: SYNC_B });
      world.sim.fault({ method: 'GET', path: `/api/bulk/syncs/${SYNC_A}/status`, times: Infinity }, { type: 'status', status: 404 });
      // the deactivation is answered (and applied), every activation after it fails
      world.sim.fault({ method: 'POST', path: `/api/bulk/syncs/${SYNC_B}/activate`, times: 1 }, { type: 'json', body: { data: { active: false } } });
      world.sim.fault({ method: 'POST', path: `/api/bulk/syncs/${SYNC_B}/activate`, times: Infinity }, { type: 'status', status: 500 });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A, SYNC_B] })), worldDeps());
      expect(run.error?.message).toMatch(/was not found.*; could not activate again: 5ff69368-6504-11ed-9bb3-ea7534cffcad; activate them in Polytomic$/);
      expect(activations(SYNC_A)).toEqual([false, true]);
    });

    test('a pause Create CloudFormation gave up on while it waited, its syncs terminal before its next read: it reads the status before answering, and undoes itself', async () => {
      world.sim.addSync({ id: SYNC_A, running: true, cancelAfterPolls: 1 });
      const reads: string[] = ['CREATE_IN_PROGRESS'];
      const deps = worldDeps({ stackStatus: async () => reads.shift() ?? 'ROLLBACK_IN_PROGRESS' });
      const run = await deployEvent(cfnEvent('Create', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toMatchObject({ Summary: 'abandoned: stack is ROLLBACK_IN_PROGRESS' });
      expect(activations(SYNC_A)).toEqual([false, true]);
    });

    test('an abandoned pause (the stack rolls back while it waits) activates its syncs again', async () => {
      world.sim.addSync({ id: SYNC_A, running: true, cancelAfterPolls: 1_000 });
      let status = 'UPDATE_IN_PROGRESS';
      const deps = worldDeps({ stackStatus: async () => status });
      deps.clock.at(deps.clock.now() + 2 * 60_000, () => { status = 'UPDATE_ROLLBACK_IN_PROGRESS'; });
      const run = await deployEvent(cfnEvent('Update', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toMatchObject({ Summary: 'abandoned: stack is UPDATE_ROLLBACK_IN_PROGRESS' });
      expect(activations(SYNC_A)).toEqual([false, true]);
      expect(deps.lines.join('\n')).toMatch(/the 1 sync it paused was activated again/);
    });

    test('an Update of a pause whose stack status cannot be read (it may be a rollback) only cancels: no new id, no deactivation', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      const { deps } = stackIn('unknown');
      const run = await deployEvent(cfnEvent('Update', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), deps);
      expect(run.error).toBeUndefined();
      expect(run.physicalResourceId).toBe('polytomic-canceller-1');
      expect(run.result?.Data).toMatchObject({ [SYNC_A]: 'canceled' });
      expect(requestsOf(world, /\/activate$/)).toHaveLength(0);
      expect(deps.lines.join('\n')).toMatch(/cannot tell a deployment from a rollback: it cancels the syncs without pausing them/);
    });

    test('a rollback Update of a pause does nothing: the pause that failed activated its syncs again, the guarded constructs did not change', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      const { deps } = stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
      // the id names an earlier deployment's set, long resumed (and SYNC_A deactivated by hand since)
      world.sim.setActive(SYNC_A, false);
      const earlier = pausePhysicalId(NEWER, [SYNC_A]);
      const run = await deployEvent({ ...cfnEvent('Update', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), PhysicalResourceId: earlier } as CloudFormationCustomResourceEvent, deps);
      expect(run.error).toBeUndefined();
      expect(run.physicalResourceId).toBe(earlier);
      expect(run.result?.Data).toEqual({ [SYNC_A]: 'unknown', TimedOut: 'false', Summary: 'rollback of a pause: nothing to do' });
      expect(world.sim.requests).toHaveLength(0);
      expect(world.sim.inspect(SYNC_A).active).toBe(false);
    });
  });

  describe('halt window: the Delete of a pause', () => {
    const pauseId = pausePhysicalId(NEWER, [SYNC_A, SYNC_B]);

    test.each(['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS'])(
      'in %s (the pause is undone): the syncs its id names are activated again, and it never fails', async (status) => {
        world.sim.addSync({ id: SYNC_A, active: false });
        world.sim.addSync({ id: SYNC_B, active: false });
        const { deps } = stackIn(status);
        const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A, SYNC_B] }), pauseId), deps);
        expect(run.error).toBeUndefined();
        expect(run.result?.IsComplete).toBe(true);
        expect(activations(SYNC_A)).toEqual([true]);
        expect(activations(SYNC_B)).toEqual([true]);
      });

    test.each([
      ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', [true]],
      ['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', []],
    ])('status unreadable in onEvent, then %s in isComplete: activations %j', async (status, expected) => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const reads: string[] = ['unknown'];
      const deps = worldDeps({ stackStatus: async () => reads.shift() ?? status });
      const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A] }), pausePhysicalId(NEWER, [SYNC_A])), deps);
      expect(run.error).toBeUndefined();
      expect(run.invocations).toBe(1);
      expect(activations(SYNC_A)).toEqual(expected);
    });

    test('status unreadable in onEvent and at first in isComplete: it reads again within the invocation, and activates', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const reads: string[] = ['unknown', 'unknown', 'unknown'];
      const deps = worldDeps({ stackStatus: async () => reads.shift() ?? 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS' });
      const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A] }), pausePhysicalId(NEWER, [SYNC_A])), deps);
      expect(run.invocations).toBe(1);
      expect(activations(SYNC_A)).toEqual([true]);
    });

    test('status unreadable throughout: it wakes nothing (the set may be an earlier deployment\'s) and names the syncs in an error', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const { deps } = stackIn('unknown');
      const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A], TimeoutSeconds: '60' }), pausePhysicalId(NEWER, [SYNC_A])), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.IsComplete).toBe(true);
      expect(world.sim.requests).toHaveLength(0);
      const errors = deps.entries().filter((e) => e.level === 'ERROR');
      expect(errors).toHaveLength(1);
      expect(JSON.stringify(errors[0])).toContain(SYNC_A);
      expect(JSON.stringify(errors[0])).toMatch(/cannot tell whether it undoes a pause/);
    });

    test.each(['ROLLBACK_IN_PROGRESS', 'unknown'])('a pause whose Create CloudFormation gave up on (a made-up id), in %s: the Delete holds the provider for the run to undo itself, calling nobody', async (status) => {
      const { deps } = stackIn(status);
      const started = deps.clock.now();
      const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A] }), 'HaltSyncs-1A2B3C4D5E6F'), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.IsComplete).toBe(true);
      expect(deps.clock.now() - started).toBeGreaterThanOrEqual(ABANDONED_PAUSE_HOLD_MS);
      expect(deps.clock.now() - started).toBeLessThan(ABANDONED_PAUSE_HOLD_MS + 60_000);
      expect(world.sim.requests).toHaveLength(0);
    });

    test('the same Delete of a CANCEL canceller, or outside a rollback, does not wait', async () => {
      for (const [props, status] of [[world.props({ SyncIds: [SYNC_A] }), 'ROLLBACK_IN_PROGRESS'], [world.props({ ...PAUSE, SyncIds: [SYNC_A] }), 'DELETE_IN_PROGRESS']] as const) {
        const { deps } = stackIn(status);
        const started = deps.clock.now();
        const run = await deployEvent(pauseDelete(props, 'HaltSyncs-1A2B3C4D5E6F'), deps);
        expect(run.result?.IsComplete).toBe(true);
        expect(deps.clock.now() - started).toBeLessThan(5_000);
      }
    });

    test.each(['UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'DELETE_IN_PROGRESS'])('in %s: nothing is called', async (status) => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const { deps, calls } = stackIn(status);
      const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A, SYNC_B] }), pauseId), deps);
      expect(run.result).toEqual({ IsComplete: true });
      expect(calls).toHaveLength(1);
      expect(world.sim.requests).toHaveLength(0);
      expect(world.secrets.requests).toHaveLength(0);
    });

    test('in a rollback with Polytomic down: warns at the (short) deadline and completes', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      world.sim.fault({ method: 'POST', times: Infinity }, { type: 'status', status: 503 });
      const { deps } = stackIn('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
      const start = deps.clock.now();
      const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A] }), pausePhysicalId(NEWER, [SYNC_A])), deps);
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ IsComplete: true, Data: { Resumed: '', StillPaused: SYNC_A } });
      expect(deps.clock.now() - start).toBeLessThanOrEqual(5 * 60_000 + 60_000);
      expect(deps.lines.join('\n')).toMatch(/rollback: could not activate every paused sync again; the rollback goes on/);
    });

    test('a Delete whose id names no sync (none, or a CANCEL-mode canceller) reads nothing', async () => {
      const { deps, calls } = stackIn('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
      for (const id of [pausePhysicalId(NEWER, []), 'polytomic-canceller-1']) {
        const run = await deployEvent(pauseDelete(world.props({ ...PAUSE, SyncIds: [SYNC_A] }), id), deps);
        expect(run.result).toEqual({ IsComplete: true });
      }
      expect(calls).toHaveLength(0);
      expect(world.sim.requests).toHaveLength(0);
    });
  });

  describe('halt window: the resume', () => {
    const pauseId = pausePhysicalId(NEWER, [SYNC_A]);

    test('an Update with PauseId unchanged (its own properties changed) calls nobody', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const { deps, calls } = stackIn('UPDATE_IN_PROGRESS');
      const props = resumeProps(pauseId, { TimeoutSeconds: '600' });
      const run = await deployEvent(resumeEvent('Update', props, resumeProps(pauseId)), deps);
      expect(run.result).toEqual({ IsComplete: true, Data: { Resumed: '', StillPaused: '', Summary: 'nothing to resume' } });
      expect(run.physicalResourceId).toBe('polytomic-resume-1');
      expect(calls).toHaveLength(0);
      expect(world.sim.requests).toHaveLength(0);
      expect(world.secrets.requests).toHaveLength(0);
    });

    test('a rollback Update (PauseId back to the old one): the syncs the undone pause names are paused again, the old set is left alone', async () => {
      // SYNC_A: resumed by this deployment; SYNC_B: the old id's set, deactivated by hand since
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.addSync({ id: SYNC_B, active: false });
      const { deps } = stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
      const undone = pausePhysicalId(NEWER, [SYNC_A]);
      const older = pausePhysicalId(OLDER, [SYNC_B]);
      const run = await deployEvent(resumeEvent('Update', resumeProps(older), resumeProps(undone)), deps);
      expect(run.error).toBeUndefined();
      expect(run.physicalResourceId).toBe('polytomic-resume-1');
      expect(run.result?.Data).toEqual({ Resumed: '', StillPaused: '', Summary: 'rollback: 1 paused again until the pause is undone' });
      expect(activations(SYNC_A)).toEqual([false]);
      expect(world.sim.inspect(SYNC_A).active).toBe(false);
      expect(world.sim.statusOf(SYNC_A)).not.toBe('running');
      expect(world.sim.inspect(SYNC_B).activations).toEqual([]);
    });

    test('a rollback Update while the stack status cannot be read: the pause ids\' times tell it, and it pauses again', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.addSync({ id: SYNC_B, active: false });
      const { deps } = stackIn('unknown');
      const run = await deployEvent(resumeEvent('Update', resumeProps(pausePhysicalId(OLDER, [SYNC_B])), resumeProps(pausePhysicalId(NEWER, [SYNC_A]))), deps);
      expect(run.error).toBeUndefined();
      expect(activations(SYNC_A)).toEqual([false]);
      expect(world.sim.inspect(SYNC_B).activations).toEqual([]);
    });

    test('a rollback that pauses again gives up on a sync gone (404) alone, and still waits for the others', async () => {
      world.sim.addSync({ id: SYNC_B, running: true, cancelAfterPolls: 3 });
      const { deps } = stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
      const run = await deployEvent(resumeEvent('Update', resumeProps(pausePhysicalId(OLDER, [])), resumeProps(pausePhysicalId(NEWER, [SYNC_A, SYNC_B]))), deps);
      expect(run.error).toBeUndefined();
      expect(world.sim.inspect(SYNC_B).active).toBe(false);
      // waited until the cancel landed (after 3 status reads): nothing runs
      expect(world.sim.statusOf(SYNC_B)).toBeUndefined();
      expect(statusReadsOf(world, SYNC_B).length).toBeGreaterThanOrEqual(3);
      expect(deps.lines.join('\n')).toMatch(/rollback: gave up deactivating this sync/);
    });

    test('a rollback Update whose undone pause paused nothing calls nobody', async () => {
      const { deps } = stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
      const run = await deployEvent(resumeEvent('Update', resumeProps(pausePhysicalId(OLDER, [SYNC_A])), resumeProps(pausePhysicalId(NEWER, []))), deps);
      expect(run.result?.IsComplete).toBe(true);
      expect(world.sim.requests).toHaveLength(0);
      expect(world.secrets.requests).toHaveLength(0);
    });

    test('a rollback Update that cannot pause again (Polytomic refuses) warns and never fails', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: `/api/bulk/syncs/${SYNC_A}/activate`, times: Infinity }, { type: 'status', status: 503 });
      world.sim.fault({ method: 'GET', path: `/api/bulk/syncs/${SYNC_A}/status`, times: Infinity }, { type: 'status', status: 503 });
      const { deps } = stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
      const run = await deployEvent(resumeEvent('Update', resumeProps(pausePhysicalId(OLDER, [])), resumeProps(pausePhysicalId(NEWER, [SYNC_A]))), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toEqual({ Resumed: '', StillPaused: '', Summary: 'rollback: not confirmed' });
      expect(deps.lines.join('\n')).toMatch(/rollback: giving up on the bulk syncs; the rollback goes on/);
    });

    test('an Update with a new PauseId (the pause ran again) activates the syncs it names; a Delete calls nobody', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const { deps } = stackIn('UPDATE_IN_PROGRESS');
      const older = pausePhysicalId(OLDER, []);
      const run = await deployEvent(resumeEvent('Update', resumeProps(pauseId), resumeProps(older)), deps);
      expect(run.result?.Data).toEqual({ Resumed: SYNC_A, StillPaused: '', Summary: '1 resumed' });
      expect(activations(SYNC_A)).toEqual([true]);
      const before = world.sim.requests.length;
      const deleted = await deployEvent(resumeEvent('Delete', resumeProps(pauseId)), deps);
      expect(deleted.result?.IsComplete).toBe(true);
      expect(world.sim.requests).toHaveLength(before);
    });

    test('Polytomic unreachable (activate answers 500 throughout), OnTimeout FAIL: fails naming the syncs still paused and what to do', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      world.sim.addSync({ id: SYNC_B, active: false });
      world.sim.fault({ method: 'POST', path: /\/activate$/, times: Infinity }, { type: 'status', status: 500 });
      const ids = pausePhysicalId(NEWER, [SYNC_A, SYNC_B]);
      const run = await deployEvent(resumeEvent('Create', resumeProps(ids, { TimeoutSeconds: '60' })), worldDeps());
      expect(run.error?.message).toMatch(
        new RegExp(`^2 bulk sync\\(s\\) still paused, activate them in Polytomic: ${SYNC_A},${SYNC_B} \\(gave up after 1 min: .*HTTP 500`));
      expect(requestsOf(world, /\/activate$/).length).toBeGreaterThan(4);
      expect(world.sim.inspect(SYNC_A).active).toBe(false);
    });

    test('Polytomic unreachable, OnTimeout CONTINUE: completes with a warning, StillPaused names the syncs', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      world.sim.fault({ method: 'POST', path: /\/activate$/, times: Infinity }, { type: 'status', status: 500 });
      const deps = worldDeps();
      const run = await deployEvent(resumeEvent('Create', resumeProps(pauseId, { TimeoutSeconds: '60', OnTimeout: 'CONTINUE' })), deps);
      expect(run.error).toBeUndefined();
      expect(run.result).toEqual({ IsComplete: true, Data: { Resumed: '', StillPaused: SYNC_A, Summary: '0 resumed, 1 still paused' } });
      expect(deps.entries().some((e) => e.level === 'WARN' && /the deployment continues, as configured/.test(String(e.msg)))).toBe(true);
    });

    test('a sync gone (404) is given up at once: the others are activated, the resume fails naming it', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const ids = pausePhysicalId(NEWER, [SYNC_B, SYNC_A]);
      const run = await deployEvent(resumeEvent('Create', resumeProps(ids)), worldDeps());
      expect(run.error?.message).toMatch(new RegExp(`^1 bulk sync\\(s\\) still paused, activate them in Polytomic: ${SYNC_B} \\(gave up: .*was not found`));
      expect(run.invocations).toBe(1);
      expect(activations(SYNC_A)).toEqual([true]);
    });

    test('runAfterResume: exactly one execution per resumed sync, even when the first answer is lost', async () => {
      world.sim.addSync({ id: SYNC_A, active: false, schedule: { frequency: 'manual' } });
      world.sim.addSync({ id: SYNC_B, active: false, schedule: { frequency: 'manual' } });
      // Polytomic starts it, but the answer comes after the request timeout (1 s in these tests)
      world.sim.fault({ method: 'POST', path: `/api/bulk/syncs/${SYNC_A}/executions`, times: 1 }, { type: 'delay', ms: 1_500 });
      const before = { a: executionsOf(SYNC_A), b: executionsOf(SYNC_B) };
      const deps = worldDeps();
      const event = resumeEvent('Create', resumeProps(pausePhysicalId(NEWER, [SYNC_A, SYNC_B]), { RunAfterResume: 'true' }));
      const run = await deployEvent(event, deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toEqual({ Resumed: `${SYNC_A},${SYNC_B}`, StillPaused: '', Summary: '2 resumed, 2 started' });
      const starts = requestsOf(world, new RegExp(`${SYNC_A}/executions$`), 'POST');
      expect(starts.length).toBeGreaterThanOrEqual(2);
      expect(new Set(starts.map((r) => r.headers['idempotency-key'])).size).toBe(1);
      // the first request, still in flight when its retries were answered 409, is applied once it ends
      await new Promise((resolve) => setTimeout(resolve, 1_700));
      expect(executionsOf(SYNC_A) - before.a).toBe(1);
      expect(executionsOf(SYNC_B) - before.b).toBe(1);

      // a later invocation of the same request sends the starts again: Polytomic replays its answers
      const first = await onEvent(event, deps);
      await isComplete(isCompleteEvent(event, first), lambdaContext(deps.clock, 5 * 60_000, 'invocation-again'), deps);
      expect(executionsOf(SYNC_A) - before.a).toBe(1);
      expect(executionsOf(SYNC_B) - before.b).toBe(1);
    });

    test('a resume whose PauseId is no pause id is refused; a canceller\'s id (the pause only cancelled) resumes nothing, with a warning', async () => {
      const run = await deployEvent(resumeEvent('Create', resumeProps('something-else-1')), worldDeps());
      expect(run.error?.message).toMatch(/resource property PauseId is "something-else-1": the physical id of a pause/);
      const deps = worldDeps();
      const cancelled = await deployEvent(resumeEvent('Create', resumeProps('polytomic-canceller-1')), deps);
      expect(cancelled.error).toBeUndefined();
      expect(cancelled.result?.Data).toMatchObject({ Resumed: '', StillPaused: '' });
      expect(deps.lines.join('\n')).toMatch(/the pause only cancelled .*: nothing was paused, nothing to resume/);
      expect(world.sim.requests).toHaveLength(0);
    });
  });

  describe('halt window: routing and properties', () => {
    test('an unknown resource type is refused, except on Delete', async () => {
      const event = { ...cfnEvent('Create', world.props()), ResourceType: 'Custom::Other' } as CloudFormationCustomResourceEvent;
      await expect(onEvent(event, worldDeps())).rejects.toThrow(/unknown resource type Custom::Other/);
      const deleted = { ...cfnEvent('Delete', world.props()), ResourceType: 'Custom::Other' } as CloudFormationCustomResourceEvent;
      await expect(onEvent(deleted, worldDeps())).resolves.toEqual({ PhysicalResourceId: 'polytomic-canceller-1' });
    });

    test('HaltMode: absent is CANCEL; read case-insensitively; anything else is refused outside a rollback and CANCEL in one', async () => {
      expect(parseProperties(resourceProperties()).haltMode).toBe('CANCEL');
      expect(parseProperties(resourceProperties({ HaltMode: 'pause_and_resume' })).haltMode).toBe('PAUSE_AND_RESUME');
      expect(checkProperties(resourceProperties({ HaltMode: 'PAUSE_AND_RESUME' }))).toEqual([]);
      expect(checkProperties(resourceProperties({ HaltMode: 'pause' }))).toEqual(['haltMode is "PAUSE": CANCEL or PAUSE_AND_RESUME is expected']);
      expect(parseProperties(resourceProperties({ HaltMode: 'pause' })).haltMode).toBe('CANCEL');
      await expect(onEvent(cfnEvent('Create', world.props({ HaltMode: 'pause' })), worldDeps())).rejects.toThrow(/haltMode is "PAUSE"/);
      const { deps } = stackIn('UPDATE_ROLLBACK_IN_PROGRESS');
      const rollback = await onEvent(cfnEvent('Update', world.props({ HaltMode: 'pause' })), deps);
      expect(rollback[STATE_KEY]).toMatchObject({ rollback: true });
      expect(rollback[STATE_KEY]?.activation).toBeUndefined();
    });

    test('the resume properties: PauseId required and a pause id; RunAfterResume true or false', () => {
      const base = resourceProperties({ PauseId: pausePhysicalId(NEWER, [SYNC_A]) });
      expect(parseResumeProperties(base)).toMatchObject({ pausedSyncIds: [SYNC_A], runAfterResume: false, timeoutMs: 1_800_000 });
      expect(parseResumeProperties({ ...base, RunAfterResume: 'TRUE' }).runAfterResume).toBe(true);
      expect(parseResumeProperties({ ...base, RunAfterResume: 'false' }).runAfterResume).toBe(false);
      expect(checkResumeProperties({ ...base, RunAfterResume: 'yes' })).toEqual(['runAfterResume is "yes": true or false is expected']);
      expect(checkResumeProperties(base)).toEqual([]);
      expect(() => parseResumeProperties({ ...base, PauseId: undefined })).toThrow(/resource property PauseId is missing/);
      expect(() => parseResumeProperties({ ...base, PauseId: 'x' })).toThrow(/PauseId is "x"/);
      expect(() => parseResumeProperties({ ...base, SecretArn: '' })).toThrow(/SecretArn is missing/);
    });

    test('the pause id round trip: 25 syncs in under 1 KB, dashes restored; anything else is no pause id', () => {
      const ids = Array.from({ length: MAX_SYNCS }, () => randomUUID());
      const at = Date.UTC(2026, 10, 29, 6, 30);
      const tag = runTagOf('5e1c4c4e-request-id', at);
      expect(tag).toMatch(/^[0-9a-f]{16}$/);
      expect(runTagOf('5e1c4c4e-request-id', at)).toBe(tag);
      expect(runTagOf('another-request', at)).not.toBe(tag);
      // the time comes first, to the millisecond: it orders two pauses
      expect(pauseTimeOf(pausePhysicalId(tag, []))).toBe(at);
      expect(pauseTimeOf(pausePhysicalId(runTagOf('x', at + 1), []))).toBe(at + 1);
      expect(pauseTimeOf('polytomic-canceller-1')).toBeUndefined();
      // the first development builds wrote 12 hex digits and no time: still read, without a time
      const untimed = `polytomic-pause-0123456789ab-${SYNC_A.replace(/-/g, '')}`;
      expect(pausedSyncsOf(untimed)).toEqual([SYNC_A]);
      expect(pauseTimeOf(untimed)).toBeUndefined();
      const id = pausePhysicalId(tag, ids);
      expect(Buffer.byteLength(id)).toBeLessThanOrEqual(1024);
      expect(id).toMatch(new RegExp(`^polytomic-pause-${tag}-[0-9a-f]{32}(\\.[0-9a-f]{32}){24}$`));
      expect(pausedSyncsOf(id)).toEqual(ids);
      expect(pausedSyncsOf(pausePhysicalId(tag, []))).toEqual([]);
      expect(pausedSyncsOf(pausePhysicalId(tag, [SYNC_B.toUpperCase()]))).toEqual([SYNC_B.toUpperCase()]);
      for (const other of [undefined, 'polytomic-canceller-1', `polytomic-pause-${tag}-`, `polytomic-pause-${tag}-abc`, `${id}.`]) {
        expect(pausedSyncsOf(other)).toBeUndefined();
      }
      expect(() => pausePhysicalId(tag, ['a'])).toThrow(/not a UUID/);
      expect(isUuid(SYNC_A)).toBe(true);
      expect(resumePhysicalId('stack', 'Resume')).toMatch(/^polytomic-resume-[0-9a-f]{16}$/);
      expect(resumePhysicalId('stack', 'Resume')).toBe(resumePhysicalId('stack', 'Resume'));
      expect(CANCELLER_RESOURCE_TYPE).not.toBe(RESUME_RESOURCE_TYPE);
    });

    test('the resume Create has a stable physical id; each pause run a new one', async () => {
      world.sim.addSync({ id: SYNC_A, active: false });
      const { deps } = stackIn('UPDATE_IN_PROGRESS');
      const a = await onEvent(resumeEvent('Create', resumeProps(pauseIdOf([]))), deps);
      const b = await onEvent(resumeEvent('Create', resumeProps(pauseIdOf([]))), deps);
      expect(a.PhysicalResourceId).toMatch(/^polytomic-resume-[0-9a-f]{16}$/);
      expect(a.PhysicalResourceId).toBe(b.PhysicalResourceId);
      const p1 = await onEvent({ ...cfnEvent('Update', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), RequestId: 'r1' }, deps);
      const p2 = await onEvent({ ...cfnEvent('Update', world.props({ ...PAUSE, SyncIds: [SYNC_A] })), RequestId: 'r2' }, deps);
      expect(p1.PhysicalResourceId).not.toBe(p2.PhysicalResourceId);
      expect(p1.PhysicalResourceId).toMatch(/-none$/);
    });
  });
}

function pauseIdOf(ids: string[]): string {
  return pausePhysicalId(NEWER, ids);
}
