/**
 * How often the handler reads, and how many requests a round costs: adaptive polling (soon
 * after the cancel, then less and less often) and the status of many syncs in one request,
 * with the per-sync read kept for a sync that needs a closer look. Part of the handler suite
 * (../handler.test.ts).
 */
import { randomUUID } from 'node:crypto';
import { adaptivePollDelayMs } from '../../../lambda/schedule';
import { FAST_POLL_MS, FAST_POLL_PHASE_MS, MINUTE_MS } from '../../../src/shared/time-budget';
import { cfnEvent } from '../../fixtures/events';
import { API_KEY, World, deployEvent, requestsOf, statusReadsOf, worldDeps } from '../../fixtures/harness';
import { PolytomicSimulator } from '../../simulator/polytomic-simulator';

export function pollingScenarios(world: World): void {
  describe('adaptive polling', () => {
    test('the wait between rounds: 1 s, then 2 s for 30 s, then a fifth of the time elapsed, never over pollInterval', () => {
      expect(adaptivePollDelayMs(0, 15_000)).toBe(1_000);
      expect(adaptivePollDelayMs(1_000, 15_000)).toBe(FAST_POLL_MS);
      expect(adaptivePollDelayMs(FAST_POLL_PHASE_MS - 1, 15_000)).toBe(FAST_POLL_MS);
      expect(adaptivePollDelayMs(FAST_POLL_PHASE_MS, 60_000)).toBe(6_000);
      expect(adaptivePollDelayMs(4 * MINUTE_MS, 60_000)).toBe(48_000);
      expect(adaptivePollDelayMs(4 * MINUTE_MS, 15_000)).toBe(15_000);
      expect(adaptivePollDelayMs(0, 500)).toBe(500);
      // the latency bound: whenever a cancel lands, the next read comes within 2 s (first 30 s) or a fifth of the time so far
      for (let since = 0; since < 10 * MINUTE_MS; since += 250) {
        const delay = adaptivePollDelayMs(since, 120_000);
        expect(delay).toBeLessThanOrEqual(since < FAST_POLL_PHASE_MS ? FAST_POLL_MS : Math.max(FAST_POLL_MS, since / 5));
      }
    });

    test.each([
      [3_000, 2_000],
      [20_000, 2_000],
      [4 * MINUTE_MS, 0.2 * 4 * MINUTE_MS],
    ])('a cancel that takes %i ms is seen within %i ms of landing', async (cancelMs, bound) => {
      const deps = worldDeps();
      const sim = await PolytomicSimulator.start({ apiKey: API_KEY, now: () => deps.clock.now() });
      try {
        const id = sim.addSync({ running: true, cancelAfterMs: cancelMs });
        const start = deps.clock.now();
        const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [id], ApiUrl: sim.url, PollIntervalSeconds: '120' })), deps);
        expect(run.result?.Data?.[id]).toBe('canceled');
        const seenAfter = deps.clock.now() - (start + cancelMs);
        expect(seenAfter).toBeGreaterThanOrEqual(0);
        expect(seenAfter).toBeLessThanOrEqual(bound);
      } finally {
        await sim.close();
      }
    });
  });

  describe('the status of many syncs in one request', () => {
    const idle = (n: number) => Array.from({ length: n }, () => world.sim.addSync({ id: randomUUID() }));

    test('25 idle syncs: one request in all', async () => {
      const ids = idle(25);
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: ids })), worldDeps());
      expect(run.result?.Data?.Summary).toBe('25 completed');
      expect(world.sim.requests).toHaveLength(1);
      expect(world.sim.requests[0]).toMatchObject({ method: 'GET', path: '/api/bulk/syncs/status', query: { sync_id: ids } });
    });

    test('25 running syncs: a cancel each, then one request per round until they are all canceled', async () => {
      const ids = Array.from({ length: 25 }, () => world.sim.addSync({ running: true, cancelAfterPolls: 4 }));
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: ids })), worldDeps());
      expect(run.result?.Data?.Summary).toBe('25 canceled');
      const rounds = requestsOf(world, /^\/api\/bulk\/syncs\/status$/).length;
      expect(rounds).toBeGreaterThanOrEqual(5);
      // the first round reads each running sync alone (to learn its execution id) and cancels it; the others read all at once
      expect(requestsOf(world, /\/cancel$/, 'POST')).toHaveLength(25);
      expect(world.sim.requests.length).toBeLessThanOrEqual(rounds + 25 + 25);
    });

    test('refused (404): each sync is read alone from then on, without asking again', async () => {
      const ids = Array.from({ length: 3 }, () => world.sim.addSync({ running: true, cancelAfterPolls: 2 }));
      world.sim.fault({ method: 'GET', path: '/api/bulk/syncs/status', times: Infinity }, { type: 'status', status: 404 });
      const deps = worldDeps();
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: ids })), deps);
      expect(run.result?.Data?.Summary).toBe('3 canceled');
      expect(requestsOf(world, /^\/api\/bulk\/syncs\/status$/)).toHaveLength(1);
      for (const id of ids) expect(requestsOf(world, new RegExp(`${id}/status$`)).length).toBeGreaterThanOrEqual(3);
      expect(deps.lines.join('\n')).toMatch(/each sync is read alone from now on/);
    });

    test('an answer that cannot be read: each sync is read alone that round, and all at once again the next', async () => {
      const ids = Array.from({ length: 2 }, () => world.sim.addSync({ running: true, cancelAfterPolls: 3 }));
      world.sim.fault({ method: 'GET', path: '/api/bulk/syncs/status', times: 1 }, { type: 'json', body: { data: 'nope' } });
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: ids })), worldDeps());
      expect(run.result?.Data?.Summary).toBe('2 canceled');
      expect(requestsOf(world, /^\/api\/bulk\/syncs\/status$/).length).toBeGreaterThanOrEqual(2);
      for (const id of ids) expect(statusReadsOf(world, id).length).toBeGreaterThanOrEqual(3);
    });

    test.each([
      ['no status, but a schema still running', (a: string, b: string) => [{ sync_id: a, schemas: [{ execution_id: 'e-1', status: 'running' }] }, { sync_id: b }]],
      ['schemas naming two executions', (a: string, b: string) => [
        { sync_id: a, status: 'running', schemas: [{ execution_id: 'e-old', status: 'running' }, { execution_id: 'e-new', status: 'running' }] }, { sync_id: b },
      ]],
      ['the sync listed twice', (a: string, b: string) => [{ sync_id: a, status: 'running', schemas: [{ execution_id: 'e-1' }] }, { sync_id: a, status: 'completed' }, { sync_id: b }]],
    ])('an entry that cannot be trusted (%s): that sync is read alone, and cancelled', async (_, entries) => {
      const a = world.sim.addSync({ running: true, cancelAfterPolls: 1 });
      const b = world.sim.addSync();
      world.sim.fault({ method: 'GET', path: '/api/bulk/syncs/status', times: 1 }, { type: 'json', body: { data: entries(a, b) } });
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: [a, b] })), worldDeps());
      expect(run.result?.Data?.[a]).toBe('canceled');
      expect(requestsOf(world, new RegExp(`${a}/status$`)).length).toBeGreaterThanOrEqual(1);
      expect(world.sim.cancelsApplied(a)).toBe(1);
    });

    test('a Retry-After of an hour holds the later rounds for a minute at most, not the whole invocation', async () => {
      const ids = Array.from({ length: 2 }, () => world.sim.addSync({ running: true, cancelAfterPolls: 1 }));
      world.sim.fault({ method: 'GET', path: '/api/bulk/syncs/status', times: 1 }, { type: 'status', status: 429, headers: { 'retry-after': '3600' } });
      const deps = worldDeps();
      const start = deps.clock.now();
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: ids })), deps);
      expect(run.result?.Data?.Summary).toBe('2 canceled');
      expect(deps.clock.now() - start).toBeLessThan(3 * MINUTE_MS);
      expect(deps.clock.now() - start).toBeGreaterThanOrEqual(MINUTE_MS);
    });

    test('perSyncStatus (the old path, for the benchmark): one request per sync per round', async () => {
      const ids = idle(5);
      const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: ids })), { ...worldDeps(), perSyncStatus: true });
      expect(run.result?.Data?.Summary).toBe('5 completed');
      expect(world.sim.requests).toHaveLength(5);
      expect(requestsOf(world, /^\/api\/bulk\/syncs\/status$/)).toHaveLength(0);
    });
  });
}
