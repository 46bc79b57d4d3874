/**
 * CloudFormation refuses to move an existing custom resource to another service token
 * ("Modifying service token is not allowed"), so every setting a user may change on a
 * deployed canceller must leave its ServiceToken, and the framework function behind it,
 * exactly as they were. Each case synthesizes the same app before and after one change.
 */
import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { envStack, newCanceller, templateOf } from './support';
import { PolytomicBulkSyncCancellerProps } from '../../src';

type Settings = (stack: Stack, vpc: ec2.Vpc) => Partial<PolytomicBulkSyncCancellerProps>;

/** The template of a stack with a VPC and one canceller configured by `settings`. */
function synth(settings: Settings): Record<string, any> {
  const stack = envStack();
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
  newCanceller(stack, settings(stack, vpc));
  return templateOf(stack).toJSON();
}

function serviceToken(template: Record<string, any>): unknown {
  const [canceller] = Object.values(template.Resources).filter((r: any) => r.Type === 'Custom::PolytomicBulkSyncCanceller') as any[];
  return canceller.Properties.ServiceToken;
}

/** The framework function whose ARN is the service token, by its logical id. */
function tokenFunction(template: Record<string, any>): [string, any] {
  const [logicalId] = (serviceToken(template) as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'];
  return [logicalId, template.Resources[logicalId]];
}

const none: Settings = () => ({});
const settings: Record<string, Settings> = {
  'defaults': none,
  'logRetention one week': () => ({ logRetention: logs.RetentionDays.ONE_WEEK }),
  'logRetention one year': () => ({ logRetention: logs.RetentionDays.ONE_YEAR }),
  'own logGroup': (stack) => ({ logGroup: new logs.LogGroup(stack, 'OwnLogs', { logGroupName: '/aws/vendedlogs/own' }) }),
  'vpc': (_stack, vpc) => ({ vpc }),
  'vpc with vpcSubnets': (_stack, vpc) => ({ vpc, vpcSubnets: { subnets: [vpc.privateSubnets[0]] } }),
  'vpc with securityGroups': (stack, vpc) => ({ vpc, securityGroups: [new ec2.SecurityGroup(stack, 'Sg', { vpc })] }),
};

const names = Object.keys(settings);
/** every setting from and back to the defaults, and each to the next */
const changes = [
  ...names.slice(1).flatMap((name) => [['defaults', name], [name, 'defaults']]),
  ...names.slice(1).map((name, i) => [name, names[1 + (i + 1) % (names.length - 1)]]),
] as Array<[string, string]>;

describe('the service token never changes', () => {
  test.each(changes)('from %s to %s', (from, to) => {
    const before = synth(settings[from]);
    const after = synth(settings[to]);
    expect(serviceToken(after)).toEqual(serviceToken(before));
    // and the function behind it is not replaced: CloudFormation replaces a function only for
    // a new FunctionName, which the framework never sets
    const [beforeId, beforeFunction] = tokenFunction(before);
    const [afterId, afterFunction] = tokenFunction(after);
    expect(afterId).toBe(beforeId);
    expect(afterFunction.Properties.FunctionName).toBeUndefined();
    expect(beforeFunction.Properties.FunctionName).toBeUndefined();
  });

  test('the settings do reach the functions (the change is made in place)', () => {
    const inVpc = synth((_stack, vpc) => ({ vpc }));
    const functions = Object.values(inVpc.Resources).filter((r: any) => r.Type === 'AWS::Lambda::Function') as any[];
    // both handler functions (onEvent reads which syncs a pause deactivates); the framework's stay out
    expect(functions.filter((f) => f.Properties.VpcConfig).map((f) => f.Properties.Handler).sort()).toEqual(['index.isComplete', 'index.onEvent']);
    const weekly = synth(() => ({ logRetention: logs.RetentionDays.ONE_WEEK }));
    const groups = Object.values(weekly.Resources).filter((r: any) => r.Type === 'AWS::Logs::LogGroup') as any[];
    expect(groups.map((g) => g.Properties.RetentionInDays)).toEqual([7]);
  });
});
