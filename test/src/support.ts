/**
 * What the construct tests share: the stacks, secrets and cancellers they build, the readers of
 * their templates, and `templateOf`, which runs cdk-nag over every stack a test synthesizes and
 * fails the test on any finding on the canceller's own resources.
 */
import { readFileSync } from 'node:fs';
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as nag from 'cdk-nag';
import { Construct, IConstruct } from 'constructs';
import { PolytomicBulkSyncCanceller, PolytomicBulkSyncCancellerProps } from '../../src';
import { ACKNOWLEDGED_RULES_METADATA_KEY } from '../../src/nag-acknowledgements';

// ---------------------------------------------------------------------------------------------
// fixtures
// ---------------------------------------------------------------------------------------------

export const ENV = { account: '123456789012', region: 'eu-west-1' };
export const RESOURCE_TYPE = 'Custom::PolytomicBulkSyncCanceller';
export const SYNC_A = '248df4b7-aa70-47b8-a036-33ac447e668d';
export const SYNC_B = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
export const ORG_ID = '11111111-2222-4333-8444-555555555555';
export const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic/api-key-AbCdEf';
export const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/9b2c6f0e-1d3a-4c5b-8e7f-0a1b2c3d4e5f';
/** The id of the stack's shared provider (fixed: the service token depends on it). */
export const PROVIDER_ID = 'PolytomicBulkSyncCancellerProvider';

/** An app that does not copy the (large) handler asset into a temporary cloud assembly on every synth. */
export function newApp(context: Record<string, unknown> = {}): App {
  return new App({ context: { 'aws:cdk:disable-asset-staging': true, ...context } });
}

export function envStack(app: App = newApp(), id = 'Stack'): Stack {
  return new Stack(app, id, { env: ENV });
}

export function agnosticStack(app: App = newApp(), id = 'Stack'): Stack {
  return new Stack(app, id);
}

/** A stack with a VPC of two private subnet groups (App, Egress) behind one NAT gateway. */
export function vpcStack(): { stack: Stack; vpc: ec2.Vpc } {
  const stack = envStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    natGateways: 1,
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'App', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'Egress', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    ],
  });
  return { stack, vpc };
}

export function importedSecret(scope: Construct, arn = SECRET_ARN, id = 'Secret'): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn);
}

/** A canceller of SYNC_A with `props`, reading a secret imported as `${id}Secret` unless `props` gives one. */
export function newCanceller(
  scope: Construct,
  props: Partial<PolytomicBulkSyncCancellerProps> = {},
  id = 'Canceller',
): PolytomicBulkSyncCanceller {
  return new PolytomicBulkSyncCanceller(scope, id, {
    syncIds: [SYNC_A],
    secret: props.secret ?? importedSecret(Stack.of(scope), SECRET_ARN, `${id}Secret`),
    ...props,
  });
}

/** A canceller with `props` in `stack` (a fresh env stack by default), and its checked template. */
export function synth(props: Partial<PolytomicBulkSyncCancellerProps> = {}, stack: Stack = envStack()) {
  const canceller = newCanceller(stack, props);
  const template = templateOf(stack);
  return { stack, canceller, template };
}

// ---------------------------------------------------------------------------------------------
// cdk-nag
// ---------------------------------------------------------------------------------------------

/** One cdk-nag error or warning: the construct path it is on and its message (rule id first). */
export interface NagFinding {
  readonly path: string;
  readonly level: 'error' | 'warning';
  readonly message: string;
}

/**
 * The major version of the cdk-nag the tests resolve: 2 with the floor aws-cdk-lib (the
 * devDependency), 3 when CI runs them against the newest aws-cdk-lib. v2 is an Aspect whose
 * findings are annotations; v3 is a validation plugin that reports after synthesis.
 */
export const NAG_MAJOR = Number((JSON.parse(readFileSync(require.resolve('cdk-nag/package.json'), 'utf8')) as { version: string }).version.split('.')[0]);

const NAG_MESSAGE = Match.stringLikeRegexp('^(AwsSolutions-|CdkNagValidationFailure)');
const checked = new WeakSet<Stack>();

/**
 * Every cdk-nag (AwsSolutions) error and warning in `stack`. The stack is synthesized again
 * first, so a change made since a previous synthesis shows.
 */
export function nagFindings(stack: Stack): NagFinding[] {
  return NAG_MAJOR >= 3 ? nagV3Findings(stack) : nagV2Findings(stack);
}

/** v2: the rules applied as an Aspect (once per stack), the findings read from the annotations. */
function nagV2Findings(stack: Stack): NagFinding[] {
  if (!checked.has(stack)) {
    Aspects.of(stack).add(new nag.AwsSolutionsChecks({ verbose: true }));
    checked.add(stack);
  }
  const annotations = Annotations.fromStack(stack);
  const found = (level: NagFinding['level'], messages: ReturnType<Annotations['findError']>) =>
    messages.map((m) => ({ path: m.id, level, message: String(m.entry.data) }));
  return [...found('error', annotations.findError('*', NAG_MESSAGE)), ...found('warning', annotations.findWarning('*', NAG_MESSAGE))];
}

/** What a cdk-nag v3 pack reports (its `validateScope`, the body of the validation plugin). */
interface NagV3Report {
  readonly violations: Array<{ ruleName: string; description: string; severity: string; violatingResources: Array<{ constructPath: string }> }>;
}

/**
 * v3: the pack run over the stack's construct tree once a synthesis has prepared it (Aspects,
 * lazily added resources), as the plugin runs after a real synthesis. `cdk-nag.test.ts` checks
 * the plugin itself through `Validations.of(app).addPlugins`.
 */
function nagV3Findings(stack: Stack): NagFinding[] {
  // a forced synthesis, which (unlike Template.fromStack's) may follow a change made since the last
  Annotations.fromStack(stack);
  const pack = new (nag.AwsSolutionsChecks as any)(undefined, { verbose: true });
  const report = pack.validateScope(stack) as NagV3Report;
  return report.violations.flatMap((v) => v.violatingResources.map((r) => ({
    path: `/${r.constructPath}`,
    level: v.severity === 'error' ? 'error' as const : 'warning' as const,
    message: `${v.ruleName}: ${v.description}`,
  })));
}

/**
 * The cdk-nag v3 acknowledgements (construct metadata `aws:cdk:acknowledged-rules`) on each
 * resource under `scope`: its construct path → `RULE[finding]` → reason.
 */
export function acknowledgedRulesUnder(scope: IConstruct): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const resource of scope.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource)) {
    const entries = resource.node.metadata.filter((m) => m.type === ACKNOWLEDGED_RULES_METADATA_KEY).map((m) => m.data);
    if (entries.length > 0) out[resource.node.path] = Object.assign({}, ...entries);
  }
  return out;
}

/** The constructs whose resources are the library's: each canceller of `stack` and the stack's provider. */
function ownScopes(stack: Stack): IConstruct[] {
  const provider = stack.node.tryFindChild(PROVIDER_ID);
  const cancellers = stack.node.findAll().filter((c) => c instanceof PolytomicBulkSyncCanceller);
  return provider ? [provider, ...cancellers] : cancellers;
}

/**
 * The findings of `nagFindings` that are the library's: on a resource of a canceller or of
 * the provider. Those on what the test built for the user (a VPC, a bucket, a secret) are not.
 */
export function ourNagFindings(stack: Stack): NagFinding[] {
  const prefixes = ownScopes(stack).map((scope) => `/${scope.node.path}`);
  return nagFindings(stack).filter((f) => prefixes.some((p) => f.path === p || f.path.startsWith(`${p}/`)));
}

/** `path: rule[finding]`, the short form of a finding (the message up to its first space). */
export function brief(finding: NagFinding): string {
  return `${finding.path}: ${finding.message.split(/\s/)[0].replace(/:$/, '')}`;
}

/**
 * The template of `stack`, after cdk-nag has run over it: throws (failing the test) if any
 * cdk-nag error or warning is on a resource of a canceller or of the provider. Every construct
 * test that synthesizes uses it instead of `Template.fromStack`.
 */
export function templateOf(stack: Stack): Template {
  const ours = ourNagFindings(stack);
  if (ours.length > 0) {
    throw new Error(`cdk-nag findings on the canceller's resources in ${stack.stackName}:\n${ours.map((f) => `  ${f.level} ${f.path}: ${f.message.trim()}`).join('\n')}`);
  }
  // the synthesis above (forced) is the one the template comes from
  return Template.fromStack(stack);
}

// ---------------------------------------------------------------------------------------------
// template readers
// ---------------------------------------------------------------------------------------------

/** The properties of the one custom resource of `template`. */
export function cancellerProperties(template: Template): Record<string, any> {
  const resources = Object.values(template.findResources(RESOURCE_TYPE));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

export function logicalId(construct: IConstruct): string {
  const resource = construct instanceof CfnResource ? construct : construct.node.defaultChild as CfnResource;
  return Stack.of(construct).resolve(resource.logicalId);
}

/** [logical id, resource] of the Lambda function with `handler`. */
export function functionWithHandler(template: Template, handler: string): [string, any] {
  const found = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }));
  expect(found).toHaveLength(1);
  return found[0];
}

export function roleOf(fn: any): string {
  return fn.Properties.Role['Fn::GetAtt'][0];
}

/** Every statement of the inline policies attached to the role `roleId`. */
export function statementsOfRole(template: Template, roleId: string): any[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  }));
  return policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

export function isCompleteStatements(template: Template): any[] {
  return statementsOfRole(template, roleOf(functionWithHandler(template, 'index.isComplete')[1]));
}

/** The isComplete role's statements less the stack-status one every handler role has. */
export function isCompleteSecretStatements(template: Template): any[] {
  return isCompleteStatements(template).filter((st) => st.Action !== 'cloudformation:DescribeStacks');
}

export function onEventStatements(template: Template): any[] {
  return statementsOfRole(template, roleOf(functionWithHandler(template, 'index.onEvent')[1]));
}

/** Logical id of the default policy of the isComplete handler's role. */
export function isCompletePolicyId(template: Template): string {
  const roleId = roleOf(functionWithHandler(template, 'index.isComplete')[1]);
  const ids = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  expect(ids).toHaveLength(1);
  return ids[0];
}

export function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The message thrown by `fn`, failing the test if it does not throw. */
export function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

export function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}
