/**
 * Time: every invocation returns inside its Lambda timeout, the wait ends at the construct's
 * timeout with a message that names what is still running, and that message stays small.
 * Part of the handler suite (../handler.test.ts).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { isComplete } from '../../../lambda/is-complete';
import { onEvent } from '../../../lambda/on-event';
import { STATE_KEY } from '../../../src/shared/contract';
import { INVOCATION_SAFETY_MS, STOP_MARGIN_MS } from '../../../src/shared/time-budget';
import { HybridClock, cfnEvent, isCompleteEvent, lambdaContext, testDeps } from '../../fixtures/events';
import { SYNC_A, World, deploy, worldDeps } from '../../fixtures/harness';

export function timingScenarios(world: World): void {
  describe('time', () => {
    test('25 syncs on hung connections: the invocation still returns IsComplete:false before its Lambda timeout', async () => {
      const ids = Array.from({ length: 25 }, () => world.sim.addSync({ running: true }));
      world.sim.fault({ method: 'GET', path: /\/status$/, times: Infinity }, { type: 'hang' });
      const clock = new HybridClock();
      const deps = { ...testDeps(clock), requestTimeoutMs: 1_000 };
      const event = cfnEvent('Create', world.props({ SyncIds: ids }));
      const request = isCompleteEvent(event, await onEvent(event, deps));
      const lambdaTimeoutMs = 14_000;
      const started = Date.now();
      const result = await isComplete(request, lambdaContext(clock, lambdaTimeoutMs), deps);
      const elapsed = Date.now() - started;
      expect(result).toEqual({ IsComplete: false });
      // sequentially, 25 syncs / 4 at a time × 1 s would be 7 s; the stop margin (10 s) caps it at ~4 s
      expect(elapsed).toBeLessThan(lambdaTimeoutMs - STOP_MARGIN_MS + 1_500);
    });

    test('Secrets Manager never answering: the read is abandoned in time and the invocation answers IsComplete:false', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      const silent = http.createServer(() => undefined); // accepts, never answers
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
      try {
        const clock = new HybridClock();
        const deps = { ...testDeps(clock), requestTimeoutMs: 1_000 };
        const event = cfnEvent('Create', world.props({ SyncIds: [SYNC_A] }));
        const request = isCompleteEvent(event, await onEvent(event, deps));
        const lambdaTimeoutMs = 14_000;
        const started = Date.now();
        const result = await isComplete(request, lambdaContext(clock, lambdaTimeoutMs), deps);
        expect(result).toEqual({ IsComplete: false });
        expect(Date.now() - started).toBeLessThan(lambdaTimeoutMs - STOP_MARGIN_MS + 1_500);
        expect(deps.lines.join('\n')).toMatch(/could not read the key, will try again/);
      } finally {
        process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
        silent.closeAllConnections();
        await new Promise((resolve) => silent.close(resolve));
      }
    });

    test('a long wait: each invocation returns a safe margin before its Lambda timeout, and polls are pollInterval apart', async () => {
      world.sim.addSync({ id: SYNC_A, statusScript: [...Array(60).fill('running'), 'canceled'] });
      const deps = worldDeps();
      const event = cfnEvent('Create', world.props({ SyncIds: [SYNC_A], PollIntervalSeconds: '20' }));
      const request = isCompleteEvent(event, await onEvent(event, deps));
      const durations: number[] = [];
      for (let i = 0; i < 40; i++) {
        const start = deps.clock.now();
        const result = await isComplete(request, lambdaContext(deps.clock, 5 * 60_000, `i${i}`), deps);
        durations.push(deps.clock.now() - start);
        if (result.IsComplete) break;
        deps.clock.advance(deps.frameworkIntervalMs);
      }
      expect(durations.length).toBeGreaterThan(2);
      for (const d of durations) expect(d).toBeLessThanOrEqual(5 * 60_000 - INVOCATION_SAFETY_MS);
      // inside an invocation the waits between rounds are the poll interval
      expect(deps.clock.sleeps.filter((ms) => ms === 20_000).length).toBeGreaterThan(10);
    });

    test('onTimeout CONTINUE: at the deadline the deployment goes on, with a warning and TimedOut=true', async () => {
      world.sim.addSync({ id: SYNC_A, statusScript: ['running'] });
      const deps = worldDeps();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], TimeoutSeconds: '120', OnTimeout: 'CONTINUE' }), deps);
      expect(run.error).toBeUndefined();
      expect(run.result?.Data).toMatchObject({ [SYNC_A]: 'running', TimedOut: 'true' });
      const warning = deps.entries().find((e) => e.level === 'WARN' && /deadline passed/.test(String(e.msg)));
      expect(String(warning?.reason)).toContain(`${SYNC_A} last seen running`);
    });

    test('the failure message for 25 stuck syncs names the first 8, counts the rest, and stays under 1 KB', async () => {
      const ids = Array.from({ length: 25 }, () => world.sim.addSync({ statusScript: ['running'] }));
      world.sim.fault({ method: 'POST', path: /\/cancel$/, times: Infinity }, { type: 'status', status: 503 });
      const run = await deploy('Create', world.props({ SyncIds: ids, TimeoutSeconds: '60' }), worldDeps());
      const message = run.error!.message;
      expect(message).toMatch(/^timed out after 1 min waiting for 25 of 25 Polytomic bulk sync\(s\) to stop: /);
      expect(message).toContain(`${ids[0]} last seen running (last error: POST cancel answered HTTP 503)`);
      expect(message).toMatch(/; and 17 more$/);
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(1_000);
    });

    test('the onEvent state fixes the deadline once: now + timeout', async () => {
      const deps = worldDeps();
      const result = await onEvent(cfnEvent('Create', world.props({ TimeoutSeconds: '900' })), deps);
      expect(result[STATE_KEY]).toEqual({ version: 1, startedAt: deps.clock.now(), deadline: deps.clock.now() + 900_000, rollback: false });
    });
  });
}
