/**
 * Deployment rehearsals of a stack in which a PolytomicBulkSyncCanceller guards an SSM
 * parameter: the synthesized templates are deployed by the rehearsal engine (rehearsal.ts)
 * into the loopback cloud (local-cloud.ts), through the Provider framework's own code and
 * our bundled handler (assets/lambda/index, `npx projen bundle`), against the Polytomic
 * simulator, the fake Secrets Manager and the fake CloudFormation (whose stack status the
 * rehearsal sets at each phase, and which the handler reads).
 *
 * The construct accepts only an https ApiUrl; the rehearsal rewrites it to the simulator's
 * http://127.0.0.1 URL in the properties CloudFormation would send (the handler takes http
 * on loopback). isComplete is given 35 s of remaining time, so each invocation does one round
 * of polls and hands back to the waiter, whose retries are counted, not slept.
 */
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { LocalCloud } from './local-cloud';
import { Rehearsal, RehearsalEvent, SynthesizedStack, Template, dependencyOrder } from './rehearsal';
import { LoopbackWorld, startLoopbackWorld } from './world';
import { PolytomicBulkSyncCanceller } from '../../src';
import { SECRET_ARN } from '../fixtures/events';
import { FakeCloudFormation } from '../simulator/fake-cloudformation';
import { PolytomicSimulator } from '../simulator/polytomic-simulator';

const API_KEY = 'pk-rehearsal-DO-NOT-LOG';
const SYNC = '248df4b7-aa70-47b8-a036-33ac447e668d';
const OTHER_SYNC = '5ff69368-6504-11ed-9bb3-ea7534cffcad';
const CANCELLER_TYPE = PolytomicBulkSyncCanceller.RESOURCE_TYPE;

let world: LoopbackWorld;
let sim: PolytomicSimulator;
let cfn: FakeCloudFormation;
let cloud: LocalCloud;
/** per-test hooks, called by every rehearsal of this file */
let onStackStatus: ((status: string) => void) | undefined;
let onResource: ((op: { logicalId: string; requestType: string; stackStatus: string }) => void) | undefined;
/** extra properties sent to the canceller (after ApiUrl is pointed at the simulator) */
let propertyOverrides: Record<string, string> = {};

interface StackShape {
  readonly guardedValue: string;
  /** an SSM parameter the canceller does not guard */
  readonly unguardedValue?: string;
  readonly syncId?: string;
}

function synth(stackName: string, shape: StackShape): SynthesizedStack {
  const app = new App({ outdir: world.assemblyDir() });
  const stack = new Stack(app, stackName, { env: { account: cloud.account, region: cloud.region } });
  const canceller = new PolytomicBulkSyncCanceller(stack, 'HaltSyncs', {
    syncIds: [shape.syncId ?? SYNC],
    timeout: Duration.minutes(5),
    pollInterval: Duration.seconds(1),
    secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN),
  });
  canceller.executeBefore(new ssm.StringParameter(stack, 'Guarded', { stringValue: shape.guardedValue }));
  if (shape.unguardedValue) new ssm.StringParameter(stack, 'Unguarded', { stringValue: shape.unguardedValue });
  return app.synth().getStackByName(stackName);
}

function rehearsal(stackName: string): Rehearsal {
  return new Rehearsal({
    cloud,
    stackName,
    cloudFormation: cfn,
    customResourceProperties: (_id, props) => (props.ApiUrl ? { ...props, ApiUrl: sim.url, ...propertyOverrides } : props),
    onStackStatus: (status) => onStackStatus?.(status),
    onResource: (op) => onResource?.(op),
  });
}

const logicalIdOf = (s: SynthesizedStack, type: string) =>
  Object.entries((s.template as Template).Resources).find(([, r]) => r.Type === type)![0];
const requestsOf = (events: RehearsalEvent[], logicalId: string) =>
  events.filter((e) => e.logicalId === logicalId).map((e) => `${e.stackStatus} ${e.requestType} ${e.result}`);

beforeAll(async () => {
  world = await startLoopbackWorld({
    apiKey: API_KEY,
    cloud: {
      // with 35 s left, isComplete ends its invocation after one round (IsComplete: false) instead of sleeping
      remainingTimeMs: (fn, timeoutMs) => (fn.handler === 'index.isComplete' ? 35_000 : timeoutMs),
    },
  });
  ({ sim, cfn, cloud } = world);
});
afterAll(async () => {
  await world?.close();
});
afterEach(() => {
  onStackStatus = undefined;
  onResource = undefined;
  propertyOverrides = {};
  sim.clearFaults();
});

describe('the life of a stack with a canceller guarding a parameter', () => {
  const STACK = 'RehearsalLife';
  let stack: Rehearsal;
  let canceller: string;
  let guarded: string;
  /** the sync's status when the guarded parameter's operation started */
  let syncWhenGuardedChanged: Array<string | undefined>;

  beforeAll(() => {
    stack = rehearsal(STACK);
  });
  beforeEach(() => {
    syncWhenGuardedChanged = [];
    onResource = (op) => { if (op.logicalId === guarded) syncWhenGuardedChanged.push(sim.statusOf(SYNC)); };
  });
  afterAll(() => {
    process.stdout.write(`\n${stack.transcript}\n`);
  });

  test('first create: the running sync is canceled before the guarded parameter is created', async () => {
    const v1 = synth(STACK, { guardedValue: 'v1' });
    canceller = logicalIdOf(v1, CANCELLER_TYPE);
    guarded = logicalIdOf(v1, 'AWS::SSM::Parameter');
    sim.addSync({ id: SYNC, running: true, cancelAfterPolls: 2 });

    const result = await stack.deploy(v1);

    expect(result.statuses).toEqual(['CREATE_IN_PROGRESS', 'CREATE_COMPLETE']);
    const order = result.events.map((e) => e.logicalId);
    expect(order.indexOf(canceller)).toBeLessThan(order.indexOf(guarded));
    expect(requestsOf(result.events, canceller)).toEqual(['CREATE_IN_PROGRESS Create SUCCESS']);
    expect(syncWhenGuardedChanged).toEqual([undefined]);
    expect(sim.inspect(SYNC).lastExecution?.status).toBe('canceled');
    // the framework's waiter called isComplete again until the cancel was confirmed
    expect(cloud.executions.at(-1)!.attempts).toBeGreaterThan(1);
    expect(stack.resource(canceller)!.physicalId).toMatch(/^polytomic-canceller-/);
    expect(stack.resource(canceller)!.data).toMatchObject({ [SYNC]: 'canceled', TimedOut: 'false' });
    expect(cfn.statusOf(stack.stackId!)).toBe('CREATE_COMPLETE');
  });

  test('an update that changes the guarded parameter runs the canceller again, first', async () => {
    sim.startExecution(SYNC);
    const physicalId = stack.resource(canceller)!.physicalId;

    const result = await stack.deploy(synth(STACK, { guardedValue: 'v2' }));

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(result.events.map((e) => `${e.logicalId} ${e.requestType}`)).toEqual([`${canceller} Update`, `${guarded} Update`]);
    const update = result.events[0];
    expect(update).toMatchObject({ result: 'SUCCESS', stackStatus: 'UPDATE_IN_PROGRESS', physicalId });
    expect(update.response!.PhysicalResourceId).toBe(physicalId); // in place, no clean-up Delete
    expect(update.resourceProperties!.GuardedResourcesHash).not.toBe(update.oldResourceProperties!.GuardedResourcesHash);
    expect(syncWhenGuardedChanged).toEqual([undefined]);
    expect(sim.inspect(SYNC).lastExecution?.status).toBe('canceled');
  });

  test('a redeploy of the same template sends nothing (no updates are to be performed)', async () => {
    const before = { requests: sim.requests.length, events: stack.events.length };

    const result = await stack.deploy(synth(STACK, { guardedValue: 'v2' }));

    expect(result.statuses).toEqual([]);
    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(stack.events.length).toBe(before.events);
    expect(sim.requests.length).toBe(before.requests);
  });

  test('an update outside the guarded parameter updates the stack without a custom resource request', async () => {
    const before = sim.requests.length;

    const result = await stack.deploy(synth(STACK, { guardedValue: 'v2', unguardedValue: 'x' }));

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_COMPLETE']);
    expect(result.events.map((e) => `${e.resourceType} ${e.requestType}`)).toEqual(['AWS::SSM::Parameter Create']);
    expect(result.events.filter((e) => e.custom)).toEqual([]);
    expect(sim.requests.length).toBe(before);
  });

  test('the guarded parameter fails its update: the canceller gets a rollback Update, which never fails', async () => {
    const previous = stack.resource(canceller)!.properties;
    // during the rollback a sync runs again and Polytomic refuses the key: the rollback must go on
    onStackStatus = (status) => {
      if (status !== 'UPDATE_ROLLBACK_IN_PROGRESS') return;
      sim.startExecution(SYNC);
      sim.fault({ times: Infinity }, { type: 'status', status: 401 });
    };

    const result = await stack.deploy(synth(STACK, { guardedValue: 'v3', unguardedValue: 'x' }), { failOn: { logicalId: guarded, phase: 'update' } });

    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    expect(result.events.map((e) => `${e.stackStatus} ${e.logicalId} ${e.requestType} ${e.result}`)).toEqual([
      `UPDATE_IN_PROGRESS ${canceller} Update SUCCESS`,
      `UPDATE_IN_PROGRESS ${guarded} Update FAILED`,
      // reverse dependency order: the parameter is put back first, then the canceller
      `UPDATE_ROLLBACK_IN_PROGRESS ${guarded} Update SUCCESS`,
      `UPDATE_ROLLBACK_IN_PROGRESS ${canceller} Update SUCCESS`,
    ]);
    const [forward, , , rollback] = result.events;
    expect(rollback.resourceProperties).toEqual(previous);
    expect(rollback.oldResourceProperties).toEqual(forward.resourceProperties);
    expect(rollback.physicalId).toBe(forward.physicalId);
    expect(rollback.response!.Data).toMatchObject({ Summary: expect.stringMatching(/^rollback/) });
    expect(stack.resource(canceller)!.properties).toEqual(previous);
    expect(sim.requests.some((r) => r.fault === 'status')).toBe(true);
    expect(sim.statusOf(SYNC)).toBe('running'); // it could not be canceled, and the rollback went on
  });

  test('stack delete: the canceller gets its Delete in DELETE_IN_PROGRESS, after the parameter, and calls nothing', async () => {
    const before = sim.requests.length;

    const result = await stack.deleteStack();

    expect(result.statuses).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE']);
    const order = result.events.map((e) => e.logicalId);
    expect(order.indexOf(guarded)).toBeLessThan(order.indexOf(canceller));
    expect(requestsOf(result.events, canceller)).toEqual(['DELETE_IN_PROGRESS Delete SUCCESS']);
    expect(result.events.every((e) => e.result === 'SUCCESS' && e.requestType === 'Delete')).toBe(true);
    expect(sim.requests.length).toBe(before);
    expect(cfn.statusOf(stack.stackId!)).toBe('DELETE_COMPLETE');
  });
});

describe('failed first creates', () => {
  const STACK = 'RehearsalFailedCreate';
  let stack: Rehearsal;
  beforeAll(() => {
    stack = rehearsal(STACK);
    sim.addSync({ id: OTHER_SYNC, running: true, cancelAfterPolls: 1 });
  });
  afterAll(() => {
    process.stdout.write(`\n${stack.transcript}\n`);
  });

  test('the guarded parameter fails: ROLLBACK, the canceller gets its Delete and calls nothing', async () => {
    const template = synth(STACK, { guardedValue: 'v1', syncId: OTHER_SYNC });
    const [canceller, guarded] = [logicalIdOf(template, CANCELLER_TYPE), logicalIdOf(template, 'AWS::SSM::Parameter')];
    let requestsAtRollback = -1;
    onStackStatus = (status) => { if (status === 'ROLLBACK_IN_PROGRESS') requestsAtRollback = sim.requests.length; };

    const result = await stack.deploy(template, { failOn: { logicalId: guarded, phase: 'create' } });

    expect(result.statuses).toEqual(['CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    expect(requestsOf(result.events, canceller)).toEqual(['CREATE_IN_PROGRESS Create SUCCESS', 'ROLLBACK_IN_PROGRESS Delete SUCCESS']);
    expect(requestsOf(result.events, guarded)).toEqual(['CREATE_IN_PROGRESS Create FAILED', 'ROLLBACK_IN_PROGRESS Delete SUCCESS']);
    expect(sim.requests.length).toBe(requestsAtRollback);
    expect(result.events.filter((e) => e.stackStatus === 'ROLLBACK_IN_PROGRESS').every((e) => e.requestType === 'Delete')).toBe(true);
  });

  test('the canceller itself fails (invalid timeout): the framework\'s CREATE_FAILED marker gets the rollback Delete', async () => {
    const template = synth(STACK, { guardedValue: 'v1', syncId: OTHER_SYNC });
    const canceller = logicalIdOf(template, CANCELLER_TYPE);
    const before = sim.requests.length;
    propertyOverrides = { TimeoutSeconds: '5' }; // the construct would refuse it at synth

    // the stack of the previous test is in ROLLBACK_COMPLETE: a new deploy deletes it first (as the CDK CLI does)
    const result = await stack.deploy(template);

    expect(result.statuses).toEqual(['DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'CREATE_IN_PROGRESS', 'ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE']);
    const [create, del] = result.events.filter((e) => e.logicalId === canceller);
    expect(create).toMatchObject({ requestType: 'Create', result: 'FAILED', physicalId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED' });
    expect(create.reason).toMatch(/timeout is 5 seconds/);
    expect(del).toMatchObject({ requestType: 'Delete', result: 'SUCCESS', stackStatus: 'ROLLBACK_IN_PROGRESS', physicalId: 'AWSCDK::CustomResourceProviderFramework::CREATE_FAILED' });
    expect(result.events.map((e) => e.resourceType)).not.toContain('AWS::SSM::Parameter');
    expect(sim.requests.length).toBe(before);
  });
});

/** The engine's own sequences, with a stub provider in place of the framework. */
describe('rehearsal engine (stub provider)', () => {
  const TOKEN = 'arn:aws:sns:eu-west-1:123456789012:stub-provider';
  const custom = (props: Record<string, unknown>, dependsOn?: string[]) => ({ Type: 'Custom::Stub', Properties: { ServiceToken: TOKEN, ...props }, DependsOn: dependsOn });
  const template = (resources: Record<string, unknown>): SynthesizedStack => ({ template: { Resources: resources } });

  function stubbed(answer: (event: Record<string, any>) => Partial<{ Status: 'SUCCESS' | 'FAILED'; PhysicalResourceId: string; Data: Record<string, string> }>) {
    const sent: Array<Record<string, any>> = [];
    const r = new Rehearsal({
      cloud,
      stackName: 'RehearsalEngine',
      provider: async (_token, event) => {
        sent.push(event);
        const a = answer(event);
        return {
          Status: a.Status ?? 'SUCCESS',
          PhysicalResourceId: a.PhysicalResourceId ?? String(event.PhysicalResourceId ?? `${event.LogicalResourceId}-1`),
          StackId: String(event.StackId),
          RequestId: String(event.RequestId),
          LogicalResourceId: String(event.LogicalResourceId),
          Data: a.Data,
        };
      },
    });
    return { r, sent };
  }

  test('dependency order follows DependsOn, Ref, Fn::GetAtt and Fn::Sub', () => {
    expect(dependencyOrder({
      Resources: {
        D: { Type: 'X', Properties: { A: { 'Fn::Sub': '${C.Arn}-${!Literal}' } } },
        C: { Type: 'X', Properties: { A: { 'Fn::GetAtt': ['B', 'Arn'] } } },
        B: { Type: 'X', DependsOn: ['A'] },
        A: { Type: 'X', Properties: { P: { Ref: 'AWS::Region' } } },
      },
    })).toEqual(['A', 'B', 'C', 'D']);
  });

  test('intrinsics resolve against physical ids, Data and parameters; scalars arrive as strings', async () => {
    const { r, sent } = stubbed((e) => (e.LogicalResourceId === 'Source' ? { PhysicalResourceId: 'src-1', Data: { Url: 'a,b,c' } } : {}));
    await r.deploy({
      template: {
        Parameters: { Stage: { Type: 'String', Default: 'dev' } },
        Resources: {
          Source: custom({ Count: 3, On: true }),
          Sink: custom({
            Joined: { 'Fn::Join': ['/', [{ Ref: 'Source' }, { Ref: 'Stage' }]] },
            Second: { 'Fn::Select': [1, { 'Fn::Split': [',', { 'Fn::GetAtt': ['Source', 'Url'] }] }] },
            Sub: { 'Fn::Sub': ['${Source}:${AWS::Region}:${X}', { X: 'x' }] },
            Gone: { Ref: 'AWS::NoValue' },
          }),
        },
      },
    }, { parameters: { Stage: 'prod' } });
    expect(sent[0].ResourceProperties).toEqual({ ServiceToken: TOKEN, Count: '3', On: 'true' });
    expect(sent[1].ResourceProperties).toEqual({ ServiceToken: TOKEN, Joined: 'src-1/prod', Second: 'b', Sub: `src-1:${cloud.region}:x` });
  });

  test('a replacement: the dependent is updated, the old id deleted in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS', async () => {
    const { r, sent } = stubbed((e) => (e.RequestType === 'Update' && e.LogicalResourceId === 'A' ? { PhysicalResourceId: 'A-2' } : {}));
    await r.deploy(template({ A: custom({ V: '1' }), B: custom({ On: { Ref: 'A' } }) }));
    const result = await r.deploy(template({ A: custom({ V: '2' }), B: custom({ On: { Ref: 'A' } }) }));
    expect(result.status).toBe('UPDATE_COMPLETE');
    expect(result.events.map((e) => `${e.stackStatus} ${e.requestType} ${e.logicalId} ${e.physicalId}`)).toEqual([
      'UPDATE_IN_PROGRESS Update A A-1',
      'UPDATE_IN_PROGRESS Update B B-1',
      'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS Delete A A-1',
    ]);
    expect(sent.at(-2)).toMatchObject({ ResourceProperties: { On: 'A-2' }, OldResourceProperties: { On: 'A-1' } });
    expect(sent.at(-1)).toMatchObject({ RequestType: 'Delete', PhysicalResourceId: 'A-1', ResourceProperties: { V: '1' } });
  });

  test('a failed update after a replacement: in-place updates are put back in reverse order, the new id deleted in clean-up', async () => {
    const { r, sent } = stubbed((e) => {
      if (e.RequestType === 'Update' && e.LogicalResourceId === 'A' && e.ResourceProperties.V === '2') return { PhysicalResourceId: 'A-2' };
      if (e.RequestType === 'Update' && e.LogicalResourceId === 'C' && e.ResourceProperties.V === '2') return { Status: 'FAILED' };
      return {};
    });
    const v1 = template({ A: custom({ V: '1' }), B: custom({ On: { Ref: 'A' } }), C: custom({ V: '1' }, ['B']) });
    await r.deploy(v1);
    const result = await r.deploy(template({ A: custom({ V: '2' }), B: custom({ On: { Ref: 'A' } }), C: custom({ V: '2' }, ['B']), N: custom({}, ['C']) }));
    expect(result.statuses).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE']);
    expect(result.events.map((e) => `${e.stackStatus} ${e.requestType} ${e.logicalId} ${e.physicalId} ${e.result}`)).toEqual([
      'UPDATE_IN_PROGRESS Update A A-1 SUCCESS',
      'UPDATE_IN_PROGRESS Update B B-1 SUCCESS',
      'UPDATE_IN_PROGRESS Update C C-1 FAILED',
      'UPDATE_ROLLBACK_IN_PROGRESS Update C C-1 SUCCESS',
      'UPDATE_ROLLBACK_IN_PROGRESS Update B B-1 SUCCESS',
      'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS Delete A A-2 SUCCESS',
    ]);
    const rollbackB = sent.find((e, i) => i > 0 && e.LogicalResourceId === 'B' && e.ResourceProperties.On === 'A-1' && e.RequestType === 'Update');
    expect(rollbackB).toMatchObject({ OldResourceProperties: { On: 'A-2' } });
    expect(r.resource('A')!.physicalId).toBe('A-1');
    // the next deploy starts from v1 again
    expect((await r.deploy(v1)).statuses).toEqual([]);
  });
});
