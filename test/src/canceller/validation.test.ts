/**
 * The props a canceller refuses at synth time and the message each gets (several at once,
 * naming the construct), and the values it cannot check yet: tokens pass through to the template.
 */
import { CfnParameter, Duration, Fn, Lazy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { PolytomicAuthMode } from '../../../src';
import { ORG_ID, PROVIDER_ID, SYNC_A, SYNC_B, cancellerProperties, envStack, errorOf, newCanceller, synth, uuid } from '../support';

describe('sync ids', () => {
  test('no selection: neither syncIds nor connectionIds, unless allowEmptySelection says so', () => {
    expect(() => synth({ syncIds: [] })).toThrow(/no sync is selected: give syncIds \(bulk sync ids\) or connectionIds .*or set allowEmptySelection: true/);
    expect(() => synth({ syncIds: undefined })).toThrow(/no sync is selected/);
    expect(() => synth({ syncIds: [], allowEmptySelection: true })).not.toThrow();
    expect(() => synth({ syncIds: undefined, connectionIds: [SYNC_A] })).not.toThrow();
  });

  test('connection ids: UUIDs, no duplicates, a list', () => {
    expect(() => synth({ connectionIds: ['postgres-prod'] })).toThrow(/connectionIds contains "postgres-prod", which is not a Polytomic connection id: a UUID is expected/);
    expect(() => synth({ connectionIds: [SYNC_A, SYNC_A] })).toThrow(/connectionIds contains .* more than once/);
    expect(() => synth({ connectionIds: SYNC_A as unknown as string[] })).toThrow(/connectionIds must be a list of connection ids, not a string/);
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
});

describe('authentication', () => {
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

  test.each(['', '   '])('an empty secretField %j', (secretField) => {
    expect(() => synth({ secretField })).toThrow(/secretField is empty/);
  });
});

describe('api', () => {
  test('an http:// apiUrl', () => {
    expect(() => synth({ apiUrl: 'http://polytomic.example.com' })).toThrow(/apiUrl "http:\/\/polytomic.example.com" does not use https/);
  });

  test('an apiUrl with credentials is rejected without echoing the password', () => {
    const message = errorOf(() => synth({ apiUrl: 'https://admin:hunter2@polytomic.example.com' }));
    expect(message).toMatch(/apiUrl must not contain credentials/);
    expect(message).not.toContain('hunter2');
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

  test.each([
    [{ apiUrl: ' https://polytomic.example.com ' }, /apiUrl .* has leading or trailing spaces/],
    [{ secretField: ' apiKey ' }, /secretField " apiKey " has leading or trailing spaces/],
  ])('%p is rejected', (props, message) => {
    expect(errorOf(() => synth(props))).toMatch(message);
  });
});

describe('timing', () => {
  test('a timeout under 1 minute', () => {
    expect(() => synth({ timeout: Duration.seconds(59) })).toThrow(/timeout is 59 seconds: it must be between 1 minute and 55 minutes/);
  });

  test('a timeout over 55 minutes', () => {
    expect(() => synth({ timeout: Duration.minutes(56) })).toThrow(/timeout is 56 minutes: it must be between 1 minute and 55 minutes/);
  });

  test('a timeout that is not a whole number of seconds is rejected clearly', () => {
    expect(errorOf(() => synth({ timeout: Duration.seconds(90.5) }))).toMatch(/timeout is .*: it must be a whole number of seconds/);
    expect(errorOf(() => synth({ timeout: Duration.millis(90_500) }))).toMatch(/whole number of seconds/);
  });

  test('a sub-second pollInterval', () => {
    expect(() => synth({ pollInterval: Duration.millis(500) })).toThrow(/pollInterval is .*must be between 1 second and 2 minutes/);
  });

  test('a pollInterval over 2 minutes', () => {
    expect(() => synth({ pollInterval: Duration.seconds(121) })).toThrow(/pollInterval is .*: it must be between 1 second and 2 minutes/);
  });

  test('a pollInterval longer than the timeout', () => {
    expect(() => synth({ timeout: Duration.minutes(1), pollInterval: Duration.seconds(90) }))
      .toThrow(/pollInterval \(.*\) is longer than timeout \(1 minute\)/);
  });
});

describe('network and logging', () => {
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
});

describe('how errors are reported', () => {
  test('several errors are reported in one throw, naming the construct', () => {
    const message = errorOf(() => synth({
      syncIds: [],
      apiUrl: 'http://polytomic.example.com',
      apiVersion: 'latest',
      timeout: Duration.hours(2),
      secretField: '',
    }));
    expect(message).toMatch(/^Invalid PolytomicBulkSyncCanceller Stack\/Canceller:/);
    expect(message).toMatch(/no sync is selected/);
    expect(message).toMatch(/does not use https/);
    expect(message).toMatch(/apiVersion "latest"/);
    expect(message).toMatch(/timeout is 2 hours/);
    expect(message).toMatch(/secretField is empty/);
    expect(message.split('\n  - ')).toHaveLength(6);
  });

  test('an invalid canceller creates no provider', () => {
    const stack = envStack();
    expect(() => newCanceller(stack, { syncIds: [] })).toThrow(/no sync is selected/);
    expect(stack.node.children.filter((c) => c.node.id.startsWith(PROVIDER_ID))).toEqual([]);
  });
});

describe('tokens', () => {
  describe('unresolved tokens are not validated, and reach the template as given', () => {
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

  test('a token timeout in minutes is rejected with the way to give it', () => {
    const stack = envStack();
    const minutes = new CfnParameter(stack, 'Minutes', { type: 'Number' });
    expect(errorOf(() => newCanceller(stack, { timeout: Duration.minutes(minutes.valueAsNumber) }))).toMatch(/timeout comes from a token .*Duration\.seconds\(token\)/);
  });
});
