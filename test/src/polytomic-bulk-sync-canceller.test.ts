import { App, CfnParameter, CfnResource, Duration, Fn, Lazy, SecretValue, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { PolytomicAuthMode, PolytomicBulkSyncCanceller, PolytomicBulkSyncCancellerProps, TimeoutAction } from '../../src';

// ---------------------------------------------------------------------------------------------
// fixtures
// ---------------------------------------------------------------------------------------------

const ENV = { account: '123456789012', region: 'eu-west-1' };
const RESOURCE_TYPE = 'Custom::PolytomicBulkSyncCanceller';
const SYNC_A = '248df4b7-aa70-47b8-a036-33ac447e668d';
const SYNC_B = '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0';
const ORG_ID = '11111111-2222-4333-8444-555555555555';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic/api-key-AbCdEf';
const KEY_ARN = 'arn:aws:kms:eu-west-1:123456789012:key/9b2c6f0e-1d3a-4c5b-8e7f-0a1b2c3d4e5f';
/** The resource properties the construct documents (ServiceToken and ServiceTimeout come from CustomResource). */
const DOCUMENTED_PROPERTIES = [
  'ApiUrl', 'ApiVersion', 'AuthMode', 'GuardedResourcesHash', 'OnTimeout', 'OrganizationId', 'PollIntervalSeconds',
  'PropertiesVersion', 'SecretArn', 'SecretField', 'ServiceTimeout', 'ServiceToken', 'SyncIds', 'TimeoutSeconds',
];

/** An app that does not copy the (large) handler asset into a temporary cloud assembly on every synth. */
function newApp(): App {
  return new App({ context: { 'aws:cdk:disable-asset-staging': true } });
}

function envStack(app: App = newApp(), id = 'Stack'): Stack {
  return new Stack(app, id, { env: ENV });
}

function agnosticStack(app: App = newApp(), id = 'Stack'): Stack {
  return new Stack(app, id);
}

function importedSecret(scope: Construct, arn = SECRET_ARN, id = 'Secret'): secretsmanager.ISecret {
  return secretsmanager.Secret.fromSecretCompleteArn(scope, id, arn);
}

function newCanceller(
  stack: Stack,
  props: Partial<PolytomicBulkSyncCancellerProps> = {},
  id = 'Canceller',
): PolytomicBulkSyncCanceller {
  return new PolytomicBulkSyncCanceller(stack, id, {
    syncIds: [SYNC_A],
    secret: props.secret ?? importedSecret(stack, SECRET_ARN, `${id}Secret`),
    ...props,
  });
}

/** A canceller with `props` in a fresh env stack, and its template. */
function synth(props: Partial<PolytomicBulkSyncCancellerProps> = {}, stack: Stack = envStack()) {
  const canceller = newCanceller(stack, props);
  const template = Template.fromStack(stack);
  return { stack, canceller, template };
}

/** The properties of the one custom resource of `template`. */
function cancellerProperties(template: Template): Record<string, any> {
  const resources = Object.values(template.findResources(RESOURCE_TYPE));
  expect(resources).toHaveLength(1);
  return resources[0].Properties;
}

function logicalId(construct: Construct): string {
  const stack = Stack.of(construct);
  return stack.getLogicalId(construct.node.defaultChild as CfnResource);
}

/** [logical id, resource] of the Lambda function with `handler`. */
function functionWithHandler(template: Template, handler: string): [string, any] {
  const found = Object.entries(template.findResources('AWS::Lambda::Function', { Properties: { Handler: handler } }));
  expect(found).toHaveLength(1);
  return found[0];
}

function roleOf(fn: any): string {
  return fn.Properties.Role['Fn::GetAtt'][0];
}

/** Every statement of the inline policies attached to the role `roleId`. */
function statementsOfRole(template: Template, roleId: string): any[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: Match.arrayWith([{ Ref: roleId }]) },
  }));
  return policies.flatMap((p: any) => p.Properties.PolicyDocument.Statement);
}

function isCompleteStatements(template: Template): any[] {
  return statementsOfRole(template, roleOf(functionWithHandler(template, 'index.isComplete')[1]));
}

/** The isComplete role's statements less the stack-status one every handler role has. */
function isCompleteSecretStatements(template: Template): any[] {
  return isCompleteStatements(template).filter((st) => st.Action !== 'cloudformation:DescribeStacks');
}

function onEventStatements(template: Template): any[] {
  return statementsOfRole(template, roleOf(functionWithHandler(template, 'index.onEvent')[1]));
}

/** Logical id of the default policy of the isComplete handler's role. */
function isCompletePolicyId(template: Template): string {
  const roleId = roleOf(functionWithHandler(template, 'index.isComplete')[1]);
  const ids = Object.keys(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: roleId }] } }));
  expect(ids).toHaveLength(1);
  return ids[0];
}

function asArray<T>(value: T | T[]): T[] {
  return Array.isArray(value) ? value : [value];
}

/** The message thrown by `fn`, failing the test if it does not throw. */
function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error, none was thrown');
}

function uuid(n: number): string {
  return `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
}

// ---------------------------------------------------------------------------------------------
// defaults
// ---------------------------------------------------------------------------------------------

describe('defaults', () => {
  test('creates one custom resource of type Custom::PolytomicBulkSyncCanceller', () => {
    const { template } = synth();
    template.resourceCountIs(RESOURCE_TYPE, 1);
    expect(PolytomicBulkSyncCanceller.RESOURCE_TYPE).toBe(RESOURCE_TYPE);
  });

  test('renders every default property and nothing else', () => {
    const { template } = synth({ syncIds: [SYNC_A, SYNC_B] });
    template.hasResourceProperties(RESOURCE_TYPE, Match.objectEquals({
      ServiceToken: Match.anyValue(),
      ServiceTimeout: '1920',
      PropertiesVersion: '1',
      SyncIds: [SYNC_A, SYNC_B],
      SecretArn: SECRET_ARN,
      AuthMode: 'API_KEY',
      ApiUrl: 'https://app.polytomic.com',
      ApiVersion: '2025-09-18',
      TimeoutSeconds: '1800',
      PollIntervalSeconds: '15',
      OnTimeout: 'FAIL',
      GuardedResourcesHash: 'none',
    }));
  });

  test('PropertiesVersion is 1', () => {
    expect(cancellerProperties(synth().template).PropertiesVersion).toBe('1');
  });

  test('SyncIds lists the ids in the given order', () => {
    expect(cancellerProperties(synth({ syncIds: [SYNC_B, SYNC_A] }).template).SyncIds).toEqual([SYNC_B, SYNC_A]);
  });

  test('SecretArn is the full ARN of the secret', () => {
    expect(cancellerProperties(synth().template).SecretArn).toBe(SECRET_ARN);
  });

  test('SecretArn of a secret created in the stack is its Ref (the full ARN)', () => {
    const stack = envStack();
    const secret = new secretsmanager.Secret(stack, 'Key');
    const { template } = synth({ secret }, stack);
    expect(cancellerProperties(template).SecretArn).toEqual({ Ref: logicalId(secret) });
  });

  test('AuthMode is API_KEY', () => {
    expect(cancellerProperties(synth().template).AuthMode).toBe('API_KEY');
  });

  test('ApiUrl is Polytomic cloud', () => {
    expect(cancellerProperties(synth().template).ApiUrl).toBe('https://app.polytomic.com');
  });

  test('ApiVersion is 2025-09-18', () => {
    expect(cancellerProperties(synth().template).ApiVersion).toBe('2025-09-18');
  });

  test('TimeoutSeconds is 1800 (30 minutes)', () => {
    expect(cancellerProperties(synth().template).TimeoutSeconds).toBe('1800');
  });

  test('PollIntervalSeconds is 15', () => {
    expect(cancellerProperties(synth().template).PollIntervalSeconds).toBe('15');
  });

  test('ServiceTimeout is the timeout plus 120 seconds', () => {
    expect(cancellerProperties(synth().template).ServiceTimeout).toBe(String(1800 + 120));
  });

  test('SecretField and OrganizationId are absent', () => {
    const { template } = synth();
    template.hasResourceProperties(RESOURCE_TYPE, { SecretField: Match.absent(), OrganizationId: Match.absent() });
  });

  test('the custom resource depends on the isComplete role and its policy', () => {
    const { template } = synth();
    const roleId = roleOf(functionWithHandler(template, 'index.isComplete')[1]);
    template.hasResource(RESOURCE_TYPE, { DependsOn: Match.arrayWith([isCompletePolicyId(template), roleId]) });
  });

  test('the service token is the framework onEvent function', () => {
    const { template } = synth();
    const [frameworkId] = functionWithHandler(template, 'framework.onEvent');
    expect(cancellerProperties(template).ServiceToken).toEqual({ 'Fn::GetAtt': [frameworkId, 'Arn'] });
  });

  test('creates a log group with one month retention for the functions', () => {
    const { template } = synth();
    const created = template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } });
    expect(Object.keys(created)).toHaveLength(1);
    const [id] = Object.keys(created);
    template.allResourcesProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: id } } });
  });

  test('the syncIds of the construct are a copy of the given list', () => {
    const stack = envStack();
    const ids = [SYNC_A];
    const canceller = newCanceller(stack, { syncIds: ids });
    ids.push(SYNC_B);
    expect(canceller.syncIds).toEqual([SYNC_A]);
    expect(cancellerProperties(Template.fromStack(stack)).SyncIds).toEqual([SYNC_A]);
  });
});

// ---------------------------------------------------------------------------------------------
// overrides
// ---------------------------------------------------------------------------------------------

describe('overrides', () => {
  test('secretField renders SecretField', () => {
    expect(cancellerProperties(synth({ secretField: 'apiKey' }).template).SecretField).toBe('apiKey');
  });

  test('DEPLOYMENT_KEY with organizationId renders AuthMode and OrganizationId', () => {
    const props = cancellerProperties(synth({ authMode: PolytomicAuthMode.DEPLOYMENT_KEY, organizationId: ORG_ID }).template);
    expect(props.AuthMode).toBe('DEPLOYMENT_KEY');
    expect(props.OrganizationId).toBe(ORG_ID);
  });

  test('an explicit API_KEY renders AuthMode API_KEY without OrganizationId', () => {
    const props = cancellerProperties(synth({ authMode: PolytomicAuthMode.API_KEY }).template);
    expect(props.AuthMode).toBe('API_KEY');
    expect(props).not.toHaveProperty('OrganizationId');
  });

  test('apiUrl of an on-premises host renders ApiUrl', () => {
    const apiUrl = 'https://polytomic.internal.example.com:8443/base';
    expect(cancellerProperties(synth({ apiUrl }).template).ApiUrl).toBe(apiUrl);
  });

  test('apiVersion renders ApiVersion', () => {
    expect(cancellerProperties(synth({ apiVersion: '2024-02-08' }).template).ApiVersion).toBe('2024-02-08');
  });

  test('timeout renders TimeoutSeconds and ServiceTimeout = timeout + 120 s', () => {
    const props = cancellerProperties(synth({ timeout: Duration.minutes(10) }).template);
    expect(props.TimeoutSeconds).toBe('600');
    expect(props.ServiceTimeout).toBe('720');
  });

  test('the shortest timeout (1 minute) is accepted', () => {
    const props = cancellerProperties(synth({ timeout: Duration.minutes(1) }).template);
    expect(props.TimeoutSeconds).toBe('60');
    expect(props.ServiceTimeout).toBe('180');
  });

  test('the longest timeout (55 minutes) is accepted and stays within the CloudFormation hour', () => {
    const props = cancellerProperties(synth({ timeout: Duration.minutes(55) }).template);
    expect(props.TimeoutSeconds).toBe('3300');
    expect(props.ServiceTimeout).toBe('3420');
    expect(Number(props.ServiceTimeout)).toBeLessThanOrEqual(3600);
  });

  test('pollInterval renders PollIntervalSeconds', () => {
    expect(cancellerProperties(synth({ pollInterval: Duration.seconds(30) }).template).PollIntervalSeconds).toBe('30');
  });

  test('a fractional pollInterval (1.5 s) renders 1.5', () => {
    expect(cancellerProperties(synth({ pollInterval: Duration.millis(1500) }).template).PollIntervalSeconds).toBe('1.5');
  });

  test('the shortest pollInterval (1 s) and the longest (2 min) are accepted', () => {
    expect(cancellerProperties(synth({ pollInterval: Duration.seconds(1) }).template).PollIntervalSeconds).toBe('1');
    expect(cancellerProperties(synth({ pollInterval: Duration.minutes(2) }).template).PollIntervalSeconds).toBe('120');
  });

  test('a sub-second pollInterval is rejected', () => {
    expect(() => synth({ pollInterval: Duration.millis(500) })).toThrow(/pollInterval is .*must be between 1 second and 2 minutes/);
  });

  describe('vpc', () => {
    function vpcStack() {
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

    test('only the isComplete function gets a VpcConfig, in the private subnets with a new security group', () => {
      const { stack, vpc } = vpcStack();
      const { template } = synth({ vpc }, stack);
      const [, isComplete] = functionWithHandler(template, 'index.isComplete');
      const sgs = Object.keys(template.findResources('AWS::EC2::SecurityGroup'));
      expect(sgs).toHaveLength(1);
      expect(isComplete.Properties.VpcConfig).toEqual({
        SubnetIds: stack.resolve(vpc.privateSubnets.map((s) => s.subnetId)),
        SecurityGroupIds: [{ 'Fn::GetAtt': [sgs[0], 'GroupId'] }],
      });
      const withVpc = template.findResources('AWS::Lambda::Function', { Properties: { VpcConfig: Match.anyValue() } });
      expect(Object.keys(withVpc)).toHaveLength(1);
    });

    test('the onEvent function is not in the VPC', () => {
      const { stack, vpc } = vpcStack();
      const { template } = synth({ vpc }, stack);
      const [, onEvent] = functionWithHandler(template, 'index.onEvent');
      expect(onEvent.Properties).not.toHaveProperty('VpcConfig');
    });

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

    test('only the isComplete role gets the managed VPC access policy', () => {
      const { stack, vpc } = vpcStack();
      const { template } = synth({ vpc }, stack);
      const vpcAccess = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole']] };
      const roles = template.toJSON().Resources;
      const isCompleteRole = roles[roleOf(functionWithHandler(template, 'index.isComplete')[1])];
      const onEventRole = roles[roleOf(functionWithHandler(template, 'index.onEvent')[1])];
      expect(isCompleteRole.Properties.ManagedPolicyArns).toContainEqual(vpcAccess);
      expect(onEventRole.Properties.ManagedPolicyArns).not.toContainEqual(vpcAccess);
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

  test('the canceller exposes its log group', () => {
    const stack = envStack();
    const logGroup = new logs.LogGroup(stack, 'Logs');
    expect(synth({ logGroup }, stack).canceller.logGroup).toBe(logGroup);
    const { canceller, template } = synth();
    expect(Stack.of(canceller).resolve((canceller.logGroup.node.defaultChild as CfnResource).logicalId)).toBe(Object.keys(template.findResources('AWS::Logs::LogGroup'))[0]);
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

// ---------------------------------------------------------------------------------------------
// runtime and functions
// ---------------------------------------------------------------------------------------------

describe('runtime', () => {
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

  test('the onEvent handler is index.onEvent with a 60 s timeout', () => {
    const [, fn] = functionWithHandler(synth().template, 'index.onEvent');
    expect(fn.Properties.Timeout).toBe(60);
  });

  test('the isComplete handler is index.isComplete with a 300 s timeout', () => {
    const [, fn] = functionWithHandler(synth().template, 'index.isComplete');
    expect(fn.Properties.Timeout).toBe(300);
  });

  test.each(['index.onEvent', 'index.isComplete'])('%s gets FRAMEWORK_QUERY_INTERVAL_SECONDS=10', (handler) => {
    const [, fn] = functionWithHandler(synth().template, handler);
    expect(fn.Properties.Environment.Variables.FRAMEWORK_QUERY_INTERVAL_SECONDS).toBe('10');
  });

  test('the construct exposes the isComplete function as handler', () => {
    const { stack, canceller, template } = synth();
    const [id] = functionWithHandler(template, 'index.isComplete');
    expect(stack.resolve(canceller.handler.functionArn)).toEqual({ 'Fn::GetAtt': [id, 'Arn'] });
  });

  test('the framework waits 10 s between isComplete calls', () => {
    const { template } = synth();
    const sm = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    expect(sm).toHaveLength(1);
    expect(JSON.stringify(sm[0].Properties.DefinitionString)).toContain('\\"IntervalSeconds\\":10');
  });
});

// ---------------------------------------------------------------------------------------------
// shared provider
// ---------------------------------------------------------------------------------------------

describe('shared provider', () => {
  test('two cancellers in one stack share one provider', () => {
    const stack = envStack();
    newCanceller(stack, { syncIds: [SYNC_A] }, 'First');
    newCanceller(stack, { syncIds: [SYNC_B] }, 'Second');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.resourceCountIs(RESOURCE_TYPE, 2);
    const tokens = Object.values(template.findResources(RESOURCE_TYPE)).map((r: any) => JSON.stringify(r.Properties.ServiceToken));
    expect(new Set(tokens).size).toBe(1);
  });

  test('two cancellers with different secrets both get read access on the shared isComplete role', () => {
    const stack = envStack();
    const other = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic/other-ZyXwVu';
    newCanceller(stack, { secret: importedSecret(stack, SECRET_ARN, 'S1') }, 'First');
    newCanceller(stack, { secret: importedSecret(stack, other, 'S2') }, 'Second');
    const statements = isCompleteStatements(Template.fromStack(stack));
    const resources = statements.filter((s) => s.Action === 'secretsmanager:GetSecretValue').flatMap((s) => asArray(s.Resource));
    expect(resources.sort()).toEqual([other, SECRET_ARN].sort());
  });

  test('two stacks get one provider each', () => {
    const app = newApp();
    const a = envStack(app, 'A');
    const b = envStack(app, 'B');
    newCanceller(a);
    newCanceller(b);
    for (const stack of [a, b]) {
      const template = Template.fromStack(stack);
      template.resourceCountIs('AWS::Lambda::Function', 5);
      template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
      const [frameworkId] = functionWithHandler(template, 'framework.onEvent');
      expect(cancellerProperties(template).ServiceToken).toEqual({ 'Fn::GetAtt': [frameworkId, 'Arn'] });
    }
    expect(a.dependencies).toEqual([]);
    expect(b.dependencies).toEqual([]);
  });

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
  ])('a second canceller with another %s is refused, naming it', (_name, settings, named) => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    newCanceller(stack, _name === 'securityGroups' ? { vpc } : {}, 'First');
    expect(errorOf(() => newCanceller(stack, settings(stack), 'Second'))).toContain(`its ${named} differ`);
  });

  test('two cancellers with the same VPC config share a provider', () => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    newCanceller(stack, { vpc }, 'First');
    newCanceller(stack, { vpc }, 'Second');
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Lambda::Function', 5);
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
  });
});

// ---------------------------------------------------------------------------------------------
// IAM
// ---------------------------------------------------------------------------------------------

describe('IAM least privilege', () => {
  test('the isComplete role may read exactly the secret (full ARN)', () => {
    expect(isCompleteSecretStatements(synth().template)).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: SECRET_ARN },
    ]);
  });

  test('a secret imported by name is granted with the ?????? suffix wildcard', () => {
    const stack = envStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'polytomic/api-key');
    const { template } = synth({ secret }, stack);
    expect(isCompleteSecretStatements(template)).toEqual([{
      Action: 'secretsmanager:GetSecretValue',
      Effect: 'Allow',
      Resource: {
        'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-1:123456789012:secret:polytomic/api-key-??????']],
      },
    }]);
  });

  test('a secret imported by name renders its partial ARN as SecretArn', () => {
    const stack = envStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'polytomic/api-key');
    const { template } = synth({ secret }, stack);
    expect(cancellerProperties(template).SecretArn).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-1:123456789012:secret:polytomic/api-key']],
    });
  });

  test('no secretsmanager:DescribeSecret (nor any other secrets action) is granted', () => {
    const { template } = synth();
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: any) => asArray(s.Action))
      .filter((a: string) => a.startsWith('secretsmanager:'));
    expect(actions).toEqual(['secretsmanager:GetSecretValue']);
  });

  test('no statement of ours has Resource "*" (VPC and KMS key included)', () => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1 });
    const secret = new secretsmanager.Secret(stack, 'Key', { encryptionKey: new kms.Key(stack, 'Cmk') });
    const { template } = synth({ vpc, secret }, stack);
    const ours = [...isCompleteStatements(template), ...onEventStatements(template)];
    expect(ours.length).toBeGreaterThan(0);
    for (const statement of ours) {
      expect(asArray(statement.Resource)).not.toContain('*');
    }
  });

  test('the isComplete role may describe its own stack too (a second look before failing anything)', () => {
    const { template } = synth();
    expect(isCompleteStatements(template)).toContainEqual({ Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } });
  });

  test('the onEvent role may describe exactly its own stack, by its id (to detect a rollback), nothing else', () => {
    const { template } = synth();
    expect(onEventStatements(template)).toEqual([{
      Action: 'cloudformation:DescribeStacks',
      Effect: 'Allow',
      Resource: { Ref: 'AWS::StackId' },
    }]);
  });

  test('the onEvent role gets no secrets or KMS permission', () => {
    const stack = envStack();
    const secret = new secretsmanager.Secret(stack, 'Key', { encryptionKey: new kms.Key(stack, 'Cmk') });
    const { template } = synth({ secret }, stack);
    const actions = onEventStatements(template).flatMap((s) => asArray(s.Action));
    expect(actions.filter((a: string) => /^(secretsmanager|kms):/.test(a))).toEqual([]);
  });

  test('a secret with a customer-managed key created in the stack grants kms:Decrypt on the key', () => {
    const stack = envStack();
    const key = new kms.Key(stack, 'Cmk');
    const secret = new secretsmanager.Secret(stack, 'Key', { encryptionKey: key });
    const { template } = synth({ secret }, stack);
    expect(isCompleteStatements(template)).toEqual(expect.arrayContaining([
      {
        Action: 'kms:Decrypt',
        Effect: 'Allow',
        Resource: { 'Fn::GetAtt': [logicalId(key), 'Arn'] },
        // only through Secrets Manager, as Secret.grantRead grants it
        Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } },
      },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: { Ref: logicalId(secret) } },
    ]));
  });

  test('an imported secret with an imported key grants kms:Decrypt on that key ARN', () => {
    const stack = envStack();
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
      secretCompleteArn: SECRET_ARN,
      encryptionKey: kms.Key.fromKeyArn(stack, 'ImportedKey', KEY_ARN),
    });
    const { template } = synth({ secret }, stack);
    expect(isCompleteSecretStatements(template)).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: SECRET_ARN },
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN, Condition: { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } } },
    ]);
  });

  test('kms:Decrypt is conditioned on Secrets Manager in the secret\'s own region, not the stack\'s', () => {
    const stack = envStack();
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Imported', {
      secretCompleteArn: 'arn:aws:secretsmanager:us-west-2:123456789012:secret:polytomic/api-key-QwErTy',
      encryptionKey: kms.Key.fromKeyArn(stack, 'ImportedKey', 'arn:aws:kms:us-west-2:123456789012:key/9b2c6f0e-1d3a-4c5b-8e7f-0a1b2c3d4e5f'),
    });
    const { template } = synth({ secret }, stack);
    const decrypt = isCompleteSecretStatements(template).find((s) => s.Action === 'kms:Decrypt');
    expect(decrypt.Condition).toEqual({ StringEquals: { 'kms:ViaService': 'secretsmanager.us-west-2.amazonaws.com' } });
  });

  test('a secret without a customer-managed key grants no KMS permission', () => {
    const actions = isCompleteStatements(synth().template).flatMap((s) => asArray(s.Action));
    expect(actions.filter((a: string) => a.startsWith('kms:'))).toEqual([]);
  });

  test('a cross-region imported secret renders its full ARN in SecretArn and the policy', () => {
    const westArn = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:polytomic/api-key-QwErTy';
    const stack = envStack();
    const { template } = synth({ secret: importedSecret(stack, westArn, 'West') }, stack);
    expect(cancellerProperties(template).SecretArn).toBe(westArn);
    expect(isCompleteSecretStatements(template)).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: westArn },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// secret hygiene
// ---------------------------------------------------------------------------------------------

describe('secret hygiene', () => {
  test('the custom resource carries only documented properties, the secret as an ARN', () => {
    const stack = envStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'ByArn', SECRET_ARN);
    const { template } = synth({ secret, secretField: 'apiKey' }, stack);
    const props = cancellerProperties(template);
    for (const key of Object.keys(props)) {
      expect(DOCUMENTED_PROPERTIES).toContain(key);
    }
    expect(props.SecretArn).toBe(SECRET_ARN);
    expect(props.SecretField).toBe('apiKey');
  });

  test('a secret value set in the stack reaches the Secret resource only, not the canceller nor the functions', () => {
    const stack = envStack();
    const secret = new secretsmanager.Secret(stack, 'Key', {
      secretStringValue: SecretValue.unsafePlainText('pk-live-DO-NOT-LEAK'),
    });
    const { template } = synth({ secret }, stack);
    expect(JSON.stringify(cancellerProperties(template))).not.toContain('pk-live-DO-NOT-LEAK');
    expect(JSON.stringify(template.findResources('AWS::Lambda::Function'))).not.toContain('pk-live-DO-NOT-LEAK');
    expect(JSON.stringify(template.findResources('AWS::IAM::Policy'))).not.toContain('pk-live-DO-NOT-LEAK');
    expect(cancellerProperties(template).SecretArn).toEqual({ Ref: logicalId(secret) });
  });

  test('an apiUrl with credentials is rejected without echoing the password', () => {
    const message = errorOf(() => synth({ apiUrl: 'https://admin:hunter2@polytomic.example.com' }));
    expect(message).toMatch(/apiUrl must not contain credentials/);
    expect(message).not.toContain('hunter2');
  });
});

// ---------------------------------------------------------------------------------------------
// validation
// ---------------------------------------------------------------------------------------------

describe('validation', () => {
  test('empty syncIds', () => {
    expect(() => synth({ syncIds: [] })).toThrow(/syncIds is empty/);
  });

  test('a sync id that is not a UUID', () => {
    expect(() => synth({ syncIds: ['sync-123'] })).toThrow(/syncIds contains "sync-123", which is not a bulk sync id/);
  });

  test('duplicate sync ids, compared case-insensitively', () => {
    expect(() => synth({ syncIds: [SYNC_A, SYNC_A.toUpperCase()] })).toThrow(/syncIds contains .* more than once/);
  });

  test('more than 25 sync ids', () => {
    const ids = Array.from({ length: 26 }, (_, i) => uuid(i));
    expect(() => synth({ syncIds: ids })).toThrow(/syncIds has 26 ids: at most 25/);
  });

  test('exactly 25 sync ids are accepted', () => {
    const ids = Array.from({ length: 25 }, (_, i) => uuid(i));
    expect(cancellerProperties(synth({ syncIds: ids }).template).SyncIds).toHaveLength(25);
  });

  test('upper-case UUIDs are accepted', () => {
    expect(cancellerProperties(synth({ syncIds: [SYNC_A.toUpperCase()] }).template).SyncIds).toEqual([SYNC_A.toUpperCase()]);
  });

  test('DEPLOYMENT_KEY without organizationId', () => {
    expect(() => synth({ authMode: PolytomicAuthMode.DEPLOYMENT_KEY })).toThrow(/organizationId is required with PolytomicAuthMode.DEPLOYMENT_KEY/);
  });

  test('organizationId with the default API_KEY auth', () => {
    expect(() => synth({ organizationId: ORG_ID })).toThrow(/organizationId is only used with PolytomicAuthMode.DEPLOYMENT_KEY/);
  });

  test('organizationId with an explicit API_KEY auth', () => {
    expect(() => synth({ authMode: PolytomicAuthMode.API_KEY, organizationId: ORG_ID })).toThrow(/organizationId is only used with/);
  });

  test('an organizationId that is not a UUID', () => {
    expect(() => synth({ authMode: PolytomicAuthMode.DEPLOYMENT_KEY, organizationId: 'acme' }))
      .toThrow(/organizationId "acme" is not a Polytomic organization id/);
  });

  test('an http:// apiUrl', () => {
    expect(() => synth({ apiUrl: 'http://polytomic.example.com' })).toThrow(/apiUrl "http:\/\/polytomic.example.com" does not use https/);
  });

  test('an apiUrl with credentials', () => {
    expect(() => synth({ apiUrl: 'https://user:pass@polytomic.example.com' })).toThrow(/apiUrl must not contain credentials/);
  });

  test('an apiUrl that is not a URL', () => {
    expect(() => synth({ apiUrl: 'app.polytomic.com' })).toThrow(/apiUrl "app.polytomic.com" is not a URL/);
  });

  test('an apiUrl with a query or fragment', () => {
    expect(() => synth({ apiUrl: 'https://app.polytomic.com/?x=1' })).toThrow(/apiUrl .* has a query or fragment/);
    expect(() => synth({ apiUrl: 'https://app.polytomic.com/#x' })).toThrow(/apiUrl .* has a query or fragment/);
  });

  test.each(['v2', '2025-9-18', '2025-09-18T00:00:00Z', ''])('a bad apiVersion %j', (apiVersion) => {
    expect(() => synth({ apiVersion })).toThrow(/apiVersion ".*" is not a Polytomic API version/);
  });

  test('a timeout under 1 minute', () => {
    expect(() => synth({ timeout: Duration.seconds(59) })).toThrow(/timeout is 59 seconds: it must be between 1 minute and 55 minutes/);
  });

  test('a timeout over 55 minutes', () => {
    expect(() => synth({ timeout: Duration.minutes(56) })).toThrow(/timeout is 56 minutes: it must be between 1 minute and 55 minutes/);
  });

  test('a pollInterval over 2 minutes', () => {
    expect(() => synth({ pollInterval: Duration.seconds(121) })).toThrow(/pollInterval is .*: it must be between 1 second and 2 minutes/);
  });

  test('a pollInterval longer than the timeout', () => {
    expect(() => synth({ timeout: Duration.minutes(1), pollInterval: Duration.seconds(90) }))
      .toThrow(/pollInterval \(.*\) is longer than timeout \(1 minute\)/);
  });

  test.each(['', '   '])('an empty secretField %j', (secretField) => {
    expect(() => synth({ secretField })).toThrow(/secretField is empty/);
  });

  test('vpcSubnets without vpc', () => {
    expect(() => synth({ vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS } }))
      .toThrow(/vpcSubnets and securityGroups need vpc/);
  });

  test('securityGroups without vpc', () => {
    const stack = envStack();
    const sg = ec2.SecurityGroup.fromSecurityGroupId(stack, 'Sg', 'sg-0123456789abcdef0');
    expect(() => synth({ securityGroups: [sg] }, stack)).toThrow(/vpcSubnets and securityGroups need vpc/);
  });

  test('logGroup and logRetention together', () => {
    const stack = envStack();
    const logGroup = new logs.LogGroup(stack, 'Logs');
    expect(() => synth({ logGroup, logRetention: logs.RetentionDays.ONE_WEEK }, stack))
      .toThrow(/give it either logGroup or logRetention/);
  });

  test('several errors are reported in one throw, naming the construct', () => {
    const message = errorOf(() => synth({
      syncIds: [],
      apiUrl: 'http://polytomic.example.com',
      apiVersion: 'latest',
      timeout: Duration.hours(2),
      secretField: '',
    }));
    expect(message).toMatch(/^Invalid PolytomicBulkSyncCanceller Stack\/Canceller:/);
    expect(message).toMatch(/syncIds is empty/);
    expect(message).toMatch(/does not use https/);
    expect(message).toMatch(/apiVersion "latest"/);
    expect(message).toMatch(/timeout is 2 hours/);
    expect(message).toMatch(/secretField is empty/);
    expect(message.split('\n  - ')).toHaveLength(6);
  });

  test('an invalid canceller creates no provider', () => {
    const stack = envStack();
    expect(() => newCanceller(stack, { syncIds: [] })).toThrow(/syncIds is empty/);
    expect(stack.node.children.filter((c) => c.node.id.startsWith('PolytomicBulkSyncCancellerProvider'))).toEqual([]);
  });

  describe('unresolved tokens are not validated', () => {
    test('syncIds from Fn.split of a parameter', () => {
      const stack = envStack();
      const ids = new CfnParameter(stack, 'SyncIds', { type: 'String' });
      const { template } = synth({ syncIds: Fn.split(',', ids.valueAsString) }, stack);
      expect(cancellerProperties(template).SyncIds).toEqual({ 'Fn::Split': [',', { Ref: 'SyncIds' }] });
    });

    test('syncIds from Lazy.list', () => {
      const { template } = synth({ syncIds: Lazy.list({ produce: () => [SYNC_B] }) });
      expect(cancellerProperties(template).SyncIds).toEqual([SYNC_B]);
    });

    test('a token element among literal sync ids', () => {
      const stack = envStack();
      const id = new CfnParameter(stack, 'SyncId', { type: 'String' });
      const { template } = synth({ syncIds: [SYNC_A, id.valueAsString] }, stack);
      expect(cancellerProperties(template).SyncIds).toEqual([SYNC_A, { Ref: 'SyncId' }]);
    });

    test('apiUrl from a parameter', () => {
      const stack = envStack();
      const url = new CfnParameter(stack, 'ApiUrl', { type: 'String' });
      const { template } = synth({ apiUrl: url.valueAsString }, stack);
      expect(cancellerProperties(template).ApiUrl).toEqual({ Ref: 'ApiUrl' });
    });

    test('apiVersion and organizationId from parameters', () => {
      const stack = envStack();
      const version = new CfnParameter(stack, 'ApiVersion', { type: 'String' });
      const org = new CfnParameter(stack, 'OrgId', { type: 'String' });
      const { template } = synth({
        apiVersion: version.valueAsString,
        authMode: PolytomicAuthMode.DEPLOYMENT_KEY,
        organizationId: org.valueAsString,
      }, stack);
      const props = cancellerProperties(template);
      expect(props.ApiVersion).toEqual({ Ref: 'ApiVersion' });
      expect(props.OrganizationId).toEqual({ Ref: 'OrgId' });
    });

    test('secretField from a parameter', () => {
      const stack = envStack();
      const field = new CfnParameter(stack, 'Field', { type: 'String' });
      const { template } = synth({ secretField: field.valueAsString }, stack);
      expect(cancellerProperties(template).SecretField).toEqual({ Ref: 'Field' });
    });

    test('a timeout of Duration.seconds(parameter): no error, and the service timeout of the longest allowed timeout', () => {
      const stack = envStack();
      const seconds = new CfnParameter(stack, 'TimeoutSeconds', { type: 'Number' });
      const { template } = synth({ timeout: Duration.seconds(seconds.valueAsNumber) }, stack);
      const props = cancellerProperties(template);
      expect(props.TimeoutSeconds).toEqual({ Ref: 'TimeoutSeconds' });
      // the handler refuses a timeout over 55 min, so CloudFormation never waits its default hour
      expect(props.ServiceTimeout).toBe(String(55 * 60 + 120));
    });

    test('a pollInterval of Duration.seconds(parameter) with a known timeout', () => {
      const stack = envStack();
      const seconds = new CfnParameter(stack, 'PollSeconds', { type: 'Number' });
      const { template } = synth({ pollInterval: Duration.seconds(seconds.valueAsNumber) }, stack);
      const props = cancellerProperties(template);
      expect(props.PollIntervalSeconds).toEqual({ Ref: 'PollSeconds' });
      expect(props.ServiceTimeout).toBe('1920');
    });
  });
});

// ---------------------------------------------------------------------------------------------
// ordering
// ---------------------------------------------------------------------------------------------

describe('ordering', () => {
  test('executeBefore(bucket) makes the bucket depend on the custom resource', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const canceller = newCanceller(stack);
    canceller.executeBefore(bucket);
    const template = Template.fromStack(stack);
    template.hasResource('AWS::S3::Bucket', { DependsOn: Match.arrayWith([logicalId(canceller.resource)]) });
    template.hasResource(RESOURCE_TYPE, { DependsOn: Match.not(Match.arrayWith([logicalId(bucket)])) });
  });

  test('executeAfter(bucket) makes the custom resource depend on the bucket', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const canceller = newCanceller(stack);
    canceller.executeAfter(bucket);
    const template = Template.fromStack(stack);
    template.hasResource(RESOURCE_TYPE, { DependsOn: Match.arrayWith([logicalId(bucket)]) });
    template.hasResource('AWS::S3::Bucket', { DependsOn: Match.absent() });
  });

  test('the executeBefore prop does the same as executeBefore()', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const canceller = newCanceller(stack, { executeBefore: [bucket] });
    Template.fromStack(stack).hasResource('AWS::S3::Bucket', { DependsOn: Match.arrayWith([logicalId(canceller.resource)]) });
  });

  test('the executeAfter prop does the same as executeAfter()', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    newCanceller(stack, { executeAfter: [bucket] });
    Template.fromStack(stack).hasResource(RESOURCE_TYPE, { DependsOn: Match.arrayWith([logicalId(bucket)]) });
  });

  test('executeBefore of a scope that contains the canceller throws', () => {
    const stack = envStack();
    const group = new Construct(stack, 'Group');
    const canceller = new PolytomicBulkSyncCanceller(group, 'Canceller', { syncIds: [SYNC_A], secret: importedSecret(stack) });
    expect(() => canceller.executeBefore(group)).toThrow(/executeBefore\(Stack\/Group\): that scope contains the canceller/);
    expect(() => canceller.executeBefore(stack)).toThrow(/contains the canceller/);
    expect(() => canceller.executeBefore(canceller)).toThrow(/contains the canceller/);
  });

  test('executeBefore of a scope in another stack makes that stack depend on the canceller\'s', () => {
    const app = newApp();
    const stackA = envStack(app, 'A');
    const stackB = envStack(app, 'B');
    const canceller = newCanceller(stackA);
    canceller.executeBefore(new s3.Bucket(stackB, 'Bucket'));
    app.synth();
    expect(stackB.dependencies).toContain(stackA);
    expect(stackA.dependencies).not.toContain(stackB);
  });

  test('executeAfter of a scope in another stack makes the canceller\'s stack depend on it', () => {
    const app = newApp();
    const stackA = envStack(app, 'A');
    const stackB = envStack(app, 'B');
    const canceller = newCanceller(stackA);
    canceller.executeAfter(new s3.Bucket(stackB, 'Bucket'));
    app.synth();
    expect(stackA.dependencies).toContain(stackB);
  });
});

// ---------------------------------------------------------------------------------------------
// guarded resources hash
// ---------------------------------------------------------------------------------------------

describe('GuardedResourcesHash', () => {
  interface Variant {
    readonly guardedVersioned?: boolean;
    readonly unguardedVersioned?: boolean;
    readonly guardedInOtherStack?: boolean;
  }

  /** The GuardedResourcesHash of a canceller guarding one bucket, with another bucket unguarded. */
  function hashOf(variant: Variant): string {
    const app = newApp();
    const stack = envStack(app, 'A');
    const guardedStack = variant.guardedInOtherStack ? envStack(app, 'B') : stack;
    const guarded = new s3.Bucket(guardedStack, 'Guarded', { versioned: variant.guardedVersioned ?? false });
    new s3.Bucket(stack, 'Unguarded', { versioned: variant.unguardedVersioned ?? false });
    newCanceller(stack, { executeBefore: [guarded] });
    return cancellerProperties(Template.fromStack(stack)).GuardedResourcesHash;
  }

  test('is "none" without guarded scopes', () => {
    expect(cancellerProperties(synth().template).GuardedResourcesHash).toBe('none');
  });

  test('is "none" with only executeAfter scopes', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    expect(cancellerProperties(synth({ executeAfter: [bucket] }, stack).template).GuardedResourcesHash).toBe('none');
  });

  test('is a 32-character hex string with guarded scopes', () => {
    expect(hashOf({})).toMatch(/^[0-9a-f]{32}$/);
  });

  test('is the same for the same app', () => {
    expect(hashOf({})).toBe(hashOf({}));
  });

  test('changes when a property of a guarded resource changes', () => {
    expect(hashOf({ guardedVersioned: true })).not.toBe(hashOf({ guardedVersioned: false }));
  });

  test('does not change when an unguarded resource changes', () => {
    expect(hashOf({ unguardedVersioned: true })).toBe(hashOf({ unguardedVersioned: false }));
  });

  test('changes when a guarded resource in another stack changes', () => {
    const before = hashOf({ guardedInOtherStack: true, guardedVersioned: false });
    const after = hashOf({ guardedInOtherStack: true, guardedVersioned: true });
    expect(before).toMatch(/^[0-9a-f]{32}$/);
    expect(after).not.toBe(before);
  });

  test('changes when a resource is added inside a guarded scope after executeBefore', () => {
    function hashWith(extra: boolean): string {
      const stack = envStack();
      const group = new Construct(stack, 'Group');
      new s3.Bucket(group, 'First');
      newCanceller(stack).executeBefore(group);
      if (extra) new s3.Bucket(group, 'Second');
      return cancellerProperties(Template.fromStack(stack)).GuardedResourcesHash;
    }
    expect(hashWith(true)).not.toBe(hashWith(false));
  });
});

// ---------------------------------------------------------------------------------------------
// attributes
// ---------------------------------------------------------------------------------------------

describe('attributes', () => {
  test('finalStatusOf(id) is Fn::GetAtt of the custom resource and that id', () => {
    const stack = envStack();
    const canceller = newCanceller(stack, { syncIds: [SYNC_A, SYNC_B] });
    expect(stack.resolve(canceller.finalStatusOf(SYNC_B))).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), SYNC_B] });
  });

  test('finalStatusOf throws for an id not in syncIds', () => {
    const canceller = newCanceller(envStack(), { syncIds: [SYNC_A] });
    expect(() => canceller.finalStatusOf(SYNC_B)).toThrow(/finalStatusOf\(.*\): that sync is not one of this canceller's syncIds/);
  });

  test('summary is Fn::GetAtt of the custom resource and Summary', () => {
    const stack = envStack();
    const canceller = newCanceller(stack);
    expect(stack.resolve(canceller.summary)).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), 'Summary'] });
  });
});

// ---------------------------------------------------------------------------------------------
// review findings: each of these was a bug
// ---------------------------------------------------------------------------------------------

describe('edge cases', () => {
  test('by default the waiter state machine logs to the one log group the construct creates', () => {
    const { template } = synth();
    template.resourceCountIs('AWS::Logs::LogGroup', 1);
    const [groupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [groupId, 'Arn'] } } }] },
    });
  });

  test('an explicit default logRetention shares the default provider', () => {
    const stack = envStack();
    newCanceller(stack, {}, 'A');
    newCanceller(stack, { logRetention: logs.RetentionDays.ONE_MONTH }, 'B');
    Template.fromStack(stack).resourceCountIs('AWS::Lambda::Function', 5);
  });

  test('a timeout that is not a whole number of seconds is rejected clearly', () => {
    expect(errorOf(() => synth({ timeout: Duration.seconds(90.5) }))).toMatch(/timeout is .*: it must be a whole number of seconds/);
    expect(errorOf(() => synth({ timeout: Duration.millis(90_500) }))).toMatch(/whole number of seconds/);
  });

  test('a whole-second timeout that is not whole minutes renders its ServiceTimeout', () => {
    const props = cancellerProperties(synth({ timeout: Duration.seconds(90) }).template);
    expect(props).toMatchObject({ TimeoutSeconds: '90', ServiceTimeout: '210' });
  });

  test('a token timeout in minutes is rejected with the way to give it', () => {
    const stack = envStack();
    const minutes = new CfnParameter(stack, 'Minutes', { type: 'Number' });
    expect(errorOf(() => newCanceller(stack, { timeout: Duration.minutes(minutes.valueAsNumber) }))).toMatch(/timeout comes from a token .*Duration\.seconds\(token\)/);
  });

  test('finalStatusOf uses the id as it was given in syncIds, whatever the caller\'s case', () => {
    const { canceller, stack } = synth({ syncIds: [SYNC_A] });
    expect(stack.resolve(canceller.finalStatusOf(SYNC_A.toUpperCase()))).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), SYNC_A] });
  });

  test('finalStatusOf accepts any id when syncIds is a token', () => {
    const stack = envStack();
    const ids = new CfnParameter(stack, 'Ids', { type: 'CommaDelimitedList' });
    const canceller = newCanceller(stack, { syncIds: ids.valueAsList });
    expect(stack.resolve(canceller.finalStatusOf(SYNC_B))).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), SYNC_B] });
  });

  test('a scope cannot be both before and after the canceller', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const other = new s3.Bucket(stack, 'Other');
    const canceller = newCanceller(stack);
    canceller.executeAfter(bucket);
    expect(errorOf(() => canceller.executeBefore(bucket))).toMatch(/depends on it \(executeAfter, or the vpc/);
    canceller.executeBefore(other);
    expect(errorOf(() => canceller.executeAfter(other))).toMatch(/already waits for the canceller/);
  });

  test.each(['securityGroup', 'logGroup', 'secret', 'key'])('the canceller\'s own %s cannot be guarded (it would be a cycle)', (what) => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const logGroup = new logs.LogGroup(stack, 'Logs');
    const key = new kms.Key(stack, 'Cmk');
    const secret = new secretsmanager.Secret(stack, 'Key', { encryptionKey: key });
    const canceller = newCanceller(stack, { vpc, securityGroups: [securityGroup], logGroup, secret });
    const target = { securityGroup, logGroup, secret, key }[what]!;
    expect(errorOf(() => canceller.executeBefore(target))).toMatch(/depends on it/);
  });

  test('the log group the construct creates has a vended-logs name, so the waiter can log to it', () => {
    const { template } = synth();
    const [group] = Object.values(template.findResources('AWS::Logs::LogGroup')) as any[];
    // a vended-logs prefix, and the stack id's UUID so a redeployed stack does not collide with a retained group
    expect(group.Properties.LogGroupName).toEqual({
      'Fn::Join': ['', [
        expect.stringMatching(/^\/aws\/vendedlogs\/cdk-polytomic\/.+\/$/),
        { 'Fn::Select': [2, { 'Fn::Split': ['/', { Ref: 'AWS::StackId' }] }] },
      ]],
    });
  });

  test('the custom resource waits for both handler roles and their policies', () => {
    const { template } = synth();
    const cr = Object.values(template.findResources(RESOURCE_TYPE))[0] as { DependsOn: string[] };
    const onEventRole = roleOf(functionWithHandler(template, 'index.onEvent')[1]);
    const isCompleteRole = roleOf(functionWithHandler(template, 'index.isComplete')[1]);
    expect(cr.DependsOn).toEqual(expect.arrayContaining([onEventRole, isCompleteRole, isCompletePolicyId(template)]));
    expect(cr.DependsOn.some((id) => id.startsWith(onEventRole.replace(/[0-9A-F]{8}$/, '')) && id.includes('DefaultPolicy'))).toBe(true);
  });

  test('the secret of another canceller of the stack cannot be guarded (the shared handler reads it)', () => {
    const stack = envStack();
    const data = new Construct(stack, 'Data');
    const secretB = new secretsmanager.Secret(data, 'PolytomicKeyB');
    const a = newCanceller(stack, {}, 'A');
    newCanceller(stack, { secret: secretB }, 'B');
    expect(errorOf(() => a.executeBefore(data))).toMatch(/depends on it/);
  });

  test('a canceller whose secret another canceller already guards is rejected', () => {
    const stack = envStack();
    const data = new Construct(stack, 'Data');
    const secretB = new secretsmanager.Secret(data, 'PolytomicKeyB');
    newCanceller(stack, { executeBefore: [data] }, 'A');
    expect(errorOf(() => newCanceller(stack, { secret: secretB }, 'B'))).toMatch(/its secret is inside .*Data, which a canceller of this stack guards/);
  });

  test('the canceller\'s own VPC cannot be guarded (it would be a cycle)', () => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const canceller = newCanceller(stack, { vpc });
    expect(errorOf(() => canceller.executeBefore(vpc))).toMatch(/depends on it/);
  });

  test.each([
    [{ apiUrl: ' https://polytomic.example.com ' }, /apiUrl .* has leading or trailing spaces/],
    [{ secretField: ' apiKey ' }, /secretField " apiKey " has leading or trailing spaces/],
  ])('%p is rejected', (props, message) => {
    expect(errorOf(() => synth(props))).toMatch(message);
  });
});

describe('timeout action', () => {
  test('timeoutAction CONTINUE renders OnTimeout CONTINUE', () => {
    expect(cancellerProperties(synth({ timeoutAction: TimeoutAction.CONTINUE }).template).OnTimeout).toBe('CONTINUE');
  });

  test('timedOut is Fn::GetAtt of the custom resource and TimedOut', () => {
    const { canceller, stack } = synth();
    expect(stack.resolve(canceller.timedOut)).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), 'TimedOut'] });
  });
});
