/**
 * onEvent: fixes the deadline and records the stack's status, from which an Update learns
 * whether it is a rollback. It routes on the resource type: the canceller (the pause, in
 * PAUSE_AND_RESUME) and the resume (docs/halt-window.md) share one provider.
 *
 * In CANCEL mode it makes no call to Polytomic, so no Polytomic fault can fail it; that work
 * happens in isComplete, which the framework calls straight after. A pause also reads the key
 * and which of its syncs are active: the set it will deactivate, kept in its physical id. It
 * only reads, so a failure here leaves nothing paused. The resume and a pause undone by a
 * rollback hand isComplete the set to activate again.
 */
import { createHash } from 'node:crypto';
import { settleAll } from './concurrency';
import { readAuthorization } from './credentials';
import { PermanentError, classify } from './errors';
import { HandlerDeps, OnEventRequest, OnEventResponse, deploymentError, defaultDeps } from './framework';
import { Logger } from './logger';
import { isUuid, pausePhysicalId, pauseTimeOf, pausedSyncsOf, resumePhysicalId, runTagOf } from './pause-id';
import { PolytomicClient } from './polytomic-client';
import { checkProperties, checkResumeProperties, parseProperties, parseResumeProperties, readPauseId } from './properties';
import { nextRetryAt } from './schedule';
import { resolveSelection } from './selection';
import { UNKNOWN_STATUS, isPauseUndone, isRollbackUpdate } from './stack-status';
import { CancellerProperties } from './types';
import { CANCELLER_RESOURCE_TYPE, CancellerState, RESUME_RESOURCE_TYPE, STATE_KEY } from '../src/shared/contract';
import {
  ABANDONED_PAUSE_HOLD_MS, CONCURRENT_REQUESTS, MAX_SYNCS_PER_CANCELLER, IAM_PROPAGATION_MS, ON_EVENT_STATUS_READ_BUDGET_MS, ON_EVENT_TIMEOUT_MS,
  REQUEST_TIMEOUT_MS,
  ROLLBACK_MAX_WAIT_MS,
  SECRET_READ_TIMEOUT_MS, STOP_MARGIN_MS,
} from '../src/shared/time-budget';

export async function onEvent(event: OnEventRequest, deps: HandlerDeps = defaultDeps()): Promise<OnEventResponse> {
  const logger = deps.logger.child({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId });
  switch (event.ResourceType) {
    case CANCELLER_RESOURCE_TYPE:
      return onCancellerEvent(event, deps, logger);
    case RESUME_RESOURCE_TYPE:
      return onResumeEvent(event, deps, logger);
    default:
      // a failed Delete would leave the stack in DELETE_FAILED, for a resource this handler never made
      if (event.RequestType === 'Delete') {
        logger.warn('delete of an unknown resource type: nothing to do', { resourceType: event.ResourceType });
        return { PhysicalResourceId: event.PhysicalResourceId };
      }
      throw deploymentError(`unknown resource type ${event.ResourceType}: ${CANCELLER_RESOURCE_TYPE} or ${RESUME_RESOURCE_TYPE} is expected`, logger);
  }
}

/** The physical id of a canceller that pauses nothing (CANCEL mode) starts so. */
const CANCELLER_ID_PREFIX = 'polytomic-canceller-';

async function onCancellerEvent(event: OnEventRequest, deps: HandlerDeps, logger: Logger): Promise<OnEventResponse> {
  const eventStart = deps.clock.now();
  if (event.RequestType === 'Delete') return onCancellerDelete(event, deps, logger);

  // The status the request starts in: isComplete stops once the stack leaves it (nobody
  // waits for this request any more). A rollback must never fail: it then only tries, for a
  // shorter while, and warns. When the status cannot be read this is a normal Update;
  // isComplete asks again before it fails anything.
  const stackStatus = await deps.stackStatus(event.StackId, { logger, clock: deps.clock, stopBy: deps.clock.now() + ON_EVENT_STATUS_READ_BUDGET_MS });
  const rollback = isRollbackUpdate(event.RequestType, stackStatus);
  const physicalResourceId = event.RequestType === 'Create'
    ? `${CANCELLER_ID_PREFIX}${createHash('sha256').update(`${event.StackId}/${event.LogicalResourceId}`).digest('hex').slice(0, 16)}`
    : event.PhysicalResourceId;
  const now = deps.clock.now();

  let props: CancellerProperties;
  // values that were tokens at synth are checked now, refused as the construct would have;
  // but a rollback must not fail: parseProperties clamps them into range (and a URL that is
  // not https it refuses, below, so the key is never sent)
  const problems = checkProperties(event.ResourceProperties);
  if (problems.length > 0 && !rollback) throw deploymentError(problems.join('; '), logger);
  if (problems.length > 0) logger.warn('rollback: invalid properties, the nearest valid values are used', { problems });
  try {
    props = parseProperties(event.ResourceProperties);
  } catch (error) {
    if (!rollback) throw deploymentError(classify(error).message, logger);
    logger.warn('rollback: the properties cannot be read; nothing will be done', { reason: classify(error).message });
    return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: stateOf({ startedAt: now, deadline: now, rollback }) };
  }
  // An Update whose stack status cannot be read may be a rollback: pausing then would leave
  // the syncs paused with no resume after it. It only cancels, keeping its id (the resume,
  // whose PauseId does not change, then calls nothing), and says so.
  const blind = event.RequestType === 'Update' && stackStatus === UNKNOWN_STATUS;
  if (props.haltMode === 'PAUSE_AND_RESUME' && blind) {
    logger.warn('the stack status cannot be read, so this Update cannot tell a deployment from a rollback: it cancels the syncs without pausing them');
  }
  if (props.haltMode === 'PAUSE_AND_RESUME' && !rollback && !blind) return pause(event, props, deps, logger, eventStart, stackStatus);
  if (props.haltMode === 'PAUSE_AND_RESUME' && rollback) {
    // The rollback Update of a pause that failed (one that succeeded is undone by a Delete of
    // its new id): it activated its syncs again before it failed, and the guarded constructs,
    // ordered after it, did not change. The set its id names is an earlier deployment's, long
    // resumed: activating it again could wake a sync deactivated since.
    const nothingToDo = 'rollback of a pause: nothing to do';
    logger.info(`${nothingToDo}, Polytomic is not called`, { stackStatus });
    return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: stateOf({ startedAt: now, deadline: now, rollback, nothingToDo }) };
  }

  const waitMs = rollback ? Math.min(props.timeoutMs, ROLLBACK_MAX_WAIT_MS) : props.timeoutMs;
  const state = stateOf({
    startedAt: now,
    deadline: now + waitMs,
    rollback,
    stackStatus,
  });
  logger.info(rollback ? 'rollback: will try to stop the bulk syncs, and never fail' : 'deployment will wait for bulk syncs',
    { syncs: props.syncIds.length, deadline: new Date(state.deadline).toISOString() });
  return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: state };
}

/**
 * The pause (a Create, or an Update that is no rollback): reads which syncs are active, the
 * set S it will deactivate, and returns a new physical id naming S. Every call it makes ends
 * before onEvent's own timeout; any failure fails the deployment, with nothing paused yet.
 */
async function pause(
  event: OnEventRequest, props: CancellerProperties, deps: HandlerDeps, logger: Logger, eventStart: number, stackStatus: string,
): Promise<OnEventResponse> {
  const notUuids = props.syncIds.filter((id) => !isUuid(id));
  if (notUuids.length > 0) {
    throw deploymentError(`haltMode PAUSE_AND_RESUME needs bulk sync ids that are UUIDs: ${notUuids.join(', ')} ${notUuids.length === 1 ? 'is' : 'are'} not`, logger);
  }
  const stopBy = eventStart + ON_EVENT_TIMEOUT_MS - STOP_MARGIN_MS;
  const { selected, active } = await readActive(props, deps, logger, eventStart, stopBy);
  const paused = selected.filter((_, i) => active[i]);
  const state = stateOf({
    // when the stack status was read (isComplete reads it again once that is too old), and
    // CloudFormation's timeout counts the reads of the syncs too
    startedAt: eventStart,
    deadline: eventStart + props.timeoutMs,
    rollback: false,
    stackStatus,
    activation: { action: 'deactivate', syncIds: paused },
    ...props.connectionIds.length > 0 ? { selected } : {},
  });
  logger.info('deployment will pause the active bulk syncs and wait for them', {
    syncs: selected.length, paused, inactive: selected.filter((_, i) => !active[i]), deadline: new Date(state.deadline).toISOString(),
  });
  return { PhysicalResourceId: pausePhysicalId(runTagOf(event.RequestId, eventStart), paused), [STATE_KEY]: state };
}

/**
 * The syncs the pause halts (its selection, resolved) and whether each is active, in order; a
 * failure to read any fails the deployment.
 */
async function readActive(
  props: CancellerProperties, deps: HandlerDeps, logger: Logger, eventStart: number, stopBy: number,
): Promise<{ readonly selected: string[]; readonly active: boolean[] }> {
  const requestTimeoutMs = deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
  // the reads of every sync (and of the list, selecting by connection), 4 at a time, each
  // taking its whole timeout: the key read ends before
  const reads = props.connectionIds.length > 0 ? MAX_SYNCS_PER_CANCELLER + CONCURRENT_REQUESTS : props.syncIds.length;
  const keyDeadline = stopBy - Math.ceil(reads / CONCURRENT_REQUESTS) * requestTimeoutMs;
  let authorization: string;
  try {
    authorization = await readKeyPatiently(props, deps, logger, eventStart, keyDeadline);
  } catch (error) {
    throw deploymentError(`could not read the Polytomic key, so nothing was paused: ${classify(error).message}`, logger);
  }
  const client = new PolytomicClient({
    apiUrl: props.apiUrl,
    apiVersion: props.apiVersion,
    authorization,
    logger,
    retryDeadline: () => stopBy,
    stopBy,
    requestTimeoutMs,
    clock: deps.clock,
  });
  let selected: string[];
  try {
    selected = await resolveSelection(client, props, logger);
  } catch (error) {
    throw deploymentError(`could not tell which bulk syncs to pause, so nothing was paused: ${classify(error).message}`, logger);
  }
  const results = await settleAll(selected, (id) => client.getSync(id));
  const failed = results.flatMap((result, i) => result.ok ? [] : [`${selected[i]}: ${classify(result.error).message}`]);
  if (failed.length > 0) {
    throw deploymentError(`could not read whether ${failed.length} of ${selected.length} bulk sync(s) are active, so nothing was paused: ${failed.join('; ')}`, logger);
  }
  return { selected, active: results.map((result) => result.ok && result.value.active) };
}

/**
 * The key, read again after a transient failure while a read still fits before `keyDeadline`:
 * on a first deployment the handler's grant may still be propagating.
 */
async function readKeyPatiently(
  props: CancellerProperties, deps: HandlerDeps, logger: Logger, eventStart: number, keyDeadline: number,
): Promise<string> {
  const { clock } = deps;
  for (let attempt = 0; ; attempt++) {
    try {
      const accessDeniedIsTransient = clock.now() - eventStart < IAM_PROPAGATION_MS;
      return await readAuthorization(props, { logger, clock, stopBy: keyDeadline, accessDeniedIsTransient });
    } catch (error) {
      const failure = classify(error);
      if (failure instanceof PermanentError) throw failure;
      const retryAt = nextRetryAt({ attempt, now: clock.now(), deadline: keyDeadline, reserveMs: SECRET_READ_TIMEOUT_MS, random: clock.random() });
      if (retryAt === undefined) throw failure;
      logger.warn('could not read the key, will try again', { reason: failure.message });
      await clock.sleep(Math.max(0, retryAt - clock.now()));
    }
  }
}

/**
 * The canceller's Delete. Guarded resources depend on the canceller, so CloudFormation deletes
 * them first: a cancel now would come too late to protect anything, and a failed delete would
 * leave the stack in DELETE_FAILED. The delete after a failed create lands here too. But a
 * pause deleted while its deployment rolls back is undone: the syncs its physical id names
 * are activated again (and it never fails). The clean-up after a successful update and a stack
 * delete call nothing. When the stack status cannot be read, isComplete decides (`ifUndone`).
 */
async function onCancellerDelete(event: OnEventRequest & { readonly RequestType: 'Delete' }, deps: HandlerDeps, logger: Logger): Promise<OnEventResponse> {
  const physicalResourceId = event.PhysicalResourceId;
  const paused = pausedSyncsOf(physicalResourceId);
  const abandonedCreate = paused === undefined && !physicalResourceId.startsWith('polytomic-') && isPausing(event.ResourceProperties);
  if ((!paused || paused.length === 0) && !abandonedCreate) {
    logger.info('delete: nothing to do, Polytomic is not called');
    return { PhysicalResourceId: physicalResourceId };
  }
  const stackStatus = await deps.stackStatus(event.StackId, { logger, clock: deps.clock, stopBy: deps.clock.now() + ON_EVENT_STATUS_READ_BUDGET_MS });
  const now = deps.clock.now();
  if (abandonedCreate) return holdForAbandonedPause(physicalResourceId, stackStatus, now, logger);
  if (stackStatus !== UNKNOWN_STATUS && !isPauseUndone(stackStatus)) {
    logger.info('delete: the pause is not undone (clean-up, or stack delete): nothing to do, Polytomic is not called', { stackStatus });
    // a stack deleted after a rollback that failed before its clean-up: the last pause may never have been undone
    if (stackStatus === 'DELETE_IN_PROGRESS') logger.warn('if a rollback of this stack failed before this delete, these syncs may still be paused', { paused });
    return { PhysicalResourceId: physicalResourceId };
  }
  let props: CancellerProperties;
  try {
    props = parseProperties(event.ResourceProperties);
  } catch (error) {
    logger.error('rollback: the properties cannot be read, so the paused syncs cannot be activated again: activate them in Polytomic',
      { paused, reason: classify(error).message });
    return { PhysicalResourceId: physicalResourceId };
  }
  const ifUndone = stackStatus === UNKNOWN_STATUS;
  const state = stateOf({
    startedAt: now,
    deadline: now + Math.min(props.timeoutMs, ROLLBACK_MAX_WAIT_MS),
    rollback: true,
    stackStatus,
    activation: { action: 'activate', syncIds: paused!, ...ifUndone ? { ifUndone } : {} },
  });
  logger.info(ifUndone
    ? 'delete: the stack status cannot be read yet; the bulk syncs the pause deactivated are activated again if it shows the pause undone'
    : 'rollback: will activate again the bulk syncs the pause deactivated, and never fail', { stackStatus, paused });
  return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: state };
}

/** Whether properties are a PAUSE_AND_RESUME canceller's (false when they cannot be read). */
function isPausing(raw: Record<string, unknown>): boolean {
  try {
    return parseProperties(raw).haltMode === 'PAUSE_AND_RESUME';
  } catch {
    return false;
  }
}

/**
 * The Delete of a pause whose Create CloudFormation gave up on (the stack rolled back while it
 * waited; CloudFormation names the resource itself): the run it abandoned may have paused
 * syncs, and undoes that once it sees the stack moved on. The Delete holds the provider (the
 * functions, their roles), deleted right after it, for that long. It calls nobody.
 */
function holdForAbandonedPause(physicalResourceId: string, stackStatus: string, now: number, logger: Logger): OnEventResponse {
  if (stackStatus !== UNKNOWN_STATUS && !isPauseUndone(stackStatus)) {
    logger.info('delete: nothing to do, Polytomic is not called', { stackStatus });
    return { PhysicalResourceId: physicalResourceId };
  }
  const holdUntil = now + ABANDONED_PAUSE_HOLD_MS;
  logger.warn('delete of a pause CloudFormation gave up on: waiting for its run to activate its syncs again before the provider goes',
    { stackStatus, until: new Date(holdUntil).toISOString() });
  const nothingToDo = 'the pause CloudFormation gave up on undoes itself';
  const state = stateOf({ startedAt: now, deadline: holdUntil, rollback: true, nothingToDo, holdUntil });
  return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: state };
}

/**
 * The resume: a Create, or an Update whose PauseId changed (the pause ran in this deployment),
 * activates again the syncs the pause deactivated; the rollback of such an Update pauses them
 * again (`pauseAgain`). Any other Update (its own properties changed) and a Delete call nothing.
 */
async function onResumeEvent(event: OnEventRequest, deps: HandlerDeps, logger: Logger): Promise<OnEventResponse> {
  if (event.RequestType === 'Delete') {
    logger.info('resume delete: nothing to do, Polytomic is not called');
    return { PhysicalResourceId: event.PhysicalResourceId };
  }
  const physicalResourceId = event.RequestType === 'Create' ? resumePhysicalId(event.StackId, event.LogicalResourceId) : event.PhysicalResourceId;
  const nothing = (why: string, fields: Record<string, unknown> = {}): OnEventResponse => {
    logger.info(`resume: nothing to do, Polytomic is not called: ${why}`, fields);
    const now = deps.clock.now();
    return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: stateOf({ startedAt: now, deadline: now, rollback: false }) };
  };
  const pauseId = readPauseId(event.ResourceProperties);
  if (pauseId?.startsWith(CANCELLER_ID_PREFIX)) {
    // the pause could not read its stack status, so it only cancelled: there is nothing to resume
    logger.warn('the pause only cancelled (it could not tell a deployment from a rollback): nothing was paused, nothing to resume', { pauseId });
    return nothing('the pause paused nothing');
  }
  if (event.RequestType === 'Update' && pauseId === readPauseId(event.OldResourceProperties)) {
    return nothing('the pause did not run in this deployment');
  }
  const stackStatus = await deps.stackStatus(event.StackId, { logger, clock: deps.clock, stopBy: deps.clock.now() + ON_EVENT_STATUS_READ_BUDGET_MS });
  if (event.RequestType === 'Update' && isGoingBack(event, stackStatus)) return pauseAgain(event, deps, logger, stackStatus, nothing);

  const problems = checkResumeProperties(event.ResourceProperties);
  if (problems.length > 0) throw deploymentError(problems.join('; '), logger);
  let props;
  try {
    props = parseResumeProperties(event.ResourceProperties);
  } catch (error) {
    throw deploymentError(classify(error).message, logger);
  }
  const now = deps.clock.now();
  const state = stateOf({
    startedAt: now,
    deadline: now + props.timeoutMs,
    rollback: false,
    stackStatus,
    activation: { action: 'activate', syncIds: props.pausedSyncIds, ...props.runAfterResume ? { start: true } : {} },
  });
  logger.info('deployment will activate the paused bulk syncs again', { paused: props.pausedSyncIds, start: props.runAfterResume });
  return { PhysicalResourceId: physicalResourceId, [STATE_KEY]: state };
}

/**
 * Whether an Update of the resume goes back to an older pause (a rollback): told by the times
 * the two pause ids carry, so an unreadable stack status cannot mistake it for a deployment;
 * by the stack status only when an id carries no time.
 */
function isGoingBack(event: OnEventRequest & { readonly OldResourceProperties: Record<string, unknown> }, stackStatus: string): boolean {
  const to = pauseTimeOf(readPauseId(event.ResourceProperties));
  const from = pauseTimeOf(readPauseId(event.OldResourceProperties));
  if (to !== undefined && from !== undefined) return to < from;
  return isRollbackUpdate('Update', stackStatus);
}

/**
 * The rollback Update of a resume that ran (a resource after it failed, or the resume itself):
 * the guarded constructs are about to be put back, so the syncs the pause being undone
 * deactivated (named by the old properties' PauseId) are deactivated again and waited for;
 * the Delete of that pause's id, in the rollback's clean-up, activates them. Like every
 * rollback it never fails, and it tries for a shorter while.
 */
function pauseAgain(
  event: OnEventRequest & { readonly RequestType: 'Update'; readonly OldResourceProperties: Record<string, unknown> }, deps: HandlerDeps, logger: Logger, stackStatus: string,
  nothing: (why: string, fields?: Record<string, unknown>) => OnEventResponse,
): OnEventResponse {
  const paused = pausedSyncsOf(readPauseId(event.OldResourceProperties));
  if (!paused || paused.length === 0) return nothing('a rollback, and the pause being undone paused nothing', { stackStatus });
  let props;
  try {
    props = parseResumeProperties(event.ResourceProperties);
  } catch (error) {
    logger.warn('rollback: the properties cannot be read; the syncs are not paused again (the Delete of the pause activates them)',
      { paused, reason: classify(error).message });
    return nothing('a rollback whose properties cannot be read', { stackStatus });
  }
  const now = deps.clock.now();
  const state = stateOf({
    startedAt: now,
    deadline: now + Math.min(props.timeoutMs, ROLLBACK_MAX_WAIT_MS),
    rollback: true,
    stackStatus,
    activation: { action: 'deactivate', syncIds: paused },
  });
  logger.info('rollback: will pause the bulk syncs again while the guarded resources are put back, and never fail', { stackStatus, paused });
  return { PhysicalResourceId: event.PhysicalResourceId, [STATE_KEY]: state };
}

/**
 * onEvent's state for isComplete. The stack status is kept only when it was read: without it,
 * isComplete takes the first status it reads.
 */
function stateOf(fields: Omit<CancellerState, 'version' | 'stackStatus'> & { readonly stackStatus?: string }): CancellerState {
  const { stackStatus, ...rest } = fields;
  return { version: 1, ...rest, ...stackStatus === undefined || stackStatus === UNKNOWN_STATUS ? {} : { stackStatus } };
}
