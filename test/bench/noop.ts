/**
 * Section 1: requests with nothing to do, run by the bundled handler (assets/lambda/index/index.js)
 * in a fresh process per run, on the real clock: the first request of the process is a cold
 * start, the second a warm one. Counted: the calls to Secrets Manager, CloudFormation and
 * Polytomic of each request, from the loopback fakes' own request logs.
 */
import { BUNDLE, runChild } from './children';
import { CHILD_CONNECTION_RECORDER, ConnectionLog } from './loopback';
import { Section, median, ms, ratio, table } from './report';
import { STACK_ID, cfnEvent } from '../fixtures/events';
import { startWorld } from '../fixtures/harness';
import { FakeCloudFormation } from '../simulator/fake-cloudformation';

/** Fresh processes per request kind; the timings are their medians. */
const RUNS = 7;
const IDLE_SYNCS = 3;

/** The child: loads the bundle, then plays the framework for the same request twice (onEvent, then isComplete until complete). */
const CHILD = `${CHILD_CONNECTION_RECORDER}
(async () => {
  const event = JSON.parse(process.env.BENCH_EVENT);
  const loadStart = performance.now();
  const handler = require(process.env.BENCH_BUNDLE);
  const loadMs = performance.now() - loadStart;
  for (const call of ['cold', 'warm']) {
    const start = performance.now();
    const first = await handler.onEvent(event);
    let result = { IsComplete: false };
    for (let invocation = 1; invocation <= 3 && !result.IsComplete; invocation++) {
      const end = Date.now() + 300000;
      result = await handler.isComplete({ ...event, ...first },
        { awsRequestId: call + '-' + invocation, getRemainingTimeInMillis: () => end - Date.now() });
    }
    await ask({ call, loadMs, elapsedMs: performance.now() - start, complete: result.IsComplete === true });
  }
  await ask({ connections });
  process.exit(0);
})().catch((error) => { console.error(error); process.exit(1); });
`;

interface Calls { secrets: number; cloudFormation: number; polytomic: number }

interface RequestKind {
  readonly name: string;
  readonly event: unknown;
  readonly stackStatus: string;
}

export async function noOpSection(connections: ConnectionLog): Promise<Section> {
  const world = await startWorld();
  const cfn = await FakeCloudFormation.start();
  try {
    const idle = Array.from({ length: IDLE_SYNCS }, () => world.sim.addSync({ running: false, lastExecution: 'completed' }));
    const kinds: RequestKind[] = [
      { name: 'Delete (CANCEL mode)', event: cfnEvent('Delete', world.props()), stackStatus: 'DELETE_IN_PROGRESS' },
      { name: `Create, ${IDLE_SYNCS} syncs all idle`, event: cfnEvent('Create', world.props({ SyncIds: idle })), stackStatus: 'CREATE_IN_PROGRESS' },
    ];
    const rows: string[][] = [];
    for (const kind of kinds) {
      cfn.setStatus(STACK_ID, kind.stackStatus);
      const loads: number[] = [];
      const times: Record<'cold' | 'warm', number[]> = { cold: [], warm: [] };
      const calls: Record<'cold' | 'warm', Calls[]> = { cold: [], warm: [] };
      const incomplete: string[] = [];
      for (let run = 0; run < RUNS; run++) {
        let mark = snapshot(world, cfn);
        await runChild(CHILD, {
          BENCH_EVENT: JSON.stringify(kind.event),
          BENCH_BUNDLE: BUNDLE,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: world.secrets.url,
          AWS_ENDPOINT_URL_CLOUDFORMATION: cfn.url,
          FRAMEWORK_QUERY_INTERVAL_SECONDS: '10',
        }, (message) => {
          if (Array.isArray(message.connections)) {
            connections.add(message.connections as string[]);
            return;
          }
          const call = message.call as 'cold' | 'warm';
          if (message.complete !== true) incomplete.push(`${kind.name}: the ${call} request did not complete`);
          const now = snapshot(world, cfn);
          calls[call].push({
            secrets: now.secrets - mark.secrets, cloudFormation: now.cloudFormation - mark.cloudFormation, polytomic: now.polytomic - mark.polytomic,
          });
          mark = now;
          times[call].push(message.elapsedMs as number);
          if (call === 'cold') loads.push(message.loadMs as number);
        });
      }
      if (incomplete.length > 0) throw new Error(incomplete.join('; '));
      const cold = median(times.cold);
      const warm = median(times.warm);
      rows.push([
        kind.name,
        count(calls.cold, 'secrets', calls.warm),
        count(calls.cold, 'cloudFormation', calls.warm),
        count(calls.cold, 'polytomic', calls.warm),
        ms(median(loads)),
        ms(cold),
        ms(warm),
        ratio(warm, cold),
      ]);
    }
    return {
      title: '1. Requests with nothing to do',
      lines: [
        `The bundled handler in a fresh Node.js process per run (${RUNS} runs per request, medians), real clock: the first request in`,
        'the process is the cold one, the second (same process, same loaded module) the warm one. Each request is onEvent, then isComplete',
        'until it completes. Module load (the `require` of the bundle) is not part of the cold request\'s time.',
        'Calls are counted from the loopback fakes\' request logs, as "cold / warm" request.',
        '',
        ...table(
          ['request', 'Secrets Manager calls', 'CloudFormation calls', 'Polytomic calls', 'module load (ms)', 'cold request (ms)', 'warm request (ms)',
            'warm / cold'],
          rows,
          ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
        ),
      ],
    };
  } finally {
    await Promise.all([world.close(), cfn.close()]);
  }
}

function snapshot(world: Awaited<ReturnType<typeof startWorld>>, cfn: FakeCloudFormation): Calls {
  return { secrets: world.secrets.requests.length, cloudFormation: cfn.requests.length, polytomic: world.sim.requests.length };
}

/** 'cold / warm' counts; a range when runs disagreed. */
function count(cold: readonly Calls[], key: keyof Calls, warm: readonly Calls[]): string {
  const one = (calls: readonly Calls[]) => {
    const values = calls.map((c) => c[key]);
    const [lo, hi] = [Math.min(...values), Math.max(...values)];
    return lo === hi ? String(lo) : `${lo}–${hi}`;
  };
  return `${one(cold)} / ${one(warm)}`;
}
