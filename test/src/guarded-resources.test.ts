/**
 * The canceller runs again exactly when a guarded resource may change: its properties carry
 * a hash of the guarded definitions (without what changes without changing a resource) and
 * the deploy-time values those definitions use, which CloudFormation itself resolves.
 */
import * as path from 'node:path';
import * as cdk from 'aws-cdk-lib';
import { App, Aspects, CfnParameter, CfnResource, Fn, IAspect, Stack, Tags } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import { Construct, IConstruct } from 'constructs';
import { cancellerProperties, envStack, logicalId, newApp, newCanceller, templateOf } from './support';
import { PolytomicBulkSyncCanceller } from '../../src';

function newStack(context: Record<string, unknown> = {}, id = 'Stack', app: App = newApp(context)): Stack {
  return envStack(app, id);
}

function canceller(stack: Stack, guarded: Construct[], id = 'Canceller'): PolytomicBulkSyncCanceller {
  return newCanceller(stack, { executeBefore: guarded }, id);
}

/** The canceller's properties, from the template checked by cdk-nag. */
function properties(stack: Stack): Record<string, any> {
  return cancellerProperties(templateOf(stack));
}

describe('deploy-time values of the guarded resources are carried, for CloudFormation to compare', () => {
  test('a CfnParameter the guarded resource uses', () => {
    const stack = newStack();
    const name = new CfnParameter(stack, 'BucketName');
    const bucket = new s3.Bucket(stack, 'Bucket', { bucketName: name.valueAsString });
    canceller(stack, [bucket]);
    expect(properties(stack).GuardedReferences).toEqual([{ Ref: 'BucketName' }]);
  });

  test('an SSM parameter value (a parameter of type AWS::SSM::Parameter::Value)', () => {
    const stack = newStack();
    const retention = ssm.StringParameter.valueForStringParameter(stack, '/warehouse/retention-days');
    const queue = new sqs.Queue(stack, 'Queue', { retentionPeriod: undefined, queueName: retention });
    canceller(stack, [queue]);
    const [reference] = properties(stack).GuardedReferences;
    const parameter = templateOf(stack).toJSON().Parameters[reference.Ref];
    expect(parameter).toMatchObject({ Type: 'AWS::SSM::Parameter::Value<String>', Default: '/warehouse/retention-days' });
  });

  test('an {{resolve:ssm:…}} dynamic reference, but never ssm-secure or secretsmanager ones', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    Tags.of(bucket).add('plain', '{{resolve:ssm:/warehouse/owner:3}}');
    Tags.of(bucket).add('secure', '{{resolve:ssm-secure:/warehouse/password:1}}');
    Tags.of(bucket).add('secret', '{{resolve:secretsmanager:warehouse:SecretString:password}}');
    canceller(stack, [bucket]);
    expect(properties(stack).GuardedReferences).toEqual(['{{resolve:ssm:/warehouse/owner:3}}']);
  });

  test('a NoEcho parameter is never copied into the properties', () => {
    const stack = newStack();
    const password = new CfnParameter(stack, 'Password', { noEcho: true });
    const bucket = new s3.Bucket(stack, 'Bucket');
    Tags.of(bucket).add('p', password.valueAsString);
    canceller(stack, [bucket]);
    expect(properties(stack)).not.toHaveProperty('GuardedReferences');
    expect(JSON.stringify(properties(stack))).not.toContain('Password');
  });

  test('a resource outside the guarded scope that a guarded one references (a DLQ): replaced, it updates the canceller first', () => {
    const stack = newStack();
    const dlq = new sqs.Queue(stack, 'DeadLetters');
    const queue = new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    canceller(stack, [queue]);
    // its Ref, not the attribute the queue uses: a replacement shows, no attribute value is copied
    expect(properties(stack).GuardedReferences).toEqual([{ Ref: logicalId(dlq) }]);
  });

  test('Fn::Sub references and Fn::ImportValue', () => {
    const stack = newStack();
    const other = new sqs.Queue(stack, 'Other');
    const bucket = new s3.Bucket(stack, 'Bucket');
    Tags.of(bucket).add('sub', Fn.sub(`\${${logicalId(other)}.QueueName}-\${AWS::Region}-\${!Literal}`));
    Tags.of(bucket).add('imported', Fn.importValue('SharedVpcId'));
    canceller(stack, [bucket]);
    expect(properties(stack).GuardedReferences).toEqual(expect.arrayContaining([
      { Ref: logicalId(other) },
      { 'Fn::ImportValue': 'SharedVpcId' },
    ]));
    expect(properties(stack).GuardedReferences).toHaveLength(2);
  });

  test('references between guarded resources are not carried (the canceller would wait for itself)', () => {
    const stack = newStack();
    const dlq = new sqs.Queue(stack, 'DeadLetters');
    const queue = new sqs.Queue(stack, 'Queue', { deadLetterQueue: { queue: dlq, maxReceiveCount: 3 } });
    canceller(stack, [queue, dlq]);
    expect(properties(stack)).not.toHaveProperty('GuardedReferences');
  });

  test('a referenced resource that itself waits for a guarded resource is skipped, with a warning', () => {
    const stack = newStack();
    const first = new sqs.Queue(stack, 'First');
    const bridge = new sqs.Queue(stack, 'Bridge', { queueName: first.queueName });
    const second = new sqs.Queue(stack, 'Second', { deadLetterQueue: { queue: bridge, maxReceiveCount: 1 } });
    canceller(stack, [first, second]);
    expect(properties(stack)).not.toHaveProperty('GuardedReferences');
    Annotations.fromStack(stack).hasWarning('/Stack/Canceller', Match.stringLikeRegexp(`${logicalId(bridge)} is referenced by a guarded resource but itself waits`));
  });

  test('a canceller\'s own attributes, used by a guarded resource, are not carried (it would wait for itself)', () => {
    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const c = canceller(stack, [bucket]);
    Tags.of(bucket).add('last-halt', c.summary);
    expect(properties(stack)).not.toHaveProperty('GuardedReferences');
  });

  test('guarded resources in another stack contribute their hash only', () => {
    const app = newApp();
    const stack = newStack({}, 'Cancel', app);
    const other = newStack({}, 'Data', app);
    const name = new CfnParameter(other, 'BucketName');
    const bucket = new s3.Bucket(other, 'Bucket', { bucketName: name.valueAsString });
    canceller(stack, [bucket]);
    expect(properties(stack)).not.toHaveProperty('GuardedReferences');
    expect(properties(stack).GuardedResourcesHash).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('the hash changes with the guarded resources, and with nothing else', () => {
  function hashOf(build: (stack: Stack) => Construct[], context: Record<string, unknown> = {}): string {
    const stack = newStack(context);
    canceller(stack, build(stack));
    return properties(stack).GuardedResourcesHash;
  }

  const assetFunction = (stack: Stack) => [new lambda.Function(stack, 'Fn', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromAsset(path.join(__dirname, '..', 'fixtures')),
  })];

  test('metadata does not count: path metadata, asset metadata (and the checkout path it holds)', () => {
    const withAll = hashOf(assetFunction);
    expect(hashOf(assetFunction, { 'aws:cdk:enable-path-metadata': false })).toBe(withAll);
    expect(hashOf(assetFunction, { 'aws:cdk:enable-asset-metadata': false })).toBe(withAll);
    const moved = hashOf((stack) => {
      const [fn] = assetFunction(stack);
      (fn.node.defaultChild as CfnResource).addMetadata('aws:asset:path', '/another/checkout/assets');
      return [fn];
    });
    expect(moved).toBe(withAll);
  });

  test('DependsOn does not count (it orders, it changes no resource)', () => {
    const plain = hashOf((stack) => [new s3.Bucket(stack, 'Bucket')]);
    const ordered = hashOf((stack) => {
      const bucket = new s3.Bucket(stack, 'Bucket');
      bucket.node.addDependency(new sqs.Queue(stack, 'Unrelated'));
      return [bucket];
    });
    expect(ordered).toBe(plain);
  });

  test('a property change counts', () => {
    expect(hashOf((stack) => [new s3.Bucket(stack, 'Bucket', { versioned: true })]))
      .not.toBe(hashOf((stack) => [new s3.Bucket(stack, 'Bucket')]));
  });

  test('tags added by an aspect count, even after the properties were resolved once', () => {
    const untagged = hashOf((stack) => [new s3.Bucket(stack, 'Bucket')]);

    const stack = newStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    const c = canceller(stack, [bucket]);
    // something resolves the canceller's properties early (another construct, a test, a lookup)
    stack.resolve((c.resource.node.defaultChild as unknown as { _toCloudFormation(): unknown })._toCloudFormation());
    class TagEverything implements IAspect {
      visit(node: IConstruct): void {
        if (node instanceof s3.CfnBucket) node.tags.setTag('cost-center', 'warehouse');
      }
    }
    Aspects.of(stack).add(new TagEverything());
    expect(properties(stack).GuardedResourcesHash).not.toBe(untagged);
  });
});

describe('what is never carried', () => {
  const skippedWarnings = (stack: Stack) => Annotations.fromStack(stack)
    .findWarning('*', Match.stringLikeRegexp('guardedReferenceSkipped')).map((w) => String(w.entry.data));

  test('a resource that waits for a guarded one through its cfn-init metadata (a cycle CloudFormation would refuse)', () => {
    const stack = newStack();
    const database = new sqs.Queue(stack, 'Database');
    const app = new CfnResource(stack, 'App', { type: 'AWS::EC2::Instance', properties: { ImageId: 'ami-12345678' } });
    // cfn-init reads the guarded resource's attribute: CloudFormation orders App after it
    app.addMetadata('AWS::CloudFormation::Init', { config: { files: { '/etc/db': { content: { 'Fn::GetAtt': [logicalId(database), 'QueueUrl'] } } } } });
    const record = new CfnResource(stack, 'Record', { type: 'AWS::Route53::RecordSet', properties: { ResourceRecords: [app.getAtt('PrivateIp')] } });
    canceller(stack, [database, record]);
    expect(properties(stack)).not.toHaveProperty('GuardedReferences');
    expect(skippedWarnings(stack).join('\n')).toContain('App is referenced by a guarded resource but itself waits for a guarded resource');
  });

  test('attribute values, which may be secrets (an access key, a client secret): only the resource\'s Ref', () => {
    const stack = newStack();
    const key = new CfnResource(stack, 'LoaderKey', { type: 'AWS::IAM::AccessKey', properties: { UserName: 'loader' } });
    const stored = new secretsmanager.CfnSecret(stack, 'Stored', { secretString: key.getAtt('SecretAccessKey').toString() });
    canceller(stack, [stored]);
    expect(properties(stack).GuardedReferences).toEqual([{ Ref: 'LoaderKey' }]);
    expect(JSON.stringify(properties(stack))).not.toContain('SecretAccessKey');
  });

  test('anything under a condition: a branch of Fn::If, a conditional resource, a conditional guarded resource', () => {
    const stack = newStack();
    const flag = new CfnParameter(stack, 'WithExtras', { allowedValues: ['yes', 'no'], default: 'no' });
    const extras = new cdk.CfnCondition(stack, 'Extras', { expression: Fn.conditionEquals(flag.valueAsString, 'yes') });
    const dlq = new sqs.CfnQueue(stack, 'Dlq');
    dlq.cfnOptions.condition = extras;
    const plain = new sqs.CfnQueue(stack, 'Plain');
    const bucket = new s3.Bucket(stack, 'Bucket');
    Tags.of(bucket).add('dlq', Fn.conditionIf(extras.logicalId, dlq.attrArn, cdk.Aws.NO_VALUE).toString());
    Tags.of(bucket).add('import', Fn.conditionIf(extras.logicalId, Fn.importValue('MaybeExported'), 'none').toString());
    const optional = new s3.CfnBucket(stack, 'Optional', { bucketName: plain.attrQueueName });
    optional.cfnOptions.condition = extras;
    canceller(stack, [bucket, optional]);
    // the parameter in the condition is always there: carried; the rest may not exist
    expect(properties(stack).GuardedReferences ?? []).toEqual([]);
    const warnings = skippedWarnings(stack).join('\n');
    expect(warnings).toContain('Dlq is referenced by a guarded resource under a condition');
    expect(warnings).toContain('MaybeExported');
    expect(warnings).toContain('Plain is referenced by a guarded resource under a condition');
  });

  test('an SSM reference whose name Fn::Sub builds: never copied with its variables unresolved', () => {
    const stack = newStack();
    new CfnParameter(stack, 'Env', { default: 'prod' });
    const bucket = new s3.Bucket(stack, 'Bucket');
    Tags.of(bucket).add('owner', Fn.sub('{{resolve:ssm:/app/${Env}/owner}}'));
    Tags.of(bucket).add('fixed', Fn.sub('{{resolve:ssm:/app/fixed/owner}}-${AWS::Region}'));
    canceller(stack, [bucket]);
    const references: unknown[] = properties(stack).GuardedReferences;
    expect(references).toEqual(expect.arrayContaining([{ Ref: 'Env' }, '{{resolve:ssm:/app/fixed/owner}}']));
    expect(JSON.stringify(references)).not.toContain('${');
    expect(skippedWarnings(stack).join('\n')).toContain('{{resolve:ssm:/app/${Env}/owner}}');
  });
});
