/**
 * isComplete: reads the key, then polls every sync (cancelling what runs) until a round finds
 * them all terminal, the invocation's time is up (IsComplete: false; the framework calls
 * again), or the deadline passes. A transient failure never fails the deployment before the
 * deadline; only a permanent one (bad key, no access, unknown sync) or the deadline does, and
 * during a rollback nothing does: it warns and lets CloudFormation go on.
 */
import { readAuthorization } from './credentials';
import { PermanentError, classify } from './errors';
import { DeploymentFailure, HandlerContext, HandlerDeps, IsCompleteRequest, IsCompleteResponse, deploymentError, defaultDeps } from './framework';
import { Logger } from './logger';
import { PolytomicClient } from './polytomic-client';
import { parseProperties } from './properties';
import { planNextPoll } from './schedule';
import { SyncProgress, SyncWatcher } from './sync-watcher';
import { CancellerProperties, CancellerState, STATE_KEY } from './types';

/** Time kept back at the end of an invocation to return cleanly before the Lambda timeout. */
export const INVOCATION_SAFETY_MS = 20_000;
/** No HTTP request runs closer than this to the Lambda timeout. */
export const STOP_MARGIN_MS = 10_000;
/** Time one round of polls may need (request timeout plus slack). */
export const ROUND_RESERVE_MS = 15_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** Within one round, a failing request is retried for at least this long (or the poll interval). */
export const MIN_ROUND_RETRY_MS = 30_000;
/** For this long after onEvent, access denied may be IAM propagation and is retried. */
export const IAM_PROPAGATION_MS = 60_000;

/** How a request ends when it cannot succeed: fails the deployment, or (rollback, CONTINUE) warns. */
interface Outcome {
  readonly logger: Logger;
  /** onEvent found the stack rolling back */
  readonly rollback: boolean;
  readonly syncIds: readonly string[];
  /** asks the stack's status again, before anything is failed */
  readonly recheck: () => Promise<boolean>;
}

export async function isComplete(event: IsCompleteRequest, context: HandlerContext, deps: HandlerDeps = defaultDeps()): Promise<IsCompleteResponse> {
  const logger = deps.logger.child({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId });
  if (event.RequestType === 'Delete') return { IsComplete: true };

  const started = deps.clock.now();
  const rollback = event[STATE_KEY]?.rollback === true;
  // bounded by what is left of this invocation (in real time: the AWS call takes real time)
  const recheck = async () => event.RequestType === 'Update'
    && (await deps.rollbackCheck(event.StackId, logger, Date.now() + context.getRemainingTimeInMillis() - 2_000)) === 'rollback';
  let props: CancellerProperties;
  try {
    props = parseProperties(event.ResourceProperties);
  } catch (error) {
    return giveUp({ logger, rollback, syncIds: [], recheck }, classify(error).message, []);
  }
  const outcome: Outcome = { logger, rollback, syncIds: props.syncIds, recheck };
  const state = readState(event[STATE_KEY], props, started);
  const lambdaEnd = started + context.getRemainingTimeInMillis();
  const invocationEnd = Math.min(lambdaEnd - INVOCATION_SAFETY_MS, state.deadline + ROUND_RESERVE_MS);
  const requestScope = `${event.RequestId}/${context.awsRequestId}`;

  let rounds: SyncProgress[] = [];
  let roundStart = started;
  try {
    const stopBy = Math.min(lambdaEnd - STOP_MARGIN_MS, state.deadline + ROUND_RESERVE_MS);
    const authorization = await readAuthorization(props, {
      logger,
      accessDeniedIsTransient: started - state.startedAt < IAM_PROPAGATION_MS,
      stopBy,
      now: () => deps.clock.now(),
    });
    const client = new PolytomicClient({
      apiUrl: props.apiUrl,
      apiVersion: props.apiVersion,
      authorization,
      logger,
      // a failing sync is retried for about one poll interval, so it cannot hold up the round
      retryDeadline: () => Math.min(invocationEnd, state.deadline, roundStart + Math.max(props.pollIntervalMs, MIN_ROUND_RETRY_MS)),
      stopBy,
      requestTimeoutMs: deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
      clock: deps.clock,
    });
    // a new scope per invocation: a cancel re-sent by a later invocation is a new request
    const watcher = new SyncWatcher(client, logger, requestScope, state.rollback);

    for (;;) {
      roundStart = deps.clock.now();
      rounds = await watcher.pollAll(props.syncIds);
      if (rounds.some((p) => p.gaveUp) && rounds.every((p) => p.done)) {
        return await giveUp(outcome, rounds.filter((p) => p.gaveUp).map((p) => `${p.syncId}: ${p.lastError}`).join('; '), rounds);
      }
      if (rounds.every((p) => p.done)) {
        logger.info('every bulk sync is terminal', { outcome: Object.fromEntries(rounds.map((p) => [p.syncId, p.status])) });
        return { IsComplete: true, Data: outcomeData(props.syncIds, rounds, false) };
      }
      const plan = planNextPoll({
        now: deps.clock.now(),
        lastPollAt: roundStart,
        pollIntervalMs: props.pollIntervalMs,
        deadline: state.deadline,
        invocationEnd,
        frameworkIntervalMs: deps.frameworkIntervalMs,
        roundReserveMs: ROUND_RESERVE_MS,
      });
      if (plan.kind === 'deadline') return await onDeadline(outcome, props, rounds);
      await deps.clock.sleep(plan.waitMs);
      if (plan.kind === 'yield') {
        logger.info('still waiting', { pending: rounds.filter((p) => !p.done).map((p) => `${p.syncId}: ${p.status}`) });
        return { IsComplete: false };
      }
    }
  } catch (error) {
    if (error instanceof DeploymentFailure) throw error;
    const failure = classify(error);
    if (failure instanceof PermanentError) return giveUp(outcome, failure.message, rounds);
    // only the key read throws a transient error; polls report theirs in their progress
    if (deps.clock.now() < state.deadline) {
      logger.warn('could not read the key, will try again', { reason: failure.message });
      return { IsComplete: false };
    }
    return onDeadline(outcome, props, rounds, `could not read the Polytomic key: ${failure.message}`);
  }
}

async function onDeadline(outcome: Outcome, props: CancellerProperties, rounds: SyncProgress[], reason?: string): Promise<IsCompleteResponse> {
  const pending = rounds.filter((p) => !p.done);
  const minutes = Math.round(props.timeoutMs / 60_000);
  const details = pending.length > 0 ? describePending(pending) : reason ?? 'no status could be read';
  const waited = outcome.rollback ? 'the rollback wait' : `${minutes} min`;
  const message = `timed out after ${waited} waiting for ${pending.length || props.syncIds.length} of ${props.syncIds.length} Polytomic bulk sync(s) to stop: ${details}`;
  if (props.onTimeout === 'CONTINUE' && !outcome.rollback) {
    outcome.logger.warn('deadline passed; the deployment continues, as configured', { reason: message });
    return { IsComplete: true, Data: outcomeData(props.syncIds, rounds, true) };
  }
  return giveUp(outcome, message, rounds, true);
}

/** Fails the deployment with `message`, or during a rollback warns and lets it go on. */
async function giveUp(outcome: Outcome, message: string, rounds: SyncProgress[], timedOut = false): Promise<IsCompleteResponse> {
  if (outcome.rollback || await outcome.recheck()) {
    outcome.logger.warn('rollback: giving up on the bulk syncs; the rollback goes on', { reason: message });
    return { IsComplete: true, Data: { ...outcomeData(outcome.syncIds, rounds, timedOut), Summary: 'rollback: not confirmed' } };
  }
  outcome.logger.error('failed', { reason: message });
  throw deploymentError(message, outcome.logger);
}

function describePending(pending: SyncProgress[]): string {
  const shown = pending.slice(0, 8).map((p) => `${p.syncId} last seen ${p.status}${p.lastError ? ` (last error: ${p.lastError.slice(0, 120)})` : ''}`);
  return shown.join('; ') + (pending.length > shown.length ? `; and ${pending.length - shown.length} more` : '');
}

/**
 * The custom resource's attributes: each sync's final status (every sync, so that no
 * `finalStatusOf` reference breaks, `unknown` if it was never read), plus a summary.
 */
function outcomeData(syncIds: readonly string[], rounds: SyncProgress[], timedOut: boolean): Record<string, string> {
  const data: Record<string, string> = {};
  const counts = new Map<string, number>();
  for (const id of syncIds) {
    const status = rounds.find((p) => p.syncId === id)?.status ?? 'unknown';
    data[id] = status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
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

