/**
 * What a canceller exposes: its attributes (summary, timedOut, finalStatusOf) as Fn::GetAtt of
 * the custom resource, and the shared handlers and log group.
 */
import { CfnParameter, CfnResource, Stack } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import { SYNC_A, SYNC_B, envStack, functionWithHandler, logicalId, newCanceller, synth, templateOf } from '../support';

describe('attributes', () => {
  test('summary is Fn::GetAtt of the custom resource and Summary', () => {
    const { canceller, stack } = synth();
    expect(stack.resolve(canceller.summary)).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), 'Summary'] });
  });

  test('timedOut is Fn::GetAtt of the custom resource and TimedOut', () => {
    const { canceller, stack } = synth();
    expect(stack.resolve(canceller.timedOut)).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), 'TimedOut'] });
  });

  test('finalStatusOf(id) is Fn::GetAtt of the custom resource and that id', () => {
    const { canceller, stack } = synth({ syncIds: [SYNC_A, SYNC_B] });
    expect(stack.resolve(canceller.finalStatusOf(SYNC_B))).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), SYNC_B] });
  });

  test('finalStatusOf uses the id as it was given in syncIds, whatever the caller\'s case', () => {
    const { canceller, stack } = synth({ syncIds: [SYNC_A] });
    expect(stack.resolve(canceller.finalStatusOf(SYNC_A.toUpperCase()))).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), SYNC_A] });
  });

  test('finalStatusOf throws for an id not in syncIds', () => {
    const canceller = newCanceller(envStack(), { syncIds: [SYNC_A] });
    expect(() => canceller.finalStatusOf(SYNC_B)).toThrow(/finalStatusOf\(.*\): that sync is not one of this canceller's syncIds/);
  });

  test('finalStatusOf accepts any id when syncIds is a token', () => {
    const stack = envStack();
    const ids = new CfnParameter(stack, 'Ids', { type: 'CommaDelimitedList' });
    const canceller = newCanceller(stack, { syncIds: ids.valueAsList });
    templateOf(stack);
    expect(stack.resolve(canceller.finalStatusOf(SYNC_B))).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), SYNC_B] });
  });
});

describe('the shared functions and log group', () => {
  test('isCompleteHandler is the isComplete function and onEventHandler the onEvent one', () => {
    const { stack, canceller, template } = synth();
    const [isCompleteId] = functionWithHandler(template, 'index.isComplete');
    const [onEventId] = functionWithHandler(template, 'index.onEvent');
    expect(stack.resolve(canceller.isCompleteHandler.functionArn)).toEqual({ 'Fn::GetAtt': [isCompleteId, 'Arn'] });
    expect(stack.resolve(canceller.onEventHandler.functionArn)).toEqual({ 'Fn::GetAtt': [onEventId, 'Arn'] });
  });

  test('logGroup is the given log group, or the one created', () => {
    const stack = envStack();
    const logGroup = new logs.LogGroup(stack, 'Logs');
    expect(synth({ logGroup }, stack).canceller.logGroup).toBe(logGroup);
    const { canceller, template } = synth();
    expect(Stack.of(canceller).resolve((canceller.logGroup.node.defaultChild as CfnResource).logicalId))
      .toBe(Object.keys(template.findResources('AWS::Logs::LogGroup'))[0]);
  });
});
