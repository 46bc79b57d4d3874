import { PermanentError } from '../../lambda/errors';
import { checkProperties, parseProperties } from '../../lambda/properties';
import { DEFAULTS } from '../../src/shared/contract';
import { SECRET_ARN, resourceProperties } from '../fixtures/events';

describe('parseProperties', () => {
  test('a selection by connection, and an empty selection only when allowed', () => {
    const byConnection = parseProperties(resourceProperties({ SyncIds: [], ConnectionIds: ['c-1', 'c-1', 'c-2'] }));
    expect(byConnection).toMatchObject({ syncIds: [], connectionIds: ['c-1', 'c-2'], allowEmptySelection: false });
    expect(parseProperties(resourceProperties({ SyncIds: [], AllowEmptySelection: 'true' }))).toMatchObject({ syncIds: [], allowEmptySelection: true });
    // the nonce of runPolicy EVERY_DEPLOYMENT changes nothing but that an Update is sent
    expect(parseProperties(resourceProperties({ DeploymentNonce: 'abc' }))).toEqual(parseProperties(resourceProperties()));
  });

  test('reads what the construct writes (all values are strings in CloudFormation)', () => {
    expect(parseProperties(resourceProperties({ SecretField: 'apiKey', TimeoutSeconds: '600', PollIntervalSeconds: '1.5', OnTimeout: 'continue' }))).toEqual({
      syncIds: ['248df4b7-aa70-47b8-a036-33ac447e668d'],
      connectionIds: [],
      allowEmptySelection: false,
      secretArn: SECRET_ARN,
      secretField: 'apiKey',
      authMode: 'API_KEY',
      organizationId: undefined,
      apiUrl: 'https://app.polytomic.com',
      apiVersion: '2025-09-18',
      timeoutMs: 600_000,
      pollIntervalMs: 1_500,
      onTimeout: 'CONTINUE',
      haltMode: 'CANCEL',
    });
  });

  test('properties of an older or hand-written resource take the defaults', () => {
    const props = parseProperties({ SyncIds: 'a, b,,a', SecretArn: SECRET_ARN });
    expect(props).toMatchObject({
      syncIds: ['a', 'b'],
      authMode: 'API_KEY',
      apiUrl: DEFAULTS.apiUrl,
      apiVersion: DEFAULTS.apiVersion,
      timeoutMs: 30 * 60_000,
      pollIntervalMs: 15_000,
      onTimeout: 'FAIL',
    });
  });

  test('numbers and unknown properties are accepted', () => {
    expect(parseProperties(resourceProperties({ TimeoutSeconds: 90, FutureProperty: { x: 1 } })).timeoutMs).toBe(90_000);
  });

  test('an unreadable duration falls back to the default rather than failing a rollback', () => {
    expect(parseProperties(resourceProperties({ TimeoutSeconds: 'soon', PollIntervalSeconds: '-1' }))).toMatchObject({ timeoutMs: 1_800_000, pollIntervalMs: 15_000 });
  });

  test.each([
    [{ SyncIds: [] }, /SyncIds and ConnectionIds are empty: at least one bulk sync or connection is expected/],
    [{ SecretArn: '' }, /SecretArn is missing/],
    [{ AuthMode: 'OAUTH' }, /AuthMode is "OAUTH": API_KEY or DEPLOYMENT_KEY/],
    [{ AuthMode: 'DEPLOYMENT_KEY' }, /OrganizationId is required/],
  ])('%p is rejected', (overrides, message) => {
    expect(() => parseProperties(resourceProperties(overrides))).toThrow(PermanentError);
    expect(() => parseProperties(resourceProperties(overrides))).toThrow(message);
  });

  test('a URL that is not https is refused, even in a rollback: the key is never sent in clear text', () => {
    expect(() => parseProperties(resourceProperties({ ApiUrl: 'http://polytomic.example.com' }))).toThrow(PermanentError);
    expect(() => parseProperties(resourceProperties({ ApiUrl: 'http://polytomic.example.com' }))).toThrow(/does not use https/);
    expect(() => parseProperties(resourceProperties({ ApiUrl: 'https://u:p@polytomic.example.com' }))).toThrow(/must not contain credentials/);
  });

  test('plain http to a loopback host is accepted (the key stays on the machine; the tests need it)', () => {
    expect(parseProperties(resourceProperties({ ApiUrl: 'http://127.0.0.1:4010' })).apiUrl).toBe('http://127.0.0.1:4010');
    expect(parseProperties(resourceProperties({ ApiUrl: 'http://localhost:4010/' })).apiUrl).toBe('http://localhost:4010/');
  });

  test('timings out of range are clamped into it', () => {
    expect(parseProperties(resourceProperties({ TimeoutSeconds: '1', PollIntervalSeconds: '1000' }))).toMatchObject({ timeoutMs: 60_000, pollIntervalMs: 60_000 });
    expect(parseProperties(resourceProperties({ TimeoutSeconds: '99999', PollIntervalSeconds: '0.001' }))).toMatchObject({ timeoutMs: 3_300_000, pollIntervalMs: 1_000 });
  });
});

describe('checkProperties', () => {
  test('what the construct writes, and what older resources lack, has no problem', () => {
    expect(checkProperties(resourceProperties())).toEqual([]);
    expect(checkProperties({ SyncIds: 'a', SecretArn: SECRET_ARN })).toEqual([]);
    expect(checkProperties(resourceProperties({ TimeoutSeconds: 3300, PollIntervalSeconds: 120 }))).toEqual([]);
  });

  test('reports what the construct would have refused at synth, one message each', () => {
    expect(checkProperties(resourceProperties({ ApiUrl: 'http://x.example.com', TimeoutSeconds: '3301', PollIntervalSeconds: 'often' }))).toEqual([
      'apiUrl "http://x.example.com" does not use https: the key is sent with every request, so only https is accepted',
      'timeout is 55 minutes 1 second: it must be between 1 minute and 55 minutes (CloudFormation waits at most one hour for a custom resource)',
      'pollInterval is "often": a number of seconds is expected',
    ]);
  });
});
