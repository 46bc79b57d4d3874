import { createHash } from 'node:crypto';
import { CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * What makes CloudFormation update the canceller whenever a guarded resource may change.
 *
 * - `hash`: a digest of the guarded resources' definitions as synthesized (type, properties,
 *   update policy, condition). Metadata, DependsOn and the deletion policies are left out:
 *   they change with CLI flags (`--no-path-metadata`, `--no-asset-metadata`), the checkout's
 *   path and CDK upgrades without changing a resource.
 * - `references`: the values that only CloudFormation knows, as the intrinsics themselves
 *   (`Ref` of a parameter, `Ref` of a resource outside the guarded set, `Fn::ImportValue`,
 *   `{{resolve:ssm:…}}`). CloudFormation resolves them in the canceller's properties too, so a
 *   new parameter value or a replaced dependency updates the canceller before it reaches the
 *   guarded resource. A guarded resource's `Fn::GetAtt X.Attr` is carried as `Ref X`: a
 *   replacement still shows, and no attribute value (a secret access key, a client secret)
 *   reaches the canceller's properties, which the Provider framework logs.
 *
 * Left out, on purpose: `NoEcho` parameters and `ssm-secure`/`secretsmanager` dynamic
 * references (their values are secret, and custom resources may not resolve the latter); any
 * resource that itself waits for a guarded resource or a canceller, through its properties,
 * metadata, policies or DependsOn (depending on it would be a cycle); anything referenced
 * under a condition (`Fn::If`, a conditional resource: it may not exist), and SSM references
 * whose name is built by `Fn::Sub`. Each of these gives a synth warning. Guarded resources in
 * another stack contribute their hash only: a reference across stacks would make the two
 * stacks depend on each other.
 */
export interface GuardedDefinition {
  readonly hash: string;
  readonly references: unknown[];
  /** resources referenced by guarded ones that cannot be carried, with the reason */
  readonly skipped: string[];
}

/** Computed at each call (it runs while the template is written, after every aspect). */
export function guardedDefinition(canceller: IConstruct, scopes: readonly IConstruct[], cancellerType: string): GuardedDefinition {
  const stack = Stack.of(canceller);
  const guarded = guardedResources(scopes);
  if (guarded.length === 0) return { hash: 'none', references: [], skipped: [] };

  const hash = createHash('sha256');
  const sameStack = new Map<string, Record<string, unknown>>();
  for (const resource of guarded) {
    const own = Stack.of(resource);
    const logicalId = own.resolve(resource.logicalId) as string;
    const definition = significant(definitionOf(resource));
    hash.update(`${own.stackName}/${logicalId}`).update(JSON.stringify(definition));
    if (own === stack) sameStack.set(logicalId, definition);
  }

  const index = new StackIndex(stack, cancellerType);
  const found = new Map<string, unknown>();
  const skipped = new Set<string>();
  for (const [guardedId, definition] of sameStack) {
    for (const reference of referencesIn(definition, definition.Condition !== undefined)) {
      const what = reference.kind === 'logical' ? reference.logicalId : String(reference.shown);
      if (reference.kind === 'unusable') {
        skipped.add(`${guardedId} uses ${what}, whose name is built at deploy time: a change of its value does not run the canceller`);
        continue;
      }
      if (reference.kind === 'value') {
        if (reference.conditional) skipped.add(`${guardedId} uses ${what} under a condition: a change of it at deploy time does not run the canceller`);
        else found.set(JSON.stringify(reference.value), reference.value);
        continue;
      }
      const { logicalId } = reference;
      if (sameStack.has(logicalId) || logicalId.startsWith('AWS::')) continue;
      const parameter = index.parameters.get(logicalId);
      if (parameter) {
        // a parameter always exists, whatever the conditions
        if (!parameter.noEcho) found.set(JSON.stringify(reference.value), reference.value);
        continue;
      }
      // another canceller's attributes are its outcome, not infrastructure (and this one's own would be a cycle)
      if (!index.resources.has(logicalId) || index.isCanceller(logicalId)) continue;
      if (reference.conditional || index.isConditional(logicalId)) {
        skipped.add(`${logicalId} is referenced by a guarded resource under a condition: a change of it at deploy time does not run the canceller`);
        continue;
      }
      if (index.waitsFor(logicalId, new Set(sameStack.keys()))) {
        skipped.add(`${logicalId} is referenced by a guarded resource but itself waits for a guarded resource or a canceller: a change of it at deploy time does not run the canceller`);
        continue;
      }
      found.set(JSON.stringify(reference.value), reference.value);
    }
  }
  const keys = [...found.keys()].sort();
  return { hash: hash.digest('hex').slice(0, 32), references: keys.map((k) => found.get(k)), skipped: [...skipped] };
}

function guardedResources(scopes: readonly IConstruct[]): CfnResource[] {
  const seen = new Set<CfnResource>();
  for (const scope of scopes) {
    for (const child of scope.node.findAll()) if (child instanceof CfnResource) seen.add(child);
  }
  return [...seen];
}

/** The resource's definition, resolved in its own stack. */
function definitionOf(resource: CfnResource): Record<string, unknown> {
  const stack = Stack.of(resource);
  const renderable = resource as unknown as { _toCloudFormation(): unknown };
  const rendered = stack.resolve(renderable._toCloudFormation()) as { Resources: Record<string, Record<string, unknown>> };
  return Object.values(rendered.Resources)[0] ?? {};
}

/** The parts of a definition whose change changes the resource. */
function significant(definition: Record<string, unknown>): Record<string, unknown> {
  const { Type, Properties, UpdatePolicy, CreationPolicy, Condition } = definition;
  return JSON.parse(JSON.stringify({ Type, Properties, UpdatePolicy, CreationPolicy, Condition }));
}

type Reference =
  /** a value CloudFormation resolves on its own (an import, an SSM parameter) */
  | { readonly kind: 'value'; readonly value: unknown; readonly shown: string; readonly conditional: boolean }
  /** a parameter or resource of the stack; always carried as its `Ref` */
  | { readonly kind: 'logical'; readonly logicalId: string; readonly value: { readonly Ref: string }; readonly conditional: boolean }
  /** a reference whose target is only known at deploy time (an SSM name built by `Fn::Sub`) */
  | { readonly kind: 'unusable'; readonly shown: string };

/** An SSM dynamic reference, whose name may hold `${…}` variables when it is in a `Fn::Sub` template. */
const SSM_REFERENCE = /\{\{resolve:ssm:((?:\$\{[^}]*\}|[^}])+)\}\}/g;

/**
 * Every value in `node` that CloudFormation resolves at deploy time. `conditional`: the whole
 * node exists only under a condition (a conditional resource).
 */
function referencesIn(node: unknown, conditional = false): Reference[] {
  const out: Reference[] = [];
  const logical = (logicalId: string, underCondition: boolean): Reference =>
    ({ kind: 'logical', logicalId, value: { Ref: logicalId }, conditional: underCondition });
  const ssm = (text: string, underCondition: boolean): void => {
    for (const match of text.matchAll(SSM_REFERENCE)) {
      out.push(match[1].includes('${')
        ? { kind: 'unusable', shown: match[0] }
        : { kind: 'value', value: match[0], shown: match[0], conditional: underCondition });
    }
  };
  const visit = (value: unknown, underCondition: boolean): void => {
    if (typeof value === 'string') {
      ssm(value, underCondition);
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item) => visit(item, underCondition));
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys;
      const argument = object[key];
      if (key === 'Ref' && typeof argument === 'string') {
        out.push(logical(argument, underCondition));
        return;
      }
      if (key === 'Fn::GetAtt') {
        const [logicalId] = typeof argument === 'string' ? argument.split('.') : argument as [unknown];
        if (typeof logicalId === 'string') out.push(logical(logicalId, underCondition));
        return;
      }
      if (key === 'Fn::ImportValue') {
        out.push({ kind: 'value', value: object, shown: `the import ${JSON.stringify(argument)}`, conditional: underCondition });
        return;
      }
      if (key === 'Fn::If' && Array.isArray(argument)) {
        // either branch may be the one that is not there
        argument.slice(1).forEach((branch) => visit(branch, true));
        return;
      }
      if (key === 'Fn::Sub') {
        const [template, variables] = typeof argument === 'string' ? [argument, {}] : argument as [string, Record<string, unknown>];
        for (const match of String(template).matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = match[1].trim();
          if (variables && name in variables) continue;
          out.push(logical(name.split('.')[0], underCondition));
        }
        ssm(String(template), underCondition);
        if (variables) visit(variables, underCondition);
        return;
      }
    }
    Object.values(object).forEach((item) => visit(item, underCondition));
  };
  visit(node, conditional);
  return out;
}

/** The stack's parameters and resources by logical id, and what each resource waits for. */
class StackIndex {
  readonly parameters = new Map<string, { readonly noEcho: boolean }>();
  readonly resources = new Map<string, CfnResource>();
  private readonly edges = new Map<string, string[]>();
  private readonly cancellers = new Set<string>();
  private readonly conditional = new Set<string>();

  constructor(stack: Stack, cancellerType: string) {
    for (const child of stack.node.findAll()) {
      if (Stack.of(child) !== stack) continue;
      if (child instanceof CfnParameter) {
        this.parameters.set(stack.resolve(child.logicalId), { noEcho: child.noEcho === true });
      } else if (child instanceof CfnResource) {
        const logicalId = stack.resolve(child.logicalId) as string;
        this.resources.set(logicalId, child);
        if (child.cfnResourceType === cancellerType) this.cancellers.add(logicalId);
        if (child.cfnOptions.condition) this.conditional.add(logicalId);
      }
    }
  }

  isCanceller(logicalId: string): boolean {
    return this.cancellers.has(logicalId);
  }

  /** Whether the resource exists only under a condition. */
  isConditional(logicalId: string): boolean {
    return this.conditional.has(logicalId);
  }

  /** Whether `start` waits, directly or not, for one of `targets` or for a canceller. */
  waitsFor(start: string, targets: ReadonlySet<string>): boolean {
    const seen = new Set<string>([start]);
    const queue = [start];
    while (queue.length > 0) {
      for (const next of this.dependenciesOf(queue.shift()!)) {
        if (targets.has(next) || this.cancellers.has(next)) return true;
        if (!seen.has(next)) {
          seen.add(next);
          queue.push(next);
        }
      }
    }
    return false;
  }

  private dependenciesOf(logicalId: string): string[] {
    let known = this.edges.get(logicalId);
    if (known) return known;
    // a canceller's own definition is never rendered here: it would render this very value
    const resource = this.resources.get(logicalId);
    if (!resource || this.cancellers.has(logicalId)) return [];
    const definition = definitionOf(resource);
    const dependsOn = definition.DependsOn;
    // CloudFormation orders by every reference: in properties, metadata (cfn-init) and policies
    const { Properties, Metadata, UpdatePolicy, CreationPolicy } = definition;
    known = [
      ...referencesIn({ Properties, Metadata, UpdatePolicy, CreationPolicy }).flatMap((r) => (r.kind === 'logical' ? [r.logicalId] : [])),
      ...(Array.isArray(dependsOn) ? dependsOn : typeof dependsOn === 'string' ? [dependsOn] : []) as string[],
    ].filter((id) => this.resources.has(id));
    this.edges.set(logicalId, known);
    return known;
  }
}
