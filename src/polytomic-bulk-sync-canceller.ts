import { Annotations, CustomResource, Duration, Lazy, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { guardedDefinition } from './guarded-resources';
import { CancellerProvider, FRAMEWORK_QUERY_INTERVAL } from './provider';
import { Limits, apiUrlErrors, apiVersionErrors, organizationIdErrors, secondsOf, syncIdErrors, timingErrors } from './validation';

/** How the handler authenticates to Polytomic. */
export enum PolytomicAuthMode {
  /** An organization API key, sent as `Authorization: Bearer <key>`. */
  API_KEY = 'API_KEY',
  /**
   * An on-premises deployment key, sent as HTTP Basic auth with the organization id as the
   * user name and the key as the password. Requires `organizationId`.
   */
  DEPLOYMENT_KEY = 'DEPLOYMENT_KEY',
}

/** What the deployment does when the syncs are still not terminal at the `timeout`. */
export enum TimeoutAction {
  /** Fail the deployment, naming each sync still running and its last status. */
  FAIL = 'FAIL',
  /**
   * Let the deployment go on, with a warning in the handler's log and the `timedOut`
   * attribute set to `true`. The guarded resources then change while a sync may run.
   */
  CONTINUE = 'CONTINUE',
}

/** Properties of a {@link PolytomicBulkSyncCanceller}. */
export interface PolytomicBulkSyncCancellerProps {
  /**
   * The Polytomic bulk syncs to cancel: their ids (UUIDs), at most 25.
   */
  readonly syncIds: string[];

  /**
   * The secret that holds the Polytomic key. Only its ARN reaches the template; the handler
   * reads the value at deploy time and is granted `secretsmanager:GetSecretValue` on this
   * secret alone (and `kms:Decrypt` on its key, when it has one).
   */
  readonly secret: secretsmanager.ISecret;

  /**
   * The field of a JSON secret that holds the key.
   *
   * @default - the whole secret string is the key
   */
  readonly secretField?: string;

  /**
   * How the key is sent to Polytomic.
   *
   * @default PolytomicAuthMode.API_KEY
   */
  readonly authMode?: PolytomicAuthMode;

  /**
   * The Polytomic organization id, the user name of deployment-key (Basic) auth.
   * Required with `PolytomicAuthMode.DEPLOYMENT_KEY`, not allowed otherwise.
   *
   * @default - none (API key auth)
   */
  readonly organizationId?: string;

  /**
   * The base URL of the Polytomic API: Polytomic's cloud, or your on-premises host. https only.
   *
   * @default 'https://app.polytomic.com'
   */
  readonly apiUrl?: string;

  /**
   * The API version sent as `X-Polytomic-Version` on every request.
   *
   * @default '2025-09-18'
   */
  readonly apiVersion?: string;

  /**
   * How long the deployment waits for every sync to reach a terminal state. Between 1 and
   * 55 minutes: CloudFormation waits at most one hour for a custom resource, and the
   * resource's own service timeout is set a little above this.
   *
   * @default Duration.minutes(30)
   */
  readonly timeout?: Duration;

  /**
   * What happens when the syncs are still not terminal at the `timeout`. During a rollback
   * the canceller never fails, whatever this says: it warns and lets the rollback go on.
   *
   * @default TimeoutAction.FAIL
   */
  readonly timeoutAction?: TimeoutAction;

  /**
   * How often the status of each sync is read while waiting. Between 1 second and
   * 2 minutes, and not longer than `timeout`.
   *
   * @default Duration.seconds(15)
   */
  readonly pollInterval?: Duration;

  /**
   * The VPC to run the function that calls Polytomic in. It needs a route to the Polytomic
   * API (a NAT gateway for Polytomic's cloud) and to the Secrets Manager and CloudFormation
   * APIs (NAT or VPC endpoints).
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Where in `vpc` to place the function.
   *
   * @default - the VPC's private subnets
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the function, when it runs in `vpc`.
   *
   * @default - a new security group that allows all outbound traffic
   */
  readonly securityGroups?: ec2.ISecurityGroup[];

  /**
   * The log group of the handler and provider framework functions and of the waiter state
   * machine. Name it under `/aws/vendedlogs/`, so Step Functions' log delivery does not grow
   * the account's CloudWatch Logs resource policy.
   *
   * @default - a new log group named `/aws/vendedlogs/cdk-polytomic/...`, with `logRetention`
   */
  readonly logGroup?: logs.ILogGroup;

  /**
   * Retention of the log group created when `logGroup` is not given.
   *
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Constructs that must wait for the canceller: they are deployed only once every sync is
   * terminal, and any change to them runs the canceller again. See `executeBefore()`.
   *
   * @default - none; add them later with `executeBefore()`
   */
  readonly executeBefore?: Construct[];

  /**
   * Constructs the canceller waits for. See `executeAfter()`.
   *
   * @default - none
   */
  readonly executeAfter?: Construct[];
}

/** Defaults; the handler applies the same ones to properties that lack a value. */
const DEFAULTS = {
  apiUrl: 'https://app.polytomic.com',
  apiVersion: '2025-09-18',
  timeout: Duration.minutes(30),
  pollInterval: Duration.seconds(15),
} as const;

/**
 * Cancels running Polytomic bulk syncs during `cdk deploy` and waits until each execution is
 * terminal, so that the resources ordered after it change only when no sync runs.
 *
 * It runs when it is created, when its properties change, and when any construct given to
 * `executeBefore` changes. One provider (functions and waiter state machine) serves every
 * canceller of a stack.
 */
export class PolytomicBulkSyncCanceller extends Construct {
  /** The CloudFormation resource type of the custom resource. */
  static readonly RESOURCE_TYPE = 'Custom::PolytomicBulkSyncCanceller';

  /** The bulk syncs this canceller stops. */
  readonly syncIds: string[];

  /** The custom resource. */
  readonly resource: CustomResource;

  /**
   * The function that reads the secret and calls Polytomic (shared by the cancellers of a
   * stack with the same network and logging settings).
   */
  readonly handler: lambda.IFunction;

  /** The log group the handlers, the framework functions and the waiter log to. */
  readonly logGroup: logs.ILogGroup;

  /**
   * A summary of the outcome, such as `1 canceled, 2 completed`.
   */
  readonly summary: string;

  /**
   * `true` when the wait ended at the timeout with `TimeoutAction.CONTINUE`, else `false`.
   */
  readonly timedOut: string;

  private readonly guardedScopes: IConstruct[] = [];
  /** what this canceller's resource waits for (`executeAfter`) */
  private readonly prerequisites: IConstruct[] = [];
  private readonly provider: CancellerProvider;

  constructor(scope: Construct, id: string, props: PolytomicBulkSyncCancellerProps) {
    super(scope, id);
    checkShape(this, props);

    const authMode = props.authMode ?? PolytomicAuthMode.API_KEY;
    const apiUrl = props.apiUrl ?? DEFAULTS.apiUrl;
    const apiVersion = props.apiVersion ?? DEFAULTS.apiVersion;
    const timeout = props.timeout ?? DEFAULTS.timeout;
    const pollInterval = props.pollInterval ?? DEFAULTS.pollInterval;

    const errors = [
      ...syncIdErrors(props.syncIds),
      ...organizationIdErrors(authMode, props.organizationId),
      ...apiUrlErrors(apiUrl),
      ...apiVersionErrors(apiVersion),
      ...timingErrors(timeout, pollInterval),
    ];
    if (props.secretField !== undefined && !Token.isUnresolved(props.secretField)) {
      if (props.secretField.trim() === '') errors.push('secretField is empty: give the name of the JSON field that holds the key, or leave it out');
      else if (props.secretField !== props.secretField.trim()) errors.push(`secretField "${props.secretField}" has leading or trailing spaces`);
    }
    if (!props.vpc && (props.vpcSubnets || props.securityGroups)) {
      errors.push('vpcSubnets and securityGroups need vpc: give the VPC too');
    }
    if (props.logGroup && props.logRetention !== undefined) {
      errors.push('logRetention applies to the log group the construct creates: give it either logGroup or logRetention');
    }
    if (errors.length > 0) {
      throw new Error(`Invalid PolytomicBulkSyncCanceller ${this.node.path}:\n  - ${errors.join('\n  - ')}`);
    }

    const timeoutSeconds = secondsOf('timeout', timeout);
    const pollIntervalSeconds = secondsOf('pollInterval', pollInterval);
    this.syncIds = [...props.syncIds];
    const provider = CancellerProvider.getOrCreate(this, {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      logGroup: props.logGroup,
      logRetention: props.logRetention,
    });
    this.provider = provider;
    this.handler = provider.isCompleteHandler;
    this.logGroup = provider.logGroup;
    // the shared handler's role will depend on this secret and key: no canceller may guard them
    for (const used of [props.secret, props.secret.encryptionKey]) {
      if (!used) continue;
      const guard = provider.guardedScopes.find((g) => overlaps(g, used));
      if (guard) {
        throw new Error(`${this.node.path}: its secret is inside ${guard.node.path}, which a canceller of this stack guards (executeBefore); the shared handler cannot both read it and wait for it`);
      }
      provider.dependencies.push(used);
    }
    this.grantSecretRead(props.secret, provider.isCompleteHandler);

    this.resource = new CustomResource(this, 'Resource', {
      serviceToken: provider.serviceToken,
      resourceType: PolytomicBulkSyncCanceller.RESOURCE_TYPE,
      // CloudFormation stops waiting a little after the handler's own deadline: the handler
      // always answers first, with a message that says what it was waiting for.
      // A timeout from a token is checked (and bounded) by the handler, so the longest one allowed bounds the wait.
      serviceTimeout: Duration.seconds(
        (timeout.isUnresolved() ? Limits.MAX_TIMEOUT.toSeconds() : Math.ceil(timeoutSeconds)) + SERVICE_TIMEOUT_MARGIN_SECONDS,
      ),
      properties: {
        PropertiesVersion: '1',
        SyncIds: this.syncIds,
        SecretArn: props.secret.secretFullArn ?? props.secret.secretArn,
        SecretField: props.secretField,
        AuthMode: authMode,
        OrganizationId: props.organizationId,
        ApiUrl: apiUrl,
        ApiVersion: apiVersion,
        TimeoutSeconds: Token.isUnresolved(timeoutSeconds) ? Token.asString(timeoutSeconds) : String(timeoutSeconds),
        PollIntervalSeconds: Token.isUnresolved(pollIntervalSeconds) ? Token.asString(pollIntervalSeconds) : String(pollIntervalSeconds),
        OnTimeout: props.timeoutAction ?? TimeoutAction.FAIL,
        // Change whenever a guarded construct may change, so the cancel runs again before it.
        // Uncached: computed while the template is written, after every aspect has run.
        GuardedResourcesHash: Lazy.uncachedString({ produce: () => this.guarded().hash }),
        GuardedReferences: Lazy.uncachedAny({ produce: () => this.guarded().references }, { omitEmptyArray: true }),
      },
    });
    // the roles' permissions must exist before the handlers run
    this.resource.node.addDependency(provider.isCompleteHandler, provider.onEventHandler);
    // runs after the aspects, like the template: says what a deploy-time change would not show
    this.node.addValidation({
      validate: () => {
        for (const warning of this.guarded().skipped) Annotations.of(this).addWarningV2('cdk-polytomic:guardedReferenceSkipped', warning);
        return [];
      },
    });
    this.summary = this.resource.getAttString('Summary');
    this.timedOut = this.resource.getAttString('TimedOut');

    this.executeBefore(...props.executeBefore ?? []);
    this.executeAfter(...props.executeAfter ?? []);
  }

  /**
   * Makes `scopes` wait for this canceller: they are deployed only after every sync is
   * terminal. A change to any resource inside them also changes the canceller, so each
   * deployment that touches them cancels the syncs first. Scopes in other stacks become a
   * dependency between the stacks.
   */
  executeBefore(...scopes: Construct[]): void {
    for (const scope of scopes) {
      if (scope.node.findAll().includes(this)) {
        throw new Error(`executeBefore(${scope.node.path}): that scope contains the canceller ${this.node.path} itself; pass the constructs to guard instead`);
      }
      // the canceller already waits for these: guarding them too would be a dependency cycle
      if ([...this.prerequisites, ...this.provider.dependencies].some((p) => overlaps(p, scope))) {
        throw new Error(`executeBefore(${scope.node.path}): the canceller ${this.node.path} depends on it (executeAfter, or the vpc, security groups, log group or a secret of the cancellers of this stack), so it cannot also wait for the canceller`);
      }
      scope.node.addDependency(this);
      this.guardedScopes.push(scope);
      this.provider.guardedScopes.push(scope);
    }
  }

  /** Makes this canceller wait for `scopes`: it runs only after they are deployed. */
  executeAfter(...scopes: Construct[]): void {
    for (const scope of scopes) {
      if (this.guardedScopes.some((g) => overlaps(g, scope))) {
        throw new Error(`executeAfter(${scope.node.path}): it already waits for the canceller ${this.node.path} (executeBefore), so the canceller cannot wait for it`);
      }
      this.prerequisites.push(scope);
    }
    this.node.addDependency(...scopes);
  }

  /**
   * The status of the last execution of `syncId` once the canceller finished, such as
   * `canceled` or `completed` (`none` if the sync never ran).
   */
  finalStatusOf(syncId: string): string {
    if (Token.isUnresolved(syncId) || Token.isUnresolved(this.syncIds)) return this.resource.getAttString(syncId);
    // the attribute is named by the id exactly as it was given in syncIds
    const known = this.syncIds.find((id) => id.toLowerCase() === syncId.toLowerCase());
    if (known === undefined) throw new Error(`finalStatusOf(${syncId}): that sync is not one of this canceller's syncIds`);
    return this.resource.getAttString(known);
  }

  private grantSecretRead(secret: secretsmanager.ISecret, grantee: lambda.Function): void {
    // An ARN without the 6-character suffix Secrets Manager appends (a secret imported by
    // name) only matches with the wildcard.
    const arn = secret.secretFullArn ?? `${secret.secretArn}-??????`;
    grantee.addToRolePolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [arn],
    }));
    // The key decrypts for this role only through Secrets Manager in the secret's own region,
    // the condition Secret.grantRead sets. Stated on the role itself: a grant through an
    // imported key would be dropped silently (the key's policy is not ours to change).
    if (secret.encryptionKey) {
      grantee.addToRolePolicy(new iam.PolicyStatement({
        actions: ['kms:Decrypt'],
        resources: [secret.encryptionKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${secret.env.region}.amazonaws.com` } },
      }));
    }
  }

  private guarded() {
    return guardedDefinition(this, this.guardedScopes, PolytomicBulkSyncCanceller.RESOURCE_TYPE);
  }
}

/** One construct is, contains or lies inside the other. */
function overlaps(a: IConstruct, b: IConstruct): boolean {
  return a === b || a.node.findAll().includes(b) || b.node.findAll().includes(a);
}

/**
 * How far past the handler's deadline CloudFormation's own timeout is set: the handler answers
 * within one round of polls after its deadline, plus the framework's interval.
 */
const SERVICE_TIMEOUT_MARGIN_SECONDS = FRAMEWORK_QUERY_INTERVAL.toSeconds() + 110;

/**
 * The checks a type system makes for TypeScript users, for callers without one (plain
 * JavaScript, or a jsii language's dynamic types): one clear message instead of one error
 * per character of a string, or a TypeError deep inside the constructor.
 */
function checkShape(canceller: Construct, props: PolytomicBulkSyncCancellerProps | undefined): void {
  const where = `Invalid PolytomicBulkSyncCanceller ${canceller.node.path}`;
  if (props === undefined || props === null || typeof props !== 'object') {
    throw new Error(`${where}: props are required: give at least syncIds and secret`);
  }
  const problems: string[] = [];
  const syncIds: unknown = props.syncIds;
  if (syncIds === undefined || syncIds === null) {
    problems.push('syncIds is required: give a list of Polytomic bulk sync ids (UUIDs)');
  } else if (!Array.isArray(syncIds) && !Token.isUnresolved(syncIds)) {
    problems.push(`syncIds must be a list of bulk sync ids, not ${typeof syncIds === 'string' ? 'a string' : typeof syncIds}: write ['${typeof syncIds === 'string' ? syncIds : '<sync id>'}']`);
  } else if (Array.isArray(syncIds) && syncIds.some((id) => typeof id !== 'string')) {
    problems.push('syncIds must hold strings (the bulk sync ids)');
  }
  const secret: unknown = props.secret;
  if (secret === undefined || secret === null) {
    problems.push('secret is required: give the secretsmanager.ISecret that holds the Polytomic key, e.g. Secret.fromSecretCompleteArn(this, \'PolytomicKey\', \'arn:aws:secretsmanager:…\')');
  } else if (typeof secret !== 'object' || typeof (secret as { secretArn?: unknown }).secretArn !== 'string') {
    problems.push('secret must be a secretsmanager.ISecret (for example from Secret.fromSecretCompleteArn), not a string or an ARN');
  }
  if (problems.length > 0) throw new Error(`${where}:\n  - ${problems.join('\n  - ')}`);
}
