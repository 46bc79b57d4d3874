import { randomUUID } from 'node:crypto';
import { Annotations, CustomResource, Duration, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct, IConstruct } from 'constructs';
import { guardedDefinition } from './guarded-resources';
import { CancellerProvider } from './provider';
import {
  Attribute, CANCELLER_RESOURCE_TYPE, CancellerWireProperties, ConnectionWireProperties, PROPERTIES_VERSION, RESUME_RESOURCE_TYPE,
  ResumeWireProperties,
} from './shared/contract';
import { MAX_TIMEOUT_MS, SECOND_MS, serviceTimeoutSeconds } from './shared/time-budget';
import { CheckedSettings, checkedSettings, secondsOf } from './validation';

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

/** When the canceller runs. */
export enum RunPolicy {
  /**
   * When it is created, when its props change, and when a construct it guards
   * (`executeBefore`) changes: a deployment that changes none of them calls nothing.
   */
  ON_GUARDED_CHANGE = 'ON_GUARDED_CHANGE',
  /**
   * At every deployment of the stack, for changes the stack cannot see (a migration step,
   * another stack, a manual change). A property new at each synthesis makes CloudFormation
   * update the canceller every time, so `cdk diff` always lists it.
   */
  EVERY_DEPLOYMENT = 'EVERY_DEPLOYMENT',
}

/** What the canceller does to the syncs before the guarded constructs change. */
export enum HaltMode {
  /**
   * Cancel the running executions and wait until each is terminal. A schedule may start a
   * sync again while the guarded constructs change (a `continuous` sync restarts at once).
   */
  CANCEL = 'CANCEL',
  /**
   * Deactivate the syncs that are active (which also cancels what runs) and wait until each
   * execution is terminal; once every guarded construct is deployed, activate exactly those
   * syncs again. No schedule starts them in between. A rollback activates them again too.
   */
  PAUSE_AND_RESUME = 'PAUSE_AND_RESUME',
}

/** Properties of a {@link PolytomicBulkSyncCanceller}. */
export interface PolytomicBulkSyncCancellerProps {
  /**
   * The Polytomic bulk syncs to halt, by id (UUIDs). With `connectionIds` the syncs it
   * selects are added; at most 25 syncs in all.
   *
   * @default - none: `connectionIds` selects the syncs
   */
  readonly syncIds?: string[];

  /**
   * Also halt every bulk sync whose source or destination is one of these Polytomic
   * connections (their ids, UUIDs). The syncs are listed when the stack deploys, so a sync
   * added in the Polytomic app since the last deployment is halted too; the handler's log and
   * the resource's attributes (one per sync, named by its id) show which were selected.
   *
   * @default - only the syncs of `syncIds`
   */
  readonly connectionIds?: string[];

  /**
   * Accept a selection that comes to no sync at all (then nothing is halted). Otherwise a
   * canceller with neither `syncIds` nor `connectionIds` is refused at synth, and one whose
   * connections have no sync fails the deployment: an empty selection is a choice, never an
   * accident.
   *
   * @default false
   */
  readonly allowEmptySelection?: boolean;

  /**
   * When the canceller runs: on changes of the constructs it guards, or at every deployment.
   *
   * @default RunPolicy.ON_GUARDED_CHANGE
   */
  readonly runPolicy?: RunPolicy;

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
   * Whether to cancel what runs, or to pause the syncs for the deployment and resume them
   * after the guarded constructs (see the README's "Halt window").
   *
   * @default HaltMode.CANCEL
   */
  readonly haltMode?: HaltMode;

  /**
   * With `HaltMode.PAUSE_AND_RESUME`: start one execution of each sync once it is activated
   * again, instead of waiting for its schedule.
   *
   * @default false
   */
  readonly runAfterResume?: boolean;

  /**
   * How often the status of each sync is read while waiting. Between 1 second and
   * 2 minutes, and not longer than `timeout`.
   *
   * @default Duration.seconds(15)
   */
  readonly pollInterval?: Duration;

  /**
   * The VPC to run the handler functions in (both call Polytomic). They need a route to the Polytomic
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

/**
 * Cancels running Polytomic bulk syncs during `cdk deploy` and waits until each execution is
 * terminal, so that the resources ordered after it change only when no sync runs.
 *
 * It runs when it is created, when its properties change, and when any construct given to
 * `executeBefore` changes. One provider (functions and waiter state machine) serves every
 * canceller of a stack.
 */
export class PolytomicBulkSyncCanceller extends Construct {
  /** The CloudFormation resource type of the custom resource (the pause, with `HaltMode.PAUSE_AND_RESUME`). */
  static readonly RESOURCE_TYPE = CANCELLER_RESOURCE_TYPE;

  /** The CloudFormation resource type of the resume, with `HaltMode.PAUSE_AND_RESUME`. */
  static readonly RESUME_RESOURCE_TYPE = RESUME_RESOURCE_TYPE;

  /** The bulk syncs this canceller stops. */
  readonly syncIds: string[];

  /** The custom resource (the pause, with `HaltMode.PAUSE_AND_RESUME`). */
  readonly resource: CustomResource;

  /**
   * With `HaltMode.PAUSE_AND_RESUME`, the custom resource that activates the paused syncs
   * again once every guarded construct is deployed; otherwise undefined.
   */
  readonly resume?: CustomResource;

  /**
   * The function that reads the secret, cancels the syncs and polls them (the Provider
   * framework's isComplete handler). Shared by the cancellers of a stack; it runs in `vpc`.
   */
  readonly isCompleteHandler: lambda.IFunction;

  /**
   * The function that checks a request and fixes its deadline (the Provider framework's
   * onEvent handler). Shared by the cancellers of a stack. In CANCEL mode it calls only
   * CloudFormation; a pause (`HaltMode.PAUSE_AND_RESUME`) also reads the key and which syncs
   * are active, so it runs in `vpc` too.
   */
  readonly onEventHandler: lambda.IFunction;

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
  private readonly selectsByConnection: boolean;
  /** what this canceller's resource waits for (`executeAfter`) */
  private readonly prerequisites: IConstruct[] = [];
  private readonly provider: CancellerProvider;

  constructor(scope: Construct, id: string, props: PolytomicBulkSyncCancellerProps) {
    super(scope, id);
    const settings = checkedSettings(this.node.path, props);
    this.selectsByConnection = Token.isUnresolved(settings.connectionIds) || settings.connectionIds.length > 0;
    this.syncIds = [...props.syncIds ?? []];

    this.provider = CancellerProvider.getOrCreate(this, {
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      logGroup: props.logGroup,
      logRetention: props.logRetention,
    });
    this.isCompleteHandler = this.provider.isCompleteHandler;
    this.onEventHandler = this.provider.onEventHandler;
    this.logGroup = this.provider.logGroup;

    this.grantSecretRead(props.secret);
    this.resource = this.createResource(settings, props.secret);
    this.summary = this.resource.getAttString(Attribute.Summary);
    this.timedOut = this.resource.getAttString(Attribute.TimedOut);
    if (settings.haltMode === HaltMode.PAUSE_AND_RESUME) this.resume = this.createResume(settings, props.secret);

    this.executeBefore(...props.executeBefore ?? []);
    this.executeAfter(...props.executeAfter ?? []);
  }

  /**
   * Makes `scopes` wait for this canceller: they are deployed only after every sync is
   * terminal. A change to any resource inside them also changes the canceller, so each
   * deployment that touches them cancels the syncs first. Scopes in other stacks become a
   * dependency between the stacks (not with `HaltMode.PAUSE_AND_RESUME`, whose resume must
   * follow them in the same stack).
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
      // on the pause alone: the resume, also inside this construct, waits for the scope
      if (this.resume && Stack.of(scope) !== Stack.of(this)) {
        throw new Error(`executeBefore(${scope.node.path}): with HaltMode.PAUSE_AND_RESUME the guarded constructs must be in the canceller's stack ${Stack.of(this).stackName}: the resume after them would make the two stacks depend on each other`);
      }
      scope.node.addDependency(this.resource);
      this.resume?.node.addDependency(scope);
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
    // a sync selected by connection is known only at deploy time
    if (Token.isUnresolved(syncId) || Token.isUnresolved(this.syncIds) || this.selectsByConnection) return this.resource.getAttString(syncId);
    // the attribute is named by the id exactly as it was given in syncIds
    const known = this.syncIds.find((id) => id.toLowerCase() === syncId.toLowerCase());
    if (known === undefined) throw new Error(`finalStatusOf(${syncId}): that sync is not one of this canceller's syncIds`);
    return this.resource.getAttString(known);
  }

  /**
   * Lets the shared handler read `secret`: `secretsmanager:GetSecretValue` on it alone, and
   * `kms:Decrypt` on its key through Secrets Manager only.
   */
  private grantSecretRead(secret: secretsmanager.ISecret): void {
    // the shared handlers' roles will depend on this secret and key: no canceller may guard them
    for (const used of [secret, secret.encryptionKey]) {
      if (!used) continue;
      const guard = this.provider.guardedScopes.find((g) => overlaps(g, used));
      if (guard) {
        throw new Error(`${this.node.path}: its secret is inside ${guard.node.path}, which a canceller of this stack guards (executeBefore); the shared handler cannot both read it and wait for it`);
      }
      this.provider.dependencies.push(used);
    }
    // onEvent reads the key too, to learn which syncs a pause deactivates
    for (const grantee of [this.provider.isCompleteHandler, this.provider.onEventHandler]) this.grantSecretReadTo(secret, grantee);
  }

  private grantSecretReadTo(secret: secretsmanager.ISecret, grantee: lambda.Function): void {
    // An ARN without the 6-character suffix Secrets Manager appends (a secret imported by
    // name) only matches with the wildcard.
    grantee.addToRolePolicy(new iam.PolicyStatement({
      actions: ['secretsmanager:GetSecretValue'],
      resources: [secret.secretFullArn ?? `${secret.secretArn}-??????`],
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

  /** The custom resource, with the properties the handler reads (see `shared/contract`). */
  private createResource(settings: CheckedSettings, secret: secretsmanager.ISecret): CustomResource {
    const properties: CancellerWireProperties = {
      ...connectionProperties(settings, secret),
      SyncIds: this.syncIds,
      // absent unless used: a canceller deployed before they existed sees no change
      ConnectionIds: this.selectsByConnection ? settings.connectionIds : undefined,
      AllowEmptySelection: settings.allowEmptySelection ? 'true' : undefined,
      // new at each synthesis: CloudFormation sends an Update at every deployment
      DeploymentNonce: settings.runPolicy === RunPolicy.EVERY_DEPLOYMENT ? randomUUID() : undefined,
      HaltMode: settings.haltMode,
      // Change whenever a guarded construct may change, so the cancel runs again before it.
      // Uncached: computed while the template is written, after every aspect has run.
      GuardedResourcesHash: Lazy.uncachedString({ produce: () => this.guarded().hash }),
      GuardedReferences: Lazy.uncachedAny({ produce: () => this.guarded().references }, { omitEmptyArray: true }),
    };
    const resource = new CustomResource(this, 'Resource', {
      serviceToken: this.provider.serviceToken,
      resourceType: PolytomicBulkSyncCanceller.RESOURCE_TYPE,
      serviceTimeout: serviceTimeoutOf(settings, settings.haltMode === HaltMode.PAUSE_AND_RESUME),
      properties: { ...properties },
    });
    // the roles' permissions must exist before the handlers run
    resource.node.addDependency(this.provider.isCompleteHandler, this.provider.onEventHandler);
    // runs after the aspects, like the template: says what a deploy-time change would not show
    this.node.addValidation({
      validate: () => {
        for (const warning of this.guarded().skipped) Annotations.of(this).addWarningV2('cdk-polytomic:guardedReferenceSkipped', warning);
        return [];
      },
    });
    return resource;
  }

  /**
   * The resume: after every guarded construct (see `executeBefore`), it activates again the
   * syncs the pause deactivated. `PauseId` is the pause's physical id, which names them and
   * changes with every pause: the resume runs exactly when a pause ran.
   */
  private createResume(settings: CheckedSettings, secret: secretsmanager.ISecret): CustomResource {
    const properties: ResumeWireProperties = {
      ...connectionProperties(settings, secret),
      PauseId: this.resource.ref,
      RunAfterResume: String(settings.runAfterResume),
    };
    const resume = new CustomResource(this, 'Resume', {
      serviceToken: this.provider.serviceToken,
      resourceType: RESUME_RESOURCE_TYPE,
      serviceTimeout: serviceTimeoutOf(settings, false),
      properties: { ...properties },
    });
    resume.node.addDependency(this.provider.isCompleteHandler, this.provider.onEventHandler);
    return resume;
  }

  private guarded() {
    return guardedDefinition(this, this.guardedScopes, PolytomicBulkSyncCanceller.RESOURCE_TYPE);
  }
}

/** How the handler reaches Polytomic and how long it waits: the same for the pause and the resume. */
function connectionProperties(settings: CheckedSettings, secret: secretsmanager.ISecret): ConnectionWireProperties {
  const timeoutSeconds = secondsOf('timeout', settings.timeout);
  const pollIntervalSeconds = secondsOf('pollInterval', settings.pollInterval);
  return {
    PropertiesVersion: PROPERTIES_VERSION,
    SecretArn: secret.secretFullArn ?? secret.secretArn,
    SecretField: settings.secretField,
    AuthMode: settings.authMode,
    OrganizationId: settings.organizationId,
    ApiUrl: settings.apiUrl,
    ApiVersion: settings.apiVersion,
    TimeoutSeconds: Token.isUnresolved(timeoutSeconds) ? Token.asString(timeoutSeconds) : String(timeoutSeconds),
    PollIntervalSeconds: Token.isUnresolved(pollIntervalSeconds) ? Token.asString(pollIntervalSeconds) : String(pollIntervalSeconds),
    OnTimeout: settings.timeoutAction,
  };
}

/**
 * CloudFormation stops waiting a little after the handler's own deadline: the handler always
 * answers first, with a message that says what it was waiting for. A timeout from a token is
 * checked (and bounded) by the handler: the longest one allowed bounds the wait. A pause also
 * has its compensation window (activating its syncs again when it fails).
 */
function serviceTimeoutOf(settings: CheckedSettings, pausing: boolean): Duration {
  const timeoutMs = settings.timeout.isUnresolved() ? MAX_TIMEOUT_MS : secondsOf('timeout', settings.timeout) * SECOND_MS;
  return Duration.seconds(serviceTimeoutSeconds(timeoutMs, pausing));
}

/** One construct is, contains or lies inside the other. */
function overlaps(a: IConstruct, b: IConstruct): boolean {
  return a === b || a.node.findAll().includes(b) || b.node.findAll().includes(a);
}

