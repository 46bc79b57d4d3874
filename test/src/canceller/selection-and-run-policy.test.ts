/**
 * What a canceller halts (syncs by id, by connection, or an empty selection by choice) and when
 * it runs (on changes of what it guards, or at every deployment), as the template shows them.
 */
import { RunPolicy } from '../../../src';
import { RESOURCE_TYPE, SYNC_A, cancellerProperties, logicalId, synth } from '../support';

const WAREHOUSE = 'a1f0c3de-0000-4000-8000-00000000000a';

describe('selection', () => {
  test('connectionIds are written as ConnectionIds, beside the syncs named by id', () => {
    const { template } = synth({ syncIds: [SYNC_A], connectionIds: [WAREHOUSE] });
    expect(cancellerProperties(template)).toMatchObject({ SyncIds: [SYNC_A], ConnectionIds: [WAREHOUSE] });
    expect(cancellerProperties(template).AllowEmptySelection).toBeUndefined();
  });

  test('by connection alone: SyncIds is empty, and finalStatusOf takes any id (the selection is known at deploy time)', () => {
    const { template, canceller, stack } = synth({ syncIds: undefined, connectionIds: [WAREHOUSE] });
    expect(cancellerProperties(template).SyncIds).toEqual([]);
    expect(stack.resolve(canceller.finalStatusOf(SYNC_A))).toEqual({ 'Fn::GetAtt': [logicalId(canceller.resource), SYNC_A] });
  });

  test('allowEmptySelection is written only when set', () => {
    const { template } = synth({ syncIds: [], allowEmptySelection: true });
    expect(cancellerProperties(template)).toMatchObject({ AllowEmptySelection: 'true' });
  });
});

describe('run policy', () => {
  test('ON_GUARDED_CHANGE (the default): the template is the same at every synthesis, so an unchanged stack calls nothing', () => {
    const a = synth({ syncIds: [SYNC_A] }).template.toJSON();
    const b = synth({ syncIds: [SYNC_A], runPolicy: RunPolicy.ON_GUARDED_CHANGE }).template.toJSON();
    expect(a).toEqual(b);
    expect(JSON.stringify(a)).not.toContain('DeploymentNonce');
  });

  test('EVERY_DEPLOYMENT: a DeploymentNonce new at each synthesis, so that CloudFormation updates the canceller every time', () => {
    const first = synth({ syncIds: [SYNC_A], runPolicy: RunPolicy.EVERY_DEPLOYMENT }).template;
    const second = synth({ syncIds: [SYNC_A], runPolicy: RunPolicy.EVERY_DEPLOYMENT }).template;
    const nonce = (t: typeof first) => cancellerProperties(t).DeploymentNonce;
    expect(nonce(first)).toMatch(/^[0-9a-f-]{36}$/);
    expect(nonce(second)).toMatch(/^[0-9a-f-]{36}$/);
    expect(nonce(first)).not.toBe(nonce(second));
    first.resourceCountIs(RESOURCE_TYPE, 1);
  });
});
