/**
 * onEvent: validates the properties and fixes the deadline. It makes no network call, so
 * nothing transient can fail it; the Polytomic work happens in isComplete, which the
 * framework calls straight after.
 */
import { createHash } from 'node:crypto';
import { PermanentError } from './errors';
import { HandlerDeps, OnEventRequest, OnEventResponse, deploymentError, defaultDeps } from './framework';
import { parseProperties } from './properties';
import { CancellerState, STATE_KEY } from './types';

export async function onEvent(event: OnEventRequest, deps: HandlerDeps = defaultDeps()): Promise<OnEventResponse> {
  const logger = deps.logger.child({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId });

  if (event.RequestType === 'Delete') {
    // Guarded resources depend on the canceller, so CloudFormation deletes them first: a
    // cancel now would come too late to protect anything, and a failed delete would leave
    // the stack in DELETE_FAILED. A delete after a failed create lands here too.
    logger.info('delete: nothing to do, Polytomic is not called');
    return { PhysicalResourceId: event.PhysicalResourceId };
  }

  let syncCount: number;
  let timeoutMs: number;
  try {
    const props = parseProperties(event.ResourceProperties);
    syncCount = props.syncIds.length;
    timeoutMs = props.timeoutMs;
  } catch (error) {
    throw deploymentError(error instanceof PermanentError ? error.message : String(error), logger);
  }

  const now = deps.clock.now();
  const state: CancellerState = { version: 1, startedAt: now, deadline: now + timeoutMs, rollback: false };
  const physicalResourceId = event.RequestType === 'Create'
    ? `polytomic-canceller-${createHash('sha256').update(`${event.StackId}/${event.LogicalResourceId}`).digest('hex').slice(0, 16)}`
    : event.PhysicalResourceId;
  logger.info('deployment will wait for bulk syncs', { syncs: syncCount, deadline: new Date(state.deadline).toISOString() });
  return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: state };
}
