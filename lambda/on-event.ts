/**
 * onEvent: fixes the deadline and records the stack's status, from which an Update learns
 * whether it is a rollback. It makes no call to Polytomic, so no Polytomic fault can fail
 * it; that work happens in isComplete, which the framework calls straight after.
 */
import { createHash } from 'node:crypto';
import { classify } from './errors';
import { HandlerDeps, OnEventRequest, OnEventResponse, deploymentError, defaultDeps } from './framework';
import { checkProperties, parseProperties } from './properties';
import { UNKNOWN_STATUS, isRollbackUpdate } from './stack-status';
import { CancellerState, STATE_KEY } from '../src/shared/contract';
import { ON_EVENT_STATUS_READ_BUDGET_MS, ROLLBACK_MAX_WAIT_MS } from '../src/shared/time-budget';

export async function onEvent(event: OnEventRequest, deps: HandlerDeps = defaultDeps()): Promise<OnEventResponse> {
  const logger = deps.logger.child({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId });

  if (event.RequestType === 'Delete') {
    // Guarded resources depend on the canceller, so CloudFormation deletes them first: a
    // cancel now would come too late to protect anything, and a failed delete would leave
    // the stack in DELETE_FAILED. The delete after a failed create lands here too.
    logger.info('delete: nothing to do, Polytomic is not called');
    return { PhysicalResourceId: event.PhysicalResourceId };
  }

  // The status the request starts in: isComplete stops once the stack leaves it (nobody
  // waits for this request any more). A rollback must never fail: it then only tries, for a
  // shorter while, and warns. When the status cannot be read this is a normal Update;
  // isComplete asks again before it fails anything.
  const stackStatus = await deps.stackStatus(event.StackId, { logger, clock: deps.clock, stopBy: deps.clock.now() + ON_EVENT_STATUS_READ_BUDGET_MS });
  const rollback = isRollbackUpdate(event.RequestType, stackStatus);
  const physicalResourceId = event.RequestType === 'Create'
    ? `polytomic-canceller-${createHash('sha256').update(`${event.StackId}/${event.LogicalResourceId}`).digest('hex').slice(0, 16)}`
    : event.PhysicalResourceId;
  const now = deps.clock.now();

  let timeoutMs: number;
  let syncCount: number;
  // values that were tokens at synth are checked now, refused as the construct would have;
  // but a rollback must not fail: parseProperties clamps them into range (and a URL that is
  // not https it refuses, below, so the key is never sent)
  const problems = checkProperties(event.ResourceProperties);
  if (problems.length > 0 && !rollback) throw deploymentError(problems.join('; '), logger);
  if (problems.length > 0) logger.warn('rollback: invalid properties, the nearest valid values are used', { problems });
  try {
    const props = parseProperties(event.ResourceProperties);
    timeoutMs = props.timeoutMs;
    syncCount = props.syncIds.length;
  } catch (error) {
    if (!rollback) throw deploymentError(classify(error).message, logger);
    logger.warn('rollback: the properties cannot be read; nothing will be done', { reason: classify(error).message });
    return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: { version: 1, startedAt: now, deadline: now, rollback } };
  }

  const waitMs = rollback ? Math.min(timeoutMs, ROLLBACK_MAX_WAIT_MS) : timeoutMs;
  const state: CancellerState = {
    version: 1,
    startedAt: now,
    deadline: now + waitMs,
    rollback,
    // left out when unknown: isComplete then takes the first status it reads
    ...stackStatus === UNKNOWN_STATUS ? {} : { stackStatus },
  };
  logger.info(rollback ? 'rollback: will try to stop the bulk syncs, and never fail' : 'deployment will wait for bulk syncs',
    { syncs: syncCount, deadline: new Date(state.deadline).toISOString() });
  return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: state };
}
