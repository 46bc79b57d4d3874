/**
 * Selection by connection: every bulk sync whose source or destination is a named connection,
 * listed at deploy time (page by page), with the syncs named by id, without duplicates. Part of
 * the handler suite (../handler.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { pausedSyncsOf } from '../../../lambda/pause-id';
import { MAX_SYNCS } from '../../../src/shared/limits';
import { cfnEvent } from '../../fixtures/events';
import { API_KEY, SYNC_A, World, deployEvent, requestsOf, worldDeps } from '../../fixtures/harness';
import { PolytomicSimulator } from '../../simulator/polytomic-simulator';

const WAREHOUSE = 'a1f0c3de-0000-4000-8000-00000000000a';
const CRM = 'c2e0d4ab-0000-4000-8000-00000000000c';
const OTHER = 'e3b0a5cd-0000-4000-8000-00000000000e';

export function selectionScenarios(world: World): void {
  describe('selection by connection', () => {
    test('every sync reading from or writing to the connection, with the named ones, once each; the attributes name them', async () => {
      const intoWarehouse = world.sim.addSync({ running: true, destinationConnectionId: WAREHOUSE });
      const fromWarehouse = world.sim.addSync({ sourceConnectionId: WAREHOUSE, destinationConnectionId: CRM });
      world.sim.addSync({ sourceConnectionId: CRM, destinationConnectionId: OTHER });
      world.sim.addSync({ id: SYNC_A, destinationConnectionId: WAREHOUSE });
      const deps = worldDeps();
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [SYNC_A], ConnectionIds: [WAREHOUSE] })), deps);
      expect(run.error).toBeUndefined();
      expect(Object.keys(run.result!.Data!).sort()).toEqual([SYNC_A, fromWarehouse, intoWarehouse, 'Summary', 'TimedOut'].sort());
      expect(run.result?.Data?.[intoWarehouse]).toBe('canceled');
      const resolved = deps.entries().find((e) => e.msg === 'selection resolved');
      expect(resolved).toMatchObject({ byId: [SYNC_A], connections: [WAREHOUSE], selected: [SYNC_A, intoWarehouse, fromWarehouse] });
    });

    test('a list served in pages: every page is read', async () => {
      const deps = worldDeps();
      const sim = await PolytomicSimulator.start({ apiKey: API_KEY, listPageSize: 2, now: () => deps.clock.now() });
      try {
        const ids = Array.from({ length: 5 }, () => sim.addSync({ sourceConnectionId: WAREHOUSE }));
        sim.addSync({ sourceConnectionId: OTHER });
        const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE], ApiUrl: sim.url })), deps);
        expect(run.error).toBeUndefined();
        expect(run.result?.Data?.Summary).toBe('5 completed');
        const lists = sim.requests.filter((r) => r.path === '/api/bulk/syncs');
        expect(lists).toHaveLength(3);
        expect(lists[1].query.page_token).toBeDefined();
        for (const id of ids) expect(run.result?.Data?.[id]).toBe('completed');
      } finally {
        await sim.close();
      }
    });

    test('a connection with no sync fails the deployment, saying what to check', async () => {
      world.sim.addSync({ sourceConnectionId: OTHER });
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE] })), worldDeps());
      expect(run.error?.message).toMatch(new RegExp(`no bulk sync reads from or writes to connection\\(s\\) ${WAREHOUSE}, and no sync id is given: `
        + 'check the connection ids, or set allowEmptySelection'));
    });

    test('with allowEmptySelection, an empty selection completes at once, reading no status', async () => {
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE], AllowEmptySelection: 'true' })), worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toEqual({ TimedOut: 'false', Summary: 'no bulk sync selected' });
      expect(requestsOf(world, /status$/)).toHaveLength(0);
    });

    test('more than 25 syncs selected: refused, with what to do', async () => {
      for (let i = 0; i <= MAX_SYNCS; i++) world.sim.addSync({ id: randomUUID(), destinationConnectionId: WAREHOUSE });
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE] })), worldDeps());
      expect(run.error?.message).toMatch(/the selection comes to 26 bulk syncs \(26 by connection\): at most 25 per canceller; split the connections across cancellers/);
    });

    test('the list failing (503) is retried and reported as what it is, never as a key problem; a running sync is not left behind', async () => {
      const id = world.sim.addSync({ running: true, destinationConnectionId: WAREHOUSE });
      // more failures than the retries of one invocation's round: the next invocation lists again
      world.sim.fault({ method: 'GET', path: '/api/bulk/syncs', times: 12 }, { type: 'status', status: 503 });
      const deps = worldDeps();
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE] })), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.[id]).toBe('canceled');
      const log = deps.lines.join('\n');
      expect(log).toMatch(/could not list the bulk syncs to select by connection/);
      expect(log).not.toMatch(/could not read the key/);
    });

    test('the list failing until the deadline (CONTINUE): the summary says the selection was never listed', async () => {
      world.sim.addSync({ running: true, destinationConnectionId: WAREHOUSE });
      world.sim.fault({ method: 'GET', path: '/api/bulk/syncs', times: Infinity }, { type: 'status', status: 503 });
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE], TimeoutSeconds: '60', OnTimeout: 'CONTINUE' })), worldDeps());
      expect(run.result?.Data).toMatchObject({ TimedOut: 'true', Summary: 'the selection by connection could not be listed' });
    });

    test('syncs added to the connection during the wait: a later invocation keeps the first 25 and warns, it does not fail', async () => {
      const deps = worldDeps();
      const sim = await PolytomicSimulator.start({ apiKey: API_KEY, now: () => deps.clock.now() });
      try {
        const first = sim.addSync({ running: true, cancelAfterMs: 6 * 60_000, destinationConnectionId: WAREHOUSE });
        // while the first invocation waits, 25 more syncs appear on the connection
        deps.clock.at(deps.clock.now() + 2 * 60_000, () => {
          for (let i = 0; i < MAX_SYNCS; i++) sim.addSync({ destinationConnectionId: WAREHOUSE });
        });
        const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE], TimeoutSeconds: '600', ApiUrl: sim.url })), deps);
        expect(run.error).toBeUndefined();
        expect(run.invocations).toBeGreaterThan(1);
        expect(run.result?.Data?.[first]).toBe('canceled');
        expect(Object.keys(run.result!.Data!)).toHaveLength(MAX_SYNCS + 2);
        expect(deps.lines.join('\n')).toMatch(/the selection now comes to 26 bulk syncs: the first 25 are waited for/);
      } finally {
        await sim.close();
      }
    });

    test('PAUSE_AND_RESUME: the pause selects at its start; the set it pauses is among them, and its wait covers them all', async () => {
      const active = world.sim.addSync({ running: true, destinationConnectionId: WAREHOUSE });
      const inactive = world.sim.addSync({ active: false, sourceConnectionId: WAREHOUSE });
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [], ConnectionIds: [WAREHOUSE], HaltMode: 'PAUSE_AND_RESUME' })), worldDeps());
      expect(run.error).toBeUndefined();
      expect(pausedSyncsOf(run.physicalResourceId)).toEqual([active]);
      expect(run.result?.Data).toMatchObject({ [active]: 'canceled', [inactive]: 'completed' });
      // listed once, by onEvent: isComplete takes the selection from it
      expect(requestsOf(world, /^\/api\/bulk\/syncs$/)).toHaveLength(1);
    });
  });
}
