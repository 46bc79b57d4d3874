/**
 * Integration test: a PostgreSQL database guarded by a canceller in pause-and-resume mode, in a
 * VPC (`guarded-database.ts`). `npm run integ` (part of `npm test`) synthesizes it and compares
 * the templates with the committed snapshot, offline: the snapshot is the guard on what the
 * construct writes into the Provider framework's resources (runtimes, logging, the cdk-nag v2
 * acknowledgements; `snapshot.test.ts` holds the v3 ones against the snapshot's manifest).
 *
 * Deployed for real (CONTRIBUTING.md, "Running the integration test in an AWS account"), the
 * assertions check that the sync reached a terminal state before the database changed, and that
 * the pause deactivated it and the resume activated it again. The sync and the secret then come from the environment:
 *   POLYTOMIC_SYNC_ID     an active bulk sync of the organization the key belongs to
 *   POLYTOMIC_SECRET_ARN  the complete ARN of the secret holding the key
 * Without them (CI) placeholders stand in: the templates have the same shape.
 */
import { ActualResult, ExpectedResult, IntegTest } from '@aws-cdk/integ-tests-alpha';
import { App, Aspects, CfnResource, Stack } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';
import { PLACEHOLDERS, guardedDatabaseStack } from './guarded-database';

const syncId = process.env.POLYTOMIC_SYNC_ID ?? PLACEHOLDERS.syncId;
const secretArn = process.env.POLYTOMIC_SECRET_ARN ?? PLACEHOLDERS.secretArn;

/** What the status of a sync's last execution can be once the canceller is done (`none`: it never ran). */
const TERMINAL = '^(completed|canceled|failed|errors|interrupted|none)$';
/**
 * The resume's summary when it activated the one sync again: the sync must be active before the
 * deployment, so that the pause deactivates it (an inactive one gives `0 resumed`; anything left
 * paused adds `, 1 still paused`).
 */
const RESUMED = '^1 resumed$';

const app = new App();
const { stack, canceller } = guardedDatabaseStack(app, { syncId, secretArn });

const integ = new IntegTest(app, 'GuardedDatabase', {
  testCases: [stack],
  // Deploy this version only: the update workflow would first deploy the committed snapshot,
  // whose sync id and secret are the placeholders.
  stackUpdateWorkflow: false,
});
integ.assertions.expect('SyncTerminalBeforeTheDatabaseChanged',
  ExpectedResult.stringLikeRegexp(TERMINAL),
  ActualResult.fromCustomResource(canceller.resource, syncId));
integ.assertions.expect('PausedThenActiveAgain',
  ExpectedResult.stringLikeRegexp(RESUMED),
  ActualResult.fromCustomResource(canceller.resume!, 'Summary'));

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
