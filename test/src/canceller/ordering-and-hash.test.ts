/**
 * Ordering: executeBefore/executeAfter (props and methods, across stacks), what the custom resource
 * waits for, the cycles refused, and the GuardedResourcesHash that reruns it when a guarded scope changes.
 */
import { Match } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  RESOURCE_TYPE,
  cancellerProperties, envStack, errorOf, functionWithHandler, isCompletePolicyId, logicalId, newApp, newCanceller, roleOf, synth, templateOf,
} from '../support';

describe('executeBefore and executeAfter', () => {
  test('executeBefore(bucket) makes the bucket depend on the custom resource', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const canceller = newCanceller(stack);
    canceller.executeBefore(bucket);
    const template = templateOf(stack);
    template.hasResource('AWS::S3::Bucket', { DependsOn: Match.arrayWith([logicalId(canceller.resource)]) });
    template.hasResource(RESOURCE_TYPE, { DependsOn: Match.not(Match.arrayWith([logicalId(bucket)])) });
  });

  test('executeAfter(bucket) makes the custom resource depend on the bucket', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const canceller = newCanceller(stack);
    canceller.executeAfter(bucket);
    const template = templateOf(stack);
    template.hasResource(RESOURCE_TYPE, { DependsOn: Match.arrayWith([logicalId(bucket)]) });
    template.hasResource('AWS::S3::Bucket', { DependsOn: Match.absent() });
  });

  test('the executeBefore prop does the same as executeBefore()', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const canceller = newCanceller(stack, { executeBefore: [bucket] });
    templateOf(stack).hasResource('AWS::S3::Bucket', { DependsOn: Match.arrayWith([logicalId(canceller.resource)]) });
  });

  test('the executeAfter prop does the same as executeAfter()', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    newCanceller(stack, { executeAfter: [bucket] });
    templateOf(stack).hasResource(RESOURCE_TYPE, { DependsOn: Match.arrayWith([logicalId(bucket)]) });
  });

  test('executeBefore of a scope in another stack makes that stack depend on the canceller\'s', () => {
    const app = newApp();
    const stackA = envStack(app, 'A');
    const stackB = envStack(app, 'B');
    const canceller = newCanceller(stackA);
    canceller.executeBefore(new s3.Bucket(stackB, 'Bucket'));
    templateOf(stackA);
    templateOf(stackB);
    expect(stackB.dependencies).toContain(stackA);
    expect(stackA.dependencies).not.toContain(stackB);
  });

  test('executeAfter of a scope in another stack makes the canceller\'s stack depend on it', () => {
    const app = newApp();
    const stackA = envStack(app, 'A');
    const stackB = envStack(app, 'B');
    const canceller = newCanceller(stackA);
    canceller.executeAfter(new s3.Bucket(stackB, 'Bucket'));
    templateOf(stackA);
    templateOf(stackB);
    expect(stackA.dependencies).toContain(stackB);
  });
});

describe('what the custom resource waits for', () => {
  test('both handler roles and their policies (the handlers need their permissions)', () => {
    const { template } = synth();
    const cr = Object.values(template.findResources(RESOURCE_TYPE))[0] as { DependsOn: string[] };
    const onEventRole = roleOf(functionWithHandler(template, 'index.onEvent')[1]);
    const isCompleteRole = roleOf(functionWithHandler(template, 'index.isComplete')[1]);
    expect(cr.DependsOn).toEqual(expect.arrayContaining([onEventRole, isCompleteRole, isCompletePolicyId(template)]));
    expect(cr.DependsOn.some((id) => id.startsWith(onEventRole.replace(/[0-9A-F]{8}$/, '')) && id.includes('DefaultPolicy'))).toBe(true);
  });
});

describe('cycles are refused', () => {
  test('executeBefore of a scope that contains the canceller throws', () => {
    const stack = envStack();
    const group = new Construct(stack, 'Group');
    const canceller = newCanceller(group);
    expect(() => canceller.executeBefore(group)).toThrow(/executeBefore\(Stack\/Group\): that scope contains the canceller/);
    expect(() => canceller.executeBefore(stack)).toThrow(/contains the canceller/);
    expect(() => canceller.executeBefore(canceller)).toThrow(/contains the canceller/);
  });

  test('a scope cannot be both before and after the canceller', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const other = new s3.Bucket(stack, 'Other');
    const canceller = newCanceller(stack);
    canceller.executeAfter(bucket);
    expect(errorOf(() => canceller.executeBefore(bucket))).toMatch(/depends on it \(executeAfter, or the vpc/);
    canceller.executeBefore(other);
    expect(errorOf(() => canceller.executeAfter(other))).toMatch(/already waits for the canceller/);
  });

  test.each(['securityGroup', 'logGroup', 'secret', 'key'])('the canceller\'s own %s cannot be guarded', (what) => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const securityGroup = new ec2.SecurityGroup(stack, 'Sg', { vpc });
    const logGroup = new logs.LogGroup(stack, 'Logs');
    const key = new kms.Key(stack, 'Cmk');
    const secret = new secretsmanager.Secret(stack, 'Key', { encryptionKey: key });
    const canceller = newCanceller(stack, { vpc, securityGroups: [securityGroup], logGroup, secret });
    const target = { securityGroup, logGroup, secret, key }[what]!;
    expect(errorOf(() => canceller.executeBefore(target))).toMatch(/depends on it/);
  });

  test('the canceller\'s own VPC cannot be guarded', () => {
    const stack = envStack();
    const vpc = new ec2.Vpc(stack, 'Vpc');
    const canceller = newCanceller(stack, { vpc });
    expect(errorOf(() => canceller.executeBefore(vpc))).toMatch(/depends on it/);
  });

  test('the secret of another canceller of the stack cannot be guarded (the shared handler reads it)', () => {
    const stack = envStack();
    const data = new Construct(stack, 'Data');
    const secretB = new secretsmanager.Secret(data, 'PolytomicKeyB');
    const a = newCanceller(stack, {}, 'A');
    newCanceller(stack, { secret: secretB }, 'B');
    expect(errorOf(() => a.executeBefore(data))).toMatch(/depends on it/);
  });

  test('a canceller whose secret another canceller already guards is rejected', () => {
    const stack = envStack();
    const data = new Construct(stack, 'Data');
    const secretB = new secretsmanager.Secret(data, 'PolytomicKeyB');
    newCanceller(stack, { executeBefore: [data] }, 'A');
    expect(errorOf(() => newCanceller(stack, { secret: secretB }, 'B'))).toMatch(/its secret is inside .*Data, which a canceller of this stack guards/);
  });
});

describe('GuardedResourcesHash', () => {
  interface Variant {
    readonly guardedVersioned?: boolean;
    readonly unguardedVersioned?: boolean;
    readonly guardedInOtherStack?: boolean;
  }

  /** The GuardedResourcesHash of a canceller guarding one bucket, with another bucket unguarded. */
  function hashOf(variant: Variant): string {
    const app = newApp();
    const stack = envStack(app, 'A');
    const guardedStack = variant.guardedInOtherStack ? envStack(app, 'B') : stack;
    const guarded = new s3.Bucket(guardedStack, 'Guarded', { versioned: variant.guardedVersioned ?? false });
    new s3.Bucket(stack, 'Unguarded', { versioned: variant.unguardedVersioned ?? false });
    newCanceller(stack, { executeBefore: [guarded] });
    if (guardedStack !== stack) templateOf(guardedStack);
    return cancellerProperties(templateOf(stack)).GuardedResourcesHash;
  }

  test('is "none" with only executeAfter scopes', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    expect(cancellerProperties(synth({ executeAfter: [bucket] }, stack).template).GuardedResourcesHash).toBe('none');
  });

  test('is a 32-character hex string with guarded scopes', () => {
    expect(hashOf({})).toMatch(/^[0-9a-f]{32}$/);
  });

  test('is the same for the same app', () => {
    expect(hashOf({})).toBe(hashOf({}));
  });

  test('does not change when an unguarded resource changes', () => {
    expect(hashOf({ unguardedVersioned: true })).toBe(hashOf({ unguardedVersioned: false }));
  });

  test('changes when a guarded resource in another stack changes', () => {
    const before = hashOf({ guardedInOtherStack: true, guardedVersioned: false });
    const after = hashOf({ guardedInOtherStack: true, guardedVersioned: true });
    expect(before).toMatch(/^[0-9a-f]{32}$/);
    expect(after).not.toBe(before);
  });

  test('changes when a resource is added inside a guarded scope after executeBefore', () => {
    function hashWith(extra: boolean): string {
      const stack = envStack();
      const group = new Construct(stack, 'Group');
      new s3.Bucket(group, 'First');
      newCanceller(stack).executeBefore(group);
      if (extra) new s3.Bucket(group, 'Second');
      return cancellerProperties(templateOf(stack)).GuardedResourcesHash;
    }
    expect(hashWith(true)).not.toBe(hashWith(false));
  });
});
