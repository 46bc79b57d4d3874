/**
 * cdk-nag AwsSolutions over a canceller's stacks, with whichever major version of cdk-nag the
 * tests resolve (v2 at the floor aws-cdk-lib, v3 when CI runs them against the newest): no
 * finding at all in the stacks a user builds, the acknowledgements precise and written for both
 * versions. Every other construct test runs the same check through `templateOf`.
 */
import * as cdk from 'aws-cdk-lib';
import { CfnResource } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as ssm from 'aws-cdk-lib/aws-ssm';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as nag from 'cdk-nag';
import { KEY_ARN, NAG_MAJOR, PROVIDER_ID, acknowledgedRulesUnder, SECRET_ARN, brief, envStack, errorOf, nagFindings, newApp, newCanceller, ourNagFindings, templateOf } from './support';
import { HaltMode } from '../../src';

/** A VPC cdk-nag has nothing to say about (flow logs on), so every finding in its stack would be the canceller's. */
function cleanVpc(stack: cdk.Stack): ec2.Vpc {
  const vpc = new ec2.Vpc(stack, 'Vpc', { maxAzs: 2, natGateways: 1, restrictDefaultSecurityGroup: false });
  vpc.addFlowLog('FlowLog');
  return vpc;
}

/** `RULE[finding]` → reason, for each of the provider's resources, as cdk-nag v2 reads them (template metadata). */
function v2Acknowledgements(stack: cdk.Stack): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  for (const resource of stack.node.findChild(PROVIDER_ID).node.findAll().filter((c): c is CfnResource => c instanceof CfnResource)) {
    const rules = (resource.getMetadata('cdk_nag')?.rules_to_suppress ?? []) as Array<{ id: string; reason: string; applies_to?: string[] }>;
    const flat = rules.flatMap((r) => (r.applies_to ?? [undefined]).map((f) => [f === undefined ? r.id : `${r.id}[${f}]`, r.reason]));
    if (flat.length > 0) out[resource.node.path] = Object.fromEntries(flat);
  }
  return out;
}

/** The same, as cdk-nag v3 reads them (construct metadata `aws:cdk:acknowledged-rules`). */
const v3Acknowledgements = (stack: cdk.Stack) => acknowledgedRulesUnder(stack.node.findChild(PROVIDER_ID));

describe(`cdk-nag v${NAG_MAJOR} AwsSolutions: no finding in the stacks users build`, () => {
  test('a canceller with the defaults', () => {
    const stack = envStack();
    newCanceller(stack);
    expect(nagFindings(stack).map(brief)).toEqual([]);
  });

  test('in a VPC, with a customer-managed key', () => {
    const stack = envStack();
    const secret = secretsmanager.Secret.fromSecretAttributes(stack, 'Key', {
      secretCompleteArn: SECRET_ARN,
      encryptionKey: kms.Key.fromKeyArn(stack, 'Cmk', KEY_ARN),
    });
    newCanceller(stack, { secret, vpc: cleanVpc(stack) });
    expect(nagFindings(stack).map(brief)).toEqual([]);
  });

  test('across stacks: the canceller in one, what it guards in another', () => {
    const app = newApp();
    const syncs = envStack(app, 'Syncs');
    const data = envStack(app, 'Data');
    const parameter = new ssm.StringParameter(data, 'WarehouseEndpoint', { stringValue: 'warehouse.internal:5432' });
    newCanceller(syncs, { executeBefore: [parameter] });
    expect(nagFindings(syncs).map(brief)).toEqual([]);
    expect(nagFindings(data).map(brief)).toEqual([]);
  });

  test('with pause and resume, in a VPC, two cancellers sharing the provider', () => {
    const stack = envStack();
    const vpc = cleanVpc(stack);
    const parameter = new ssm.StringParameter(stack, 'WarehouseEndpoint', { stringValue: 'warehouse.internal:5432' });
    newCanceller(stack, { vpc, haltMode: HaltMode.PAUSE_AND_RESUME, runAfterResume: true, executeBefore: [parameter] });
    newCanceller(stack, { vpc, haltMode: HaltMode.PAUSE_AND_RESUME }, 'Second');
    expect(nagFindings(stack).map(brief)).toEqual([]);
  });

  test('through the registration a user writes for this cdk-nag version: a clean app synthesizes, a wildcard stops it', () => {
    const clean = newApp();
    newCanceller(envStack(clean));
    expect(errorsThroughRegistration(clean)).toEqual('');

    const widened = newApp();
    const canceller = newCanceller(envStack(widened));
    canceller.isCompleteHandler.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['*'] }));
    const reported = errorsThroughRegistration(widened);
    expect(reported).toMatch(/wildcard permissions/);
    expect(reported).toMatch(NAG_MAJOR >= 3 ? /IsComplete\/ServiceRole\/DefaultPolicy\/Resource[\s\S]*AwsSolutions-IAM5\[Resource::\*\]/ : /AwsSolutions-IAM5\[Resource::\*\]/);
  });

  test('the same findings on the user\'s own resources are still reported: an acknowledgement holds on the resource that carries it only', () => {
    // the user's own function (IAM4 AWSLambdaBasicExecutionRole), a wildcard on its role (IAM5 Resource::*),
    // and a state machine without X-Ray (SF2): each is a finding the canceller's provider has acknowledged on its own
    const withUserResources = () => {
      const app = newApp();
      const stack = envStack(app);
      newCanceller(stack);
      const fn = new lambda.Function(stack, 'UserFunction', {
        runtime: lambda.Runtime.NODEJS_22_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {}'),
      });
      fn.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] }));
      new sfn.StateMachine(stack, 'UserStateMachine', {
        definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
        logs: { destination: new logs.LogGroup(stack, 'UserStateMachineLogs'), level: sfn.LogLevel.ALL },
      });
      return { app, stack };
    };

    const reported = errorsThroughRegistration(withUserResources().app);
    expect(reported).toMatch(/UserFunction\/ServiceRole\/Resource/);
    for (const rule of ['AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]', 'AwsSolutions-IAM5[Resource::*]', 'AwsSolutions-SF2']) {
      expect(reported).toContain(rule);
    }

    const { stack } = withUserResources();
    expect(nagFindings(stack).map(brief)).toEqual(expect.arrayContaining([
      expect.stringMatching(/^\/Stack\/UserFunction\/ServiceRole\/Resource: AwsSolutions-IAM4\[Policy::arn:<AWS::Partition>:iam::aws:policy\/service-role\/AWSLambdaBasicExecutionRole\]$/),
      expect.stringMatching(/^\/Stack\/UserFunction\/ServiceRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5\[Resource::\*\]$/),
      expect.stringMatching(/^\/Stack\/UserStateMachine\/Resource: AwsSolutions-SF2$/),
    ]));
    expect(ourNagFindings(stack)).toEqual([]);
  });
});

/**
 * The errors a synthesis reports with cdk-nag registered as a user of the version the tests
 * resolve does: v2 as an Aspect (errors as annotations in the assembly), v3 as a validation
 * plugin (its report thrown from `synth`). Empty when there are none.
 */
function errorsThroughRegistration(app: cdk.App): string {
  if (NAG_MAJOR >= 3) {
    (cdk as any).Validations.of(app).addPlugins(new (nag.AwsSolutionsChecks as any)(app));
  } else {
    cdk.Aspects.of(app).add(new nag.AwsSolutionsChecks());
  }
  try {
    const assembly = app.synth();
    return assembly.stacks.flatMap((s) => Object.entries(s.manifest.metadata ?? {}).flatMap(([at, entries]) => entries
      .filter((m) => m.type === 'aws:cdk:error').map((m) => `${at}: ${String(m.data)}`))).join('\n');
  } catch (e) {
    return (e as Error).message;
  }
}

describe('the acknowledgements', () => {
  test('are precise: wildcards someone adds to the handler role are still reported, and fail templateOf', () => {
    const stack = envStack();
    const canceller = newCanceller(stack);
    canceller.isCompleteHandler.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject'], resources: ['arn:aws:s3:::bucket/*'] }));
    // the log-delivery `*` is acknowledged on the waiter's policy only, not on every policy of the provider
    canceller.isCompleteHandler.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: ['*'] }));
    expect(nagFindings(stack).map(brief).sort()).toEqual([
      expect.stringMatching(/IsComplete\/ServiceRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5\[Resource::\*\]$/),
      expect.stringMatching(/IsComplete\/ServiceRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5\[Resource::arn:aws:s3:::bucket\/\*\]$/),
    ]);
    expect(errorOf(() => templateOf(stack))).toMatch(/^cdk-nag findings on the canceller's resources in Stack:\n {2}error \/Stack\/PolytomicBulkSyncCancellerProvider\/IsComplete\/ServiceRole\/DefaultPolicy\/Resource: AwsSolutions-IAM5/);
  });

  test('findings on what the user built are theirs: reported, but they do not fail templateOf', () => {
    const stack = envStack();
    const bucket = new s3.Bucket(stack, 'Bucket');
    newCanceller(stack, { executeBefore: [bucket] });
    expect(nagFindings(stack).map(brief)).toEqual(expect.arrayContaining([expect.stringMatching(/^\/Stack\/Bucket\/Resource: AwsSolutions-S1$/)]));
    expect(ourNagFindings(stack)).toEqual([]);
    expect(() => templateOf(stack)).not.toThrow();
  });

  test('are the same for cdk-nag v2 (template metadata) and v3 (construct metadata), each with its reason', () => {
    const stack = envStack();
    newCanceller(stack, { vpc: cleanVpc(stack), haltMode: HaltMode.PAUSE_AND_RESUME });
    templateOf(stack);
    const v2 = v2Acknowledgements(stack);
    expect(Object.keys(v2).length).toBeGreaterThanOrEqual(10);
    expect(v3Acknowledgements(stack)).toEqual(v2);
    for (const rules of Object.values(v2)) {
      for (const reason of Object.values(rules)) expect(reason.length).toBeGreaterThanOrEqual(10); // v2 refuses shorter ones
    }
  });

  test('name each finding exactly, on the resource that carries it (the list the README gives)', () => {
    const stack = envStack();
    newCanceller(stack, { vpc: cleanVpc(stack) });
    const logical = (path: string) => stack.resolve((stack.node.findChild(PROVIDER_ID).node.findAll().find((c) => c.node.path === `Stack/${PROVIDER_ID}/${path}`) as CfnResource).logicalId);
    const invoke = (fn: string) => `AwsSolutions-IAM5[Resource::<${logical(fn)}.Arn>:*]`;
    const basic = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]';
    const vpcAccess = 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]';
    const rules = Object.fromEntries(Object.entries(v3Acknowledgements(stack)).map(([path, r]) => [path.replace(`Stack/${PROVIDER_ID}/`, ''), Object.keys(r).sort()]));
    const frameworkInvokes = [invoke('IsComplete/Resource'), invoke('OnEvent/Resource')].sort();
    expect(rules).toEqual({
      'OnEvent/ServiceRole/Resource': [basic, vpcAccess],
      'IsComplete/ServiceRole/Resource': [basic, vpcAccess],
      'Provider/framework-onEvent/ServiceRole/Resource': [basic],
      'Provider/framework-onEvent/ServiceRole/DefaultPolicy/Resource': frameworkInvokes,
      'Provider/framework-isComplete/ServiceRole/Resource': [basic],
      'Provider/framework-isComplete/ServiceRole/DefaultPolicy/Resource': frameworkInvokes,
      'Provider/framework-onTimeout/ServiceRole/Resource': [basic],
      'Provider/framework-onTimeout/ServiceRole/DefaultPolicy/Resource': frameworkInvokes,
      'Provider/waiter-state-machine/Role/DefaultPolicy/Resource': [
        'AwsSolutions-IAM5[Resource::*]',
        invoke('Provider/framework-isComplete/Resource'),
        invoke('Provider/framework-onTimeout/Resource'),
      ].sort(),
      'Provider/waiter-state-machine/Resource': ['AwsSolutions-SF2'],
    });
  });
});

