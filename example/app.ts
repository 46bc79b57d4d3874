// An app that uses the packed library the way a user would: `.ci/run` installs the npm
// tarball into a scratch folder with this file and runs `cdk synth` offline.
import * as cdk from 'aws-cdk-lib';
import { App, Aspects, Duration, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PolytomicBulkSyncCanceller } from 'cdk-polytomic';

const app = new App();
const stack = new Stack(app, 'WarehouseStack', { env: { account: '123456789012', region: 'eu-west-1' } });

// What the Polytomic syncs write to: changing these must never happen under a running sync.
const landing = new s3.Bucket(stack, 'LandingBucket', { versioned: true });
const syncRole = new iam.Role(stack, 'PolytomicWriterRole', { assumedBy: new iam.AccountPrincipal('123456789012') });
landing.grantReadWrite(syncRole);

const apiKey = secretsmanager.Secret.fromSecretCompleteArn(stack, 'PolytomicApiKey',
  'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic/api-key-AbCdEf');

const canceller = new PolytomicBulkSyncCanceller(stack, 'HaltSyncs', {
  syncIds: ['248df4b7-aa70-47b8-a036-33ac447e668d', '5ff69368-6504-11ed-9bb3-ea7534cffcad'],
  secret: apiKey,
  timeout: Duration.minutes(20),
});
canceller.executeBefore(landing, syncRole);

// CDK_NAG=2 or 3: cdk-nag's AwsSolutions pack over the app, registered the way a user of that
// major version does (synth.sh then checks its report for findings on the canceller's resources).
const nagMajor = process.env.CDK_NAG;
if (nagMajor) {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AwsSolutionsChecks } = require('cdk-nag');
  if (nagMajor === '3') (cdk as any).Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  else Aspects.of(app).add(new AwsSolutionsChecks({ reports: true }));
}

app.synth();
