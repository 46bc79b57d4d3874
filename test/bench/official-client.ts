/**
 * Section 5: the official `polytomic` npm client (a devDependency for this benchmark only)
 * against the handler, making the same calls: read the sync's status, cancel it while it runs,
 * then read its status until terminal, at the handler's own poll times. The simulator answers
 * the first N requests 429 with `Retry-After: 1`. Real clock for both, so wall times compare;
 * the sync's cancel lands after one status read (`cancelAfterPolls`), whatever the timing.
 */
import { PolytomicClient, PolytomicError } from 'polytomic';
import { Section, ms, ratio, table } from './report';
import { stampRequests } from './requests';
import { adaptivePollDelayMs } from '../../lambda/schedule';
import { TERMINAL_STATUSES } from '../../lambda/types';
import { SimulatedClock, cfnEvent } from '../fixtures/events';
import { API_KEY, World, deployEvent, startWorld, worldDeps } from '../fixtures/harness';

const THROTTLED = [0, 3];
const RETRY_AFTER_SECONDS = '1';
const POLL_INTERVAL_MS = 15_000;
const API_VERSION = '2025-09-18';
/** Bounds on the client's run: its polls, and its requests' own timeout. */
const MAX_POLLS = 30;
const REQUEST_TIMEOUT_SECONDS = 10;

/** Real time for the handler (the wait between isComplete invocations is skipped, not slept). */
class WallClock extends SimulatedClock {
  private offset = 0;
  override now(): number { return Date.now() + this.offset; }
  override async sleep(waitMs: number): Promise<void> {
    this.sleeps.push(waitMs);
    await delay(waitMs);
  }
  override advance(waitMs: number): void { this.offset += waitMs; }
}

function delay(waitMs: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, waitMs));
}

interface Contender {
  readonly name: string;
  run(world: World, syncId: string, clock: WallClock): Promise<string>;
}

const HANDLER: Contender = {
  name: 'cdk-polytomic handler (`deployEvent`)',
  async run(world, syncId, clock) {
    const deps = { ...worldDeps(), clock };
    const event = cfnEvent('Create', world.props({ SyncIds: [syncId], PollIntervalSeconds: String(POLL_INTERVAL_MS / 1000) }));
    const result = await deployEvent(event, deps);
    if (!result.result?.IsComplete) return `failed: ${result.error?.message ?? 'not complete'}`;
    return `complete, sync ${world.sim.inspect(syncId).lastExecution?.status ?? '?'}`;
  },
};

function official(name: string, maxRetries?: number): Contender {
  return {
    name,
    async run(world, syncId) {
      const client = new PolytomicClient({ environment: world.sim.url, token: API_KEY, version: API_VERSION });
      const options = { timeoutInSeconds: REQUEST_TIMEOUT_SECONDS, ...maxRetries === undefined ? {} : { maxRetries } };
      const running = (status: Awaited<ReturnType<typeof client.bulkSync.getStatus>>) => {
        const current = status.data?.current_execution?.status;
        return current !== undefined && !TERMINAL_STATUSES.has(current);
      };
      const waitStart = Date.now();
      let step = 'GET status';
      try {
        let roundStart = Date.now();
        let status = await client.bulkSync.getStatus(syncId, options);
        if (running(status)) {
          step = 'POST cancel';
          await client.bulkSync.cancel(syncId, options);
        }
        for (let poll = 0; running(status); poll++) {
          if (poll >= MAX_POLLS) return `stopped after ${MAX_POLLS} polls (bound)`;
          // the handler's schedule: the next round is due this long after the last one started
          await delay(Math.max(0, roundStart + adaptivePollDelayMs(roundStart - waitStart, POLL_INTERVAL_MS) - Date.now()));
          roundStart = Date.now();
          step = 'GET status';
          status = await client.bulkSync.getStatus(syncId, options);
        }
        return `complete, sync ${status.data?.last_execution?.status ?? '?'}`;
      } catch (error) {
        const code = error instanceof PolytomicError && error.statusCode !== undefined ? ` (HTTP ${error.statusCode})` : '';
        return `**threw ${(error as Error).constructor.name}${code}** at ${step}`;
      }
    },
  };
}

const CONTENDERS = [HANDLER, official('official client, defaults (maxRetries 2)'), official('official client, maxRetries 5', 5)];

interface Outcome {
  readonly requests: number;
  readonly throttled: number;
  readonly wallMs: number;
  readonly shortestGapAfter429Ms?: number;
  readonly outcome: string;
}

async function measure(contender: Contender, throttled: number): Promise<Outcome> {
  // the simulator's time is the handler's (the same as Date.now unless the handler skips a framework wait)
  const clock = new WallClock();
  const world = await startWorld({ now: () => clock.now() });
  try {
    const stamps = stampRequests(world.sim, () => performance.now());
    const syncId = world.sim.addSync({ running: true, cancelAfterPolls: 1 });
    if (throttled > 0) world.sim.fault({ times: throttled }, { type: 'status', status: 429, headers: { 'retry-after': RETRY_AFTER_SECONDS } });
    const start = performance.now();
    const outcome = await contender.run(world, syncId, clock);
    const wallMs = performance.now() - start;
    const log = world.sim.requests;
    const gaps = log.flatMap((r, i) => (r.responseStatus === 429 && i + 1 < log.length ? [stamps.get(log[i + 1])! - stamps.get(r)!] : []));
    return {
      requests: log.length,
      throttled: log.filter((r) => r.responseStatus === 429).length,
      wallMs,
      shortestGapAfter429Ms: gaps.length > 0 ? Math.min(...gaps) : undefined,
      outcome,
    };
  } finally {
    await world.close();
  }
}

export async function officialClientSection(): Promise<Section> {
  const rows: string[][] = [];
  for (const throttled of THROTTLED) {
    const results: Outcome[] = [];
    for (const contender of CONTENDERS) results.push(await measure(contender, throttled));
    const handler = results[0];
    results.forEach((r, i) => rows.push([
      String(throttled), CONTENDERS[i].name, String(r.requests), String(r.throttled), ms(r.wallMs),
      i === 0 ? '×1' : r.outcome.startsWith('complete') ? ratio(r.wallMs, handler.wallMs) : '—',
      r.shortestGapAfter429Ms === undefined ? '—' : ms(r.shortestGapAfter429Ms), r.outcome,
    ]));
  }
  return {
    title: '5. The official `polytomic` client (1.18.1) against the handler',
    lines: [
      'Both make the same calls against the simulator: GET /api/bulk/syncs/{id}/status, POST …/cancel while it runs, then GET status',
      'until terminal, at the handler\'s adaptive poll times (pollInterval 15 s); the cancel lands at the second status read after it.',
      `The simulator answers the first N requests (any path) 429 with \`Retry-After: ${RETRY_AFTER_SECONDS}\`. Real clock for both; the handler's`,
      'run includes its Secrets Manager read (loopback fake). The client is pointed at the simulator with `environment` and given the key',
      `as \`token\`; its requests are bounded by \`timeoutInSeconds: ${REQUEST_TIMEOUT_SECONDS}\` and the loop by ${MAX_POLLS} polls. Its own`,
      'retry (429, 408, 409, 5xx) does not read Retry-After; a call that still fails throws, which ends the loop.',
      '"Gap after a 429": the shortest time from a request answered 429 to the next request. "vs handler" is given only for runs that completed.',
      '',
      ...table(['N (429s)', 'client', 'requests', 'answered 429', 'wall time (ms)', 'vs handler', 'gap after a 429 (ms)', 'outcome'],
        rows, ['r', 'l', 'r', 'r', 'r', 'r', 'r', 'l']),
    ],
  };
}
