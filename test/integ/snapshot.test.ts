/**
 * What integ-runner does not compare: it reads the snapshot's templates, so the cdk-nag v2
 * acknowledgements (template metadata) are guarded there, but the v3 ones live in the
 * manifest. This holds a fresh synthesis of the integration test's stack against the
 * committed manifest.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { PLACEHOLDERS, STACK_NAME, guardedDatabaseStack } from './guarded-database';
import { ACKNOWLEDGED_RULES_METADATA_KEY } from '../../src/nag-acknowledgements';
import { acknowledgedRulesUnder } from '../src/support';

const SNAPSHOT = path.join(__dirname, 'integ.guarded-database.ts.snapshot');

type Acknowledged = Record<string, Record<string, string>>;

function committed(): Acknowledged {
  const manifest = JSON.parse(readFileSync(path.join(SNAPSHOT, 'manifest.json'), 'utf8'));
  const metadata: Record<string, Array<{ type: string; data: Record<string, string> }>> = manifest.artifacts[STACK_NAME].metadata;
  const out: Acknowledged = {};
  for (const [at, entries] of Object.entries(metadata)) {
    const rules = entries.filter((e) => e.type === ACKNOWLEDGED_RULES_METADATA_KEY).map((e) => e.data);
    if (rules.length > 0) out[at] = Object.assign({}, ...rules);
  }
  return out;
}

function fresh(): Acknowledged {
  const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
  const { stack } = guardedDatabaseStack(app, PLACEHOLDERS);
  app.synth();
  return Object.fromEntries(Object.entries(acknowledgedRulesUnder(stack)).map(([at, rules]) => [`/${at}`, rules]));
}

test('the cdk-nag v3 acknowledgements of a fresh synthesis are those of the committed snapshot (npm run integ:update writes both)', () => {
  const expected = committed();
  expect(Object.keys(expected).length).toBeGreaterThanOrEqual(10);
  expect(fresh()).toEqual(expected);
});
