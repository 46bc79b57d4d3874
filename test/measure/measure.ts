/**
 * `npx projen measure`: the figures the README and release notes quote, measured, not typed:
 * the handler bundle (raw and zipped, as Lambda stores it) and the resources a stack gets
 * with 1 and with 10 cancellers.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { App, Stack } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { PolytomicBulkSyncCanceller } from '../../src';

const bundle = path.join(__dirname, '..', '..', 'assets', 'lambda', 'index', 'index.js');
const raw = fs.readFileSync(bundle);
console.log(`handler bundle: ${raw.length} bytes, ${zlib.deflateRawSync(raw, { level: 9 }).length} bytes deflated`);

for (const count of [1, 10]) {
  const app = new App({ context: { 'aws:cdk:disable-asset-staging': true } });
  const stack = new Stack(app, `Cancellers${count}`, { env: { account: '123456789012', region: 'eu-west-1' } });
  const secret = secretsmanager.Secret.fromSecretCompleteArn(stack, 'Key', 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic-AbCdEf');
  for (let i = 0; i < count; i++) {
    new PolytomicBulkSyncCanceller(stack, `Canceller${i}`, { syncIds: [`00000000-0000-4000-8000-${String(i).padStart(12, '0')}`], secret });
  }
  const resources = Object.values<{ Type: string }>(app.synth().getStackByName(stack.stackName).template.Resources);
  const byType = new Map<string, number>();
  for (const r of resources) byType.set(r.Type, (byType.get(r.Type) ?? 0) + 1);
  console.log(`${count} canceller(s): ${resources.length} resources (${[...byType].map(([t, n]) => `${n} ${t}`).join(', ')})`);
}
