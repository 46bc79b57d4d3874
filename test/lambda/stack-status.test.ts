import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { mockClient } from 'aws-sdk-client-mock';
import { Logger } from '../../lambda/logger';
import { checkRollback } from '../../lambda/stack-status';
import { STACK_ID } from '../fixtures/events';

const cfn = mockClient(CloudFormationClient);
const logger = new Logger(() => undefined);

beforeEach(() => cfn.reset());

describe('checkRollback', () => {
  test.each([
    ['UPDATE_ROLLBACK_IN_PROGRESS', 'rollback'],
    ['ROLLBACK_IN_PROGRESS', 'rollback'],
    ['IMPORT_ROLLBACK_IN_PROGRESS', 'rollback'],
    ['UPDATE_IN_PROGRESS', 'no-rollback'],
    ['UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS', 'no-rollback'],
    ['CREATE_IN_PROGRESS', 'no-rollback'],
  ])('%s → %s', async (status, expected) => {
    cfn.on(DescribeStacksCommand, { StackName: STACK_ID }).resolves({ Stacks: [{ StackName: 'app', StackStatus: status as never, CreationTime: new Date() }] });
    await expect(checkRollback(STACK_ID, logger)).resolves.toBe(expected);
  });

  test('an error (throttled, denied, no network) is tried 3 times, then answers unknown instead of throwing', async () => {
    cfn.on(DescribeStacksCommand).rejects(Object.assign(new Error('Rate exceeded'), { name: 'Throttling' }));
    const waits: number[] = [];
    await expect(checkRollback(STACK_ID, logger, Infinity, async (ms) => { waits.push(ms); })).resolves.toBe('unknown');
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(3);
    expect(waits).toEqual([1_000, 2_000]);
  });

  test('a passing error (a grant still propagating) is retried', async () => {
    cfn.on(DescribeStacksCommand)
      .rejectsOnce(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }))
      .resolves({ Stacks: [{ StackName: 'app', StackStatus: 'UPDATE_ROLLBACK_IN_PROGRESS', CreationTime: new Date() }] });
    await expect(checkRollback(STACK_ID, logger, Infinity, async () => undefined)).resolves.toBe('rollback');
  });

  test('no attempt is started without the time for it', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });
    await expect(checkRollback(STACK_ID, logger, Date.now() + 1_000)).resolves.toBe('unknown');
    expect(cfn.commandCalls(DescribeStacksCommand)).toHaveLength(0);
  });

  test('the stack is asked for by its id, in its own region', async () => {
    cfn.on(DescribeStacksCommand).resolves({ Stacks: [] });
    await checkRollback(STACK_ID, logger);
    const call = cfn.commandCalls(DescribeStacksCommand)[0];
    expect(call.args[0].input).toEqual({ StackName: STACK_ID });
    await expect(call.thisValue.config.region()).resolves.toBe('eu-west-1');
  });
});
