/**
 * The properties a canceller writes to its custom resource, for each prop given, and every
 * default: each default of the construct is checked here, and nowhere else in the suite.
 */
import { Duration, SecretValue } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PolytomicAuthMode, PolytomicBulkSyncCanceller, TimeoutAction } from '../../../src';
import {
  ORG_ID, RESOURCE_TYPE, SECRET_ARN, SYNC_A, SYNC_B,
  cancellerProperties, envStack, functionWithHandler, logicalId, newCanceller, synth, templateOf, vpcStack,
} from '../support';

/** The resource properties the construct documents (ServiceToken and ServiceTimeout come from CustomResource). */
const DOCUMENTED_PROPERTIES = [
  'ApiUrl', 'ApiVersion', 'AuthMode', 'GuardedResourcesHash', 'HaltMode', 'OnTimeout', 'OrganizationId', 'PollIntervalSeconds',
  'PropertiesVersion', 'SecretArn', 'SecretField', 'ServiceTimeout', 'ServiceToken', 'SyncIds', 'TimeoutSeconds',
];

describe('defaults', () => {
  test('creates one custom resource of type Custom::PolytomicBulkSyncCanceller', () => {
    const { template } = synth();
    template.resourceCountIs(RESOURCE_TYPE, 1);
    expect(PolytomicBulkSyncCanceller.RESOURCE_TYPE).toBe(RESOURCE_TYPE);
  });

  test('renders every default property and nothing else', () => {
    // secretField, organizationId: absent; authMode API_KEY; apiUrl Polytomic's cloud; apiVersion 2025-09-18;
    // timeout 30 min (ServiceTimeout = timeout + 120 s); pollInterval 15 s; timeoutAction FAIL; haltMode CANCEL; nothing guarded
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
      HaltMode: 'CANCEL',
      GuardedResourcesHash: 'none',
    }));
    // no resume without PAUSE_AND_RESUME
    template.resourceCountIs('Custom::PolytomicBulkSyncResume', 0);
  });

  test('not in a VPC: no function has a VpcConfig, and no security group is created', () => {
    const { template } = synth();
    template.resourcePropertiesCountIs('AWS::Lambda::Function', { VpcConfig: Match.anyValue() }, 0);
    template.resourceCountIs('AWS::EC2::SecurityGroup', 0);
  });

  test('with a vpc: both handler functions get a VpcConfig, in the private subnets with a new security group each', () => {
    const { stack, vpc } = vpcStack();
    const { template } = synth({ vpc }, stack);
    const sgs = Object.keys(template.findResources('AWS::EC2::SecurityGroup'));
    expect(sgs).toHaveLength(2);
    for (const handler of ['index.isComplete', 'index.onEvent']) {
      const [, fn] = functionWithHandler(template, handler);
      expect(fn.Properties.VpcConfig).toEqual({
        SubnetIds: stack.resolve(vpc.privateSubnets.map((s) => s.subnetId)),
        SecurityGroupIds: [{ 'Fn::GetAtt': [expect.stringMatching(new RegExp(`^(${sgs.join('|')})$`)), 'GroupId'] }],
      });
    }
    const withVpc = template.findResources('AWS::Lambda::Function', { Properties: { VpcConfig: Match.anyValue() } });
    expect(Object.keys(withVpc)).toHaveLength(2);
  });

  describe('the log group created when none is given', () => {
    test('has one month retention, and every function logs to it', () => {
      const { template } = synth();
      const created = template.findResources('AWS::Logs::LogGroup', { Properties: { RetentionInDays: 30 } });
      expect(Object.keys(created)).toHaveLength(1);
      const [id] = Object.keys(created);
      template.allResourcesProperties('AWS::Lambda::Function', { LoggingConfig: { LogGroup: { Ref: id } } });
    });

    test('the waiter state machine logs to it too: it is the only log group', () => {
      const { template } = synth();
      template.resourceCountIs('AWS::Logs::LogGroup', 1);
      const [groupId] = Object.keys(template.findResources('AWS::Logs::LogGroup'));
      template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
        LoggingConfiguration: { Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [groupId, 'Arn'] } } }] },
      });
    });

    test('it has a vended-logs name, so the waiter can log to it', () => {
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
  });
});

describe('the properties written for each prop', () => {
  test('SyncIds lists the ids in the given order', () => {
    expect(cancellerProperties(synth({ syncIds: [SYNC_B, SYNC_A] }).template).SyncIds).toEqual([SYNC_B, SYNC_A]);
  });

  test('the syncIds of the construct are a copy of the given list', () => {
    const stack = envStack();
    const ids = [SYNC_A];
    const canceller = newCanceller(stack, { syncIds: ids });
    ids.push(SYNC_B);
    expect(canceller.syncIds).toEqual([SYNC_A]);
    expect(cancellerProperties(templateOf(stack)).SyncIds).toEqual([SYNC_A]);
  });

  test('SecretArn of a secret created in the stack is its Ref (the full ARN)', () => {
    const stack = envStack();
    const secret = new secretsmanager.Secret(stack, 'Key');
    const { template } = synth({ secret }, stack);
    expect(cancellerProperties(template).SecretArn).toEqual({ Ref: logicalId(secret) });
  });

  test('a secret imported by name renders its partial ARN as SecretArn', () => {
    const stack = envStack();
    const secret = secretsmanager.Secret.fromSecretNameV2(stack, 'ByName', 'polytomic/api-key');
    const { template } = synth({ secret }, stack);
    expect(cancellerProperties(template).SecretArn).toEqual({
      'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':secretsmanager:eu-west-1:123456789012:secret:polytomic/api-key']],
    });
  });

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

  test('a whole-second timeout that is not whole minutes renders its ServiceTimeout', () => {
    const props = cancellerProperties(synth({ timeout: Duration.seconds(90) }).template);
    expect(props).toMatchObject({ TimeoutSeconds: '90', ServiceTimeout: '210' });
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

  test('timeoutAction CONTINUE renders OnTimeout CONTINUE', () => {
    expect(cancellerProperties(synth({ timeoutAction: TimeoutAction.CONTINUE }).template).OnTimeout).toBe('CONTINUE');
  });
});

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
});
