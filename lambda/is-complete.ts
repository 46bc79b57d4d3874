/**
 * isComplete: reads the key, then polls every sync (cancelling what runs) until a round finds
 * them all terminal, the invocation's time is up (IsComplete: false; the framework calls
 * again), or the deadline passes. A transient failure never fails the deployment before the
 * deadline; only a permanent one (bad key, no access, unknown sync) or the deadline does.
 */
import { readAuthorization } from './credentials';
import { TransientError, classify } from './errors';
import { DeploymentFailure, HandlerContext, HandlerDeps, IsCompleteRequest, IsCompleteResponse, deploymentError, defaultDeps } from './framework';
import { Logger } from './logger';
import { PolytomicClient } from './polytomic-client';
import { parseProperties } from './properties';
import { planNextPoll } from './schedule';
import { SyncProgress, SyncWatcher } from './sync-watcher';
import { CancellerProperties, CancellerState, STATE_KEY } from './types';

/** Time kept back at the end of an invocation to return cleanly before the Lambda timeout. */
export const INVOCATION_SAFETY_MS = 20_000;
/** Time one round of polls may need (request timeout plus slack). */
export const ROUND_RESERVE_MS = 15_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** For this long after onEvent, access denied may be IAM propagation and is retried. */
export const IAM_PROPAGATION_MS = 60_000;

export async function isComplete(event: IsCompleteRequest, context: HandlerContext, deps: HandlerDeps = defaultDeps()): Promise<IsCompleteResponse> {
  const logger = deps.logger.child({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId });
  if (event.RequestType === 'Delete') return { IsComplete: true };

  const started = deps.clock.now();
  let props: CancellerProperties;
  try {
    props = parseProperties(event.ResourceProperties);
  } catch (error) {
    throw deploymentError(classify(error).message, logger);
  }
  const state = readState(event[STATE_KEY], props, started);
  const invocationEnd = Math.min(started + context.getRemainingTimeInMillis() - INVOCATION_SAFETY_MS, state.deadline + ROUND_RESERVE_MS);

  try {
    return await waitForSyncs(props, state, invocationEnd, `${event.RequestId}/${context.awsRequestId}`, logger, deps);
  } catch (error) {
    if (error instanceof DeploymentFailure) throw error;
    const failure = classify(error);
    if (failure instanceof TransientError) {
      // only reached when the key could not be read for a passing reason
      if (deps.clock.now() < state.deadline) {
        logger.warn('could not start polling, will try again', { reason: failure.message });
        return { IsComplete: false };
      }
      return onDeadline(props, [], logger, `could not read the Polytomic key: ${failure.message}`);
    }
    logger.error('failed', { reason: failure.message });
    throw deploymentError(`Polytomic bulk sync canceller: ${failure.message}`, logger);
  }
}

async function waitForSyncs(
  props: CancellerProperties,
  state: CancellerState,
  invocationEnd: number,
  requestScope: string,
  logger: Logger,
  deps: HandlerDeps,
): Promise<IsCompleteResponse> {
  const { clock } = deps;
  const authorization = await readAuthorization(props, {
    logger,
    accessDeniedIsTransient: clock.now() - state.startedAt < IAM_PROPAGATION_MS,
  });
  const client = new PolytomicClient({
    apiUrl: props.apiUrl,
    apiVersion: props.apiVersion,
    authorization,
    logger,
    retryDeadline: Math.min(invocationEnd, state.deadline),
    requestTimeoutMs: deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    clock,
  });
  // a new scope per invocation: a cancel re-sent by a later invocation is a new request
  const watcher = new SyncWatcher(client, logger, requestScope);

  for (;;) {
    const roundStart = clock.now();
    const round = await watcher.pollAll(props.syncIds);
    if (round.every((p) => p.done)) {
      logger.info('every bulk sync is terminal', { outcome: Object.fromEntries(round.map((p) => [p.syncId, p.status])) });
      return { IsComplete: true, Data: outcomeData(round, false) };
    }
    const plan = planNextPoll({
      now: clock.now(),
      lastPollAt: roundStart,
      pollIntervalMs: props.pollIntervalMs,
      deadline: state.deadline,
      invocationEnd,
      frameworkIntervalMs: deps.frameworkIntervalMs,
      roundReserveMs: ROUND_RESERVE_MS,
    });
    if (plan.kind === 'deadline') return onDeadline(props, round, logger);
    await clock.sleep(plan.waitMs);
    if (plan.kind === 'yield') {
      logger.info('still waiting', { pending: round.filter((p) => !p.done).map((p) => `${p.syncId}: ${p.status}`) });
      return { IsComplete: false };
    }
  }
}

function onDeadline(props: CancellerProperties, round: SyncProgress[], logger: Logger, reason?: string): IsCompleteResponse {
  const pending = round.filter((p) => !p.done);
  const minutes = Math.round(props.timeoutMs / 60_000);
  const details = pending.length > 0 ? describePending(pending) : reason ?? 'no status could be read';
  const message = `timed out after ${minutes} min waiting for ${pending.length || props.syncIds.length} of ${props.syncIds.length} Polytomic bulk sync(s) to stop: ${details}`;
  if (props.onTimeout === 'CONTINUE') {
    logger.warn('deadline passed; continuing the deployment as configured', { reason: message });
    return { IsComplete: true, Data: outcomeData(round, true) };
  }
  logger.error('deadline passed', { reason: message });
  throw deploymentError(message, logger);
}

function describePending(pending: SyncProgress[]): string {
  const shown = pending.slice(0, 8).map((p) => `${p.syncId} last seen ${p.status}${p.lastError ? ` (last error: ${p.lastError.slice(0, 120)})` : ''}`);
  return shown.join('; ') + (pending.length > shown.length ? `; and ${pending.length - shown.length} more` : '');
}

/** The custom resource's attributes: each sync's final status, plus a summary. */
function outcomeData(round: SyncProgress[], timedOut: boolean): Record<string, string> {
  const data: Record<string, string> = {};
  const counts = new Map<string, number>();
  for (const p of round) {
    data[p.syncId] = p.status;
    counts.set(p.status, (counts.get(p.status) ?? 0) + 1);
  }
  data.TimedOut = String(timedOut);
  data.Summary = [...counts].map(([status, n]) => `${n} ${status}`).join(', ') || 'no status read';
  return data;
}

function readState(raw: Partial<CancellerState> | undefined, props: CancellerProperties, now: number): CancellerState {
  // A state written by another version, or none: fall back to a deadline from now.
  const startedAt = typeof raw?.startedAt === 'number' ? raw.startedAt : now;
  const deadline = typeof raw?.deadline === 'number' ? raw.deadline : startedAt + props.timeoutMs;
  return { version: 1, startedAt, deadline, rollback: raw?.rollback === true };
}
