import * as path from 'node:path';
import { Duration, Fn, Stack, Names } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import { acknowledgeProviderFindings } from './nag-acknowledgements';
import { handlerSetting } from './shared/contract';
import {
  FRAMEWORK_QUERY_INTERVAL_MS, FRAMEWORK_TOTAL_TIMEOUT_MS, IS_COMPLETE_TIMEOUT_MS, ON_EVENT_TIMEOUT_MS, SECOND_MS,
} from './shared/time-budget';

/**
 * The Lambda runtime of every function the canceller deploys, the framework's included.
 * Named explicitly so that older aws-cdk-lib versions, whose latest-runtime lookup still
 * answers a deprecated Node.js, deploy a current one.
 */
export const HANDLER_RUNTIME = new lambda.Runtime('nodejs24.x', lambda.RuntimeFamily.NODEJS, { supportsInlineCode: true });


const ASSET_DIR = path.join(__dirname, '..', 'assets', 'lambda', 'index');

export interface CancellerProviderConfig {
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  readonly securityGroups?: ec2.ISecurityGroup[];
  readonly logGroup?: logs.ILogGroup;
  readonly logRetention?: logs.RetentionDays;
}

/** The provider's id in its stack: fixed, so the service token of a canceller never changes. */
export const PROVIDER_ID = 'PolytomicBulkSyncCancellerProvider';

/**
 * The handler functions and the Provider framework behind every canceller of a stack:
 * created once per stack, found again by a fixed id, so a second canceller adds a custom
 * resource, not another provider.
 *
 * The network and logging settings change the functions in place, never the framework
 * function whose ARN is the service token: CloudFormation refuses to move an existing
 * custom resource to another service token, so a per-configuration provider would turn a
 * change of log retention or VPC into a failed update.
 */
export class CancellerProvider extends Construct {
  /**
   * This stack's provider, created on first use. Every canceller of the stack must ask for
   * the same settings: the first one sets them.
   */
  static getOrCreate(scope: Construct, config: CancellerProviderConfig): CancellerProvider {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild(PROVIDER_ID) as CancellerProvider | undefined;
    if (!existing) return new CancellerProvider(stack, PROVIDER_ID, config);
    const differ = differingSettings(existing.config, config);
    if (differ.length > 0) {
      throw new Error(`${scope.node.path}: its ${differ.join(', ')} differ from those of the cancellers created before it in stack ${stack.stackName}. `
        + 'The cancellers of a stack share one provider (so that their service token never changes): give them all the same vpc, vpcSubnets, securityGroups, logGroup and logRetention, or put this one in another stack');
    }
    return existing;
  }

  readonly serviceToken: string;
  /** the function that reads the secret and calls Polytomic */
  readonly isCompleteHandler: lambda.Function;
  readonly onEventHandler: lambda.Function;
  readonly logGroup: logs.ILogGroup;
  /**
   * What the provider's resources depend on, for every canceller it serves (network, log
   * group, secrets and their keys): a canceller must not make any of it wait for itself.
   */
  readonly dependencies: Construct[] = [];
  /** What the cancellers it serves guard (`executeBefore`). */
  readonly guardedScopes: Construct[] = [];

  private constructor(scope: Construct, id: string, private readonly config: CancellerProviderConfig) {
    super(scope, id);

    this.logGroup = config.logGroup ?? new logs.LogGroup(this, 'Logs', {
      // The /aws/vendedlogs/ prefix lets the waiter state machine deliver logs here without
      // growing the account's CloudWatch Logs resource policy. The stack id's UUID keeps a
      // redeployed stack clear of the group a destroyed one retained.
      logGroupName: `/aws/vendedlogs/cdk-polytomic/${Names.uniqueResourceName(this, { maxLength: 150 })}/`
        + Fn.select(2, Fn.split('/', Stack.of(this).stackId)),
      retention: config.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    for (const used of [config.vpc, ...config.securityGroups ?? [], config.logGroup]) {
      if (used) this.dependencies.push(used);
    }

    const common = {
      runtime: HANDLER_RUNTIME,
      code: lambda.Code.fromAsset(ASSET_DIR),
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      logGroup: this.logGroup,
      environment: {
        FRAMEWORK_QUERY_INTERVAL_SECONDS: String(FRAMEWORK_QUERY_INTERVAL_MS / SECOND_MS),
        AWS_NODEJS_CONNECTION_REUSE_ENABLED: '1',
      },
    };

    // Both functions run in the user's network: with HaltMode.PAUSE_AND_RESUME onEvent reads
    // which syncs are active, so it reaches Polytomic and Secrets Manager too.
    const network = { vpc: config.vpc, vpcSubnets: config.vpcSubnets, securityGroups: config.securityGroups };
    this.onEventHandler = new lambda.Function(this, 'OnEvent', {
      ...common,
      ...network,
      description: 'cdk-polytomic: checks a request, fixes its deadline, and reads which syncs a pause deactivates',
      handler: handlerSetting('onEvent'),
      timeout: Duration.millis(ON_EVENT_TIMEOUT_MS),
    });
    // An Update learns from its stack's status whether it is a rollback (which must not fail);
    // isComplete asks again before it fails anything. Both may read only this stack.
    const describeOwnStack = new iam.PolicyStatement({ actions: ['cloudformation:DescribeStacks'], resources: [Stack.of(this).stackId] });
    this.onEventHandler.addToRolePolicy(describeOwnStack);

    this.isCompleteHandler = new lambda.Function(this, 'IsComplete', {
      ...common,
      description: 'cdk-polytomic: cancels Polytomic bulk syncs and polls until each is terminal',
      handler: handlerSetting('isComplete'),
      timeout: Duration.millis(IS_COMPLETE_TIMEOUT_MS),
      ...network,
    });
    this.isCompleteHandler.addToRolePolicy(describeOwnStack);

    const provider = new cr.Provider(this, 'Provider', {
      onEventHandler: this.onEventHandler,
      isCompleteHandler: this.isCompleteHandler,
      queryInterval: Duration.millis(FRAMEWORK_QUERY_INTERVAL_MS),
      // the handler's deadline (at most the longest timeout) always comes first
      totalTimeout: Duration.millis(FRAMEWORK_TOTAL_TIMEOUT_MS),
      logGroup: this.logGroup,
      // the waiter logs every event to the same group, without execution data (its input
      // holds the pre-signed response URL)
      waiterStateMachineLogOptions: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: false },
      // newer aws-cdk-lib versions turn the waiter's logging off unless this says otherwise
      disableWaiterStateMachineLogging: false,
    });
    // The framework picks its runtime from a regional table that, in older aws-cdk-lib
    // versions, still names deprecated Node.js releases.
    for (const child of provider.node.findAll()) {
      if (child instanceof lambda.CfnFunction) child.runtime = HANDLER_RUNTIME.name;
    }
    this.serviceToken = provider.serviceToken;
    acknowledgeProviderFindings(this, provider.serviceToken);

    // A VPC-bound function must be deleted before its network, or stack deletion stalls.
    if (config.vpc) this.node.addDependency(config.vpc);
  }
}

/** The names of the settings in which `a` and `b` differ (an omitted retention is the default one). */
function differingSettings(a: CancellerProviderConfig, b: CancellerProviderConfig): string[] {
  const node = (c: Construct | undefined) => c && Names.nodeUniqueId(c.node);
  const subnets = (s: ec2.SubnetSelection | undefined) => s && JSON.stringify(s, (_k, v) => (v instanceof Construct ? node(v) : v));
  const groups = (g: ec2.ISecurityGroup[] | undefined) => g && g.map((sg) => node(sg)).sort().join(',');
  const retention = (c: CancellerProviderConfig) => c.logGroup ? undefined : c.logRetention ?? logs.RetentionDays.ONE_MONTH;
  const settings: Array<[string, (c: CancellerProviderConfig) => unknown]> = [
    ['vpc', (c) => node(c.vpc)],
    ['vpcSubnets', (c) => subnets(c.vpcSubnets)],
    ['securityGroups', (c) => groups(c.securityGroups)],
    ['logGroup', (c) => node(c.logGroup)],
    ['logRetention', retention],
  ];
  return settings.filter(([, value]) => value(a) !== value(b)).map(([name]) => name);
}

