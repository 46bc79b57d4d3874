import { App, Aspects, Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { AwsSolutionsChecks, NagSuppressions } from 'cdk-nag';
import { PolytomicBulkSyncCanceller } from '../../src';

const SYNC = '248df4b7-aa70-47b8-a036-33ac447e668d';

function findings(build: (stack: Stack) => void): string[] {
  const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
  const stack = new Stack(app, 'Stack', { env: { account: '123456789012', region: 'eu-west-1' } });
  build(stack);
  Aspects.of(stack).add(new AwsSolutionsChecks());
  const annotations = Annotations.fromStack(stack);
  return [...annotations.findError('*', Match.stringLikeRegexp('AwsSolutions-.*')), ...annotations.findWarning('*', Match.stringLikeRegexp('AwsSolutions-.*'))]
    .map((a) => `${a.id}: ${String(a.entry.data).split(/\s/)[0].replace(/:$/, '')}`);
}

describe('cdk-nag AwsSolutions', () => {
  test('a canceller adds no finding of its own', () => {
    expect(findings((stack) => {
      const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-AbCdEf');
      new PolytomicBulkSyncCanceller(stack, 'Canceller', { syncIds: [SYNC], secret });
    })).toEqual([]);
  });

  test('nor in a VPC, with a customer-managed key', () => {
    expect(findings((stack) => {
      const vpc = new ec2.Vpc(stack, 'Vpc', { restrictDefaultSecurityGroup: false });
      NagSuppressions.addResourceSuppressions(vpc, [{ id: 'AwsSolutions-VPC7', reason: 'the test VPC, not the construct' }], true);
      const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Key', {
        secretCompleteArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-AbCdEf',
        encryptionKey: kms.Key.fromKeyArn(stack, 'Cmk', 'arn:aws:kms:eu-west-1:123456789012:key/9b2c6f0e-1d3a-4c5b-8e7f-0a1b2c3d4e5f'),
      });
      new PolytomicBulkSyncCanceller(stack, 'Canceller', { syncIds: [SYNC], secret, vpc });
    })).toEqual([]);
  });

  test('the acknowledgements are precise: a wildcard someone adds to the handler role is still reported', () => {
    const result = findings((stack) => {
      const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-AbCdEf');
      const canceller = new PolytomicBulkSyncCanceller(stack, 'Canceller', { syncIds: [SYNC], secret });
      canceller.handler.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }));
    });
    expect(result).toEqual([expect.stringMatching(/IsComplete\/ServiceRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5\[Resource::arn:aws:s3:::bucket\/\*\]/)]);
  });
});
