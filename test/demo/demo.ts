/**
 * `npx projen demo`: the bundled handler (assets/lambda/index/index.js, exactly what
 * ships in the npm package) through Create → Update → Delete against the local Polytomic
 * simulator and a loopback Secrets Manager, read by the real AWS SDK client. No AWS account.
 */
import * as path from 'node:path';
import { FakeSecretsManager } from '../simulator/fake-secrets-manager';
import { PolytomicSimulator } from '../simulator/polytomic-simulator';

const BUNDLE = path.join(__dirname, '..', '..', 'assets', 'lambda', 'index', 'index.js');
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:demo/polytomic-api-key-AbCdEf';
const API_KEY = 'demo-api-key-0f3e9c1a';
const FRAMEWORK_INTERVAL_MS = 1_000;

type Handler = {
  onEvent(event: unknown): Promise<Record<string, unknown>>;
  isComplete(event: unknown, context: unknown): Promise<{ IsComplete: boolean; Data?: Record<string, string> }>;
};

const dim = (s: string) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);

async function main(): Promise<void> {
  process.env.FRAMEWORK_QUERY_INTERVAL_SECONDS = String(FRAMEWORK_INTERVAL_MS / 1000);
  const sim = await PolytomicSimulator.start({ apiKey: API_KEY });
  const secrets = await FakeSecretsManager.start({ secrets: { [SECRET_ARN]: { SecretString: API_KEY } } });
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;

  const running = sim.addSync({ name: 'Postgres → Snowflake', running: true, cancelAfterPolls: 2 });
  const idle = sim.addSync({ name: 'Salesforce → S3', running: false, lastExecution: 'completed' });
  const names: Record<string, string> = { [running]: 'Postgres → Snowflake', [idle]: 'Salesforce → S3' };

  console.log(bold('cdk-polytomic demo: PolytomicBulkSyncCanceller handler, bundled, against a local Polytomic'));
  console.log(`  Polytomic simulator  ${sim.url}`);
  console.log(`  Secrets Manager      ${secrets.url} (real AWS SDK v3 client)`);
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
    let outcome = await lifecycle(handler, 'Create', properties);
    expect('Create cancels the running sync', outcome?.[running] === 'canceled');
    expect('Create leaves the idle sync alone', outcome?.[idle] === 'completed');

    // A scheduled run starts; the next deployment changes a guarded resource: Update.
    sim.startExecution(running);
    console.log(dim(`\n  (a scheduled execution of "${names[running]}" starts; the next cdk deploy changes a guarded resource)\n`));
    outcome = await lifecycle(handler, 'Update', { ...properties, GuardedResourcesHash: 'b2f1…' });
    expect('Update cancels the new execution', outcome?.[running] === 'canceled');

    // Delete: nothing is called.
    const before = sim.requests.length;
    await lifecycle(handler, 'Delete', properties);
    expect('Delete makes no Polytomic call', sim.requests.length === before);

    const key = sim.requests.every((r) => r.headers.authorization === `Bearer ${API_KEY}`);
    expect('every request was authenticated', key);
    console.log(bold('\nPolytomic saw:'));
    for (const r of sim.requests) console.log(dim(`  ${r.method.padEnd(4)} ${r.path} → ${r.responseStatus ?? '-'}`));
    console.log(`  cancels applied: ${names[running]} ${sim.cancelsApplied(running)}, ${names[idle]} ${sim.cancelsApplied(idle)}`);
  } finally {
    process.stdout.write = write;
    await Promise.all([sim.close(), secrets.close()]);
  }

  if (failures.length > 0) {
    console.error(`\ndemo FAILED: ${failures.join('; ')}`);
    process.exit(1);
  }
  console.log(bold('\ndemo complete: every sync was terminal before CloudFormation moved on.'));
}

/** Plays the CDK Provider framework for one request: onEvent, then isComplete until complete. */
async function lifecycle(handler: Handler, requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, unknown>) {
  console.log(bold(`▶ CloudFormation ${requestType}`) + dim('  Custom::PolytomicBulkSyncCanceller'));
  const event = {
    RequestType: requestType,
    ServiceToken: properties.ServiceToken,
    ResponseURL: '...',
    StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/demo/00000000-0000-4000-8000-000000000000',
    RequestId: `demo-${requestType.toLowerCase()}`,
    LogicalResourceId: 'SyncCanceller',
    ResourceType: 'Custom::PolytomicBulkSyncCanceller',
    ResourceProperties: properties,
    ...(requestType === 'Create' ? {} : { PhysicalResourceId: 'polytomic-canceller-demo', OldResourceProperties: properties }),
  };
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
