/**
 * Integration test: a PostgreSQL database guarded by a canceller in pause-and-resume mode, in a
 * VPC. `npm run integ` (part of `npm test`) synthesizes it and compares the template with the
 * committed snapshot, offline: the snapshot is the guard on what the construct writes into the
 * Provider framework's resources (runtimes, logging, cdk-nag acknowledgements).
 *
 * Deployed for real (CONTRIBUTING.md, "Running the integration test in an AWS account"), the
 * assertions check that the sync reached a terminal state before the database changed and that
 * nothing was left paused. The sync and the secret then come from the environment:
 *   POLYTOMIC_SYNC_ID     a bulk sync of the organization the key belongs to
 *   POLYTOMIC_SECRET_ARN  the complete ARN of the secret holding the key, in the deployment's region
 * Without them (CI) the values below stand in: the template has the same shape.
 */
import { ActualResult, ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, CfnResource, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { IConstruct } from 'constructs';
import { HaltMode, PolytomicBulkSyncCanceller } from '../../src';

const syncId = process.env.POLYTOMIC_SYNC_ID ?? '248df4b7-aa70-47b8-a036-33ac447e668d';
const secretArn = process.env.POLYTOMIC_SECRET_ARN ?? 'arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic/api-key-AbCdEf';

/** What the status of a sync's last execution can be once the canceller is done (`none`: it never ran). */
const TERMINAL = '^(completed|canceled|failed|errors|interrupted|none)$';

const app = new App();
const stack = new Stack(app, 'PolytomicGuardedDatabase');

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
  syncIds: [syncId],
  secret: secretsmanager.Secret.fromSecretCompleteArn(stack, 'PolytomicKey', secretArn),
  haltMode: HaltMode.PAUSE_AND_RESUME,
  vpc,
  vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
  timeout: Duration.minutes(20),
});
canceller.executeBefore(database);

const integ = new IntegTest(app, 'GuardedDatabase', {
  testCases: [stack],
  // Deploy this version only: the update workflow would first deploy the committed snapshot,
  // whose sync id and secret are the placeholders above.
  stackUpdateWorkflow: false,
});
integ.assertions.expect('SyncTerminalBeforeTheDatabaseChanged',
  ExpectedResult.stringLikeRegexp(TERMINAL),
  ActualResult.fromCustomResource(canceller.resource, syncId));
integ.assertions.expect('NothingLeftPaused',
  ExpectedResult.exact(''),
  ActualResult.fromCustomResource(canceller.resume!, 'StillPaused'));

// The floor aws-cdk-lib gives the assertion provider (in the assertion stack, not the test case)
// a Node.js runtime Lambda no longer creates functions with. The test case is left as it is: its
// runtimes are what the snapshot guards.
Aspects.of(app).add({
  visit(node: IConstruct) {
    if (node instanceof CfnResource && node.cfnResourceType === 'AWS::Lambda::Function' && Stack.of(node) !== stack) {
      node.addPropertyOverride('Runtime', 'nodejs24.x');
    }
  },
});
