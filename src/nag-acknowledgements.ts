import { CfnResource, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/**
 * One cdk-nag finding the provider's resources carry by design, with the reason. `finding` is
 * the part cdk-nag reports in brackets (`AwsSolutions-IAM5[Resource::*]`) for rules that report
 * several findings per resource; without it the rule is acknowledged whole.
 */
interface NagAcknowledgement {
  readonly rule: string;
  readonly finding?: string;
  readonly reason: string;
}

/** The metadata key cdk-nag v3 reads (`Validations.ACKNOWLEDGED_RULES_METADATA_KEY`, not in every aws-cdk-lib). */
export const ACKNOWLEDGED_RULES_METADATA_KEY = 'aws:cdk:acknowledged-rules';

const LAMBDA_LOGGING_REASON = 'AWSLambdaBasicExecutionRole only lets the function write its logs; '
  + 'AWSLambdaVPCAccessExecutionRole, given only in a VPC, lets it manage its network interfaces';
const INVOKE_VERSIONS_REASON = 'the Provider framework invokes any version of its own handler functions (<function ARN>:*)';
const LOG_DELIVERY_REASON = 'the CloudWatch Logs delivery actions a state machine needs to log take no resource';
const NO_XRAY_REASON = 'the framework waiter is one Lambda task retried at a fixed interval; its executions and logs show every step';

/**
 * Acknowledges, in the form cdk-nag v2 and v3 both read, the AwsSolutions findings that come
 * with the Provider framework and with Lambda's managed logging policies, on the resources of
 * `provider` that carry them. Nothing is found by construct id: the resources are told apart by
 * their type and by what they reference, and each finding is named exactly (the functions'
 * logical ids included), so a user's own wildcard on these roles is still reported.
 *
 * Call it once every resource of the provider exists. cdk-nag v2 reads the acknowledgements while
 * its Aspect runs, so they cannot wait for the synthesis: a function's logical id renamed later
 * (`overrideLogicalId`, `renameLogicalId`) leaves its findings unacknowledged, and reported.
 */
export function acknowledgeProviderFindings(provider: Construct, serviceToken: string): void {
  const stack = Stack.of(provider);
  const resources = provider.node.findAll().filter((c): c is CfnResource => c instanceof CfnResource);
  const logicalIdOf = (r: CfnResource) => stack.resolve(r.logicalId) as string;

  // The framework grants `lambda:InvokeFunction` on `<arn>` and `<arn>:*` of every function it
  // invokes: each of the provider's functions but its entry point (the service token).
  const entryPoint = referencedLogicalId(stack.resolve(serviceToken));
  const invoked = resources.filter((r) => r instanceof lambda.CfnFunction && logicalIdOf(r) !== entryPoint).map(logicalIdOf);

  // The waiter's role is the one its state machine names; its policy holds the log-delivery grant.
  const machines = resources.filter((r): r is sfn.CfnStateMachine => r instanceof sfn.CfnStateMachine);
  const machineRoles = new Set(machines.map((m) => referencedLogicalId(stack.resolve(m.roleArn))));

  for (const resource of resources) {
    const acknowledgements: NagAcknowledgement[] = [];
    if (resource instanceof iam.CfnRole) {
      for (const policy of ['AWSLambdaBasicExecutionRole', 'AWSLambdaVPCAccessExecutionRole']) {
        if (attachesManagedPolicy(stack.resolve(resource.managedPolicyArns), policy)) {
          acknowledgements.push({ rule: 'AwsSolutions-IAM4', finding: `Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/${policy}`, reason: LAMBDA_LOGGING_REASON });
        }
      }
    }
    if (resource instanceof iam.CfnPolicy) {
      const document = JSON.stringify(stack.resolve(resource.policyDocument));
      for (const fn of invoked.filter((id) => document.includes(JSON.stringify([{ 'Fn::GetAtt': [id, 'Arn'] }, ':*'])))) {
        acknowledgements.push({ rule: 'AwsSolutions-IAM5', finding: `Resource::<${fn}.Arn>:*`, reason: INVOKE_VERSIONS_REASON });
      }
      const roles = (stack.resolve(resource.roles) ?? []) as unknown[];
      if (roles.some((role) => machineRoles.has(referencedLogicalId(role)))) {
        acknowledgements.push({ rule: 'AwsSolutions-IAM5', finding: 'Resource::*', reason: LOG_DELIVERY_REASON });
      }
    }
    if (resource instanceof sfn.CfnStateMachine) {
      acknowledgements.push({ rule: 'AwsSolutions-SF2', reason: NO_XRAY_REASON });
    }
    acknowledge(resource, acknowledgements);
  }
}

/**
 * Records `acknowledgements` on `resource` for both major versions of cdk-nag: v2 reads the
 * resource's CloudFormation metadata (`cdk_nag.rules_to_suppress`, `applies_to` for a finding),
 * v3 the construct metadata `aws:cdk:acknowledged-rules` (`RULE[finding]` → reason), matching
 * the resource and its ancestors only. The ids are bare, as cdk-nag 3 compares them: qualified
 * ones (`AwsSolutions::…`) would also reach aws-cdk-lib's report layer, which 2.258–2.270 match
 * across the whole app, hiding the same finding on a user's own resources.
 */
function acknowledge(resource: CfnResource, acknowledgements: NagAcknowledgement[]): void {
  if (acknowledgements.length === 0) return;
  const byRule = new Map<string, { id: string; reason: string; applies_to?: string[] }>();
  for (const a of acknowledgements) {
    // v2 keys a suppression by rule and reason; findings with the same reason share one
    const key = `${a.rule}\n${a.reason}`;
    const entry = byRule.get(key) ?? { id: a.rule, reason: a.reason };
    if (a.finding !== undefined) entry.applies_to = [...entry.applies_to ?? [], a.finding];
    byRule.set(key, entry);
  }
  resource.addMetadata('cdk_nag', { rules_to_suppress: [...byRule.values()] });
  const v3 = Object.fromEntries(acknowledgements.map((a) => [a.finding === undefined ? a.rule : `${a.rule}[${a.finding}]`, a.reason]));
  resource.node.addMetadata(ACKNOWLEDGED_RULES_METADATA_KEY, v3);
}

/** The logical id a resolved `{ Ref }` or `{ Fn::GetAtt }` points at. */
function referencedLogicalId(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as { 'Ref'?: unknown; 'Fn::GetAtt'?: unknown };
  if (typeof v.Ref === 'string') return v.Ref;
  if (Array.isArray(v['Fn::GetAtt']) && typeof v['Fn::GetAtt'][0] === 'string') return v['Fn::GetAtt'][0];
  return undefined;
}

/** Whether the resolved `ManagedPolicyArns` list names the AWS managed `service-role/<name>`. */
function attachesManagedPolicy(arns: unknown, name: string): boolean {
  if (!Array.isArray(arns)) return false;
  return arns.some((arn) => JSON.stringify(arn).includes(`:iam::aws:policy/service-role/${name}"`));
}

