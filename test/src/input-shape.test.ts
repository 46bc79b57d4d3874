/**
 * What a caller without TypeScript's types (plain JavaScript, a jsii language's dynamic
 * values) may pass, and the one clear message each gets.
 */
import { SECRET_ARN, SYNC_A as SYNC, agnosticStack, importedSecret } from './support';
import { PolytomicBulkSyncCanceller } from '../../src';

/** The message the constructor throws for `props` (it never gets as far as a template). */
function attempt(props: unknown): string {
  const stack = agnosticStack();
  const secret = importedSecret(stack);
  const given = typeof props === 'function' ? props(secret) : props;
  try {
    new PolytomicBulkSyncCanceller(stack, 'Canceller', given as never);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('expected the constructor to throw');
}

test('a string for syncIds: one message that says to give a list, not one error per character', () => {
  const message = attempt((secret: unknown) => ({ syncIds: SYNC, secret }));
  expect(message).toBe(`Invalid PolytomicBulkSyncCanceller Stack/Canceller:\n  - syncIds must be a list of bulk sync ids, not a string: write ['${SYNC}']`);
});

test('a missing secret: a message that names the prop and how to give it, not a TypeError', () => {
  const message = attempt({ syncIds: [SYNC] });
  expect(message).toMatch(/^Invalid PolytomicBulkSyncCanceller Stack\/Canceller:\n {2}- secret is required: give the secretsmanager.ISecret that holds the Polytomic key/);
});

test('an ARN string for secret', () => {
  expect(attempt({ syncIds: [SYNC], secret: SECRET_ARN })).toContain('secret must be a secretsmanager.ISecret (for example from Secret.fromSecretCompleteArn), not a string or an ARN');
});

test('no props at all, no selection, ids that are not strings', () => {
  expect(attempt(undefined)).toBe('Invalid PolytomicBulkSyncCanceller Stack/Canceller: props are required: give at least secret, and syncIds or connectionIds');
  expect(attempt((secret: unknown) => ({ secret }))).toContain('no sync is selected: give syncIds (bulk sync ids) or connectionIds');
  expect(attempt((secret: unknown) => ({ connectionIds: [7], secret }))).toContain('connectionIds must hold strings (the connection ids)');
  expect(attempt((secret: unknown) => ({ syncIds: [42], secret }))).toContain('syncIds must hold strings (the bulk sync ids)');
});
