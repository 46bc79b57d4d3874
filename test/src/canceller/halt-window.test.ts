/**
 * HaltMode.PAUSE_AND_RESUME: the pause (the canceller's own resource) before the guarded
 * constructs, the resume after every one of them, and what ties them together in the template.
 */
import { Stack } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { HaltMode, PolytomicBulkSyncCanceller } from '../../../src';
import { RESOURCE_TYPE, SECRET_ARN, envStack, errorOf, logicalId, newApp, newCanceller, templateOf } from '../support';

const RESUME_TYPE = 'Custom::PolytomicBulkSyncResume';

function pausing(extra: Parameters<typeof newCanceller>[1] = {}) {
  const stack = envStack();
  const bucket = new s3.Bucket(stack, 'Warehouse');
  const canceller = newCanceller(stack, { haltMode: HaltMode.PAUSE_AND_RESUME, executeBefore: [bucket], ...extra });
  return { stack, bucket, canceller, template: templateOf(stack) };
}

function resumeOf(template: ReturnType<typeof templateOf>): [string, any] {
  const [entry] = Object.entries(template.findResources(RESUME_TYPE));
  return entry;
}

describe('the resume', () => {
  test('exists only with PAUSE_AND_RESUME, with the connection properties of the pause and its physical id', () => {
    const { canceller, template } = pausing();
    expect(PolytomicBulkSyncCanceller.RESUME_RESOURCE_TYPE).toBe(RESUME_TYPE);
    template.resourceCountIs(RESUME_TYPE, 1);
    const pauseId = logicalId(canceller.resource);
    const pause = template.toJSON().Resources[pauseId].Properties;
    expect(pause.HaltMode).toBe('PAUSE_AND_RESUME');
    expect(pause.ServiceTimeout).toBe('2040');
    const [, resume] = resumeOf(template);
    expect(resume.Properties).toEqual({
      ServiceToken: pause.ServiceToken,
      // the default timeout and margin; the pause adds its compensation window
      ServiceTimeout: '1920',
      PropertiesVersion: '1',
      SecretArn: SECRET_ARN,
      AuthMode: 'API_KEY',
      ApiUrl: 'https://app.polytomic.com',
      ApiVersion: '2025-09-18',
      TimeoutSeconds: '1800',
      PollIntervalSeconds: '15',
      OnTimeout: 'FAIL',
      // updated exactly when the pause ran: its physical id changes with every pause
      PauseId: { Ref: pauseId },
      RunAfterResume: 'false',
    });
    expect(canceller.resume).toBeDefined();
    expect(newCanceller(envStack()).resume).toBeUndefined();
  });

  test('runAfterResume is written as a string', () => {
    const [, resume] = resumeOf(pausing({ runAfterResume: true }).template);
    expect(resume.Properties.RunAfterResume).toBe('true');
  });

  test('comes after every guarded resource, those given later with executeBefore too; the guarded ones wait for the pause only', () => {
    const { stack, bucket, canceller } = pausing();
    const queue = new sqs.Queue(stack, 'Events');
    canceller.executeBefore(queue);
    const template = templateOf(stack);
    const [, resume] = resumeOf(template);
    const guarded = [logicalId(bucket), logicalId(queue)];
    expect(resume.DependsOn).toEqual(expect.arrayContaining(guarded));
    const resources = template.toJSON().Resources;
    const [resumeId] = resumeOf(template);
    for (const id of guarded) {
      expect(resources[id].DependsOn).toContain(logicalId(canceller.resource));
      expect(resources[id].DependsOn ?? []).not.toContain(resumeId);
    }
  });

  test('the template synthesizes without a dependency cycle, with the pause hash unchanged by the resume', () => {
    const { template } = pausing();
    const pause = Object.values(template.findResources(RESOURCE_TYPE))[0] as any;
    expect(pause.Properties.GuardedResourcesHash).toMatch(/^[0-9a-f]{32}$/);
    template.hasResource(RESUME_TYPE, { DependsOn: Match.anyValue() });
  });
});

describe('refused at synth', () => {
  test('runAfterResume without PAUSE_AND_RESUME', () => {
    expect(errorOf(() => newCanceller(envStack(), { runAfterResume: true })))
      .toContain('runAfterResume applies to HaltMode.PAUSE_AND_RESUME: set haltMode too, or leave runAfterResume out');
  });

  test('guarded constructs in another stack: the resume after them would be a cycle between the stacks', () => {
    const app = newApp();
    const stack = envStack(app, 'Halts');
    const other = envStack(app, 'Warehouse');
    const canceller = newCanceller(stack, { haltMode: HaltMode.PAUSE_AND_RESUME });
    expect(errorOf(() => canceller.executeBefore(new s3.Bucket(other, 'Bucket'))))
      .toMatch(/with HaltMode.PAUSE_AND_RESUME the guarded constructs must be in the canceller's stack Halts/);
    expect(Stack.of(canceller)).toBe(stack);
  });
});
