/**
 * The stack of the integration test (`integ.guarded-database.ts`): a PostgreSQL database guarded
 * by a canceller in pause-and-resume mode, in a VPC. Kept apart so that a jest test can build
 * the same stack and hold it against the committed snapshot (integ-runner reads only the files
 * named `integ.*`).
 */
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { HaltMode, PolytomicBulkSyncCanceller } from '../../src';

/** What a deployment for real takes from the environment; the snapshot is made with these placeholders. */
export const PLACEHOLDERS = {
  syncId: '248df4b7-aa70-47b8-a036-33ac447e668d',
  secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic/api-key-AbCdEf',
};

export const STACK_NAME = 'PolytomicGuardedDatabase';

export function guardedDatabaseStack(app: App, target: { syncId: string; secretArn: string }) {
  const stack = new Stack(app, STACK_NAME);

  const vpc = new ec2.Vpc(stack, 'Vpc', {
    maxAzs: 2,
    restrictDefaultSecurityGroup: false, // keeps a helper function of aws-cdk-lib out of the snapshot
    natGateways: 1, // the handlers reach Polytomic's API through it
    subnetConfiguration: [
      { name: 'Public', subnetType: ec2.SubnetType.PUBLIC },
      { name: 'Handlers', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      { name: 'Data', subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    ],
  });

  const database = new rds.DatabaseInstance(stack, 'Warehouse', {
    engine: rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_16 }),
    instanceType: ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MICRO),
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
    allocatedStorage: 20,
    backupRetention: Duration.days(0),
    deletionProtection: false,
    removalPolicy: RemovalPolicy.DESTROY,
  });

  const canceller = new PolytomicBulkSyncCanceller(stack, 'HaltSyncs', {
    syncIds: [target.syncId],
    secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'PolytomicKey', target.secretArn),
    haltMode: HaltMode.PAUSE_AND_RESUME,
    vpc,
    vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    timeout: Duration.minutes(20),
  });
  canceller.executeBefore(database);

  return { stack, canceller };
}
