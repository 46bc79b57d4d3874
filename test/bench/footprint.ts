/**
 * Section 3: what the cancellers add to a template. PolytomicBulkSyncCanceller shares one
 * provider per stack; the naive construct below (defined here, for comparison only) gives
 * each canceller its own aws-cdk-lib Provider with its own onEvent and isComplete functions,
 * the same code asset and the same settings, and a custom resource with the very properties
 * the real canceller writes.
 */
import * as path from 'node:path';
import { App, CustomResource, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { Section, bytes, ratio, table } from './report';
import { PolytomicBulkSyncCanceller } from '../../src';
import { HANDLER_RUNTIME } from '../../src/provider';
import { FRAMEWORK_QUERY_INTERVAL_MS, FRAMEWORK_TOTAL_TIMEOUT_MS, IS_COMPLETE_TIMEOUT_MS, ON_EVENT_TIMEOUT_MS } from '../../src/shared/time-budget';

const COUNTS = [1, 10, 50];
const ASSET_DIR = path.join(__dirname, '..', '..', 'assets', 'lambda', 'index');
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-AbCdEf';

interface Template {
  Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
}

/** One provider per canceller: the straightforward way to write the construct. */
class NaiveCanceller extends Construct {
  constructor(scope: Construct, id: string, secret: secretsmanager.ISecret, properties: Record<string, unknown>) {
    super(scope, id);
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: logs.RetentionDays.ONE_MONTH });
    const common = {
      runtime: HANDLER_RUNTIME,
      code: lambda.Code.fromAsset(ASSET_DIR),
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      logGroup,
      environment: { FRAMEWORK_QUERY_INTERVAL_SECONDS: String(FRAMEWORK_QUERY_INTERVAL_MS / 1000), AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1' },
    };
    const onEvent = new lambda.Function(this, 'OnEvent', { ...common, handler: 'index.onEvent', timeout: Duration.millis(ON_EVENT_TIMEOUT_MS) });
    const isComplete = new lambda.Function(this, 'IsComplete', { ...common, handler: 'index.isComplete', timeout: Duration.millis(IS_COMPLETE_TIMEOUT_MS) });
    const describeStack = new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [Stack.of(this).stackId] });
    for (const fn of [onEvent, isComplete]) {
      fn.addToRolePolicy(describeStack);
      secret.grantRead(fn);
    }
    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: onEvent,
      isCompleteHandler: isComplete,
      queryInterval: Duration.millis(FRAMEWORK_QUERY_INTERVAL_MS),
      totalTimeout: Duration.millis(FRAMEWORK_TOTAL_TIMEOUT_MS),
      logGroup,
      waiterStateMachineLogOptions: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      disableWaiterStateMachineLogging: false,
    });
    new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: PolytomicBulkSyncCanceller.RESOURCE_TYPE,
      properties,
    });
  }
}

/** The context key of aws-cdk-lib's resource limit per stack (0: none). */
const RESOURCE_LIMIT_CONTEXT = '@aws-cdk/core:stackResourceLimit';

function newStack(name: string, unlimited = false): { app: App; stack: Stack; secret: secretsmanager.ISecret } {
  const app = new App({ context: { 'aws:cdk:disable-asset-staging': true, ...unlimited ? { [RESOURCE_LIMIT_CONTEXT]: 0 } : {} } });
  const stack = new Stack(app, name, { env: { account: '123456789012', region: 'eu-west-1' } });
  return { app, stack, secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', SECRET_ARN) };
}

function synth(app: App, stack: Stack): Template {
  return app.synth().getStackByName(stack.stackName).template as Template;
}

function syncId(i: number): string {
  return `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
}

export function footprintSection(): Section {
  const rows: string[][] = [];
  const refused: string[] = [];
  for (const count of COUNTS) {
    const shared = newStack(`Shared${count}`);
    for (let i = 0; i < count; i++) new PolytomicBulkSyncCanceller(shared.stack, `Canceller${i}`, { syncIds: [syncId(i)], secret: shared.secret });
    const sharedTemplate = synth(shared.app, shared.stack);

    const written = Object.values(sharedTemplate.Resources).filter((r) => r.Type === PolytomicBulkSyncCanceller.RESOURCE_TYPE);
    if (written.length !== count) throw new Error(`expected ${count} canceller resources, found ${written.length}`);
    const naiveStack = (unlimited: boolean) => {
      const naive = newStack(`Naive${count}`, unlimited);
      written.forEach((resource, i) => {
        const { ServiceToken: _token, ...properties } = resource.Properties ?? {};
        new NaiveCanceller(naive.stack, `Canceller${i}`, naive.secret, properties);
      });
      return synth(naive.app, naive.stack);
    };
    let naiveTemplate: Template;
    try {
      naiveTemplate = naiveStack(false);
    } catch (error) {
      // aws-cdk-lib refuses a stack over its resource limit: said so, and measured without the limit
      const limit = /\d+ is greater than allowed maximum of \d+/.exec((error as Error).message);
      if (!limit) throw error;
      refused.push(`With ${count} naive cancellers aws-cdk-lib refuses to synthesize the stack ("Number of resources: ${limit[0]}"); `
        + `the ${count}-canceller row was measured with the context \`${RESOURCE_LIMIT_CONTEXT}: 0\` (no limit).`);
      naiveTemplate = naiveStack(true);
    }

    const resources = (t: Template) => Object.keys(t.Resources).length;
    const size = (t: Template) => Buffer.byteLength(JSON.stringify(t));
    rows.push([
      String(count),
      String(resources(sharedTemplate)), String(resources(naiveTemplate)), ratio(resources(naiveTemplate), resources(sharedTemplate)),
      bytes(size(sharedTemplate)), bytes(size(naiveTemplate)), ratio(size(naiveTemplate), size(sharedTemplate)),
    ]);
  }
  return {
    title: '3. Template footprint',
    lines: [
      'Resources and bytes (`JSON.stringify` of the synthesized template) of a stack with 1, 10 and 50 cancellers, one sync each.',
      '"Shared" is PolytomicBulkSyncCanceller (one provider per stack). "Naive" is a construct defined in the benchmark that gives each',
      'canceller its own Provider with its own onEvent and isComplete functions (same code asset, runtime, memory, timeouts, log group and',
      'waiter logging) and a custom resource with the same properties.',
      '',
      ...table(['cancellers', 'resources, shared', 'resources, naive', 'naive / shared', 'bytes, shared', 'bytes, naive', 'naive / shared'],
        rows, ['r', 'r', 'r', 'r', 'r', 'r', 'r']),
      ...refused.length > 0 ? ['', ...refused] : [],
    ],
  };
}
