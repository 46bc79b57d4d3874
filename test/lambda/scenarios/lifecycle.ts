/**
 * The lifecycle and the main paths: cancel and wait, idle syncs, auth modes, Update, Delete,
 * fast failures, retries, the wait itself. Part of the handler suite (../handler.test.ts).
 */
import { SECRET_ARN } from '../../fixtures/events';
import { API_KEY, DEPLOYMENT_KEY, ORG_ID, SYNC_A, SYNC_B, World, deploy, requestsOf, worldDeps } from '../../fixtures/harness';

export function lifecycleScenarios(world: World): void {
  const requestsTo = (path: RegExp, method?: string) => requestsOf(world, path, method);

  describe('Create', () => {
    test('cancels a running sync and waits until its execution is canceled', async () => {
      const id = world.sim.addSync({ id: SYNC_A, running: true, cancelAfterPolls: 3 });
      const deps = worldDeps();
      const run = await deploy('Create', world.props({ SyncIds: [id] }), deps);

      expect(run.error).toBeUndefined();
      expect(run.result).toEqual({ IsComplete: true, Data: { [id]: 'canceled', TimedOut: 'false', Summary: '1 canceled' } });
      expect(world.sim.cancelsApplied(id)).toBe(1);
      expect(world.sim.statusOf(id)).toBeUndefined();
      // status polls: running, then 3 × canceling, then the terminal read
      expect(requestsTo(/\/status$/, 'GET').length).toBe(5);
      // the polls were pollInterval apart in (simulated) time
      expect(deps.clock.sleeps.filter((ms) => ms > 0).every((ms) => ms <= 15_000)).toBe(true);
    });

    test('a sync with nothing running succeeds at once, without a cancel', async () => {
      const id = world.sim.addSync({ id: SYNC_A, running: false, lastExecution: 'completed' });
      const run = await deploy('Create', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.result?.Data).toMatchObject({ [id]: 'completed', Summary: '1 completed' });
      expect(requestsTo(/\/cancel$/)).toHaveLength(0);
      expect(run.invocations).toBe(1);
    });

    test('a sync that never ran reports none', async () => {
      const id = world.sim.addSync({ id: SYNC_A, lastExecution: null });
      const run = await deploy('Create', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.result?.Data?.[id]).toBe('none');
    });

    test('every request carries the auth and version headers; the cancel carries an Idempotency-Key', async () => {
      const id = world.sim.addSync({ id: SYNC_A, running: true });
      await deploy('Create', world.props({ SyncIds: [id], ApiVersion: '2024-02-08' }), worldDeps());
      expect(world.sim.requests.length).toBeGreaterThan(2);
      for (const r of world.sim.requests) {
        expect(r.headers.authorization).toBe(`Bearer ${API_KEY}`);
        expect(r.headers['x-polytomic-version']).toBe('2024-02-08');
      }
      const [cancel] = requestsTo(/\/cancel$/, 'POST');
      expect(cancel.headers['idempotency-key']).toMatch(/^[A-Za-z0-9_-]{8,255}$/);
      expect(requestsTo(/\/status$/).every((r) => r.headers['idempotency-key'] === undefined)).toBe(true);
    });

    test('many syncs: each ends terminal, handled concurrently but at most 4 requests at a time', async () => {
      const ids = Array.from({ length: 10 }, (_, i) => world.sim.addSync({ running: i % 2 === 0, cancelAfterPolls: 1 }));
      world.sim.fault({ method: 'GET', path: /\/status$/, times: Infinity }, { type: 'delay', ms: 30 });
      let inFlight = 0;
      let peak = 0;
      const realFetch = globalThis.fetch;
      const spy = jest.spyOn(globalThis, 'fetch').mockImplementation(async (...args) => {
        peak = Math.max(peak, ++inFlight);
        try { return await realFetch(...args); } finally { inFlight--; }
      });
      try {
        const run = await deploy('Create', world.props({ SyncIds: ids }), worldDeps());
        expect(run.error).toBeUndefined();
        expect(ids.map((id) => run.result?.Data?.[id])).toEqual(ids.map((_, i) => (i % 2 === 0 ? 'canceled' : 'completed')));
        expect(run.result?.Data?.Summary).toBe('5 canceled, 5 completed');
      } finally {
        spy.mockRestore();
      }
      expect(peak).toBeGreaterThan(1);
      expect(peak).toBeLessThanOrEqual(4);
    });

    test('deployment-key auth sends Basic base64(organizationId:key)', async () => {
      const id = world.sim.addSync({ id: SYNC_A, running: true });
      const run = await deploy('Create', world.props({
        SyncIds: [id],
        AuthMode: 'DEPLOYMENT_KEY',
        OrganizationId: ORG_ID,
        SecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-deploy-AbCdEf',
      }), worldDeps());
      expect(run.result?.Data?.[id]).toBe('canceled');
      expect(world.sim.requests[0].headers.authorization).toBe('Basic ' + Buffer.from(`${ORG_ID}:${DEPLOYMENT_KEY}`).toString('base64'));
    });

    test('a JSON secret is read through its field, by the real SDK client in the secret\'s region', async () => {
      const id = world.sim.addSync({ id: SYNC_A });
      const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-json-AbCdEf';
      const run = await deploy('Create', world.props({ SyncIds: [id], SecretArn: arn, SecretField: 'apiKey' }), worldDeps());
      expect(run.error).toBeUndefined();
      expect(world.secrets.requests).toHaveLength(1);
      expect(world.secrets.requests[0]).toMatchObject({ target: 'secretsmanager.GetSecretValue', secretId: arn, region: 'eu-west-1' });
      expect(world.sim.requests[0].headers.authorization).toBe(`Bearer ${API_KEY}`);
    });
  });

  describe('Update and Delete', () => {
    test('an Update cancels again', async () => {
      const id = world.sim.addSync({ id: SYNC_A, running: true });
      const run = await deploy('Update', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.result?.Data?.[id]).toBe('canceled');
      expect(world.sim.cancelsApplied(id)).toBe(1);
    });

    test('Delete succeeds without calling Polytomic or Secrets Manager', async () => {
      const id = world.sim.addSync({ id: SYNC_A, running: true });
      const run = await deploy('Delete', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.result).toEqual({ IsComplete: true });
      expect(world.sim.requests).toHaveLength(0);
      expect(world.secrets.requests).toHaveLength(0);
      expect(world.sim.statusOf(id)).toBe('running');
    });

    test('Delete succeeds even when the properties are unreadable', async () => {
      const run = await deploy('Delete', { ServiceToken: 'x' }, worldDeps());
      expect(run.result).toEqual({ IsComplete: true });
    });
  });

  describe('permanent failures fail fast with a short message that names the sync', () => {
    test('401: the key is rejected', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ path: /\/status$/ }, { type: 'status', status: 401 });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error?.message).toMatch(/rejected the credentials \(HTTP 401\)/);
      expect(run.error?.message).not.toContain(API_KEY);
      expect(run.invocations).toBe(1);
      expect(requestsTo(/\/status$/)).toHaveLength(1);
    });

    test('403: no access to the sync', async () => {
      world.sim.addSync({ id: SYNC_A, running: true, forbidden: true });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error?.message).toMatch(new RegExp(`no access to bulk sync ${SYNC_A} \\(HTTP 403\\)`));
    });

    test('404: an unknown sync fails the deployment', async () => {
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_B] }), worldDeps());
      expect(run.error?.message).toMatch(new RegExp(`bulk sync ${SYNC_B} was not found \\(HTTP 404\\)`));
    });

    test('a bad key in the secret fails without retrying forever', async () => {
      world.secrets.putSecret(SECRET_ARN, { SecretString: 'wrong-key-DO-NOT-LOG' });
      world.sim.addSync({ id: SYNC_A });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error?.message).toMatch(/HTTP 401/);
      expect(run.error?.message).not.toContain('wrong-key-DO-NOT-LOG');
    });

    test('the error the framework reports is one line, with no stack', async () => {
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_B] }), worldDeps());
      expect(run.error?.stack).toBe(`Error: ${run.error?.message}`);
      expect(run.error?.message).not.toContain('\n');
      expect(Buffer.byteLength(run.error!.message)).toBeLessThan(1024);
    });
  });

  describe('transient failures are retried', () => {
    test('429 with Retry-After is honoured', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.sim.fault({ path: /\/status$/, times: 2 }, { type: 'status', status: 429, headers: { 'retry-after': '7' } });
      const deps = worldDeps();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.result?.IsComplete).toBe(true);
      expect(requestsTo(/\/status$/)).toHaveLength(3);
      expect(deps.clock.sleeps.filter((ms) => ms >= 7_000)).toHaveLength(2);
    });

    test.each([
      ['503', { type: 'status', status: 503 }],
      ['502 HTML page from a proxy', { type: 'html' }],
      ['malformed JSON', { type: 'malformed' }],
      ['reset connection', { type: 'reset' }],
      ['hung connection', { type: 'hang' }],
    ] as const)('%s on status, then success', async (_name, fault) => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'GET', path: /\/status$/, times: 2 }, fault);
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps({ requestTimeoutMs: 300 }));
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
    });

    test('a cancel retried after a lost answer (reset) keeps its Idempotency-Key and is applied once', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: /\/cancel$/, times: 2 }, { type: 'reset' });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      const cancels = requestsTo(/\/cancel$/, 'POST');
      expect(cancels).toHaveLength(3);
      expect(new Set(cancels.map((c) => c.headers['idempotency-key'])).size).toBe(1);
      expect(world.sim.cancelsApplied(SYNC_A)).toBe(1);
    });

    test('a cancel answered 500 (which Polytomic stores and would replay) is retried with a new key, and gets through', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'status', status: 500, storeOutcome: true });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      const cancels = requestsTo(/\/cancel$/, 'POST');
      expect(cancels).toHaveLength(2);
      expect(cancels[0].headers['idempotency-key']).not.toBe(cancels[1].headers['idempotency-key']);
      expect(cancels.filter((c) => c.replayed)).toHaveLength(0);
      expect(world.sim.cancelsApplied(SYNC_A)).toBe(1);
    });

    test('a cancel refused with a stored 422 while the run goes on: the next cancel uses a new key at the next round', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'status', status: 422, storeOutcome: true });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      expect(run.invocations).toBe(1);
      const keys = requestsTo(/\/cancel$/, 'POST').map((c) => c.headers['idempotency-key']);
      expect(keys).toHaveLength(2);
      expect(new Set(keys).size).toBe(2);
    });

    test('a cancel accepted but without effect (no canceling after 3 polls and 30 s) is sent again, once', async () => {
      // adaptive polling reads every 1-2 s at first: 18 reads span the 30 s, and end before another 30 s
      world.sim.addSync({ id: SYNC_A, statusScript: ['scheduled', ...Array<string>(18).fill('running'), 'canceling', 'canceled'] });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      expect(run.invocations).toBe(1);
      expect(requestsTo(/\/cancel$/, 'POST')).toHaveLength(2);
    });

    test('a cancel whose answer was lost (hung) is replayed, not applied twice', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'delay', ms: 500 });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps({ requestTimeoutMs: 200 }));
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
      expect(world.sim.cancelsApplied(SYNC_A)).toBe(1);
    });
  });

  describe('the wait', () => {
    test('isComplete returns IsComplete:false (never throws) while a transient fault persists, then fails at the deadline naming the sync', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      world.sim.fault({ path: /\/status$/, times: Infinity }, { type: 'status', status: 503 });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], TimeoutSeconds: '600' }), worldDeps());
      expect(run.invocations).toBeGreaterThan(1);
      expect(run.error?.message).toMatch(/timed out after 10 min waiting for 1 of 1 Polytomic bulk sync/);
      expect(run.error?.message).toContain(SYNC_A);
      expect(run.error?.message).toMatch(/HTTP 503/);
    });

    test('a sync that stays running fails the deployment at the deadline with its last status', async () => {
      const id = world.sim.addSync({ id: SYNC_A, statusScript: ['running'] });
      const other = world.sim.addSync({ id: SYNC_B, running: false });
      const deps = worldDeps();
      const start = deps.clock.now();
      const run = await deploy('Create', world.props({ SyncIds: [id, other], TimeoutSeconds: '300' }), deps);
      expect(run.error?.message).toBe(`timed out after 5 min waiting for 1 of 2 Polytomic bulk sync(s) to stop: ${id} last seen running`);
      // it ended at the deadline, not before and not much after
      expect(deps.clock.now() - start).toBeGreaterThanOrEqual(300_000);
      expect(deps.clock.now() - start).toBeLessThan(300_000 + 30_000);
    });

    test('an unknown (future) status is treated as running: cancel sent, wait continues', async () => {
      const id = world.sim.addSync({ id: SYNC_A, statusScript: ['quantum', 'quantum', 'canceled'] });
      const run = await deploy('Create', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.result?.Data?.[id]).toBe('canceled');
      expect(requestsTo(/\/cancel$/, 'POST').length).toBeGreaterThanOrEqual(1);
    });

    test('a sync that starts again right after the cancel is cancelled again', async () => {
      const id = world.sim.addSync({ id: SYNC_A, running: true, restartAfterCancel: true, cancelAfterPolls: 1 });
      const run = await deploy('Create', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.result?.Data?.[id]).toBe('canceled');
      expect(world.sim.cancelsApplied(id)).toBe(2);
      const keys = requestsTo(/\/cancel$/, 'POST').map((r) => r.headers['idempotency-key']);
      expect(new Set(keys).size).toBe(2);
    });

    test('status flapping between running and canceling re-sends the cancel and ends when terminal', async () => {
      const id = world.sim.addSync({ id: SYNC_A, statusScript: ['running', 'canceling', 'running', 'canceling', 'canceled'] });
      const run = await deploy('Create', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.result?.Data?.[id]).toBe('canceled');
      expect(requestsTo(/\/cancel$/, 'POST')).toHaveLength(2);
    });

    test('a cancel refused because the run just ended is re-checked, not failed', async () => {
      const id = world.sim.addSync({ id: SYNC_A, statusScript: ['running', 'completed'] });
      world.sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'status', status: 404, body: { status: 404, message: 'no running execution' } });
      const run = await deploy('Create', world.props({ SyncIds: [id] }), worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.[id]).toBe('completed');
    });
  });
}
