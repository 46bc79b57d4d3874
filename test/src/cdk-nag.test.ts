/**
 * cdk-nag AwsSolutions over a canceller's stack: no finding at all in the plainest stacks, and the
 * acknowledgements are precise. Every other construct test runs the same check through `templateOf`.
 */
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { KEY_ARN, SECRET_ARN, brief, envStack, errorOf, nagFindings, newCanceller, ourNagFindings, templateOf } from './support';

describe('cdk-nag AwsSolutions', () => {
  test('a canceller adds no finding: the stack has none at all', () => {
    const stack = envStack();
    newCanceller(stack);
    expect(nagFindings(stack).map(brief)).toEqual([]);
  });

  test('nor in a VPC, with a customer-managed key', () => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc', { restrictDefaultSecurityGroup: false });
    NagSuppressions.addResourceSuppressions(vpc, [{ id: 'AwsSolutions-VPC7', reason: 'the test VPC, not the construct' }], true);
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Key', {
      secretCompleteArn: SECRET_ARN,
      encryptionKey: kms.Key.fromKeyArn(stack, 'Cmk', KEY_ARN),
    });
    newCanceller(stack, { secret, vpc });
    expect(nagFindings(stack).map(brief)).toEqual([]);
  });

  test('the acknowledgements are precise: a wildcard someone adds to the handler role is still reported, and fails templateOf', () => {
    const stack = envStack();
    const canceller = newCanceller(stack);
    canceller.isCompleteHandler.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }));
    expect(nagFindings(stack).map(brief)).toEqual([
      expect.stringMatching(/IsComplete\/ServiceRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5\[Resource::arn:aws:s3:::bucket\/\*\]$/),
    ]);
    expect(errorOf(() => templateOf(stack))).toMatch(/^cdk-nag findings on the canceller's resources in Stack:\n {2}error \/Stack\/PolytomicBulkSyncCancellerProvider\/IsComplete\/ServiceRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5/);
  });

  test('findings on what the user built are theirs: reported, but they do not fail templateOf', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    newCanceller(stack, { executeBefore: [bucket] });
    expect(nagFindings(stack).map(brief)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/Stack\/Bucket\/Resource: AwsSolutions-S1$/)]));
    expect(ourNagFindings(stack)).toEqual([]);
    expect(() => templateOf(stack)).not.toThrow();
  });
});
