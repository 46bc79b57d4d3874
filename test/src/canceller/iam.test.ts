/**
 * What the handler roles may do: read exactly the cancellers' secrets, decrypt their keys only
 * through Secrets Manager (kms:ViaService), describe their own stack, and nothing with Resource "*".
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import {
  KEY_ARN, SECRET_ARN,
  asArray, cancellerProperties, envStack, importedSecret, isCompleteSecretStatements, isCompleteStatements,
  logicalId, newCanceller, onEventStatements, synth, templateOf,
} from '../support';

const VIA_SECRETS_MANAGER = { StringEquals: { 'kms:ViaService': 'secretsmanager.eu-west-1.amazonaws.com' } };

describe('the secret', () => {
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

  test('a cross-region imported secret renders its full ARN in SecretArn and the policy', () => {
    const westArn = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:polytomic/api-key-QwErTy';
    const stack = envStack();
    const { template } = synth({ secret: importedSecret(stack, westArn, 'West') }, stack);
    expect(cancellerProperties(template).SecretArn).toBe(westArn);
    expect(isCompleteSecretStatements(template)).toEqual([
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: westArn },
    ]);
  });

  test('no secretsmanager:DescribeSecret (nor any other secrets action) is granted', () => {
    const { template } = synth();
    const actions = Object.values(template.findResources('AWS::IAM::Policy'))
      .flatMap((p: any) => p.Properties.PolicyDocument.Statement)
      .flatMap((s: any) => asArray(s.Action))
      .filter((a: string) => a.startsWith('secretsmanager:'));
    expect([...new Set(actions)]).toEqual(['secretsmanager:GetSecretValue']);
  });

  test('two cancellers with different secrets both get read access on the shared isComplete role', () => {
    const stack = envStack();
    const other = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic/other-ZyXwVu';
    newCanceller(stack, { secret: importedSecret(stack, SECRET_ARN, 'S1') }, 'First');
    newCanceller(stack, { secret: importedSecret(stack, other, 'S2') }, 'Second');
    const statements = isCompleteStatements(templateOf(stack));
    const resources = statements.filter((s) => s.Action === 'secretsmanager:GetSecretValue').flatMap((s) => asArray(s.Resource));
    expect(resources.sort()).toEqual([other, SECRET_ARN].sort());
  });
});

describe('the key of the secret', () => {
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
        Condition: VIA_SECRETS_MANAGER,
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
      { Action: 'kms:Decrypt', Effect: 'Allow', Resource: KEY_ARN, Condition: VIA_SECRETS_MANAGER },
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
});

describe('the stack and the onEvent role', () => {
  test('the isComplete role may describe its own stack too (a second look before failing anything)', () => {
    const { template } = synth();
    expect(isCompleteStatements(template)).toContainEqual({ Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } });
  });

  test('the onEvent role may describe exactly its own stack (to detect a rollback) and read the secret (to learn which syncs a pause deactivates)', () => {
    const { template } = synth();
    expect(onEventStatements(template)).toEqual([
      { Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
      { Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: SECRET_ARN },
    ]);
  });

  test('the onEvent role gets the same secret and KMS permissions as the isComplete role', () => {
    const stack = envStack();
    const secret = new secretsmanager.Secret(stack, 'Key', { encryptionKey: new kms.Key(stack, 'Cmk') });
    const { template } = synth({ secret }, stack);
    const keyed = (statements: any[]) => statements.filter((s) => /^(secretsmanager|kms):/.test(asArray(s.Action)[0]));
    expect(keyed(onEventStatements(template))).toEqual(keyed(isCompleteStatements(template)));
    expect(keyed(onEventStatements(template)).map((s) => s.Action)).toEqual(['secretsmanager:GetSecretValue', 'kms:Decrypt']);
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
});
