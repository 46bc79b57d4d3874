/**
 * The key at run time: every way reading it can go wrong, through the real AWS SDK client
 * and a loopback Secrets Manager. Each error names the secret or the field, never the value.
 * Part of the handler suite (../handler.test.ts).
 */
import { isComplete } from '../../../lambda/is-complete';
import { SECRET_ARN, cfnEvent, lambdaContext } from '../../fixtures/events';
import { API_KEY, SYNC_A, World, deploy, worldDeps } from '../../fixtures/harness';

const JSON_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-json-AbCdEf';

export function credentialScenarios(world: World): void {
  describe('reading the key', () => {
    test('secret not found: fails naming the secret and its region', async () => {
      world.sim.addSync({ id: SYNC_A });
      const missing = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone-AbCdEf';
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], SecretArn: missing }), worldDeps());
      expect(run.error?.message).toBe(`secret ${missing} was not found (in region eu-west-1)`);
      expect(world.sim.requests).toHaveLength(0);
    });

    test('access denied right after deployment is retried (IAM propagation), then succeeds', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.fail(SECRET_ARN, 'AccessDeniedException', 2);
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.invocations).toBe(3);
    });

    test('access denied that lasts fails after the propagation window, saying what the role needs', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.fail(SECRET_ARN, 'AccessDeniedException');
      const deps = worldDeps();
      const start = deps.clock.now();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error?.message).toMatch(new RegExp(`access to secret ${SECRET_ARN} was denied: the handler's role needs secretsmanager:GetSecretValue`));
      expect(deps.clock.now() - start).toBeGreaterThanOrEqual(60_000);
      expect(deps.clock.now() - start).toBeLessThan(90_000);
    });

    test('KMS decrypt denied: fails saying the role needs kms:Decrypt', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.fail(SECRET_ARN, 'DecryptionFailure');
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error?.message).toMatch(/could not be decrypted: the handler's role needs kms:Decrypt/);
    });

    test('a binary secret: fails asking for a string', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.putSecret(SECRET_ARN, { SecretBinary: Buffer.from('binary-DO-NOT-LOG') });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error?.message).toMatch(/holds binary data: store the Polytomic key as a string/);
    });

    test.each([['an empty secret', ''], ['a secret of spaces', '   \n']])('%s: fails saying the key is empty', async (_name, value) => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.putSecret(SECRET_ARN, { SecretString: value });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error?.message).toMatch(/is empty/);
    });

    test('a key with a line break inside: fails at once, and no part of the key shows anywhere', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.putSecret(SECRET_ARN, { SecretString: '8e5dcfdd-DO-NOT-LOG\n-a136-119e1254847b' });
      const deps = worldDeps();
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), deps);
      expect(run.error?.message).toBe(`the Polytomic key in secret ${SECRET_ARN} contains spaces, line breaks or non-ASCII characters: store the key alone`);
      expect(run.invocations).toBe(1);
      expect([...deps.lines, run.error?.message].join('\n')).not.toMatch(/119e1254847b|8e5dcfdd/);
      expect(world.sim.requests).toHaveLength(0);
    });

    test('KMS decrypt denied right after deployment is retried (the grant may be propagating), then succeeds', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.fail(SECRET_ARN, 'DecryptionFailure', 2);
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.invocations).toBe(3);
    });

    test('not JSON while secretField is set: fails naming the field', async () => {
      world.sim.addSync({ id: SYNC_A });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], SecretField: 'apiKey' }), worldDeps());
      expect(run.error?.message).toBe(`secret ${SECRET_ARN} is not JSON, but secretField "apiKey" was given: store a JSON object, or drop secretField`);
      expect(run.error?.message).not.toContain(API_KEY);
    });

    test('the field is missing: fails naming it', async () => {
      world.sim.addSync({ id: SYNC_A });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], SecretArn: JSON_ARN, SecretField: 'token' }), worldDeps());
      expect(run.error?.message).toBe(`secret ${JSON_ARN} has no field "token"`);
    });

    test('the field is not a string: fails naming it', async () => {
      world.sim.addSync({ id: SYNC_A });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], SecretArn: JSON_ARN, SecretField: 'other' }), worldDeps());
      expect(run.error?.message).toBe(`field "other" of secret ${JSON_ARN} is not a string`);
    });

    test('a JSON secret without secretField: fails asking for the field', async () => {
      world.sim.addSync({ id: SYNC_A });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], SecretArn: JSON_ARN }), worldDeps());
      expect(run.error?.message).toMatch(/holds JSON: set secretField/);
      expect(run.error?.message).not.toContain(API_KEY);
    });

    test('a Secrets Manager outage (500) is transient: retried, then succeeds', async () => {
      world.sim.addSync({ id: SYNC_A });
      world.secrets.fail(SECRET_ARN, 'InternalServiceError', 1);
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A] }), worldDeps());
      expect(run.error).toBeUndefined();
    });

    test('a secret in another region is read by a client in that region', async () => {
      world.sim.addSync({ id: SYNC_A });
      const remote = 'arn:aws:secretsmanager:us-west-2:210987654321:secret:shared/polytomic-XyZ123';
      world.secrets.putSecret(remote, { SecretString: API_KEY });
      const run = await deploy('Create', world.props({ SyncIds: [SYNC_A], SecretArn: remote }), worldDeps());
      expect(run.error).toBeUndefined();
      expect(world.secrets.requests.at(-1)).toMatchObject({ secretId: remote, region: 'us-west-2' });
    });
  });

  describe('properties written by older versions', () => {
    test('a minimal property set (no version, comma-separated ids, numbers as numbers) still works', async () => {
      world.sim.addSync({ id: SYNC_A, running: true });
      const run = await deploy('Update', { ServiceToken: 'x', SyncIds: SYNC_A, SecretArn: SECRET_ARN, ApiUrl: world.sim.url, TimeoutSeconds: 600 }, worldDeps());
      expect(run.error).toBeUndefined();
      expect(run.result?.Data?.[SYNC_A]).toBe('canceled');
    });

    test('an isComplete request without the onEvent state (another version\'s onEvent) still completes', async () => {
      world.sim.addSync({ id: SYNC_A });
      const deps = worldDeps();
      const result = await isComplete(cfnEvent('Create', world.props({ SyncIds: [SYNC_A] })), lambdaContext(deps.clock), deps);
      expect(result.IsComplete).toBe(true);
    });
  });
}
