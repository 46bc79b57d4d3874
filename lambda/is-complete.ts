/**
 * isComplete: reads the key, then polls every sync (cancelling what runs) until a round finds
 * them all terminal, the invocation's time is up (IsComplete: false; the framework calls
 * again), or the deadline passes. A transient failure never fails the deployment before the
 * deadline; only a permanent one (bad key, no access, unknown sync) or the deadline does, and
 * during a rollback nothing does: it warns and lets CloudFormation go on. While it waits it
 * reads the stack's status at least once a minute: once the stack has left the status the
 * request started in, nobody waits for the answer, and it stops calling Polytomic at once.
 */
import { readAuthorization } from './credentials';
import { PermanentError, classify } from './errors';
import { DeploymentFailure, HandlerContext, HandlerDeps, IsCompleteRequest, IsCompleteResponse, deploymentError, defaultDeps } from './framework';
import { Logger } from './logger';
import { deadlineMessage, outcomeData } from './outcome';
import { PolytomicClient } from './polytomic-client';
import { parseProperties } from './properties';
import { planNextPoll } from './schedule';
import { StackWatch, isRollingBack } from './stack-status';
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
/** Before failing, the stack's status is read again unless it was read this recently. */
export const RECHECK_MAX_AGE_MS = 5_000;

/** How a request ends when it cannot succeed: fails the deployment, or (rollback, CONTINUE) warns. */
interface Outcome {
  readonly logger: Logger;
  /** onEvent found the stack rolling back */
  readonly rollback: boolean;
  readonly syncIds: readonly string[];
  /** asks the stack's status again, before anything is failed */
  readonly recheck: () => Promise<Recheck>;
}

interface Recheck {
  /** the status that shows the request abandoned */
  readonly abandonedIn?: string;
  /** the stack rolls back this Update */
  readonly rollingBack: boolean;
}

export async function isComplete(event: IsCompleteRequest, context: HandlerContext, deps: HandlerDeps = defaultDeps()): Promise<IsCompleteResponse> {
  const logger = deps.logger.child({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId });
  if (event.RequestType === 'Delete') return { IsComplete: true };

  const started = deps.clock.now();
  const lambdaEnd = started + context.getRemainingTimeInMillis();
  const raw = event[STATE_KEY];
  const rollback = raw?.rollback === true;
  const watch = new StackWatch(
    // a read takes time of this invocation too: none runs past the stop margin
    () => deps.stackStatus(event.StackId, { logger, clock: deps.clock, stopBy: lambdaEnd - STOP_MARGIN_MS }),
    deps.clock,
    { status: typeof raw?.stackStatus === 'string' ? raw.stackStatus : undefined, readAt: raw?.startedAt ?? started },
  );
  const recheck = async (): Promise<Recheck> => {
    const abandonedIn = await watch.check(RECHECK_MAX_AGE_MS);
    return { abandonedIn, rollingBack: event.RequestType === 'Update' && isRollingBack(watch.latest) };
  };
  let props: CancellerProperties;
  try {
    props = parseProperties(event.ResourceProperties);
  } catch (error) {
    return giveUp({ logger, rollback, syncIds: [], recheck }, classify(error).message, []);
  }
  const outcome: Outcome = { logger, rollback, syncIds: props.syncIds, recheck };
  const state = readState(raw, props, started);
  const invocationEnd = Math.min(lambdaEnd - INVOCATION_SAFETY_MS, state.deadline + ROUND_RESERVE_MS);
  const requestScope = `${event.RequestId}/${context.awsRequestId}`;

  let rounds: SyncProgress[] = [];
  let roundStart = started;
  const stop = (stackStatus: string) => abandoned(outcome, stackStatus, rounds);
  try {
    // before anything else: an abandoned request calls nobody (read if onEvent's is old)
    const left = await watch.check();
    if (left) return stop(left);
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
      const gone = await watch.check();
      if (gone) return stop(gone);
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
      // however long the wait, the stack is read whenever its last read grows too old
      const wakeAt = deps.clock.now() + plan.waitMs;
      for (let now = deps.clock.now(); now < wakeAt; now = deps.clock.now()) {
        const until = Math.min(wakeAt, watch.dueAt);
        if (until > now) await deps.clock.sleep(until - now);
        if (deps.clock.now() >= wakeAt) break;
        const moved = await watch.check();
        if (moved) return stop(moved);
      }
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
  const message = deadlineMessage(props, rounds, outcome.rollback, reason);
  if (props.onTimeout === 'CONTINUE' && !outcome.rollback) {
    outcome.logger.warn('deadline passed; the deployment continues, as configured', { reason: message });
    return { IsComplete: true, Data: outcomeData(props.syncIds, rounds, true) };
  }
  return giveUp(outcome, message, rounds, true);
}

/** Fails the deployment with `message`, or during a rollback warns and lets it go on. */
async function giveUp(outcome: Outcome, message: string, rounds: SyncProgress[], timedOut = false): Promise<IsCompleteResponse> {
  const seen: Recheck = outcome.rollback ? { rollingBack: true } : await outcome.recheck();
  if (seen.abandonedIn) return abandoned(outcome, seen.abandonedIn, rounds);
  if (seen.rollingBack) {
    outcome.logger.warn('rollback: giving up on the bulk syncs; the rollback goes on', { reason: message });
    return { IsComplete: true, Data: { ...outcomeData(outcome.syncIds, rounds, timedOut), Summary: 'rollback: not confirmed' } };
  }
  outcome.logger.error('failed', { reason: message });
  throw deploymentError(message, outcome.logger);
}

/**
 * The stack left the status the request started in: CloudFormation has sent a new request,
 * or none, and reads no answer to this one. It completes (a failure would only add noise).
 */
function abandoned(outcome: Outcome, stackStatus: string, rounds: SyncProgress[]): IsCompleteResponse {
  outcome.logger.warn('abandoned: the stack left the status this request started in; Polytomic is no longer called', { stackStatus });
  return { IsComplete: true, Data: { ...outcomeData(outcome.syncIds, rounds, false), Summary: `abandoned: stack is ${stackStatus}` } };
}

function readState(raw: Partial<CancellerState> | undefined, props: CancellerProperties, now: number): CancellerState {
  // A state written by another version, or none: fall back to a deadline from now.
  const startedAt = typeof raw?.startedAt === 'number' ? raw.startedAt : now;
  const deadline = typeof raw?.deadline === 'number' ? raw.deadline : startedAt + props.timeoutMs;
  return { version: 1, startedAt, deadline, rollback: raw?.rollback === true };
}

