/**
 * The fault matrix: what Polytomic (or the network in between) can do wrong, and what the
 * deployment then does. Each row of the README's failure table is a test here or in
 * ./lifecycle.ts. Part of the handler suite (../handler.test.ts).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isComplete } from '../../../lambda/is-complete';
import { onEvent } from '../../../lambda/on-event';
import { SECRET_ARN, cfnEvent, isCompleteEvent, lambdaContext } from '../../fixtures/events';
import { SYNC_A, World, deploy, requestsOf, statusReadsOf, worldDeps } from '../../fixtures/harness';
import { Fault } from '../../simulator/polytomic-simulator';

export function faultScenarios(world: World): void {
  const requestsTo = (path: RegExp, method?: string) => requestsOf(world, path, method);

  describe('fault matrix', () => {
    test('429 storm with Retry-After: waits at least as asked each time, then succeeds', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'GET', path: /\/status$/, times: 5 }, { type: 'status', status: 429, headers: { 'retry-after': '12' } });
      const deps = worldDeps();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      expect(deps.clock.sleeps.filter((ms) => ms >= 12_000).length).toBeGreaterThanOrEqual(5);
    });

    test('429 storm without Retry-After: exponential backoff, then succeeds', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'GET', path: /\/status$/, times: 6 }, { type: 'status', status: 429 });
      const deps = worldDeps();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      // the simulated jitter draw is 0.5: 250, 500, 1000, 2000, 4000, 8000 ms
      expect(deps.clock.sleeps.slice(0, 6)).toEqual([250, 500, 1_000, 2_000, 4_000, 8_000]);
    });

    test('5xx burst (500, 502, 503, 504) on status and cancel: retried, the deployment succeeds', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      for (const status of [500, 502, 503, 504]) {
        world.sim.fault({ method: 'GET', path: /\/status$/ }, { type: 'status', status });
        world.sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'status', status });
      }
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      expect(world.sim.cancelsApplied(SYNC_A)).toBe(1);
    });

    test('connection refused until the deadline: fails naming the sync and the network error', async () => {
      const closed = await closedPort();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], ApiUrl: `http://127.0.0.1:${closed}`, TimeoutSeconds: '600' }), worldDeps());
      expect(run.invocations).toBeGreaterThan(1);
      expect(run.error?.message).toMatch(new RegExp(`timed out after 10 min .*${SYNC_A} last seen unknown \\(last error: GET status failed: .*ECONNREFUSED`));
    });

    test('a hung connection on every request: each request is cut at the request timeout; the deadline fails the deployment', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'GET', path: /\/status$/, times: Infinity }, { type: 'hang' });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], TimeoutSeconds: '60' }), worldDeps({ requestTimeoutMs: 100 }));
      expect(run.error?.message).toMatch(/last error: GET status failed: no answer within the request timeout/);
    });

    test.each([
      ['truncated JSON', { type: 'malformed' } as const],
      ['a body without data', { type: 'json', body: { ok: true } } as const],
      ['data that is not an object', { type: 'json', body: { data: 'running' } } as const],
      ['a 200 with an empty body', { type: 'json', body: '' } as const],
    ])('%s is retried like any transient fault', async (_name, fault) => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'GET', path: /\/status$/, times: 3 }, fault);
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
    });

    test('missing fields: an execution without id or status is treated as running, cancelled, and waited for', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'GET', path: /\/status$/ }, { type: 'json', body: { data: { current_execution: {} } } });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      expect(requestsTo(/\/cancel$/, 'POST').length).toBeGreaterThanOrEqual(1);
    });

    test('an unknown status that never ends: cancelled once, then the deadline fails the deployment naming it', async () => {
      world.sim.addSync({ id: SYNC_A, statusScript: ['rebalancing'] });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], TimeoutSeconds: '60' }), worldDeps());
      expect(run.error?.message).toContain(`${SYNC_A} last seen rebalancing`);
      expect(requestsTo(/\/cancel$/, 'POST').length).toBeGreaterThanOrEqual(1);
    });

    test('errors and interrupted are terminal: no cancel, no wait', async () => {
      world.sim.addSync({ id: SYNC_A, statusScript: ['errors'] });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result?.Data?.[SYNC_A]).toBe('errors');
      expect(requestsTo(/\/cancel$/)).toHaveLength(0);
    });

    test('a cancel that keeps failing with 500 while the sync runs: retried until the deadline, which names the sync', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: /\/cancel$/, times: Infinity }, { type: 'status', status: 500 });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], TimeoutSeconds: '60' }), worldDeps());
      expect(run.error?.message).toMatch(new RegExp(`${SYNC_A} last seen running \\(last error: POST cancel answered HTTP 500\\)`));
    });

    test('a cancel answered a stored 409 (its key replayed): the status is read again at once, not retried until the deadline', async () => {
      world.sim.addSync({ id: SYNC_A, statusScript: ['running', 'completed'] });
      world.sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'status', status: 409, storeOutcome: true });
      const deps = worldDeps();
      const start = deps.clock.now();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], TimeoutSeconds: '120' }), deps);
      expect(run.result?.Data?.[SYNC_A]).toBe('completed');
      expect(requestsTo(/\/cancel$/, 'POST')).toHaveLength(2);
      expect(deps.clock.now() - start).toBeLessThan(60_000);
    });

    test('one sync failing on every read does not hold up the others: they are still polled each interval', async () => {
      const failing = world.sim.addSync({ running: true });
      world.sim.addSync({ id: SYNC_A, running: true, restartAfterCancel: true, cancelAfterPolls: 1 });
      world.sim.fault({ method: 'GET', path: new RegExp(`${failing}/status$`), times: Infinity }, { type: 'status', status: 503 });
      const run = await deploy('Create', world.props({ SyncIds: [failing, SYNC_A], TimeoutSeconds: '240' }), worldDeps());
      expect(run.error?.message).toContain(`${failing} last seen unknown (last error: GET status answered HTTP 503)`);
      expect(run.error?.message).not.toContain(SYNC_A);
      // the restarted execution of the healthy sync was caught and cancelled as well
      expect(world.sim.cancelsApplied(SYNC_A)).toBe(2);
      expect(statusReadsOf(world, SYNC_A).length).toBeGreaterThanOrEqual(6);
    });

    test('a cancel answered 422 (nothing to cancel any more) is re-checked, not failed', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'status', status: 422, body: { status: 422, message: 'nothing to cancel' } });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
    });
  });

  describe('isComplete never throws on a transient failure: a whole invocation of it answers IsComplete:false', () => {
    const polytomicFaults: Array<[string, Fault]> = [
      ['429 with Retry-After', { type: 'status', status: 429, headers: { 'retry-after': '5' } }],
      ['429 without Retry-After', { type: 'status', status: 429 }],
      ['408', { type: 'status', status: 408 }],
      ['500', { type: 'status', status: 500 }],
      ['502', { type: 'status', status: 502 }],
      ['503', { type: 'status', status: 503 }],
      ['504', { type: 'status', status: 504 }],
      ['an HTML error page', { type: 'html' }],
      ['truncated JSON', { type: 'malformed' }],
      ['a body without data', { type: 'json', body: {} }],
      ['a reset connection', { type: 'reset' }],
      ['a hung connection', { type: 'hang' }],
    ];
    const invokeOnce = async (props: Record<string, unknown>, setup: () => void) => {
      world.sim.addSync({ id: SYNC_A, running: true });
      setup();
      const deps = worldDeps({ requestTimeoutMs: 50 });
      const event = cfnEvent('Create', world.props({ SyncIds: [SYNC_A], ...props }));
      const request = isCompleteEvent(event, await onEvent(event, deps));
      return isComplete(request, lambdaContext(deps.clock), deps);
    };

    test.each(polytomicFaults)('%s on every status read', async (_name, fault) => {
      await expect(invokeOnce({}, () => world.sim.fault({ method: 'GET', path: /\/status$/, times: Infinity }, fault))).resolves.toEqual({ IsComplete: false });
    });

    test.each(polytomicFaults)('%s on every cancel', async (_name, fault) => {
      await expect(invokeOnce({}, () => world.sim.fault({ method: 'POST', path: /\/cancel$/, times: Infinity }, fault))).resolves.toEqual({ IsComplete: false });
    });

    test('connection refused', async () => {
      const port = await closedPort();
      await expect(invokeOnce({ ApiUrl: `http://127.0.0.1:${port}` }, () => undefined)).resolves.toEqual({ IsComplete: false });
    });

    test.each(['InternalServiceError', 'ThrottlingException'])('Secrets Manager %s', async (errorType) => {
      await expect(invokeOnce({}, () => world.secrets.fail(SECRET_ARN, errorType))).resolves.toEqual({ IsComplete: false });
    });

    test('Secrets Manager access denied while IAM may still be propagating', async () => {
      await expect(invokeOnce({}, () => world.secrets.fail(SECRET_ARN, 'AccessDeniedException'))).resolves.toEqual({ IsComplete: false });
    });
  });
}

/** A loopback port with nothing listening. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
