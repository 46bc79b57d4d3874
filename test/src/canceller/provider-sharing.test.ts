/**
 * The provider behind the cancellers: one per stack, shared only by cancellers with the same
 * settings; its functions (runtime, timeouts, environment), its logging, and its place in a VPC.
 */
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import {
  RESOURCE_TYPE, SYNC_A, SYNC_B,
  agnosticStack, cancellerProperties, envStack, errorOf, functionWithHandler, logicalId, newApp, newCanceller, roleOf, synth, templateOf, vpcStack,
} from '../support';

describe('one provider per stack', () => {
  test('two cancellers in one stack share one provider', () => {
    const stack = envStack();
    newCanceller(stack, { syncIds: [SYNC_A] }, 'First');
    newCanceller(stack, { syncIds: [SYNC_B] }, 'Second');
    const template = templateOf(stack);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs(RESOURCE_TYPE, 2);
    const tokens = Object.values(template.findResources(RESOURCE_TYPE)).map((r: any) => JSON.stringify(r.Properties.ServiceToken));
    expect(new Set(tokens).size).toBe(1);
  });

  test('two stacks get one provider each, whose framework onEvent function is the service token', () => {
    const app = newApp();
    const a = envStack(app, 'A');
    const b = envStack(app, 'B');
    newCanceller(a);
    newCanceller(b);
    for (const stack of [a, b]) {
      const template = templateOf(stack);
      template.resourceCountIs('AWS::Lambda::Function', 5);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      const [frameworkId] = functionWithHandler(template, 'framework.onEvent');
      expect(cancellerProperties(template).ServiceToken).toEqual({ 'Fn::GetAtt': [frameworkId, 'Arn'] });
    }
    expect(a.dependencies).toEqual([]);
    expect(b.dependencies).toEqual([]);
  });

  test('two cancellers with the same VPC config share a provider', () => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    newCanceller(stack, { vpc }, 'First');
    newCanceller(stack, { vpc }, 'Second');
    const template = templateOf(stack);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });

  test('an explicit default logRetention shares the default provider', () => {
    const stack = envStack();
    newCanceller(stack, {}, 'A');
    newCanceller(stack, { logRetention: logs.RetentionDays.ONE_MONTH }, 'B');
    templateOf(stack).resourceCountIs('AWS::Lambda::Function', 5);
  });
});

describe('differing settings are refused', () => {
  test('a canceller with a different VPC config is refused: the cancellers of a stack share one service token', () => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    newCanceller(stack, {}, 'Public');
    expect(errorOf(() => newCanceller(stack, { vpc }, 'InVpc')))
      .toMatch(/Stack\/InVpc: its vpc differ from those of the cancellers created before it in stack Stack\. The cancellers of a stack share one provider .* give them all the same vpc, vpcSubnets, securityGroups, logGroup and logRetention, or put this one in another stack/);
  });

  test.each([
    ['logRetention', () => ({ logRetention: logs.RetentionDays.ONE_WEEK }), 'logRetention'],
    ['logGroup', (stack: Stack) => ({ logGroup: new logs.LogGroup(stack, 'Own') }), 'logGroup, logRetention'],
    ['securityGroups', (stack: Stack) => {
      const vpc = stack.node.tryFindChild('Vpc') as ec2.Vpc;
      return { vpc, securityGroups: [new ec2.SecurityGroup(stack, 'Sg', { vpc })] };
    }, 'securityGroups'],
  ])('a second canceller with another %s is refused, naming it', (name, settings, named) => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    newCanceller(stack, name === 'securityGroups' ? { vpc } : {}, 'First');
    expect(errorOf(() => newCanceller(stack, settings(stack), 'Second'))).toContain(`its ${named} differ`);
  });
});

describe('the functions', () => {
  test.each([
    ['env-agnostic', () => agnosticStack()],
    ['eu-west-1', () => envStack()],
  ])('all 5 functions run nodejs24.x in an %s stack', (_name, makeStack) => {
    const { template } = synth({}, makeStack());
    const fns = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(5);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
    }
    const resources = JSON.stringify(template.toJSON().Resources);
    expect(resources).not.toMatch(/nodejs(16|18|20|22)\.x/);
    expect(resources).not.toContain('Fn::FindInMap');
  });

  test('the 5 functions are ours (onEvent, isComplete) and the framework\'s (onEvent, isComplete, onTimeout)', () => {
    const { template } = synth();
    const handlers = Object.values(template.findResources('AWS::Lambda::Function')).map((f: any) => f.Properties.Handler).sort();
    expect(handlers).toEqual(['framework.isComplete', 'framework.onEvent', 'framework.onTimeout', 'index.isComplete', 'index.onEvent']);
  });

  test('the onEvent handler is index.onEvent with a 180 s timeout (a pause reads the key and every sync)', () => {
    const [, fn] = functionWithHandler(synth().template, 'index.onEvent');
    expect(fn.Properties.Timeout).toBe(180);
  });

  test('the isComplete handler is index.isComplete with a 300 s timeout', () => {
    const [, fn] = functionWithHandler(synth().template, 'index.isComplete');
    expect(fn.Properties.Timeout).toBe(300);
  });

  test.each(['index.onEvent', 'index.isComplete'])('%s gets FRAMEWORK_QUERY_INTERVAL_SECONDS=10', (handler) => {
    const [, fn] = functionWithHandler(synth().template, handler);
    expect(fn.Properties.Environment.Variables.FRAMEWORK_QUERY_INTERVAL_SECONDS).toBe('10');
  });

  test('the framework waits 10 s between isComplete calls', () => {
    const { template } = synth();
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(sm).toHaveLength(1);
    expect(JSON.stringify(sm[0].Properties.DefinitionString)).toContain('\\"IntervalSeconds\\":10');
  });
});

describe('logging', () => {
  test('logGroup: all 5 functions log to it and no log group of ours is created', () => {
    const stack = envStack();
    const logGroup = new logs.LogGroup(stack, 'Logs', { retention: logs.RetentionDays.ONE_DAY });
    const { template } = synth({ logGroup }, stack);
    const fns = template.findResources('AWS::Lambda::Function');
    expect(Object.keys(fns)).toHaveLength(5);
    for (const fn of Object.values(fns)) {
      expect(fn.Properties.LoggingConfig.LogGroup).toEqual({ Ref: logicalId(logGroup) });
    }
    // the waiter state machine logs there too: no other log group exists
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [logicalId(logGroup), 'Arn'] } } }] },
    });
  });

  test('an imported logGroup is used by all 5 functions', () => {
    const stack = envStack();
    const logGroup = logs.LogGroup.fromLogGroupName(stack, 'Logs', '/polytomic/canceller');
    const { template } = synth({ logGroup }, stack);
    template.allResourcesProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: '/polytomic/canceller' } });
  });

  test('logRetention sets the retention of the created log group, which all functions use', () => {
    const { template } = synth({ logRetention: logs.RetentionDays.ONE_WEEK });
    const created = Object.keys(template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 7 } }));
    expect(created).toHaveLength(1);
    template.allResourcesProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: created[0] } } });
    template.resourcePropertiesCountIs('AWS::Logs::LogGroup', { RetentionInDays: 30 }, 0);
  });
});

describe('in a VPC', () => {
  test('vpcSubnets and securityGroups are used as given', () => {
    const { stack, vpc } = vpcStack();
    const sg = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const { template } = synth({ vpc, vpcSubnets: { subnetGroupName: 'Egress' }, securityGroups: [sg] }, stack);
    const [, isComplete] = functionWithHandler(template, 'index.isComplete');
    expect(isComplete.Properties.VpcConfig).toEqual({
      SubnetIds: stack.resolve(vpc.selectSubnets({ subnetGroupName: 'Egress' }).subnetIds),
      SecurityGroupIds: [{ 'Fn::GetAtt': [logicalId(sg), 'GroupId'] }],
    });
    // no automatic security group besides the given one
    template.resourceCountIs('AWS::EC2::SecurityGroup', 1);
  });

  test('both handler roles get the managed VPC access policy', () => {
    const { stack, vpc } = vpcStack();
    const { template } = synth({ vpc }, stack);
    const vpcAccess = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] };
    const roles = template.toJSON().Resources;
    const isCompleteRole = roles[roleOf(functionWithHandler(template, 'index.isComplete')[1])];
    const onEventRole = roles[roleOf(functionWithHandler(template, 'index.onEvent')[1])];
    expect(isCompleteRole.Properties.ManagedPolicyArns).toContainEqual(vpcAccess);
    expect(onEventRole.Properties.ManagedPolicyArns).toContainEqual(vpcAccess);
  });

  test('the provider depends on the VPC', () => {
    const { stack, vpc } = vpcStack();
    const { template } = synth({ vpc }, stack);
    const vpcId = logicalId(vpc);
    const [isCompleteId] = functionWithHandler(template, 'index.isComplete');
    const [frameworkId] = functionWithHandler(template, 'framework.onEvent');
    for (const id of [isCompleteId, frameworkId]) {
      expect(template.toJSON().Resources[id].DependsOn).toEqual(expect.arrayContaining([vpcId]));
    }
    template.hasResource('AWS::StepFunctions::StateMachine', { DependsOn: Match.arrayWith([vpcId]) });
  });
});
