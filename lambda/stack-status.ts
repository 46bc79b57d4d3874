/**
 * Is CloudFormation rolling this stack back? The rollback Update of a custom resource looks
 * like any other Update (ResourceProperties and OldResourceProperties swapped), so the
 * stack's own status is the reliable signal. The handler may read only its own stack.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { describe } from './errors';
import { Logger } from './logger';

export type RollbackCheck = 'rollback' | 'no-rollback' | 'unknown';

let client: CloudFormationClient | undefined;

/** `arn:aws:cloudformation:<region>:<account>:stack/<name>/<id>` → region. */
function regionOfStackId(stackId: string): string | undefined {
  const parts = stackId.split(':');
  return parts.length >= 6 && parts[2] === 'cloudformation' && parts[3] ? parts[3] : undefined;
}

export async function checkRollback(stackId: string, logger: Logger): Promise<RollbackCheck> {
  try {
    client ??= new CloudFormationClient({ region: regionOfStackId(stackId) });
    const out = await client.send(new DescribeStacksCommand({ StackName: stackId }));
    const status = out.Stacks?.[0]?.StackStatus ?? '';
    // UPDATE_ROLLBACK_IN_PROGRESS, ROLLBACK_IN_PROGRESS, IMPORT_ROLLBACK_IN_PROGRESS
    const rollingBack = status.endsWith('ROLLBACK_IN_PROGRESS');
    logger.info('stack status read', { stackStatus: status, rollback: rollingBack });
    return rollingBack ? 'rollback' : 'no-rollback';
  } catch (error) {
    logger.warn('could not read the stack status', { reason: describe(error) });
    return 'unknown';
  }
}
