/**
 * `npx projen demo`: the bundled handler (assets/lambda/index/index.js, exactly what
 * ships in the npm package) through Create → Update → Delete against the local Polytomic
 * simulator and a loopback Secrets Manager and CloudFormation, read by the real AWS SDK
 * clients. No AWS account.
 *
 * Then the halt window (HaltMode.PAUSE_AND_RESUME) on a continuous sync, deployed by the
 * rehearsal (test/rehearsal): a synthesized stack through the CDK Provider framework's own
 * code, with the real sequence of CloudFormation events: paused, the guarded change, resumed;
 * then a guarded change that fails, the rollback, resumed.
 */
import * as path from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { HaltMode, PolytomicBulkSyncCanceller } from '../../src';
import { pollingBudgetMs } from '../rehearsal/local-cloud';
import { Rehearsal, RequestType, SynthesizedStack, Template } from '../rehearsal/rehearsal';
import { LoopbackWorld, startLoopbackWorld } from '../rehearsal/world';
import { FakeCloudFormation } from '../simulator/fake-cloudformation';

const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'index', 'index.js');
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/polytomic-api-key-AbCdEf';
const API_KEY = 'demo-api-key-0f3e9c1a';
const FRAMEWORK_INTERVAL_MS = 1_000;

type Handler = {
  onEvent(event: unknown): Promise<Record<string, unknown>>;
  isComplete(event: unknown, context: unknown): Promise<{ IsComplete: boolean; Data?: Record<string, string> }>;
};

const STACK_ID = 'arn:aws:cloudformation:us-east-1:123456789012:stack/demo/00000000-0000-4000-8000-000000000000';

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

async function main(): Promise<void> {
  process.env.FRAMEWORK_QUERY_INTERVAL_SECONDS = String(FRAMEWORK_INTERVAL_MS / 1000);
  const world = await startLoopbackWorld({
    apiKey: API_KEY,
    secretArn: SECRET_ARN,
    cloud: { remainingTimeMs: (fn, timeoutMs, payload) => (fn.handler === 'index.isComplete' ? pollingBudgetMs(35_000, payload) : timeoutMs) },
  });
  const { sim, secrets, cfn } = world;

  const running = sim.addSync({ name: 'Postgres → Snowflake', running: true, cancelAfterPolls: 2 });
  const idle = sim.addSync({ name: 'Salesforce → S3', running: false, lastExecution: 'completed' });
  const names: Record<string, string> = { [running]: 'Postgres → Snowflake', [idle]: 'Salesforce → S3' };

  console.log(bold('cdk-polytomic demo: PolytomicBulkSyncCanceller handler, bundled, against a local Polytomic'));
  console.log(`  Polytomic simulator  ${sim.url}`);
  console.log(`  Secrets Manager      ${secrets.url} (real AWS SDK v3 client)`);
  console.log(`  CloudFormation       ${cfn.url} (real AWS SDK v3 client; stack status only)`);
  console.log(`  sync ${running}  "${names[running]}"  running`);
  console.log(`  sync ${idle}  "${names[idle]}"  idle\n`);

  // Print the handler's JSON log lines as a person would read them in CloudWatch.
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = chunk.toString();
    if (text.startsWith('{"level"')) {
      for (const line of text.trim().split('\n')) {
        const { level, msg, syncId, status, executionId, time: _t, requestType: _r, logicalResourceId: _l, requestId: _q, ...fields } =
          JSON.parse(line);
        if (!showHandlerLine(level, msg)) continue;
        const who = syncId ? ` [${names[syncId] ?? syncId}]` : '';
        const extra = [status && `status=${status}`, executionId && `execution=${String(executionId).slice(0, 8)}`, ...Object.entries(fields).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)].filter(Boolean).join(' ');
        write(`    ${level.padEnd(5)}${who} ${msg}${extra ? dim('  ' + extra) : ''}\n`);
      }
      return true;
    }
    return write(chunk as string, ...(rest as []));
  }) as typeof process.stdout.write;

  const handler = (await import(BUNDLE)) as Handler;
  const properties = {
    ServiceToken: 'arn:aws:lambda:us-east-1:123456789012:function:framework-onEvent',
    PropertiesVersion: '1',
    SyncIds: [running, idle],
    SecretArn: SECRET_ARN,
    AuthMode: 'API_KEY',
    ApiUrl: sim.url,
    ApiVersion: '2025-09-18',
    TimeoutSeconds: '120',
    PollIntervalSeconds: '1',
    GuardedResourcesHash: 'none',
  };
  const failures: string[] = [];
  const expect = (what: string, ok: boolean) => { if (!ok) failures.push(what); };

  try {
    // Create: the running sync is cancelled, the idle one is left alone.
    let outcome = await lifecycle(handler, cfn, 'Create', properties);
    expect('Create cancels the running sync', outcome?.[running] === 'canceled');
    expect('Create leaves the idle sync alone', outcome?.[idle] === 'completed');

    // A scheduled run starts; the next deployment changes a guarded resource: Update.
    sim.startExecution(running);
    console.log(dim(`\n  (a scheduled execution of "${names[running]}" starts; the next cdk deploy changes a guarded resource)\n`));
    outcome = await lifecycle(handler, cfn, 'Update', { ...properties, GuardedResourcesHash: 'b2f1…' });
    expect('Update cancels the new execution', outcome?.[running] === 'canceled');

    // Delete: nothing is called.
    const before = sim.requests.length;
    await lifecycle(handler, cfn, 'Delete', properties);
    expect('Delete makes no Polytomic call', sim.requests.length === before);

    const key = sim.requests.every((r) => r.headers.authorization === `Bearer ${API_KEY}`);
    expect('every request was authenticated', key);
    console.log(bold('\nPolytomic saw:'));
    for (const r of sim.requests) console.log(dim(`  ${r.method.padEnd(4)} ${r.path} → ${r.responseStatus ?? '-'}`));
    console.log(`  cancels applied: ${names[running]} ${sim.cancelsApplied(running)}, ${names[idle]} ${sim.cancelsApplied(idle)}`);

    await haltWindow(world, names, expect);
  } finally {
    process.stdout.write = write;
    await world.close();
  }

  if (failures.length > 0) {
    console.error(`\ndemo FAILED: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log(bold('\ndemo complete: every sync was terminal before CloudFormation moved on, and every paused sync was active again after it.'));
}

/** Which handler log lines are printed: all of them, but only warnings and errors during the halt window (its own lines tell the steps). */
let haltWindowLogs = false;
function showHandlerLine(level: string, _msg: string): boolean {
  return !haltWindowLogs || level !== 'INFO';
}

const HALT_STACK = 'DemoHaltWindow';

/**
 * The halt window on a continuous sync: a stack whose canceller (PAUSE_AND_RESUME) guards an SSM
 * parameter, deployed twice by the rehearsal. Polytomic's scheduler is played while the
 * parameter changes: an active continuous sync would start at once.
 */
async function haltWindow(world: LoopbackWorld, names: Record<string, string>, expect: (what: string, ok: boolean) => void): Promise<void> {
  const { sim, cfn, cloud } = world;
  const syncId = sim.addSync({ name: 'Events → Warehouse', schedule: { frequency: 'continuous' }, running: true, cancelAfterPolls: 1 });
  names[syncId] = 'Events → Warehouse';
  const sync = `"${names[syncId]}"`;
  const state = () => {
    const s = sim.inspect(syncId);
    return `active=${s.active}, ${s.currentExecution ? s.currentExecution.status : 'idle'}`;
  };
  console.log(bold('\n\nThe halt window: haltMode PAUSE_AND_RESUME on a continuous sync'));
  console.log(dim('  a stack: the canceller\'s pause (P), an SSM parameter it guards (G), the resume (R) after it; deployed through the CDK'));
  console.log(dim('  Provider framework\'s synthesized code (framework, waiter state machine) and the bundled handler, by test/rehearsal'));
  console.log(`  sync ${syncId}  ${sync}  schedule continuous, ${state()}\n`);

  // the framework's own logging (every request, in full) is left out
  const log = console.log;
  console.log = (...args: unknown[]) => { if (!(typeof args[0] === 'string' && args[0].startsWith('[provider-framework]'))) log(...args); };
  haltWindowLogs = true;
  try {
    const roles: Record<string, string> = {};
    const synth = (value: string): SynthesizedStack => {
      const app = new App({ outdir: world.assemblyDir() });
      const stack = new Stack(app, HALT_STACK, { env: { account: cloud.account, region: cloud.region } });
      const canceller = new PolytomicBulkSyncCanceller(stack, 'Halt', {
        syncIds: [syncId],
        haltMode: HaltMode.PAUSE_AND_RESUME,
        timeout: Duration.minutes(5),
        pollInterval: Duration.seconds(1),
        secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN),
      });
      const guarded = new ssm.StringParameter(stack, 'Schema', { stringValue: value });
      canceller.executeBefore(guarded);
      const synthesized = app.synth().getStackByName(HALT_STACK);
      for (const [id, r] of Object.entries((synthesized.template as Template).Resources)) {
        if (r.Type === PolytomicBulkSyncCanceller.RESOURCE_TYPE) roles[id] = 'P  pause ';
        else if (r.Type === PolytomicBulkSyncCanceller.RESUME_RESOURCE_TYPE) roles[id] = 'R  resume';
        else if (r.Type === 'AWS::SSM::Parameter') roles[id] = 'G  guarded parameter';
      }
      return synthesized;
    };
    /** Polytomic's scheduler looks at the sync (an observation): a continuous sync that is active and idle starts. */
    const schedulerLooks = async () => {
      const before = sim.inspect(syncId).scheduledStarts;
      const headers = { 'authorization': `Bearer ${API_KEY}`, 'x-demo-scheduler': '1' };
      await (await fetch(`${sim.url}/api/bulk/syncs/${syncId}/status`, { headers })).arrayBuffer();
      return sim.inspect(syncId).scheduledStarts > before;
    };
    let seen = sim.requests.length;
    let eventsSeen = 0;
    /** prints the activation requests and the resource results since the last call */
    const flush = (stack: Rehearsal) => {
      const activations = sim.inspect(syncId).activations.filter((a) => a.via === 'api');
      let applied = activations.length - sim.requests.slice(seen).filter((r) => r.method === 'POST' && r.path.endsWith('/activate') && r.responseStatus === 200).length;
      for (const r of sim.requests.slice(seen)) {
        if (r.method !== 'POST' || !r.path.endsWith('/activate')) continue;
        const change = r.responseStatus === 200 ? activations[applied++] : undefined;
        const effect = !change ? '' : change.changed ? `active → ${change.active}` : `already ${change.active ? 'active' : 'inactive'}: no change`;
        console.log(`        Polytomic ← POST …/activate ${JSON.stringify(r.body)} → ${r.responseStatus ?? r.fault}${dim(`   ${effect}`)}`);
      }
      seen = sim.requests.length;
      for (const e of stack.events.slice(eventsSeen)) {
        if (!roles[e.logicalId]) continue;
        const pauseId = roles[e.logicalId].startsWith('P') && e.requestType !== 'Delete' && e.response ? e.response.PhysicalResourceId : undefined;
        const id = pauseId ? `  physical id ${pauseId}` : e.requestType === 'Delete' && e.custom ? `  (${e.physicalId})` : '';
        const why = e.result === 'FAILED' ? `  (${(e.reason ?? '').split('\n')[0]})` : '';
        console.log(`        ${e.result === 'SUCCESS' ? '✔' : '✘'} ${e.result}${id}${why}`);
      }
      eventsSeen = stack.events.length;
    };
    const stack = new Rehearsal({
      cloud,
      stackName: HALT_STACK,
      cloudFormation: cfn,
      // the construct writes an https ApiUrl; the handler takes http on loopback
      customResourceProperties: (_id, props) => (props.ApiUrl ? { ...props, ApiUrl: sim.url } : props),
      onStackStatus: (status) => {
        flush(stack);
        console.log(bold(`    ${status}`));
      },
      onResource: async (op: { logicalId: string; requestType: RequestType; stackStatus: string }) => {
        flush(stack);
        const role = roles[op.logicalId];
        if (!role) return;
        console.log(`      ▸ ${op.requestType.padEnd(6)} ${role}${dim(`   ${sync} ${state()}`)}`);
        if (role.startsWith('G')) {
          const started = await schedulerLooks();
          console.log(dim(`        (Polytomic's scheduler looks at ${sync}: ${started ? 'it STARTS a new execution' : 'inactive, nothing starts'})`));
          expect(`no execution starts while the guarded parameter changes (${op.stackStatus})`, !started);
        }
      },
    });

    console.log(bold('  ▶ cdk deploy #1: creates the stack'));
    let result = await stack.deploy(synth('schema v1'));
    flush(stack);
    expect('the first deployment completes', result.status === 'CREATE_COMPLETE');
    expect('the continuous sync is active after the first deployment', sim.inspect(syncId).active);
    const restarted = await schedulerLooks();
    console.log(`    ${sync} ${state()}${dim(restarted ? '   (its schedule runs again: the scheduler started a new execution)' : '')}\n`);
    expect('the continuous sync runs again once resumed', restarted);

    console.log(bold('  ▶ cdk deploy #2: changes the guarded parameter, and the change fails'));
    result = await stack.deploy(synth('schema v2'), { failOn: { logicalId: Object.keys(roles).find((id) => roles[id].startsWith('G'))!, phase: 'update' } });
    flush(stack);
    expect('the failed deployment rolls back', result.status === 'UPDATE_ROLLBACK_COMPLETE');
    expect('the continuous sync is active after the rollback', sim.inspect(syncId).active);
    expect('the resume never ran in the failed deployment', !result.events.some((e) => roles[e.logicalId]?.startsWith('R')));
    console.log(dim('    (R saw no event: the guarded change failed before it; the Delete of the new pause id activated the sync again)'));
    const changes = sim.inspect(syncId).activations.filter((a) => a.changed).map((a) => (a.active ? 'activated' : 'deactivated'));
    expect('deactivated and activated again once per deployment', JSON.stringify(changes) === JSON.stringify(['deactivated', 'activated', 'deactivated', 'activated']));
    console.log(`    ${sync} ${state()}; its activation changes: ${changes.join(', ')}`);
  } finally {
    haltWindowLogs = false;
    console.log = log;
  }
}

/** Plays the CDK Provider framework for one request: onEvent, then isComplete until complete. */
async function lifecycle(handler: Handler, cfn: FakeCloudFormation, requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown>) {
  console.log(bold(`▶ CloudFormation ${requestType}`) + dim('  Custom::PolytomicBulkSyncCanceller'));
  const event = {
    RequestType: requestType,
    ServiceToken: properties.ServiceToken,
    ResponseURL: '...',
    StackId: STACK_ID,
    RequestId: `demo-${requestType.toLowerCase()}`,
    LogicalResourceId: 'SyncCanceller',
    ResourceType: 'Custom::PolytomicBulkSyncCanceller',
    ResourceProperties: properties,
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'polytomic-canceller-demo', OldResourceProperties: properties }),
  };
  cfn.setStatus(STACK_ID, `${requestType.toUpperCase()}_IN_PROGRESS`);
  console.log(dim('  onEvent'));
  const onEventResult = await handler.onEvent(event);
  for (let invocation = 1; invocation <= 20; invocation++) {
    const end = Date.now() + 60_000;
    console.log(dim(`  isComplete #${invocation}`));
    const result = await handler.isComplete({ ...event, ...onEventResult }, { awsRequestId: `demo-${invocation}`, getRemainingTimeInMillis: () => end - Date.now() });
    if (result.IsComplete) {
      console.log(`  ✔ ${requestType} complete${result.Data ? `: ${result.Data.Summary}` : ' (nothing to do)'}\n`);
      return result.Data;
    }
    await new Promise((resolve) => setTimeout(resolve, FRAMEWORK_INTERVAL_MS));
  }
  throw new Error(`${requestType} did not complete`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
