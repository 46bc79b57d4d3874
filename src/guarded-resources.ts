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
 *   (`Ref` of a parameter or of a resource outside the guarded set, `Fn::GetAtt` of such a
 *   resource, `Fn::ImportValue`, `{{resolve:ssm:…}}`). CloudFormation resolves them in the
 *   canceller's properties too, so a new parameter value or a replaced dependency updates
 *   the canceller before it reaches the guarded resource.
 *
 * Left out, on purpose: `NoEcho` parameters and `ssm-secure`/`secretsmanager` dynamic
 * references (their values are secret, and custom resources may not resolve the latter), and
 * any resource that itself waits for a guarded resource or a canceller (depending on it
 * would be a cycle). Guarded resources in another stack contribute their hash only: a
 * reference across stacks would make the two stacks depend on each other.
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
  for (const definition of sameStack.values()) {
    for (const reference of referencesIn(definition)) {
      if (reference.kind === 'value') {
        found.set(JSON.stringify(reference.value), reference.value);
        continue;
      }
      const { logicalId } = reference;
      if (sameStack.has(logicalId) || logicalId.startsWith('AWS::')) continue;
      const parameter = index.parameters.get(logicalId);
      if (parameter) {
        if (!parameter.noEcho) found.set(JSON.stringify(reference.value), reference.value);
        continue;
      }
      // another canceller's attributes are its outcome, not infrastructure (and this one's own would be a cycle)
      if (!index.resources.has(logicalId) || index.isCanceller(logicalId)) continue;
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
  | { readonly kind: 'value'; readonly value: unknown }
  | { readonly kind: 'logical'; readonly logicalId: string; readonly value: unknown };

/** Every value in `node` that CloudFormation resolves at deploy time. */
function referencesIn(node: unknown): Reference[] {
  const out: Reference[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(/\{\{resolve:ssm:[^}]+\}\}/g)) out.push({ kind: 'value', value: match[0] });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach(visit);
      return;
    }
    if (typeof value !== 'object' || value === null) return;
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object);
    if (keys.length === 1) {
      const [key] = keys;
      const argument = object[key];
      if (key === 'Ref' && typeof argument === 'string') {
        out.push({ kind: 'logical', logicalId: argument, value: { Ref: argument } });
        return;
      }
      if (key === 'Fn::GetAtt') {
        const [logicalId, attribute] = typeof argument === 'string' ? argument.split(/\.(.*)/s) : argument as [string, string];
        if (typeof logicalId === 'string' && typeof attribute === 'string') {
          out.push({ kind: 'logical', logicalId, value: { 'Fn::GetAtt': [logicalId, attribute] } });
        }
        return;
      }
      if (key === 'Fn::ImportValue') {
        out.push({ kind: 'value', value: object });
        return;
      }
      if (key === 'Fn::Sub') {
        const [template, variables] = typeof argument === 'string' ? [argument, {}] : argument as [string, Record<string, unknown>];
        for (const match of String(template).matchAll(/\$\{([^!}][^}]*)\}/g)) {
          const name = match[1].trim();
          if (variables && name in variables) continue;
          const [logicalId, attribute] = name.split(/\.(.*)/s);
          out.push(attribute
            ? { kind: 'logical', logicalId, value: { 'Fn::GetAtt': [logicalId, attribute] } }
            : { kind: 'logical', logicalId, value: { Ref: logicalId } });
        }
        for (const match of String(template).matchAll(/\{\{resolve:ssm:[^}]+\}\}/g)) out.push({ kind: 'value', value: match[0] });
        if (variables) visit(variables);
        return;
      }
    }
    Object.values(object).forEach(visit);
  };
  visit(node);
  return out;
}

/** The stack's parameters and resources by logical id, and what each resource waits for. */
class StackIndex {
  readonly parameters = new Map<string, { readonly noEcho: boolean }>();
  readonly resources = new Map<string, CfnResource>();
  private readonly edges = new Map<string, string[]>();
  private readonly cancellers = new Set<string>();

  constructor(stack: Stack, cancellerType: string) {
    for (const child of stack.node.findAll()) {
      if (Stack.of(child) !== stack) continue;
      if (child instanceof CfnParameter) {
        this.parameters.set(stack.resolve(child.logicalId), { noEcho: child.noEcho === true });
      } else if (child instanceof CfnResource) {
        const logicalId = stack.resolve(child.logicalId) as string;
        this.resources.set(logicalId, child);
        if (child.cfnResourceType === cancellerType) this.cancellers.add(logicalId);
      }
    }
  }

  isCanceller(logicalId: string): boolean {
    return this.cancellers.has(logicalId);
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
    known = [
      ...referencesIn(definition.Properties).flatMap((r) => (r.kind === 'logical' ? [r.logicalId] : [])),
      ...(Array.isArray(dependsOn) ? dependsOn : typeof dependsOn === 'string' ? [dependsOn] : []) as string[],
    ].filter((id) => this.resources.has(id));
    this.edges.set(logicalId, known);
    return known;
  }
}
