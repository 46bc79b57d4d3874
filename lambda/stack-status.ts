/**
 * Is CloudFormation rolling this stack back? The rollback Update of a custom resource looks
 * like any other Update (ResourceProperties and OldResourceProperties swapped), so the
 * stack's own status is the reliable signal. The handler may read only its own stack.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { regionOf } from './arn';
import { describe } from './errors';
import { Logger } from './logger';

export type RollbackCheck = 'rollback' | 'no-rollback' | 'unknown';

const ATTEMPTS = 3;
const ATTEMPT_TIMEOUT_MS = 5_000;

let client: CloudFormationClient | undefined;

/** Reads the stack's status, a few times if need be (throttling, a grant still propagating); about 20 s at most. */
export async function checkRollback(
  stackId: string,
  logger: Logger,
  /** no attempt is started that could not end by then (epoch ms) */
  stopBy = Infinity,
  sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
): Promise<RollbackCheck> {
  client ??= new CloudFormationClient({
    region: regionOf(stackId, 'cloudformation'),
    maxAttempts: 1, // retried below, within a bounded time
    requestHandler: { connectionTimeout: 2_000, requestTimeout: ATTEMPT_TIMEOUT_MS },
  });
  for (let attempt = 1; ; attempt++) {
    if (Date.now() + ATTEMPT_TIMEOUT_MS > stopBy) {
      logger.warn('no time left to read the stack status', { attempts: attempt - 1 });
      return 'unknown';
    }
    try {
      const out = await client.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
      const status = out.Stacks?.[0]?.StackStatus ?? '';
      // UPDATE_ROLLBACK_IN_PROGRESS, ROLLBACK_IN_PROGRESS, IMPORT_ROLLBACK_IN_PROGRESS
      const rollingBack = status.endsWith('ROLLBACK_IN_PROGRESS');
      logger.info('stack status read', { stackStatus: status, rollback: rollingBack });
      return rollingBack ? 'rollback' : 'no-rollback';
    } catch (error) {
      if (attempt >= ATTEMPTS) {
        logger.warn('could not read the stack status', { reason: describe(error), attempts: attempt });
        return 'unknown';
      }
      await sleep(1_000 * attempt);
    }
  }
}
