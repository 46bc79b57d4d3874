/**
 * The halt window (docs/halt-window.md) rehearsed: a PolytomicBulkSyncCanceller in
 * HaltMode.PAUSE_AND_RESUME guards an SSM parameter; the synthesized templates are deployed by
 * the rehearsal engine (rehearsal.ts) through the Provider framework's own code and our bundled
 * handler (assets/lambda/index, `npx projen bundle`) against the Polytomic simulator.
 *
 * Every stack has three syncs: one `continuous` and active (running when the stack is first
 * deployed), one `interval` (hourly) and active, one inactive. The invariant checked after every
 * sequence: no sync that was active before a deployment is left paused, and none that was
 * inactive is activated.
 *
 * Polytomic's scheduler is played by the test: while the guarded parameter changes, the
 * simulator's clock moves two hours on and every sync is observed (GET status, marked with the
 * header `x-rehearsal-scheduler`, left out of the handler's requests): an active continuous sync
 * would start at once, an active hourly one would tick. `scheduledStarts` unchanged between the
 * pause and the resume shows that nothing ran in the window.
 *
 * The handler's own deadline (at least one minute of real time) is reached by moving `Date.now`
 * on (`jumpBeforeIsComplete`) just before an isComplete invocation; the simulator keeps its own
 * clock. The framework's waiter retries are counted, not slept (local-cloud.ts).
 *
 * The handler's log lines are kept out of the output; `HALT_WINDOW_LOG=<file>` writes them there.
 */
import * as fs from 'node:fs';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { LocalCloud, pollingBudgetMs } from './local-cloud';
import { OperationResult, Rehearsal, RehearsalEvent, SynthesizedStack, Template } from './rehearsal';
import { LoopbackWorld, startLoopbackWorld } from './world';
import { HaltMode, PolytomicBulkSyncCanceller } from '../../src';
import { SECRET_ARN } from '../fixtures/events';
import { FakeCloudFormation } from '../simulator/fake-cloudformation';
import { PolytomicSimulator, RecordedRequest } from '../simulator/polytomic-simulator';

const API_KEY = 'pk-halt-window-DO-NOT-LOG';
const HOUR_MS = 3_600_000;
const SCHEDULER_HEADER = 'x-rehearsal-scheduler';
const PAUSE_TYPE = PolytomicBulkSyncCanceller.RESOURCE_TYPE;
const RESUME_TYPE = PolytomicBulkSyncCanceller.RESUME_RESOURCE_TYPE;
/** the real clock, before any test moves `Date.now` */
const realNow = Date.now.bind(Date);

let world: LoopbackWorld;
let sim: PolytomicSimulator;
let cfn: FakeCloudFormation;
let cloud: LocalCloud;
/** how far the simulator's clock is ahead of the real one (Polytomic's schedules) */
let simOffsetMs = 0;
/** how far the handler's clock (`Date.now`) is ahead of the real one */
let handlerOffsetMs = 0;
/**
 * Asked before each isComplete invocation: true moves the handler's clock just past the
 * deadline of a wait that started now (`JUMP_MS`), once (it is then cleared).
 */
let jumpBeforeIsComplete: (() => boolean) | undefined;
/** the same, asked whenever the handler reads the time: the jump can land in the middle of an invocation */
let jumpWhen: (() => boolean) | undefined;
/** the canceller's timeout (5 min) and a second: the next round is the last, after the deadline */
const JUMP_MS = 5 * 60_000 + 1_000;
/** the remaining time isComplete is given: with 35 s it yields after one round (see `invocationBounds`) */
let isCompleteBudgetMs = 35_000;
/** per-test hooks, called by every rehearsal of this file */
let onStackStatus: ((status: string) => void | Promise<void>) | undefined;
let onResource: ((op: { logicalId: string; requestType: string; stackStatus: string }) => void | Promise<void>) | undefined;
/** properties sent to the pause / the resume in place of the synthesized ones */
let pauseOverrides: Record<string, string> = {};
let resumeOverrides: Record<string, string> = {};
/** the handler's JSON log lines (kept out of the test output) */
const logLines: Array<Record<string, unknown>> = [];

// ------------------------------------------------------------------ stacks and syncs

interface Syncs {
  /** continuous, active, running when added */
  readonly continuous: string;
  /** hourly, active */
  readonly interval: string;
  /** never active */
  readonly inactive: string;
}

interface Shape {
  readonly guardedValue: string;
  readonly unguardedValue?: string;
  readonly runAfterResume?: boolean;
  /** a parameter ordered after the resume */
  readonly afterResume?: boolean;
}

/** Three new syncs in the simulator; the hourly one has a run going when the first pause reads it. */
function addSyncs(prefix: string): Syncs {
  const id = (n: number) => `${prefix}-0000-4000-8000-00000000000${n}`;
  const syncs = { continuous: id(1), interval: id(2), inactive: id(3) };
  sim.addSync({ id: syncs.continuous, name: `${prefix} continuous`, schedule: { frequency: 'continuous' }, running: true, cancelAfterPolls: 1 });
  sim.addSync({ id: syncs.interval, name: `${prefix} hourly`, schedule: { frequency: 'interval', everyMs: HOUR_MS, runMs: 50 * 60_000 }, cancelAfterPolls: 1 });
  sim.addSync({ id: syncs.inactive, name: `${prefix} inactive`, active: false, schedule: { frequency: 'interval', everyMs: HOUR_MS } });
  return syncs;
}

function synth(stackName: string, syncs: Syncs | string[], shape: Shape, haltMode = HaltMode.PAUSE_AND_RESUME): SynthesizedStack {
  const app = new App({ outdir: world.assemblyDir() });
  const stack = new Stack(app, stackName, { env: { account: cloud.account, region: cloud.region } });
  const canceller = new PolytomicBulkSyncCanceller(stack, 'HaltSyncs', {
    syncIds: Array.isArray(syncs) ? syncs : [syncs.continuous, syncs.interval, syncs.inactive],
    haltMode,
    runAfterResume: haltMode === HaltMode.PAUSE_AND_RESUME ? shape.runAfterResume : undefined,
    timeout: Duration.minutes(5),
    pollInterval: Duration.seconds(1),
    secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN),
  });
  canceller.executeBefore(new ssm.StringParameter(stack, 'Guarded', { stringValue: shape.guardedValue }));
  if (shape.unguardedValue) new ssm.StringParameter(stack, 'Unguarded', { stringValue: shape.unguardedValue });
  if (shape.afterResume) new ssm.StringParameter(stack, 'AfterResume', { stringValue: 'after' }).node.addDependency(canceller.resume!);
  return app.synth().getStackByName(stackName);
}

function rehearsal(stackName: string): Rehearsal {
  return new Rehearsal({
    cloud,
    stackName,
    cloudFormation: cfn,
    customResourceProperties: (_id, props) => {
      if (!props.ApiUrl) return props;
      const overrides = props.PauseId === undefined ? pauseOverrides : resumeOverrides;
      return { ...props, ApiUrl: sim.url, ...overrides };
    },
    onStackStatus: (status) => onStackStatus?.(status),
    onResource: (op) => onResource?.(op),
  });
}

/** The logical ids of the pause, the guarded parameter and the resume. */
function rolesOf(s: SynthesizedStack): { pause: string; guarded: string; resume?: string } {
  const resources = Object.entries((s.template as Template).Resources);
  const of = (type: string) => resources.find(([, r]) => r.Type === type)?.[0];
  return { pause: of(PAUSE_TYPE)!, guarded: resources.find(([id, r]) => r.Type === 'AWS::SSM::Parameter' && id.startsWith('Guarded'))![0], resume: of(RESUME_TYPE) };
}

// ------------------------------------------------------------------ observation helpers

const hex = (id: string) => id.replace(/-/g, '');
const pauseIdNaming = (...ids: string[]) => new RegExp(`^polytomic-pause-[0-9a-f]{16}-${ids.length ? ids.map(hex).join('\\.') : 'none'}$`);

/** The requests the handler sent (the test's scheduler observations left out). */
const handlerRequests = (): RecordedRequest[] => sim.requests.filter((r) => !r.headers[SCHEDULER_HEADER]);

/** The activation requests the handler sent since `from` (an index into `handlerRequests()`), as `<sync> true|false → <status>`. */
function activationRequests(syncs: Syncs, from: number): string[] {
  const names: Record<string, string> = { [syncs.continuous]: 'continuous', [syncs.interval]: 'interval', [syncs.inactive]: 'inactive' };
  return handlerRequests().slice(from).filter((r) => r.method === 'POST' && r.path.endsWith('/activate')).map((r) => {
    const id = r.path.split('/')[4];
    return `${names[id] ?? id} ${String((r.body as { active?: boolean }).active)} → ${r.responseStatus ?? r.fault}`;
  });
}

/** Each request once, in the order first sent (a pause sends its deactivations again in every isComplete invocation). */
const distinct = (requests: string[]) => [...new Set(requests)];
/** The activations (`true`) alone. */
const activating = (requests: string[]) => requests.filter((r) => r.includes(' true '));

/** Each sync's `active` flag. */
function activeFlags(syncs: Syncs): Record<keyof Syncs, boolean> {
  const active = (id: string) => sim.inspect(id).active;
  return { continuous: active(syncs.continuous), interval: active(syncs.interval), inactive: active(syncs.inactive) };
}

/** The activation history of a sync as `<via> <active>`. */
const activationsOf = (id: string) => sim.inspect(id).activations.map((a) => `${a.via} ${a.active}`);

const scheduledStarts = (syncs: Syncs) => [syncs.continuous, syncs.interval, syncs.inactive].map((id) => sim.inspect(id).scheduledStarts);

/**
 * Polytomic's scheduler at work: the simulator's clock moves `hours` on (hourly ticks fall due)
 * and every sync is observed once (a continuous sync with nothing running starts).
 */
async function schedulerRuns(syncs: Syncs, hours = 2): Promise<void> {
  simOffsetMs += hours * HOUR_MS;
  for (const id of [syncs.continuous, syncs.interval, syncs.inactive]) {
    const res = await fetch(`${sim.url}/api/bulk/syncs/${id}/status`, { headers: { authorization: `Bearer ${API_KEY}`, [SCHEDULER_HEADER]: '1' } });
    await res.arrayBuffer();
  }
}

/** The custom resources' and the guarded parameter's events, as `<status> <P|G|R> <type> <result>`. */
function sequence(result: OperationResult, roles: { pause: string; guarded: string; resume?: string }, events = result.events): string[] {
  const short: Record<string, string> = { [roles.pause]: 'P', [roles.guarded]: 'G', ...roles.resume ? { [roles.resume]: 'R' } : {} };
  return events.filter((e) => e.logicalId in short).map((e) => `${e.stackStatus} ${short[e.logicalId]} ${e.requestType} ${e.result}`);
}

const eventOf = (result: OperationResult, logicalId: string, requestType: string, stackStatus?: string): RehearsalEvent =>
  result.events.find((e) => e.logicalId === logicalId && e.requestType === requestType && (!stackStatus || e.stackStatus === stackStatus))!;

const logsSince = (from: number, level?: string) => logLines.slice(from).filter((l) => !level || String(l.level).toLowerCase() === level);

// ------------------------------------------------------------------ set-up

beforeAll(async () => {
  world = await startLoopbackWorld({
    apiKey: API_KEY,
    simulator: { now: () => realNow() + simOffsetMs },
    cloud: {
      // with 35 s left, isComplete ends its invocation after one round (IsComplete: false) instead of
      // sleeping; a pause keeps its compensation window on top (its polling stops that much earlier)
      remainingTimeMs: (fn, timeoutMs, payload) => {
        if (fn.handler !== 'index.isComplete') return timeoutMs;
        if (jumpBeforeIsComplete?.()) {
          handlerOffsetMs += JUMP_MS;
          jumpBeforeIsComplete = undefined;
        }
        return pollingBudgetMs(isCompleteBudgetMs, payload);
      },
    },
  });
  ({ sim, cfn, cloud } = world);
  jest.spyOn(Date, 'now').mockImplementation(() => {
    if (jumpWhen?.()) {
      jumpWhen = undefined;
      handlerOffsetMs += JUMP_MS;
    }
    return realNow() + handlerOffsetMs;
  });
  // the framework's own logging (every request, in full) is left out of the test output
  const log = console.log.bind(console);
  jest.spyOn(console, 'log').mockImplementation((...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].startsWith('[provider-framework]')) return;
    log(...args);
  });
  // the handler's JSON log lines are kept, not printed
  const write = process.stdout.write.bind(process.stdout);
  jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (!text.startsWith('{"level"')) return write(chunk as string, ...(rest as []));
    for (const line of text.trim().split('\n')) logLines.push(JSON.parse(line) as Record<string, unknown>);
    return true;
  }) as typeof process.stdout.write);
});
afterAll(async () => {
  if (process.env.HALT_WINDOW_LOG) fs.writeFileSync(process.env.HALT_WINDOW_LOG, logLines.map((l) => JSON.stringify(l)).join('\n'));
  jest.restoreAllMocks();
  await world?.close();
});
afterEach(() => {
  onStackStatus = undefined;
  onResource = undefined;
  jumpBeforeIsComplete = undefined;
  jumpWhen = undefined;
  isCompleteBudgetMs = 35_000;
  pauseOverrides = {};
  resumeOverrides = {};
  sim.clearFaults();
});

/**
 * Watches one deployment: the scheduler runs while the guarded parameter changes (forward or
 * rollback), and the syncs' state is taken when the guarded parameter and the resume start.
 */
function watchWindow(syncs: Syncs, roles: { guarded: string; resume?: string }) {
  const seen = {
    atGuarded: [] as Array<{ stackStatus: string; active: Record<keyof Syncs, boolean>; running: boolean[] }>,
    startsAtGuarded: undefined as number[] | undefined,
    startsAfterScheduler: undefined as number[] | undefined,
    startsAtResume: undefined as number[] | undefined,
    activeAtResume: undefined as Record<keyof Syncs, boolean> | undefined,
  };
  onResource = async (op) => {
    if (op.logicalId === roles.guarded) {
      const running = [syncs.continuous, syncs.interval, syncs.inactive].map((id) => sim.inspect(id).currentExecution !== undefined);
      seen.atGuarded.push({ stackStatus: op.stackStatus, active: activeFlags(syncs), running });
      seen.startsAtGuarded ??= scheduledStarts(syncs);
      await schedulerRuns(syncs);
      seen.startsAfterScheduler = scheduledStarts(syncs);
    } else if (op.logicalId === roles.resume && op.requestType !== 'Delete') {
      seen.startsAtResume ??= scheduledStarts(syncs);
      seen.activeAtResume ??= activeFlags(syncs);
    }
  };
  return seen;
}

// ------------------------------------------------------------------ the life of a stack

describe('the halt window over the life of a stack', () => {
  const STACK = 'HaltWindowLife';
  let syncs: Syncs;
  let stack: Rehearsal;
  let roles: ReturnType<typeof rolesOf>;

  beforeAll(() => {
    syncs = addSyncs('aaaaaaa1');
    stack = rehearsal(STACK);
    // an hour goes by: the hourly sync ticks, its run is going when the stack is first deployed
    simOffsetMs += HOUR_MS + 60_000;
  });
  afterAll(() => {
    process.stdout.write(`\n${stack.transcript}\n`);
  });

  test('(1) first create: the pause deactivates the two active syncs, nothing starts while the parameter is created, the resume activates exactly those', async () => {
    const v1 = synth(STACK, syncs, { guardedValue: 'v1' });
    roles = rolesOf(v1);
    expect(roles.resume).toBeDefined();
    expect(sim.inspect(syncs.interval).currentExecution?.status).toBe('running');
    const from = handlerRequests().length;
    const seen = watchWindow(syncs, roles);

    const result = await stack.deploy(v1);

    expect(result.statuses).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    expect(sequence(result, roles)).toEqual([
      'CREATE_IN_PROGRESS P Create SUCCESS',
      'CREATE_IN_PROGRESS G Create SUCCESS',
      'CREATE_IN_PROGRESS R Create SUCCESS',
    ]);
    const pause = eventOf(result, roles.pause, 'Create');
    expect(pause.response!.PhysicalResourceId).toMatch(pauseIdNaming(syncs.continuous, syncs.interval));
    expect(pause.response!.Data).toMatchObject({ [syncs.continuous]: 'canceled', [syncs.interval]: 'canceled' });
    const resume = eventOf(result, roles.resume!, 'Create');
    expect(resume.resourceProperties!.PauseId).toBe(pause.response!.PhysicalResourceId);
    expect(resume.response!.Data).toMatchObject({ Resumed: `${syncs.continuous},${syncs.interval}`, StillPaused: '' });
    // the window: every sync inactive and nothing running when the parameter is created, and the scheduler started nothing
    expect(seen.atGuarded).toEqual([{ stackStatus: 'CREATE_IN_PROGRESS', active: { continuous: false, interval: false, inactive: false }, running: [false, false, false] }]);
    expect(seen.startsAfterScheduler).toEqual(seen.startsAtGuarded);
    expect(seen.startsAtResume).toEqual(seen.startsAtGuarded);
    const requests = activationRequests(syncs, from);
    expect(distinct(requests)).toEqual(['continuous false → 200', 'interval false → 200', 'continuous true → 200', 'interval true → 200']);
    expect(activating(requests)).toEqual(['continuous true → 200', 'interval true → 200']);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
    expect(activationsOf(syncs.inactive)).toEqual([]);

    // control: once resumed, the schedules run again (the same scheduler would have shown a start in the window)
    const before = scheduledStarts(syncs);
    await schedulerRuns(syncs);
    const after = scheduledStarts(syncs);
    expect(after[0]).toBe(before[0] + 1);
    expect(after[1]).toBeGreaterThan(before[1]);
    expect(after[2]).toBe(before[2]);
  });

  test('(2) an update that changes the guarded parameter: pause, change, resume; the clean-up Delete of the old pause id calls nothing', async () => {
    const oldPauseId = stack.resource(roles.pause)!.physicalId;
    const from = handlerRequests().length;
    const seen = watchWindow(syncs, roles);
    let requestsAtCleanup = -1;
    onStackStatus = (status) => { if (status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS') requestsAtCleanup = handlerRequests().length; };

    const result = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v2' }));

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(sequence(result, roles)).toEqual([
      'UPDATE_IN_PROGRESS P Update SUCCESS',
      'UPDATE_IN_PROGRESS G Update SUCCESS',
      'UPDATE_IN_PROGRESS R Update SUCCESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS P Delete SUCCESS',
    ]);
    const pause = eventOf(result, roles.pause, 'Update');
    const newPauseId = pause.response!.PhysicalResourceId;
    expect(newPauseId).not.toBe(oldPauseId);
    expect(newPauseId).toMatch(pauseIdNaming(syncs.continuous, syncs.interval));
    const resume = eventOf(result, roles.resume!, 'Update');
    expect(resume.oldResourceProperties!.PauseId).toBe(oldPauseId);
    expect(resume.resourceProperties!.PauseId).toBe(newPauseId);
    expect(eventOf(result, roles.pause, 'Delete').physicalId).toBe(oldPauseId);
    expect(requestsAtCleanup).toBe(handlerRequests().length); // the clean-up Delete called nothing
    expect(seen.atGuarded.map((g) => g.active)).toEqual([{ continuous: false, interval: false, inactive: false }]);
    expect(seen.startsAfterScheduler).toEqual(seen.startsAtGuarded);
    expect(seen.startsAtResume).toEqual(seen.startsAtGuarded);
    const requests = activationRequests(syncs, from);
    expect(distinct(requests)).toEqual(['continuous false → 200', 'interval false → 200', 'continuous true → 200', 'interval true → 200']);
    expect(activating(requests)).toEqual(['continuous true → 200', 'interval true → 200']);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
    expect(activationsOf(syncs.inactive)).toEqual([]);
  });

  test('(3) an update that touches neither the guarded parameter nor the properties: no custom resource event, no Polytomic request', async () => {
    const from = handlerRequests().length;
    const same = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v2' }));
    expect(same.statuses).toEqual([]);
    expect(same.events).toEqual([]);

    const unguarded = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v2', unguardedValue: 'x' }));
    expect(unguarded.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(unguarded.events.map((e) => `${e.resourceType} ${e.requestType}`)).toEqual(['AWS::SSM::Parameter Create']);
    expect(unguarded.events.filter((e) => e.custom)).toEqual([]);
    expect(handlerRequests().length).toBe(from);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
  });

  test('(4) the guarded parameter fails its update: no resume; the parameter is put back while the syncs stay paused; the Delete of the new pause id activates them', async () => {
    const oldPauseId = stack.resource(roles.pause)!.physicalId;
    const from = handlerRequests().length;
    const seen = watchWindow(syncs, roles);
    let activeAtCleanup: Record<keyof Syncs, boolean> | undefined;
    onStackStatus = (status) => { if (status === 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS') activeAtCleanup = activeFlags(syncs); };

    const result = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v3', unguardedValue: 'x' }), { failOn: { logicalId: roles.guarded, phase: 'update' } });

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    expect(sequence(result, roles)).toEqual([
      'UPDATE_IN_PROGRESS P Update SUCCESS',
      'UPDATE_IN_PROGRESS G Update FAILED',
      'UPDATE_ROLLBACK_IN_PROGRESS G Update SUCCESS',
      // the pause goes back to its old id without a request; its new id is deleted in the clean-up
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS P Delete SUCCESS',
    ]);
    const newPauseId = eventOf(result, roles.pause, 'Update').response!.PhysicalResourceId;
    expect(newPauseId).toMatch(pauseIdNaming(syncs.continuous, syncs.interval));
    expect(eventOf(result, roles.pause, 'Delete').physicalId).toBe(newPauseId);
    expect(stack.resource(roles.pause)!.physicalId).toBe(oldPauseId);
    expect(result.transcript).toContain(`${roles.pause}: back to ${oldPauseId} (no request)`);
    // the parameter changed (forward and back) with every sync inactive, and nothing ran meanwhile
    expect(seen.atGuarded.map((g) => `${g.stackStatus} ${JSON.stringify(g.active)}`)).toEqual([
      'UPDATE_IN_PROGRESS {"continuous":false,"interval":false,"inactive":false}',
      'UPDATE_ROLLBACK_IN_PROGRESS {"continuous":false,"interval":false,"inactive":false}',
    ]);
    expect(activeAtCleanup).toEqual({ continuous: false, interval: false, inactive: false });
    expect(seen.startsAfterScheduler).toEqual(seen.startsAtGuarded);
    expect(seen.startsAtResume).toBeUndefined(); // the resume never ran
    const requests = activationRequests(syncs, from);
    expect(distinct(requests)).toEqual(['continuous false → 200', 'interval false → 200', 'continuous true → 200', 'interval true → 200']);
    expect(activating(requests)).toEqual(['continuous true → 200', 'interval true → 200']);
    expect(eventOf(result, roles.pause, 'Delete').response!.Data).toMatchObject({ Resumed: `${syncs.continuous},${syncs.interval}`, StillPaused: '' });
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
    expect(activationsOf(syncs.inactive)).toEqual([]);
  });

  test('(6) two deployments in a row, a sync deactivated by hand between them: it stays inactive after the second', async () => {
    const first = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v4', unguardedValue: 'x' }));
    expect(first.status).toBe('UPDATE_COMPLETE');
    expect(eventOf(first, roles.pause, 'Update').response!.PhysicalResourceId).toMatch(pauseIdNaming(syncs.continuous, syncs.interval));
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });

    sim.setActive(syncs.interval, false); // someone pauses it in Polytomic's UI
    const from = handlerRequests().length;
    const seen = watchWindow(syncs, roles);

    const second = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v5', unguardedValue: 'x' }));

    expect(second.status).toBe('UPDATE_COMPLETE');
    expect(sequence(second, roles)).toEqual([
      'UPDATE_IN_PROGRESS P Update SUCCESS',
      'UPDATE_IN_PROGRESS G Update SUCCESS',
      'UPDATE_IN_PROGRESS R Update SUCCESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS P Delete SUCCESS',
    ]);
    // the second pause read its own set at its start: the continuous sync alone
    expect(eventOf(second, roles.pause, 'Update').response!.PhysicalResourceId).toMatch(pauseIdNaming(syncs.continuous));
    expect(eventOf(second, roles.resume!, 'Update').response!.Data).toMatchObject({ Resumed: syncs.continuous });
    const requests = activationRequests(syncs, from);
    expect(distinct(requests)).toEqual(['continuous false → 200', 'continuous true → 200']);
    expect(activating(requests)).toEqual(['continuous true → 200']);
    expect(seen.startsAfterScheduler).toEqual(seen.startsAtGuarded);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: false, inactive: false });
    expect(activationsOf(syncs.interval).at(-1)).toBe('test false');

    sim.setActive(syncs.interval, true); // activated again by hand, for the next sequences
  });

  test('(7) the resume\'s own property changes (runAfterResume), the pause does not run: an Update of the resume alone, no Polytomic request', async () => {
    const from = handlerRequests().length;
    const pauseId = stack.resource(roles.pause)!.physicalId;

    const result = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v5', unguardedValue: 'x', runAfterResume: true }));

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(sequence(result, roles)).toEqual(['UPDATE_IN_PROGRESS R Update SUCCESS']);
    const resume = eventOf(result, roles.resume!, 'Update');
    expect(resume.oldResourceProperties).toMatchObject({ RunAfterResume: 'false', PauseId: pauseId });
    expect(resume.resourceProperties).toMatchObject({ RunAfterResume: 'true', PauseId: pauseId });
    expect(resume.response!.Data).toMatchObject({ Resumed: '', StillPaused: '' });
    expect(handlerRequests().length).toBe(from);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
  });

  test('(10) runAfterResume: the resume starts exactly one new execution of each sync it activated', async () => {
    const from = handlerRequests().length;
    const seen = watchWindow(syncs, roles);
    const executionsBefore = [syncs.continuous, syncs.interval, syncs.inactive].map((id) => sim.inspect(id).executionIds.length);
    let executionsAtResume: number[] = [];
    const watch = onResource!;
    onResource = async (op) => {
      await watch(op);
      if (op.logicalId !== roles.resume) return;
      executionsAtResume = [syncs.continuous, syncs.interval, syncs.inactive].map((id) => sim.inspect(id).executionIds.length);
    };

    const result = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v6', unguardedValue: 'x', runAfterResume: true }));

    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(sequence(result, roles)).toEqual([
      'UPDATE_IN_PROGRESS P Update SUCCESS',
      'UPDATE_IN_PROGRESS G Update SUCCESS',
      'UPDATE_IN_PROGRESS R Update SUCCESS',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS P Delete SUCCESS',
    ]);
    expect(eventOf(result, roles.resume!, 'Update').response!.Data).toMatchObject({ Resumed: `${syncs.continuous},${syncs.interval}`, Summary: '2 resumed, 2 started' });
    const starts = handlerRequests().slice(from).filter((r) => r.method === 'POST' && r.path.endsWith('/executions'));
    expect(starts.map((r) => `${r.path.split('/')[4]} → ${r.responseStatus}`)).toEqual([`${syncs.continuous} → 200`, `${syncs.interval} → 200`]);
    const executionsAfter = [syncs.continuous, syncs.interval, syncs.inactive].map((id) => sim.inspect(id).executionIds.length);
    expect(executionsAfter.map((n, i) => n - executionsAtResume[i])).toEqual([1, 1, 0]);
    expect(executionsAtResume[2]).toBe(executionsBefore[2]);
    expect(seen.startsAfterScheduler).toEqual(seen.startsAtGuarded);
    expect(sim.inspect(syncs.continuous).currentExecution?.status).toBe('running');
    expect(sim.inspect(syncs.interval).currentExecution?.status).toBe('running');
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
  });

  test('(11) a resource ordered after the resume fails: the resume\'s rollback Update pauses the syncs again while the parameter is put back; the Delete of the new pause id activates them', async () => {
    const from = handlerRequests().length;
    const template = synth(STACK, syncs, { guardedValue: 'v7', unguardedValue: 'x', runAfterResume: true, afterResume: true });
    const after = Object.keys((template.template as Template).Resources).find((id) => id.startsWith('AfterResume'))!;
    let activeAtGuardedRollback: Record<keyof Syncs, boolean> | undefined;
    onResource = (op) => { if (op.logicalId === roles.guarded && op.stackStatus === 'UPDATE_ROLLBACK_IN_PROGRESS') activeAtGuardedRollback = activeFlags(syncs); };

    const result = await stack.deploy(template, { failOn: { logicalId: after, phase: 'create' } });

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(sequence(result, roles)).toEqual([
      'UPDATE_IN_PROGRESS P Update SUCCESS',
      'UPDATE_IN_PROGRESS G Update SUCCESS',
      'UPDATE_IN_PROGRESS R Update SUCCESS',
      // dependents first: the resume is put back before the parameter it follows
      'UPDATE_ROLLBACK_IN_PROGRESS R Update SUCCESS',
      'UPDATE_ROLLBACK_IN_PROGRESS G Update SUCCESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS P Delete SUCCESS',
    ]);
    // the parameter is put back with the syncs paused again (docs/halt-window.md, row 9)
    expect(activeAtGuardedRollback).toEqual({ continuous: false, interval: false, inactive: false });
    expect(eventOf(result, roles.resume!, 'Update', 'UPDATE_ROLLBACK_IN_PROGRESS').response!.Data)
      .toMatchObject({ Resumed: '', Summary: 'rollback: 2 paused again until the pause is undone' });
    const requests = activationRequests(syncs, from);
    // a deactivation is sent again by every invocation of a wait (idempotent): repeats are left out
    const answered = requests.filter((r) => r.endsWith(' → 200'));
    expect(answered.filter((r, i) => r !== answered[i - 2])).toEqual([
      'continuous false → 200', 'interval false → 200', // the pause
      'continuous true → 200', 'interval true → 200', // the resume
      'continuous false → 200', 'interval false → 200', // the resume's rollback
      'continuous true → 200', 'interval true → 200', // the Delete of the new pause id
    ]);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
    expect(activationsOf(syncs.inactive)).toEqual([]);
    onResource = undefined;
  });

  test('(8) stack delete: the resume, the parameter and the pause are deleted, nothing is called, the syncs stay as they are', async () => {
    const from = handlerRequests().length;
    const history = [syncs.continuous, syncs.interval, syncs.inactive].map(activationsOf);

    const result = await stack.deleteStack();

    expect(result.statuses).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    expect(sequence(result, roles)).toEqual([
      'DELETE_IN_PROGRESS R Delete SUCCESS',
      'DELETE_IN_PROGRESS G Delete SUCCESS',
      'DELETE_IN_PROGRESS P Delete SUCCESS',
    ]);
    expect(handlerRequests().length).toBe(from);
    expect([syncs.continuous, syncs.interval, syncs.inactive].map(activationsOf)).toEqual(history);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
  });
});

// ------------------------------------------------------------------ failures

describe('a pause that fails', () => {
  const STACK = 'HaltWindowPauseFails';
  let syncs: Syncs;
  let stack: Rehearsal;
  let roles: ReturnType<typeof rolesOf>;

  beforeAll(() => {
    syncs = addSyncs('bbbbbbb2');
    stack = rehearsal(STACK);
  });
  afterAll(() => {
    process.stdout.write(`\n${stack.transcript}\n`);
  });

  test('(5a) a sync cannot be read (403): the pause fails in onEvent and nothing was paused', async () => {
    const v1 = synth(STACK, syncs, { guardedValue: 'v1' });
    roles = rolesOf(v1);
    const from = handlerRequests().length;
    sim.fault({ method: 'GET', path: `/api/bulk/syncs/${syncs.interval}`, times: Infinity }, { type: 'status', status: 403 });

    const result = await stack.deploy(v1);

    expect(result.statuses).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    expect(sequence(result, roles)).toEqual(['CREATE_IN_PROGRESS P Create FAILED', 'ROLLBACK_IN_PROGRESS P Delete SUCCESS']);
    const create = eventOf(result, roles.pause, 'Create');
    expect(create.reason).toMatch(new RegExp(`could not read whether 1 of 3 bulk sync\\(s\\) are active, so nothing was paused: ${syncs.interval}`));
    expect(eventOf(result, roles.pause, 'Delete').physicalId).toBe('AWSCDK::CustomResourceProviderFramework::CREATE_FAILED');
    expect(activationRequests(syncs, from)).toEqual([]);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
  });

  test('(5b) the deactivation of one sync is refused (403): the pause activates the other again before it fails, and says so', async () => {
    const from = handlerRequests().length;
    sim.fault({ method: 'POST', path: `/api/bulk/syncs/${syncs.interval}/activate`, times: 1 }, { type: 'status', status: 403 });

    // the stack is in ROLLBACK_COMPLETE: deleted first, as the CDK CLI does
    const result = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v1' }));

    expect(result.statuses).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    // the failed create left nothing to delete
    expect(sequence(result, roles)).toEqual([
      'CREATE_IN_PROGRESS P Create FAILED',
      'ROLLBACK_IN_PROGRESS P Delete SUCCESS',
    ]);
    const create = eventOf(result, roles.pause, 'Create', 'CREATE_IN_PROGRESS');
    expect(create.reason).toMatch(new RegExp(`the Polytomic key has no access to bulk sync ${syncs.interval} \\(HTTP 403\\)`));
    expect(create.reason).toMatch(/the 2 syncs it paused were activated again/);
    // the failed Create answered with the pause id: the rollback's Delete undoes it once more (harmless)
    expect(create.response!.PhysicalResourceId).toMatch(pauseIdNaming(syncs.continuous, syncs.interval));
    expect(eventOf(result, roles.pause, 'Delete', 'ROLLBACK_IN_PROGRESS').physicalId).toBe(create.response!.PhysicalResourceId);
    expect(activationRequests(syncs, from)).toEqual([
      'continuous false → 200', 'interval false → 403',
      'continuous true → 200', 'interval true → 200', // compensation in isComplete
      'continuous true → 200', 'interval true → 200', // the rollback's Delete of the pause id
    ]);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
    expect(activationsOf(syncs.inactive)).toEqual([]);
  });

  test('(5c) on an update: the deactivation refused, the syncs activated again, then the rollback Update of the pause (old id) calls nothing', async () => {
    stack = rehearsal(`${STACK}2`);
    const v1 = synth(`${STACK}2`, syncs, { guardedValue: 'v1' });
    roles = rolesOf(v1);
    const created = await stack.deploy(v1);
    expect(created.status).toBe('CREATE_COMPLETE');
    const oldPauseId = stack.resource(roles.pause)!.physicalId;
    const from = handlerRequests().length;
    const logsFrom = logLines.length;
    sim.fault({ method: 'POST', path: `/api/bulk/syncs/${syncs.interval}/activate`, times: 1 }, { type: 'status', status: 403 });
    let requestsAtRollback = -1;
    onStackStatus = (status) => { if (status === 'UPDATE_ROLLBACK_IN_PROGRESS') requestsAtRollback = handlerRequests().length; };

    const result = await stack.deploy(synth(`${STACK}2`, syncs, { guardedValue: 'v2' }));

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    expect(sequence(result, roles)).toEqual([
      'UPDATE_IN_PROGRESS P Update FAILED',
      'UPDATE_ROLLBACK_IN_PROGRESS P Update SUCCESS',
    ]);
    const update = eventOf(result, roles.pause, 'Update', 'UPDATE_IN_PROGRESS');
    expect(update.reason).toMatch(/the 2 syncs it paused were activated again/);
    const rollback = eventOf(result, roles.pause, 'Update', 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(rollback.physicalId).toBe(oldPauseId);
    expect(rollback.response!.PhysicalResourceId).toBe(oldPauseId);
    expect(rollback.response!.Data).toMatchObject({ Summary: 'rollback of a pause: nothing to do' });
    // the old id names the set of the first deployment, resumed long ago: the rollback leaves it alone
    expect(requestsAtRollback).toBeGreaterThan(from);
    expect(handlerRequests()).toHaveLength(requestsAtRollback);
    const activations = activationRequests(syncs, from);
    expect(activations).toEqual(['continuous false → 200', 'interval false → 403', 'continuous true → 200', 'interval true → 200']);
    process.stdout.write(`\n(5c) activation requests: ${JSON.stringify(activations)}\n(5c) rollback Update answered: ${JSON.stringify(rollback.response)}\n`
      + `(5c) handler warnings: ${JSON.stringify(logsSince(logsFrom, 'warn').map((l) => l.msg))}\n`);
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
  });
  test('(5d) on an update the pause reaches its deadline (a cancel that does not land): it activates its syncs again and fails; the rollback Update calls nothing', async () => {
    const name = `${STACK}3`;
    const slow = sim.addSync({ id: 'bbbbbbb4-0000-4000-8000-000000000001', name: 'slow to cancel', cancelAfterPolls: 1_000 });
    stack = rehearsal(name);
    const v1 = synth(name, [syncs.continuous, slow], { guardedValue: 'v1' });
    roles = rolesOf(v1);
    expect((await stack.deploy(v1)).status).toBe('CREATE_COMPLETE');
    const oldPauseId = stack.resource(roles.pause)!.physicalId;
    sim.startExecution(slow);
    const from = handlerRequests().length;
    let requestsAtRollback = -1;
    onStackStatus = (status) => { if (status === 'UPDATE_ROLLBACK_IN_PROGRESS') requestsAtRollback = handlerRequests().length; };
    // the pause's second isComplete invocation starts past its 5-minute deadline
    let invocations = 0;
    jumpBeforeIsComplete = () => ++invocations === 2;

    const result = await stack.deploy(synth(name, [syncs.continuous, slow], { guardedValue: 'v2' }));

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    expect(sequence(result, roles)).toEqual(['UPDATE_IN_PROGRESS P Update FAILED', 'UPDATE_ROLLBACK_IN_PROGRESS P Update SUCCESS']);
    const update = eventOf(result, roles.pause, 'Update', 'UPDATE_IN_PROGRESS');
    expect(update.reason).toMatch(new RegExp(`^timed out after 5 min waiting for 1 of 2 Polytomic bulk sync\\(s\\) to stop: ${slow} last seen canceling.*; the 2 syncs it paused were activated again`));
    const rollback = eventOf(result, roles.pause, 'Update', 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(rollback.physicalId).toBe(oldPauseId);
    expect(rollback.response!.Data).toMatchObject({ Summary: 'rollback of a pause: nothing to do' });
    expect(requestsAtRollback).toBeGreaterThan(from);
    expect(handlerRequests()).toHaveLength(requestsAtRollback);
    for (const id of [syncs.continuous, slow]) {
      expect(sim.inspect(id).active).toBe(true);
      expect(activationsOf(id).slice(-1)).toEqual(['api true']);
    }
    process.stdout.write(`\n(5d) reason: ${update.reason}\n`);
  });
});

describe('Polytomic unreachable at resume', () => {
  const STACK = 'HaltWindowUnreachable';
  let syncs: Syncs;
  let stack: Rehearsal;
  let roles: ReturnType<typeof rolesOf>;

  beforeAll(async () => {
    syncs = addSyncs('ccccccc3');
    stack = rehearsal(STACK);
    const v1 = synth(STACK, syncs, { guardedValue: 'v1' });
    roles = rolesOf(v1);
    expect((await stack.deploy(v1)).status).toBe('CREATE_COMPLETE');
  });
  afterAll(() => {
    process.stdout.write(`\n${stack.transcript}\n`);
  });

  /** From the resume's start on, every activation request is reset; the handler's deadline is reached at its first isComplete. */
  function unreachableAtResume(): void {
    onResource = (op) => {
      if (op.logicalId !== roles.resume || op.requestType === 'Delete' || op.stackStatus !== 'UPDATE_IN_PROGRESS') return;
      sim.fault({ method: 'POST', path: /\/activate$/, times: Infinity }, { type: 'reset' });
      jumpBeforeIsComplete = () => true;
    };
  }

  test('(9a) the resume gives up naming the syncs still paused; the rollback\'s Delete of the pause tries again and activates them', async () => {
    const from = handlerRequests().length;
    unreachableAtResume();
    // the resume's rollback Update cannot pause again (Polytomic still unreachable) and reaches its
    // deadline at once; Polytomic is back by the rollback's clean-up
    onStackStatus = (status) => {
      if (status === 'UPDATE_ROLLBACK_IN_PROGRESS') jumpBeforeIsComplete = () => true;
      if (status !== 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS') return;
      sim.clearFaults();
      jumpBeforeIsComplete = undefined;
    };

    const result = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v2' }));

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    expect(sequence(result, roles)).toEqual([
      'UPDATE_IN_PROGRESS P Update SUCCESS',
      'UPDATE_IN_PROGRESS G Update SUCCESS',
      'UPDATE_IN_PROGRESS R Update FAILED',
      'UPDATE_ROLLBACK_IN_PROGRESS R Update SUCCESS',
      'UPDATE_ROLLBACK_IN_PROGRESS G Update SUCCESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS P Delete SUCCESS',
    ]);
    const failed = eventOf(result, roles.resume!, 'Update', 'UPDATE_IN_PROGRESS');
    expect(failed.reason).toContain(`2 bulk sync(s) still paused, activate them in Polytomic: ${syncs.continuous},${syncs.interval}`);
    process.stdout.write(`\n(9a) the resume's failure: ${failed.reason}\n`);
    const rollbackResume = eventOf(result, roles.resume!, 'Update', 'UPDATE_ROLLBACK_IN_PROGRESS');
    expect(rollbackResume.response!.Data).toMatchObject({ Resumed: '', Summary: 'rollback: not confirmed' });
    const del = eventOf(result, roles.pause, 'Delete');
    expect(del.response!.Data).toMatchObject({ Resumed: `${syncs.continuous},${syncs.interval}`, StillPaused: '' });
    const activations = activationRequests(syncs, from);
    expect(activations.slice(0, 2)).toEqual(['continuous false → 200', 'interval false → 200']);
    expect(activations.slice(-2)).toEqual(['continuous true → 200', 'interval true → 200']);
    // the resume's attempts, then the rollback's attempts to pause again: every one reset
    expect(activations.slice(2, -2).every((a) => / (true|false) → reset$/.test(a))).toBe(true);
    expect(activations.slice(2, -2)).toEqual(expect.arrayContaining(['continuous true → reset', 'continuous false → reset']));
    expect(activeFlags(syncs)).toEqual({ continuous: true, interval: true, inactive: false });
  });

  test('(9b) Polytomic still unreachable during the rollback: the Delete gives up too, without failing the rollback, and names the syncs', async () => {
    const from = handlerRequests().length;
    const logsFrom = logLines.length;
    unreachableAtResume();
    // still unreachable in the rollback and its clean-up: each wait reaches its deadline at once
    onStackStatus = (status) => { if (status.startsWith('UPDATE_ROLLBACK')) jumpBeforeIsComplete = () => true; };

    const result = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v3' }));

    expect(result.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(eventOf(result, roles.resume!, 'Update', 'UPDATE_IN_PROGRESS').reason)
      .toContain(`2 bulk sync(s) still paused, activate them in Polytomic: ${syncs.continuous},${syncs.interval}`);
    const del = eventOf(result, roles.pause, 'Delete');
    expect(del).toMatchObject({ stackStatus: 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', result: 'SUCCESS' });
    // not silent: the Delete's answer and the handler's warning name the syncs still paused
    expect(del.response!.Data).toMatchObject({ Resumed: '', StillPaused: `${syncs.continuous},${syncs.interval}` });
    const warnings = logsSince(logsFrom, 'warn').filter((l) => /still paused|could not activate every paused sync/.test(JSON.stringify(l)));
    expect(warnings.length).toBeGreaterThan(0);
    expect(activationRequests(syncs, from).filter((a) => a.includes('true → 200'))).toEqual([]);
    expect(activeFlags(syncs)).toEqual({ continuous: false, interval: false, inactive: false });
    process.stdout.write(`\n(9b) rollback Delete answered: ${JSON.stringify(del.response)}\n(9b) warnings: ${JSON.stringify(warnings.map((w) => w.msg))}\n`);

    // the syncs are left paused, as the warning says: the next deployment's pause finds them inactive
    sim.clearFaults();
    onResource = undefined;
    onStackStatus = undefined;
    const next = await stack.deploy(synth(STACK, syncs, { guardedValue: 'v4' }));
    expect(eventOf(next, roles.pause, 'Update').response!.PhysicalResourceId).toMatch(pauseIdNaming());
    expect(activeFlags(syncs)).toEqual({ continuous: false, interval: false, inactive: false });
  });
});

describe('CANCEL mode on a continuous sync', () => {
  test('the deployment goes on once the cancel lands, and the schedule starts the sync again while the guarded parameter changes', async () => {
    const STACK = 'HaltWindowCancelMode';
    const syncs = addSyncs('ddddddd4');
    const stack = rehearsal(STACK);
    const template = synth(STACK, syncs, { guardedValue: 'v1' }, HaltMode.CANCEL);
    const roles = rolesOf(template);
    expect(roles.resume).toBeUndefined();
    const seen = watchWindow(syncs, roles);

    const result = await stack.deploy(template);

    expect(result.status).toBe('CREATE_COMPLETE');
    expect(sequence(result, roles)).toEqual(['CREATE_IN_PROGRESS P Create SUCCESS', 'CREATE_IN_PROGRESS G Create SUCCESS']);
    expect(eventOf(result, roles.pause, 'Create').response!.PhysicalResourceId).toMatch(/^polytomic-canceller-/);
    // nothing running when the parameter's change starts, but the syncs are still active: the scheduler starts them again
    expect(seen.atGuarded).toEqual([{ stackStatus: 'CREATE_IN_PROGRESS', active: { continuous: true, interval: true, inactive: false }, running: [false, false, false] }]);
    expect(seen.startsAfterScheduler![0]).toBe(seen.startsAtGuarded![0] + 1);
    expect(seen.startsAfterScheduler![1]).toBeGreaterThan(seen.startsAtGuarded![1]);
    expect(sim.inspect(syncs.continuous).currentExecution?.status).toBe('running');
    expect(sim.inspect(syncs.continuous).activations).toEqual([]);
  });

  test('a wait that sees the schedule restart the sync times out, and the reason suggests PAUSE_AND_RESUME', async () => {
    const STACK = 'HaltWindowCancelTimeout';
    const continuous = sim.addSync({ id: 'eeeeeee5-0000-4000-8000-000000000001', schedule: { frequency: 'continuous' }, running: true, cancelAfterPolls: 1 });
    // a sync whose cancel takes long keeps the wait going, round after round
    const slow = sim.addSync({ id: 'eeeeeee5-0000-4000-8000-000000000002', running: true, cancelAfterPolls: 1_000 });
    const stack = rehearsal(STACK);
    const template = synth(STACK, [continuous, slow], { guardedValue: 'v1' }, HaltMode.CANCEL);
    const roles = rolesOf(template);
    // isComplete makes a few rounds (1 s apart) in each invocation (which ends with "still waiting");
    // the deadline passes in the middle of one, once it has cancelled a second execution of the continuous sync
    isCompleteBudgetMs = 42_000;
    jumpWhen = () => {
      const invocation = logLines.slice(logLines.map((l) => l.msg).lastIndexOf('still waiting') + 1);
      return invocation.filter((l) => l.msg === 'cancel requested' && l.syncId === continuous).length >= 2;
    };

    const result = await stack.deploy(template);

    expect(result.statuses).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    const create = eventOf(result, roles.pause, 'Create');
    expect(create.result).toBe('FAILED');
    expect(create.reason).toMatch(/^timed out after 5 min waiting for 2 of 2 Polytomic bulk sync\(s\) to stop/);
    expect(create.reason).toMatch(new RegExp(`${continuous} started \\d+ new executions? while the canceller waited`));
    expect(create.reason).toMatch(/use haltMode PAUSE_AND_RESUME to deactivate it for the deployment/);
    expect(sim.inspect(continuous).activations).toEqual([]);
    process.stdout.write(`\n(cancel) reason: ${create.reason}\n`);
  });
});
