import { PermanentError } from '../../lambda/errors';
import { parseProperties } from '../../lambda/properties';
import { DEFAULT_API_URL, DEFAULT_API_VERSION } from '../../lambda/types';
import { SECRET_ARN, resourceProperties } from '../fixtures/events';

describe('parseProperties', () => {
  test('reads what the construct writes (all values are strings in CloudFormation)', () => {
    expect(parseProperties(resourceProperties({ SecretField: 'apiKey', TimeoutSeconds: '600', PollIntervalSeconds: '1.5', OnTimeout: 'continue' }))).toEqual({
      syncIds: ['248df4b7-aa70-47b8-a036-33ac447e668d'],
      secretArn: SECRET_ARN,
      secretField: 'apiKey',
      authMode: 'API_KEY',
      organizationId: undefined,
      apiUrl: 'https://app.polytomic.com',
      apiVersion: '2025-09-18',
      timeoutMs: 600_000,
      pollIntervalMs: 1_500,
      onTimeout: 'CONTINUE',
    });
  });

  test('properties of an older or hand-written resource take the defaults', () => {
    const props = parseProperties({ SyncIds: 'a, b,,a', SecretArn: SECRET_ARN });
    expect(props).toMatchObject({
      syncIds: ['a', 'b'],
      authMode: 'API_KEY',
      apiUrl: DEFAULT_API_URL,
      apiVersion: DEFAULT_API_VERSION,
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
    [{ SyncIds: [] }, /SyncIds is empty/],
    [{ SecretArn: '' }, /SecretArn is missing/],
    [{ AuthMode: 'OAUTH' }, /AuthMode is "OAUTH": API_KEY or DEPLOYMENT_KEY/],
    [{ AuthMode: 'DEPLOYMENT_KEY' }, /OrganizationId is required/],
  ])('%p is rejected', (overrides, message) => {
    expect(() => parseProperties(resourceProperties(overrides))).toThrow(PermanentError);
    expect(() => parseProperties(resourceProperties(overrides))).toThrow(message);
  });
});
