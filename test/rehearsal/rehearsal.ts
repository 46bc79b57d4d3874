/**
 * A deployment rehearsal: a small CloudFormation engine that deploys synthesized templates
 * one after the other into a `LocalCloud`, so a test sees the custom resource requests a real
 * `cdk deploy` / `cdk destroy` would send, in the order and in the stack status they would
 * come in, through the Provider framework's own code.
 *
 * CloudFormation's documented contract, as played here:
 *  - resources are created and updated in dependency order (DependsOn, Ref, Fn::GetAtt,
 *    Fn::Sub), deleted in the reverse order;
 *  - stack statuses: CREATE_IN_PROGRESS → CREATE_COMPLETE, or ROLLBACK_IN_PROGRESS →
 *    ROLLBACK_COMPLETE for a failed first create (every resource created so far is deleted);
 *    UPDATE_IN_PROGRESS → UPDATE_COMPLETE_CLEANUP_IN_PROGRESS → UPDATE_COMPLETE, or
 *    UPDATE_ROLLBACK_IN_PROGRESS → UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS →
 *    UPDATE_ROLLBACK_COMPLETE; DELETE_IN_PROGRESS → DELETE_COMPLETE; *_FAILED when a
 *    rollback or delete step fails;
 *  - a custom resource gets Create, Update (when its properties change: ResourceProperties,
 *    OldResourceProperties, PhysicalResourceId) and Delete requests (RequestType, RequestId,
 *    ResponseURL, ResourceType, LogicalResourceId, StackId, ServiceToken), and its answer
 *    (Status, Reason, PhysicalResourceId, Data) is the PUT to ResponseURL, at most 4096 bytes;
 *  - an Update answered with a new PhysicalResourceId is a replacement: the old id gets a
 *    Delete in the clean-up phase once the update succeeded; the resources that were
 *    replaced or updated are put back in UPDATE_ROLLBACK_IN_PROGRESS, the replacements and
 *    the new resources deleted in UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS;
 *  - Fn::GetAtt of a custom resource reads its Data; a missing key fails the resource that
 *    asks for it; Ref is its PhysicalResourceId;
 *  - an update of an identical template with the same parameters does nothing ("No updates
 *    are to be performed"): no status change, no request.
 *
 * What the rehearsal assumes or simplifies (observed or convenient, not documented):
 *  - resources are handled one at a time, in a topological order (ties in template order),
 *    where CloudFormation runs independent resources in parallel;
 *  - a custom resource's scalar properties arrive as strings (numbers and booleans included),
 *    and `ServiceToken` and `ServiceTimeout` are among its ResourceProperties;
 *  - an in-place update that fails (a custom resource's FAILED answer, or an injected failure)
 *    is itself put back during the rollback: a custom resource then gets a rollback Update too;
 *  - a resource whose Create failed during a stack update is deleted in the rollback's
 *    clean-up phase, with the physical id its answer gave (the framework's CREATE_FAILED
 *    marker included);
 *  - a failed Delete in a clean-up phase is logged and does not change the outcome;
 *  - ordinary resources deploy instantly and succeed unless `failOn` says otherwise; they
 *    are updated in place when their definition or resolved properties change, replaced
 *    only when `replace` names them. Only AWS::Lambda::Function (a function of the cloud,
 *    from its cdk.out asset) and AWS::StepFunctions::StateMachine (its definition) do anything;
 *  - physical ids are made up (`<stack>-<logicalId>-<n>`, cut as CloudFormation does, new on replacement), Fn::GetAtt of an
 *    ordinary resource is an ARN (`Arn`) or `<physical id>.<attribute>`;
 *  - intrinsics: Ref, Fn::GetAtt, Fn::Join, Fn::Select, Fn::Split, Fn::Sub, Fn::Base64,
 *    Fn::GetAZs and the pseudo parameters. Conditions, Fn::If, Fn::FindInMap,
 *    Fn::ImportValue, Rules and Outputs are not evaluated: in an ordinary resource they are
 *    left as they are, in a custom resource they fail it;
 *  - redeploying a stack in ROLLBACK_COMPLETE deletes it first, as the CDK CLI does;
 *  - a deployed function runs its code from the cloud assembly directory it was last created
 *    or updated from: keep every synthesized directory until the rehearsal ends
 *    (`temporaryAssemblyDir` makes one whose assets can load the project's node_modules).
 *
 * Hooks for tests: `onStackStatus` (each status as it is entered, after the fake CloudFormation
 * was told), `onResource` (before each resource operation), `customResourceProperties`
 * (rewrite what a custom resource is sent), `failOn` / `replace` per deploy.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CustomResourceResponse, LocalCloud } from './local-cloud';

type Json = unknown;
interface ResourceDefinition {
  readonly Type: string;
  readonly Properties?: Record<string, Json>;
  readonly DependsOn?: string | string[];
  readonly [key: string]: Json;
}
export interface Template {
  readonly Parameters?: Record<string, { Type: string; Default?: string; NoEcho?: boolean }>;
  readonly Resources: Record<string, ResourceDefinition>;
  readonly [key: string]: Json;
}

/** What `deploy` takes: a stack artifact of `app.synth()` (template and cloud assembly directory). */
export interface SynthesizedStack {
  readonly template: unknown;
  /** where the function assets (`asset.<hash>`) are; none: no function can run */
  readonly assembly?: { readonly directory: string };
}

export type RequestType = 'Create' | 'Update' | 'Delete';
export type FailurePhase = 'create' | 'update' | 'delete';

export interface RehearsalOptions {
  readonly cloud: LocalCloud;
  readonly stackName: string;
  /** told each stack status as it is entered, e.g. a `FakeCloudFormation` */
  readonly cloudFormation?: { setStatus(stackId: string, status: string): void };
  /** called when a stack status is entered (after `cloudFormation`), before any resource in it */
  readonly onStackStatus?: (status: string, rehearsal: Rehearsal) => void | Promise<void>;
  /**
   * Rewrites the resolved properties of a custom resource (what CloudFormation would send),
   * e.g. to point a handler at a simulator. Applied before change detection.
   */
  readonly customResourceProperties?: (logicalId: string, properties: Record<string, unknown>) => Record<string, unknown>;
  /** called before each resource operation, in the stack status it runs in */
  readonly onResource?: (operation: { logicalId: string; requestType: RequestType; stackStatus: string }) => void | Promise<void>;
  /** answers the custom resources whose service token is not a function of the cloud */
  readonly provider?: (serviceToken: string, event: Record<string, unknown>) => Promise<CustomResourceResponse | undefined>;
}

export interface InjectedFailure {
  readonly logicalId: string;
  readonly phase: FailurePhase;
}

export interface DeployOptions {
  /** parameter values (else the template's defaults) */
  readonly parameters?: Record<string, string>;
  /** ordinary resources to fail, when they would be created / updated / deleted */
  readonly failOn?: InjectedFailure | readonly InjectedFailure[];
  /** ordinary resources replaced (new physical id) rather than updated in place when they change */
  readonly replace?: readonly string[];
}

/** One resource operation, as CloudFormation's event log would show it. */
export interface RehearsalEvent {
  /** the stack status the operation ran in */
  readonly stackStatus: string;
  readonly logicalId: string;
  readonly resourceType: string;
  readonly requestType: RequestType;
  /** a custom resource: a request went through its service token */
  readonly custom: boolean;
  /** the physical id the request was about (Update, Delete), or the one created */
  readonly physicalId?: string;
  readonly result: 'SUCCESS' | 'FAILED';
  readonly reason?: string;
  /** custom resources: what was sent and answered */
  readonly requestId?: string;
  readonly resourceProperties?: Record<string, unknown>;
  readonly oldResourceProperties?: Record<string, unknown>;
  readonly response?: CustomResourceResponse;
  /** real time the operation took */
  readonly elapsedMs: number;
}

export interface OperationResult {
  /** the final stack status */
  readonly status: string;
  /** every status the stack went through, in order */
  readonly statuses: string[];
  readonly events: RehearsalEvent[];
  /** the readable transcript of this operation */
  readonly transcript: string;
}

interface LiveResource {
  readonly logicalId: string;
  readonly type: string;
  /** the definition in the template it was last deployed from */
  readonly definition: ResourceDefinition;
  /** resolved properties (for a custom resource: as sent, overrides applied) */
  readonly properties: Record<string, unknown>;
  readonly physicalId: string;
  readonly data: Record<string, unknown>;
  readonly custom: boolean;
  /** asset directory of the template it came from */
  readonly assetRoot?: string;
}

interface StackState {
  readonly id: string;
  status: string;
  template: Template;
  parameters: Record<string, string>;
  assetRoot?: string;
  live: Map<string, LiveResource>;
}

class ResourceFailure extends Error {}

/** A request sent; `failure` is why the resource failed, if it did. */
interface Sent {
  readonly response?: CustomResourceResponse;
  readonly failure?: string;
  readonly requestId: string;
}

const CUSTOM_TYPE = /^(Custom::|AWS::CloudFormation::CustomResource$)/;
const MAX_RESPONSE_BYTES = 4096;

/** JSON with sorted keys, for comparisons. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v)
    ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
    : v));
}

/** Every logical id a value refers to (Ref, Fn::GetAtt, Fn::Sub). */
function referencesIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) {value.forEach((v) => referencesIn(v, into));} else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (k === 'Ref' && typeof v === 'string') {into.add(v);} else if (k === 'Fn::GetAtt') {into.add(Array.isArray(v) ? String(v[0]) : String(v).split('.')[0]);} else if (k === 'Fn::Sub') {
        const text = Array.isArray(v) ? String(v[0]) : String(v);
        for (const m of text.matchAll(/\$\{([^!}][^}]*)\}/g)) into.add(m[1].split('.')[0]);
        if (Array.isArray(v)) referencesIn(v[1], into);
      }
      referencesIn(v, into);
    }
  }
  return into;
}

/** Logical ids in dependency order (a resource after everything it refers to); ties in template order. */
export function dependencyOrder(template: Template): string[] {
  const ids = Object.keys(template.Resources);
  const deps = new Map<string, Set<string>>();
  for (const id of ids) {
    const def = template.Resources[id];
    const on = new Set([...referencesIn(def.Properties), ...[def.DependsOn ?? []].flat()]);
    deps.set(id, new Set([...on].filter((d) => d !== id && d in template.Resources)));
  }
  const order: string[] = [];
  const done = new Set<string>();
  while (order.length < ids.length) {
    const next = ids.find((id) => !done.has(id) && [...deps.get(id)!].every((d) => done.has(d)));
    if (!next) throw new Error(`dependency cycle among ${ids.filter((id) => !done.has(id)).join(', ')}`);
    order.push(next);
    done.add(next);
  }
  return order;
}

export class Rehearsal {
  /** every operation of every deploy and delete, in order */
  readonly events: RehearsalEvent[] = [];
  /** the transcript of everything so far */
  readonly lines: string[] = [];
  private stack?: StackState;
  private counter = 0;
  /** a run of ordinary successes not yet written to the transcript */
  private folded?: { requestType: RequestType; count: number; types: Set<string> };
  private operation?: { events: RehearsalEvent[]; statuses: string[]; lines: string[]; options: DeployOptions };

  constructor(readonly options: RehearsalOptions) {}

  /** The stack id (ARN), once created. */
  get stackId(): string | undefined {
    return this.stack?.id;
  }

  /** The current stack status (undefined before the first deploy). */
  get status(): string | undefined {
    return this.stack?.status;
  }

  /** A deployed resource's physical id, resolved properties and Data. */
  resource(logicalId: string): Readonly<LiveResource> | undefined {
    return this.stack?.live.get(logicalId);
  }

  /** The transcript of everything so far. */
  get transcript(): string {
    return this.lines.join('\n');
  }

  /** Creates the stack, or updates it to `synthesized`; never throws for a failed deployment (see the result). */
  async deploy(synthesized: SynthesizedStack, options: DeployOptions = {}): Promise<OperationResult> {
    const template = synthesized.template as Template;
    const assetRoot = synthesized.assembly?.directory;
    const parameters = this.parametersOf(template, options.parameters);
    return this.run(options, async () => {
      if (this.stack?.status === 'ROLLBACK_COMPLETE') await this.deleteResources('DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_FAILED');
      if (!this.stack || this.stack.status === 'DELETE_COMPLETE') return this.create(template, parameters, assetRoot);
      if (canonical(template) === canonical(this.stack.template) && canonical(parameters) === canonical(this.stack.parameters)) {
        this.say(`no updates are to be performed (${this.stack.status})`);
        return;
      }
      return this.update(template, parameters, assetRoot);
    });
  }

  /** Deletes the stack: every resource in reverse dependency order. */
  async deleteStack(options: Pick<DeployOptions, 'failOn'> = {}): Promise<OperationResult> {
    return this.run(options, async () => {
      if (!this.stack || this.stack.status === 'DELETE_COMPLETE') throw new Error('no stack to delete');
      await this.deleteResources('DELETE_IN_PROGRESS', 'DELETE_COMPLETE', 'DELETE_FAILED');
    });
  }

  /** The events of one logical id (all operations so far). */
  eventsOf(logicalId: string): RehearsalEvent[] {
    return this.events.filter((e) => e.logicalId === logicalId);
  }

  private async run(options: DeployOptions, body: () => Promise<void>): Promise<OperationResult> {
    if (this.operation) throw new Error('one operation at a time');
    const operation = { events: [] as RehearsalEvent[], statuses: [] as string[], lines: [] as string[], options };
    this.operation = operation;
    try {
      await body();
    } finally {
      this.flush();
      this.operation = undefined;
    }
    return { status: this.stack!.status, statuses: operation.statuses, events: operation.events, transcript: operation.lines.join('\n') };
  }

  private async create(template: Template, parameters: Record<string, string>, assetRoot: string | undefined): Promise<void> {
    const stackId = `arn:aws:cloudformation:${this.options.cloud.region}:${this.options.cloud.account}:stack/${this.options.stackName}/${randomUUID()}`;
    this.stack = { id: stackId, status: '', template, parameters, assetRoot, live: new Map() };
    await this.enter('CREATE_IN_PROGRESS');
    for (const id of dependencyOrder(template)) {
      const ok = await this.createResource(id, template.Resources[id], assetRoot);
      if (!ok) {
        await this.deleteResources('ROLLBACK_IN_PROGRESS', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED');
        return;
      }
    }
    await this.enter('CREATE_COMPLETE');
  }

  private async update(template: Template, parameters: Record<string, string>, assetRoot: string | undefined): Promise<void> {
    const stack = this.stack!;
    const before = { template: stack.template, parameters: stack.parameters, assetRoot: stack.assetRoot, live: new Map(stack.live) };
    stack.template = template;
    stack.parameters = parameters;
    stack.assetRoot = assetRoot;
    await this.enter('UPDATE_IN_PROGRESS');
    const order = dependencyOrder(template);
    /** what to put back on rollback, in the order it was done */
    const done: Array<{ kind: 'created' | 'updated' | 'replaced'; logicalId: string; old?: LiveResource; attempted?: Record<string, unknown> }> = [];
    let failed = false;
    for (const id of order) {
      const definition = template.Resources[id];
      const old = stack.live.get(id);
      if (!old || old.type !== definition.Type) {
        if (old) throw new Error(`${id}: the rehearsal cannot change a resource's type (${old.type} → ${definition.Type})`);
        const ok = await this.createResource(id, definition, assetRoot);
        done.push({ kind: 'created', logicalId: id });
        if (!ok) { failed = true; break; }
        continue;
      }
      const outcome = await this.updateResource(old, definition, assetRoot);
      if (outcome.kind === 'unchanged') continue;
      // a failed update is put back too, unless it failed before anything was attempted
      if (outcome.kind !== 'failed' || outcome.attempted) {
        done.push({ kind: outcome.kind === 'failed' ? 'updated' : outcome.kind, logicalId: id, old, attempted: outcome.attempted });
      }
      if (outcome.kind === 'failed') { failed = true; break; }
    }

    if (!failed) {
      await this.enter('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
      const obsolete: LiveResource[] = [];
      for (const id of [...dependencyOrder(before.template)].reverse()) {
        const old = before.live.get(id);
        if (!old) continue;
        if (!(id in template.Resources)) obsolete.push(old);
        else if (done.some((d) => d.kind === 'replaced' && d.logicalId === id)) obsolete.push(old);
      }
      for (const old of obsolete) {
        if (!(old.logicalId in template.Resources)) stack.live.delete(old.logicalId);
        await this.deleteResource(old, { cleanup: true });
      }
      await this.enter('UPDATE_COMPLETE');
      return;
    }

    // rollback: back to the previous template, in reverse order
    stack.template = before.template;
    stack.parameters = before.parameters;
    stack.assetRoot = before.assetRoot;
    await this.enter('UPDATE_ROLLBACK_IN_PROGRESS');
    const discard: LiveResource[] = [];
    for (const step of [...done].reverse()) {
      if (step.kind === 'created') {
        const created = stack.live.get(step.logicalId);
        if (created) discard.push(created);
        stack.live.delete(step.logicalId);
      } else if (step.kind === 'replaced') {
        discard.push(stack.live.get(step.logicalId)!);
        stack.live.set(step.logicalId, step.old!);
        this.say(`${step.logicalId}: back to ${step.old!.physicalId} (no request)`);
      } else {
        const ok = await this.rollbackUpdate(step.old!, step.attempted);
        if (!ok) {
          await this.enter('UPDATE_ROLLBACK_FAILED');
          return;
        }
      }
    }
    await this.enter('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    for (const resource of discard) await this.deleteResource(resource, { cleanup: true });
    await this.enter('UPDATE_ROLLBACK_COMPLETE');
  }

  /** Deletes every live resource in reverse dependency order, between two statuses. */
  private async deleteResources(inProgress: string, complete: string, failedStatus: string): Promise<void> {
    const stack = this.stack!;
    await this.enter(inProgress);
    const order = dependencyOrder(stack.template).filter((id) => stack.live.has(id)).reverse();
    // resources created outside the template order (none today) come last
    for (const id of [...order, ...[...stack.live.keys()].filter((k) => !order.includes(k))]) {
      const ok = await this.deleteResource(stack.live.get(id)!, { cleanup: false });
      if (!ok) {
        await this.enter(failedStatus);
        return;
      }
      stack.live.delete(id);
    }
    await this.enter(complete);
  }

  private async createResource(logicalId: string, definition: ResourceDefinition, assetRoot: string | undefined): Promise<boolean> {
    const stack = this.stack!;
    const custom = this.isCustom(definition);
    await this.before(logicalId, 'Create');
    const started = Date.now();
    let properties: Record<string, unknown>;
    try {
      properties = this.propertiesOf(logicalId, definition, custom);
    } catch (e) {
      this.record({ logicalId, resourceType: definition.Type, requestType: 'Create', custom, result: 'FAILED', reason: (e as Error).message, started });
      return false;
    }
    if (!custom) {
      if (this.injected(logicalId, 'create')) {
        this.record({ logicalId, resourceType: definition.Type, requestType: 'Create', custom, result: 'FAILED', reason: 'injected failure', started });
        // nothing was made, but CloudFormation still deletes it during the rollback
        stack.live.set(logicalId, { logicalId, type: definition.Type, definition, properties, physicalId: '', data: {}, custom, assetRoot });
        return false;
      }
      const physicalId = this.newPhysicalId(logicalId, definition, properties);
      const live: LiveResource = { logicalId, type: definition.Type, definition, properties, physicalId, data: {}, custom, assetRoot };
      this.materialize(live);
      stack.live.set(logicalId, live);
      this.record({ logicalId, resourceType: definition.Type, requestType: 'Create', custom, physicalId: live.physicalId, result: 'SUCCESS', started });
      return true;
    }
    const { response, failure, requestId } = await this.send('Create', logicalId, definition.Type, properties);
    const physicalId = response?.PhysicalResourceId ?? '';
    this.record({
      logicalId,
      resourceType: definition.Type,
      requestType: 'Create',
      custom,
      physicalId,
      requestId,
      resourceProperties: properties,
      response,
      result: failure ? 'FAILED' : 'SUCCESS',
      reason: failure,
      started,
    });
    // a failed Create is deleted too, with the id its answer gave (if any)
    if (response || !failure) {
      const data = response?.Data ?? {};
      stack.live.set(logicalId, { logicalId, type: definition.Type, definition, properties, physicalId, data, custom, assetRoot });
    }
    return !failure;
  }

  private async updateResource(old: LiveResource, definition: ResourceDefinition, assetRoot: string | undefined):
  Promise<{ kind: 'unchanged' | 'updated' | 'replaced' | 'failed'; attempted?: Record<string, unknown> }> {
    const stack = this.stack!;
    const { logicalId } = old;
    const custom = this.isCustom(definition);
    const started = Date.now();
    let properties: Record<string, unknown>;
    try {
      properties = this.propertiesOf(logicalId, definition, custom);
    } catch (e) {
      this.record({ logicalId, resourceType: definition.Type, requestType: 'Update', custom, physicalId: old.physicalId, result: 'FAILED', reason: (e as Error).message, started });
      return { kind: 'failed' };
    }
    const changed = canonical(definition.Properties ?? {}) !== canonical(old.definition.Properties ?? {})
      || canonical(properties) !== canonical(old.properties);
    // unchanged: a function keeps running its code from the cloud assembly it was deployed from
    if (!changed) return { kind: 'unchanged' };
    await this.before(logicalId, 'Update');
    if (!custom) {
      if (this.injected(logicalId, 'update')) {
        this.record({ logicalId, resourceType: definition.Type, requestType: 'Update', custom, physicalId: old.physicalId, result: 'FAILED', reason: 'injected failure', started });
        return { kind: 'failed', attempted: properties };
      }
      const replacing = this.operation?.options.replace?.includes(logicalId) ?? false;
      const physicalId = replacing ? this.newPhysicalId(logicalId, definition, properties) : old.physicalId;
      const live: LiveResource = { ...old, definition, properties, physicalId, assetRoot };
      this.materialize(live);
      stack.live.set(logicalId, live);
      this.record({
        logicalId,
        resourceType: definition.Type,
        requestType: 'Update',
        custom,
        physicalId,
        result: 'SUCCESS',
        started,
        reason: replacing ? `replacement of ${old.physicalId}` : undefined,
      });
      return { kind: replacing ? 'replaced' : 'updated' };
    }
    const { response, failure, requestId } = await this.send('Update', logicalId, definition.Type, properties, old.physicalId, old.properties);
    const replaced = !failure && response!.PhysicalResourceId !== old.physicalId;
    this.record({
      logicalId,
      resourceType: definition.Type,
      requestType: 'Update',
      custom,
      physicalId: old.physicalId,
      requestId,
      resourceProperties: properties,
      oldResourceProperties: old.properties,
      response,
      started,
      result: failure ? 'FAILED' : 'SUCCESS',
      reason: failure ?? (replaced ? `replacement: new physical id ${response!.PhysicalResourceId}` : undefined),
    });
    if (failure) return { kind: 'failed', attempted: properties };
    stack.live.set(logicalId, { ...old, definition, properties, physicalId: response!.PhysicalResourceId, data: response!.Data ?? {}, assetRoot });
    return { kind: replaced ? 'replaced' : 'updated' };
  }

  /** Puts an in-place updated resource back: a custom resource gets an Update with the properties swapped. */
  private async rollbackUpdate(old: LiveResource, attempted: Record<string, unknown> | undefined): Promise<boolean> {
    const stack = this.stack!;
    const started = Date.now();
    const current = stack.live.get(old.logicalId)!;
    await this.before(old.logicalId, 'Update');
    if (!old.custom) {
      this.materialize(old);
      stack.live.set(old.logicalId, old);
      this.record({ logicalId: old.logicalId, resourceType: old.type, requestType: 'Update', custom: false, physicalId: old.physicalId, result: 'SUCCESS', started });
      return true;
    }
    const newProperties = attempted ?? current.properties;
    const { response, failure, requestId } = await this.send('Update', old.logicalId, old.type, old.properties, current.physicalId, newProperties);
    this.record({
      logicalId: old.logicalId,
      resourceType: old.type,
      requestType: 'Update',
      custom: true,
      physicalId: current.physicalId,
      requestId,
      resourceProperties: old.properties,
      oldResourceProperties: newProperties,
      response,
      started,
      result: failure ? 'FAILED' : 'SUCCESS',
      reason: failure,
    });
    if (failure) return false;
    stack.live.set(old.logicalId, { ...old, physicalId: response!.PhysicalResourceId, data: response!.Data ?? {} });
    return true;
  }

  private async deleteResource(resource: LiveResource, { cleanup }: { cleanup: boolean }): Promise<boolean> {
    await this.before(resource.logicalId, 'Delete');
    const started = Date.now();
    const base = { logicalId: resource.logicalId, resourceType: resource.type, requestType: 'Delete' as const, custom: resource.custom, physicalId: resource.physicalId, started };
    if (!resource.custom) {
      if (this.injected(resource.logicalId, 'delete')) {
        this.record({ ...base, result: 'FAILED', reason: 'injected failure' });
        return cleanup;
      }
      this.dematerialize(resource);
      this.record({ ...base, result: 'SUCCESS' });
      return true;
    }
    const { response, failure, requestId } = await this.send('Delete', resource.logicalId, resource.type, resource.properties, resource.physicalId);
    this.record({ ...base, requestId, resourceProperties: resource.properties, response, result: failure ? 'FAILED' : 'SUCCESS', reason: failure });
    if (failure && cleanup) this.say(`${resource.logicalId}: a failed delete in clean-up does not change the outcome`);
    return !failure || cleanup;
  }

  /** Sends one request through the service token; `failure` is the reason it failed, if it did. */
  private async send(requestType: RequestType, logicalId: string, resourceType: string, properties: Record<string, unknown>,
    physicalId?: string, oldProperties?: Record<string, unknown>): Promise<Sent> {
    const stack = this.stack!;
    const requestId = randomUUID();
    const serviceToken = String(properties.ServiceToken);
    const event: Record<string, unknown> = {
      RequestType: requestType,
      ServiceToken: serviceToken,
      StackId: stack.id,
      RequestId: requestId,
      LogicalResourceId: logicalId,
      ResourceType: resourceType,
      ResourceProperties: properties,
      ...physicalId !== undefined && requestType !== 'Create' ? { PhysicalResourceId: physicalId } : {},
      ...requestType === 'Update' ? { OldResourceProperties: oldProperties } : {},
    };
    let response: CustomResourceResponse | undefined;
    if (this.options.cloud.hasFunction(serviceToken)) response = await this.options.cloud.customResourceRequest(serviceToken, event);
    else if (this.options.provider) response = await this.options.provider(serviceToken, { ...event, ResponseURL: 'https://rehearsal.invalid/response' });
    else return { requestId, failure: `the service token ${serviceToken} is not a function of this rehearsal` };
    if (!response) return { requestId, failure: 'no response: CloudFormation would wait until the ServiceTimeout' };
    if (Buffer.byteLength(JSON.stringify(response)) > MAX_RESPONSE_BYTES) return { requestId, response, failure: 'Response object is too long.' };
    if (response.Status !== 'SUCCESS') return { requestId, response, failure: response.Reason ?? 'FAILED without a reason' };
    if (!response.PhysicalResourceId) return { requestId, response, failure: 'Invalid PhysicalResourceId' };
    return { requestId, response };
  }

  private isCustom(definition: ResourceDefinition): boolean {
    return CUSTOM_TYPE.test(definition.Type) && definition.Properties?.ServiceToken !== undefined;
  }

  /** Resolved properties: strictly for a custom resource (and as strings, overrides applied), leniently for others. */
  private propertiesOf(logicalId: string, definition: ResourceDefinition, custom: boolean): Record<string, unknown> {
    const resolved = this.resolve(definition.Properties ?? {}, custom) as Record<string, unknown>;
    if (!custom) return resolved;
    const strings = stringify(resolved) as Record<string, unknown>;
    return this.options.customResourceProperties?.(logicalId, strings) ?? strings;
  }

  private parametersOf(template: Template, given: Record<string, string> = {}): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, p] of Object.entries(template.Parameters ?? {})) {
      const value = given[name] ?? p.Default;
      if (value === undefined) throw new Error(`parameter ${name} has no value`);
      out[name] = p.Type.startsWith('AWS::SSM::Parameter::Value') && given[name] === undefined ? `ssm-value-of:${value}` : value;
    }
    return out;
  }

  /** Resolves intrinsics against the live resources; `strict`: throw on what cannot be resolved, else keep it. */
  private resolve(value: unknown, strict: boolean): unknown {
    const stack = this.stack!;
    const { cloud } = this.options;
    const unsupported = (what: string, raw: unknown) => {
      if (strict) throw new ResourceFailure(`the rehearsal cannot resolve ${what}`);
      return raw;
    };
    const ref = (name: string): unknown => {
      const pseudo: Record<string, string> = {
        'AWS::Region': cloud.region,
        'AWS::AccountId': cloud.account,
        'AWS::StackId': stack.id,
        'AWS::StackName': this.options.stackName,
        'AWS::Partition': 'aws',
        'AWS::URLSuffix': 'amazonaws.com',
      };
      if (name in pseudo) return pseudo[name];
      if (name in stack.parameters) return stack.parameters[name];
      const live = stack.live.get(name);
      if (!live) throw new ResourceFailure(`Ref ${name}: no such resource or parameter`);
      return live.type === 'AWS::StepFunctions::StateMachine' ? cloud.stateMachineArn(live.physicalId) : live.physicalId;
    };
    const getAtt = (id: string, attribute: string): unknown => {
      const live = stack.live.get(id);
      if (!live) throw new ResourceFailure(`Fn::GetAtt ${id}.${attribute}: no such resource`);
      if (live.custom) {
        if (!(attribute in live.data)) throw new ResourceFailure(`CustomResource attribute error: Vendor response doesn't contain ${attribute} key in object ${live.physicalId}`);
        return live.data[attribute];
      }
      if (live.type === 'AWS::Lambda::Function' && attribute === 'Arn') return cloud.functionArn(live.physicalId);
      if (live.type === 'AWS::StepFunctions::StateMachine') return attribute === 'Name' ? live.physicalId : cloud.stateMachineArn(live.physicalId);
      if (attribute === 'Arn') return `arn:aws:${live.type.split('::')[1].toLowerCase()}:${cloud.region}:${cloud.account}:${live.logicalId}/${live.physicalId}`;
      return `${live.physicalId}.${attribute}`;
    };
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk).filter((x) => x !== NO_VALUE);
      if (!v || typeof v !== 'object') return v;
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length === 1 && (entries[0][0] === 'Ref' || entries[0][0].startsWith('Fn::'))) {
        const [fn, arg] = entries[0];
        const a = arg as any; // eslint-disable-line @typescript-eslint/no-explicit-any
        switch (fn) {
          case 'Ref': return a === 'AWS::NoValue' ? NO_VALUE : ref(a);
          case 'Fn::GetAtt': return Array.isArray(a) ? getAtt(a[0], a[1]) : getAtt(String(a).split('.')[0], String(a).split('.').slice(1).join('.'));
          case 'Fn::Join': return (walk(a[1]) as unknown[]).map(String).join(a[0]);
          case 'Fn::Select': return (walk(a[1]) as unknown[])[Number(walk(a[0]))];
          case 'Fn::Split': return String(walk(a[1])).split(a[0]);
          case 'Fn::Base64': return Buffer.from(String(walk(a))).toString('base64');
          case 'Fn::GetAZs': return ['a', 'b', 'c'].map((z) => `${cloud.region}${z}`);
          case 'Fn::Sub': {
            const [text, vars] = Array.isArray(a) ? [a[0] as string, walk(a[1] ?? {}) as Record<string, unknown>] : [a as string, {}];
            return text.replace(/\$\{([^}]*)\}/g, (_m, name: string) => {
              if (name.startsWith('!')) return `\${${name.slice(1)}}`;
              if (name in vars) return String(vars[name]);
              const [id, ...attr] = name.split('.');
              return String(attr.length > 0 ? getAtt(id, attr.join('.')) : ref(id));
            });
          }
          default: return unsupported(fn, v);
        }
      }
      return Object.fromEntries(entries.map(([k, x]) => [k, walk(x)]).filter(([, x]) => x !== NO_VALUE));
    };
    if (strict) return walk(value);
    try {
      return walk(value);
    } catch (e) {
      if (e instanceof ResourceFailure && !/CustomResource attribute error/.test(e.message)) return value;
      throw e;
    }
  }

  private newPhysicalId(logicalId: string, definition: ResourceDefinition, properties: Record<string, unknown>): string {
    const named = definition.Type === 'AWS::Lambda::Function' ? properties.FunctionName
      : definition.Type === 'AWS::StepFunctions::StateMachine' ? properties.StateMachineName : undefined;
    if (typeof named === 'string') return named;
    // CloudFormation's shape: stack name and logical id, both cut, and a unique suffix (within 64 characters)
    return `${this.options.stackName.slice(0, 20)}-${logicalId.slice(0, 30)}-${String(++this.counter).padStart(4, '0')}`;
  }

  /** What an ordinary resource does in the cloud: a function runs, a state machine executes. */
  private materialize(live: LiveResource): void {
    const { cloud } = this.options;
    const p = live.properties as any; // eslint-disable-line @typescript-eslint/no-explicit-any
    if (live.type === 'AWS::Lambda::Function') {
      const key = typeof p.Code?.S3Key === 'string' ? p.Code.S3Key as string : undefined;
      const dir = key && live.assetRoot ? path.join(live.assetRoot, `asset.${key.replace(/\.zip$/, '')}`) : undefined;
      const environment = Object.fromEntries(Object.entries<unknown>(p.Environment?.Variables ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
      const codeDir = dir && fs.existsSync(dir) ? dir : undefined;
      cloud.putFunction({ name: live.physicalId, handler: String(p.Handler), codeDir, timeoutSeconds: Number(p.Timeout ?? 3), environment });
    } else if (live.type === 'AWS::StepFunctions::StateMachine') {
      const definition = typeof p.DefinitionString === 'string' ? p.DefinitionString : JSON.stringify(p.Definition ?? {});
      cloud.putStateMachine(cloud.stateMachineArn(live.physicalId), definition);
    }
  }

  private dematerialize(live: LiveResource): void {
    if (live.type === 'AWS::Lambda::Function') this.options.cloud.deleteFunction(live.physicalId);
    else if (live.type === 'AWS::StepFunctions::StateMachine') this.options.cloud.deleteStateMachine(this.options.cloud.stateMachineArn(live.physicalId));
  }

  private injected(logicalId: string, phase: FailurePhase): boolean {
    const failOn = this.operation?.options.failOn;
    return [failOn ?? []].flat().some((f) => f.logicalId === logicalId && f.phase === phase);
  }

  private async before(logicalId: string, requestType: RequestType): Promise<void> {
    await this.options.onResource?.({ logicalId, requestType, stackStatus: this.stack!.status });
  }

  private async enter(status: string): Promise<void> {
    const stack = this.stack!;
    stack.status = status;
    this.options.cloudFormation?.setStatus(stack.id, status);
    this.operation?.statuses.push(status);
    this.say(`== ${this.options.stackName} ${status}`);
    await this.options.onStackStatus?.(status, this);
  }

  private record(e: Omit<RehearsalEvent, 'stackStatus' | 'elapsedMs'> & { started: number }): void {
    const { started, ...rest } = e;
    const event: RehearsalEvent = { ...rest, stackStatus: this.stack!.status, elapsedMs: Date.now() - started };
    this.events.push(event);
    this.operation?.events.push(event);
    if (!event.custom && event.result === 'SUCCESS' && !event.reason) {
      // ordinary resources that simply succeeded: one transcript line per run of them
      if (this.folded?.requestType !== event.requestType) this.flush();
      this.folded ??= { requestType: event.requestType, count: 0, types: new Set() };
      this.folded.count++;
      this.folded.types.add(event.resourceType);
      return;
    }
    const newId = event.response && event.response.PhysicalResourceId !== event.physicalId ? ` → ${event.response.PhysicalResourceId}` : '';
    const data = event.response?.Data ? ` Data ${JSON.stringify(event.response.Data)}` : '';
    this.say(`   ${event.requestType} ${event.logicalId} (${event.resourceType}${event.physicalId ? ` ${event.physicalId}` : ''})`
      + `${event.custom ? ' [request]' : ''}: ${event.result}${newId}${event.reason ? ` (${event.reason.split('\n')[0]})` : ''}${data} ${event.elapsedMs} ms`);
  }

  private flush(): void {
    const f = this.folded;
    if (!f) return;
    this.folded = undefined;
    this.say(`   ${f.requestType} ${f.count} resource${f.count > 1 ? 's' : ''} (${[...f.types].sort().join(', ')}): SUCCESS`);
  }

  private say(line: string): void {
    this.flush();
    this.lines.push(line);
    this.operation?.lines.push(line);
  }
}

const NO_VALUE = Symbol('AWS::NoValue');

/**
 * A temporary directory to synthesize into (`new App({ outdir })`). Its `node_modules` links
 * to the project's, so the framework's asset finds the SDK clients the Lambda runtime would
 * provide (`@aws-sdk/client-lambda`, `@aws-sdk/client-sfn`, devDependencies here).
 */
export function temporaryAssemblyDir(projectRoot = path.join(__dirname, '..', '..')): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rehearsal-cdk-'));
  fs.symlinkSync(path.join(projectRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Scalars as strings, as CloudFormation hands a custom resource its properties. */
function stringify(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stringify);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, stringify(v)]));
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}
