/**
 * Rollback safety: a rollback Update never fails the stack, whatever Polytomic or the key do;
 * a failed Create and every Delete never call out. Part of the handler suite (../handler.test.ts).
 */
import { onEvent } from '../../../lambda/on-event';
import { STATE_KEY } from '../../../src/shared/contract';
import { SECRET_ARN, cfnEvent } from '../../fixtures/events';
import { SYNC_A, SYNC_B, World, deploy, worldDeps } from '../../fixtures/harness';

/** Deps whose stack stays in `status` (`unknown`: it cannot be read); `calls` records each read. */
function rollbackDeps(status = 'UPDATE_ROLLBACK_IN_PROGRESS') {
  const calls: string[] = [];
  const deps = worldDeps({ stackStatus: async (stackId) => { calls.push(stackId); return status; } });
  return { deps, calls };
}

export function rollbackScenarios(world: World): void {
  describe('rollback', () => {
    test('Polytomic down during a rollback: warns and lets the rollback go on, within 5 minutes', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ path: /\/status$/, times: Infinity }, { type: 'status', status: 503 });
      const { deps, calls } = rollbackDeps();
      const start = deps.clock.now();
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result).toMatchObject({ IsComplete: true, Data: { Summary: 'rollback: not confirmed', TimedOut: 'true' } });
      // the stack is watched through the whole wait (it stays in its rollback: not abandoned)
      expect(calls.length).toBeGreaterThanOrEqual(5);
      expect(deps.clock.now() - start).toBeLessThanOrEqual(5 * 60_000 + 30_000);
      expect(deps.entries().some((e) => e.level === 'WARN' && /rollback: giving up/.test(String(e.msg)))).toBe(true);
    });

    test('the key revoked (401) during a rollback: warns and succeeds at once', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.secrets.putSecret(SECRET_ARN, { SecretString: 'revoked-key-DO-NOT-LOG' });
      const { deps } = rollbackDeps();
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.Summary).toBe('rollback: not confirmed');
      expect(run.invocations).toBe(1);
    });

    test('the secret deleted during a rollback: warns and succeeds', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.secrets.fail(SECRET_ARN, 'ResourceNotFoundException');
      const { deps } = rollbackDeps();
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.result?.IsComplete).toBe(true);
    });

    test('a rollback still cancels what runs when Polytomic answers', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      const { deps } = rollbackDeps();
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.result?.Data).toMatchObject({ [SYNC_A]: 'canceled', Summary: '1 canceled' });
    });

    test('one sync gone (404) during a rollback does not stop the others from being cancelled', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      const { deps } = rollbackDeps();
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_B, SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toEqual({ [SYNC_B]: 'unknown', [SYNC_A]: 'canceled', TimedOut: 'false', Summary: 'rollback: not confirmed' });
      expect(world.sim.cancelsApplied(SYNC_A)).toBe(1);
      expect(deps.lines.join('\n')).toMatch(/rollback: giving up on this sync.*was not found/);
    });

    test('unreadable properties during a rollback: nothing is called, nothing fails', async () => {
      const { deps } = rollbackDeps();
      const run = await deploy('Update', { ServiceToken: 'x', SyncIds: [] }, deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.IsComplete).toBe(true);
      expect(world.sim.requests).toHaveLength(0);
    });

    test('an Update whose stack status cannot be read is a normal Update: it fails when it must', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ path: /\/status$/, times: Infinity }, { type: 'status', status: 401 });
      const { deps, calls } = rollbackDeps('unknown');
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error?.message).toMatch(/HTTP 401/);
      // asked in onEvent, and again by isComplete (before it calls anyone, so before failing)
      expect(calls).toHaveLength(2);
    });

    test('a rollback that onEvent could not see is caught by the second look, before anything fails', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ path: /\/status$/, times: Infinity }, { type: 'status', status: 401 });
      const answers = ['unknown', 'UPDATE_ROLLBACK_IN_PROGRESS'];
      const deps = worldDeps({ stackStatus: async () => answers.shift() ?? 'UPDATE_ROLLBACK_IN_PROGRESS' });
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toEqual({ [SYNC_A]: 'unknown', TimedOut: 'false', Summary: 'rollback: not confirmed' });
    });

    test('the same failure in a normal Update fails the deployment', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ path: /\/status$/, times: Infinity }, { type: 'status', status: 401 });
      const { deps } = rollbackDeps('UPDATE_IN_PROGRESS');
      const run = await deploy('Update', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error?.message).toMatch(/HTTP 401/);
    });

    test('a Create records the stack status (to notice when it is abandoned) but is never a rollback', async () => {
      world.sim.addSync({ id: SYNC_A });
      const { deps, calls } = rollbackDeps();
      const result = await onEvent(cfnEvent('Create', world.props({ SyncIds: [SYNC_A] })), deps);
      expect(calls).toHaveLength(1);
      expect(result[STATE_KEY]).toMatchObject({ rollback: false, stackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' });
    });

    test('a rollback Update records the status it started in, and the shorter wait', async () => {
      const { deps } = rollbackDeps();
      const result = await onEvent(cfnEvent('Update', world.props({ SyncIds: [SYNC_A] })), deps);
      expect(result[STATE_KEY]).toMatchObject({ rollback: true, stackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS' });
      expect(result[STATE_KEY]!.deadline - result[STATE_KEY]!.startedAt).toBe(5 * 60_000);
    });
  });

  describe('delete and failed create', () => {
    test('a Delete after a failed Create (the framework\'s CREATE_FAILED marker) calls nothing and succeeds', async () => {
      const { deps, calls } = rollbackDeps();
      const event = { ...cfnEvent('Delete', world.props({ SyncIds: [SYNC_A] })), PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED' };
      const result = await onEvent(event, deps);
      expect(result).toEqual({ PhysicalResourceId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED' });
      expect(calls).toHaveLength(0);
      expect(world.sim.requests).toHaveLength(0);
      expect(world.secrets.requests).toHaveLength(0);
    });

    test('a failed Create (unknown sync), then the Delete of the rollback: the Delete calls nothing and succeeds', async () => {
      const deps = worldDeps();
      const created = await deploy('Create', world.props({ SyncIds: [SYNC_B] }), deps);
      expect(created.error?.message).toMatch(/was not found/);
      const before = world.sim.requests.length;
      const deleted = await deploy('Delete', world.props({ SyncIds: [SYNC_B] }), deps);
      expect(deleted.result).toEqual({ IsComplete: true });
      expect(world.sim.requests).toHaveLength(before);
    });

    test('a Delete with Polytomic down and the secret gone still succeeds', async () => {
      world.secrets.fail(SECRET_ARN, 'ResourceNotFoundException');
      world.sim.fault({ times: Infinity }, { type: 'status', status: 503 });
      const run = await deploy('Delete', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result).toEqual({ IsComplete: true });
      expect(world.sim.requests).toHaveLength(0);
    });
  });
}
