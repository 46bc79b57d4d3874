/**
 * isComplete: reads the key, then polls every sync (cancelling what runs) until a round finds
 * them all terminal, the invocation's time is up (IsComplete: false; the framework calls
 * again), or the deadline passes. A transient failure never fails the deployment before the
 * deadline; only a permanent one (bad key, no access, unknown sync) or the deadline does, and
 * during a rollback nothing does: it warns and lets CloudFormation go on. While it waits it
 * reads the stack's status at least once a minute: once the stack has left the status the
 * request started in, nobody waits for the answer, and it stops calling Polytomic at once.
 *
 * The steps: `readRequest` (properties, state, bounds), `connect` (key read, client),
 * `pollUntilDone` (rounds, and `waitWatchingStack` between them) decide an `Ending`; `end`
 * acts on it, and `endUnsuccessfully` is the one way a request ends without success.
 */
import { readAuthorization } from './credentials';
import { PermanentError, classify } from './errors';
import { HandlerContext, HandlerDeps, IsCompleteRequest, IsCompleteResponse, deploymentError, defaultDeps } from './framework';
import { Logger } from './logger';
import { deadlineMessage, outcomeData } from './outcome';
import { PolytomicClient } from './polytomic-client';
import { parseProperties } from './properties';
import { planNextPoll } from './schedule';
import { StackWatch } from './stack-status';
import { SyncProgress, SyncWatcher } from './sync-watcher';
import { CancellerProperties } from './types';
import { Attribute, CancellerState, STATE_KEY } from '../src/shared/contract';
import {
  IAM_PROPAGATION_MS, InvocationBounds, MIN_ROUND_RETRY_MS, REQUEST_TIMEOUT_MS, ROUND_RESERVE_MS, STOP_MARGIN_MS, invocationBounds,
} from '../src/shared/time-budget';

/** What ending a request unsuccessfully needs; known even when the properties cannot be read. */
interface FailureContext {
  readonly logger: Logger;
  readonly syncIds: readonly string[];
  /** asked before anything fails: is the request abandoned, is it a rollback? */
  readonly watch: StackWatch;
}

/** One invocation: what it read from the request, and how far its polling got. */
interface Run extends FailureContext {
  readonly deps: HandlerDeps;
  readonly props: CancellerProperties;
  readonly state: CancellerState;
  readonly bounds: InvocationBounds;
  /** when this invocation started */
  readonly started: number;
  /** what makes this invocation's cancels distinct logical requests */
  readonly requestScope: string;
  /** when the current round of polls started */
  roundStart: number;
  /** every sync as the last round saw it; empty before the first */
  rounds: SyncProgress[];
}

/** How an invocation ends, as decided by the polling; `end` acts on it. */
type Ending =
  /** every sync is terminal */
  | { readonly kind: 'completed' }
  /** this invocation's time is up; the framework calls again */
  | { readonly kind: 'yield' }
  /** the key could not be read (a transient failure); the framework calls again */
  | { readonly kind: 'retry'; readonly reason: string }
  | { readonly kind: 'deadline'; readonly reason?: string }
  /** a permanent failure, or a rollback gave up on a sync */
  | { readonly kind: 'failed'; readonly reason: string }
  /** the stack left the status the request started in */
  | { readonly kind: 'abandoned'; readonly stackStatus: string };

export async function isComplete(event: IsCompleteRequest, context: HandlerContext, deps: HandlerDeps = defaultDeps()): Promise<IsCompleteResponse> {
  const logger = deps.logger.child({ requestType: event.RequestType, logicalResourceId: event.LogicalResourceId, requestId: event.RequestId });
  if (event.RequestType === 'Delete') return { IsComplete: true };
  const request = readRequest(event, context, deps, logger);
  if ('unreadable' in request) return endUnsuccessfully(request.unreadable, request.reason, []);
  return end(request.run, await work(request.run));
}

/** Reads the request: its properties, onEvent's state, the stack it watches, and the bounds of this invocation. */
function readRequest(
  event: IsCompleteRequest, context: HandlerContext, deps: HandlerDeps, logger: Logger,
): { readonly run: Run } | { readonly unreadable: FailureContext; readonly reason: string } {
  const started = deps.clock.now();
  const lambdaEnd = started + context.getRemainingTimeInMillis();
  const raw = event[STATE_KEY];
  const watch = new StackWatch(
    // a read takes time of this invocation too: none runs past the stop margin
    () => deps.stackStatus(event.StackId, { logger, clock: deps.clock, stopBy: lambdaEnd - STOP_MARGIN_MS }),
    deps.clock,
    {
      requestType: event.RequestType,
      rollback: raw?.rollback === true,
      status: typeof raw?.stackStatus === 'string' ? raw.stackStatus : undefined,
      readAt: raw?.startedAt ?? started,
    },
  );
  let props: CancellerProperties;
  try {
    props = parseProperties(event.ResourceProperties);
  } catch (error) {
    return { unreadable: { logger, syncIds: [], watch }, reason: classify(error).message };
  }
  const state = readState(raw, props, started);
  return {
    run: {
      logger,
      syncIds: props.syncIds,
      watch,
      deps,
      props,
      state,
      bounds: invocationBounds(lambdaEnd, state.deadline),
      started,
      requestScope: `${event.RequestId}/${context.awsRequestId}`,
      roundStart: started,
      rounds: [],
    },
  };
}

/** Everything the invocation does, up to the decision of how it ends. */
async function work(run: Run): Promise<Ending> {
  try {
    // before anything else: an abandoned request calls nobody (read if onEvent's is old)
    const left = await run.watch.check();
    if (left) return { kind: 'abandoned', stackStatus: left };
    const watcher = await connect(run);
    return await pollUntilDone(run, watcher);
  } catch (error) {
    return endingOfError(run, error);
  }
}

/** Reads the key and builds the client, and the watcher that polls the syncs through it. */
async function connect(run: Run): Promise<SyncWatcher> {
  const { deps, logger, props, state, bounds } = run;
  const authorization = await readAuthorization(props, {
    logger,
    accessDeniedIsTransient: run.started - state.startedAt < IAM_PROPAGATION_MS,
    stopBy: bounds.stopBy,
    clock: deps.clock,
  });
  const client = new PolytomicClient({
    apiUrl: props.apiUrl,
    apiVersion: props.apiVersion,
    authorization,
    logger,
    // a failing sync is retried for about one poll interval, so it cannot hold up the round
    retryDeadline: () => Math.min(bounds.invocationEnd, state.deadline, run.roundStart + Math.max(props.pollIntervalMs, MIN_ROUND_RETRY_MS)),
    stopBy: bounds.stopBy,
    requestTimeoutMs: deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    clock: deps.clock,
  });
  // a new scope per invocation: a cancel re-sent by a later invocation is a new request
  return new SyncWatcher(client, logger, run.requestScope, state.rollback);
}

/**
 * Rounds of polls, each followed by a decision: every sync is terminal (completed; failed if a
 * rollback gave up on one), the deadline has come, or a wait before the next round, in this
 * invocation or (yield) the next.
 */
async function pollUntilDone(run: Run, watcher: SyncWatcher): Promise<Ending> {
  const { deps, props, state, bounds } = run;
  for (;;) {
    const gone = await run.watch.check();
    if (gone) return { kind: 'abandoned', stackStatus: gone };
    run.roundStart = deps.clock.now();
    run.rounds = await watcher.pollAll(props.syncIds);
    if (run.rounds.every((p) => p.done)) {
      const gaveUp = run.rounds.filter((p) => p.gaveUp);
      if (gaveUp.length === 0) return { kind: 'completed' };
      return { kind: 'failed', reason: gaveUp.map((p) => `${p.syncId}: ${p.lastError}`).join('; ') };
    }
    const plan = planNextPoll({
      now: deps.clock.now(),
      lastPollAt: run.roundStart,
      pollIntervalMs: props.pollIntervalMs,
      deadline: state.deadline,
      invocationEnd: bounds.invocationEnd,
      frameworkIntervalMs: deps.frameworkIntervalMs,
      roundReserveMs: ROUND_RESERVE_MS,
    });
    if (plan.kind === 'deadline') return { kind: 'deadline' };
    const moved = await waitWatchingStack(run, plan.waitMs);
    if (moved) return { kind: 'abandoned', stackStatus: moved };
    if (plan.kind === 'yield') return { kind: 'yield' };
  }
}

/**
 * Waits `waitMs`, however long, reading the stack whenever its last read grows too old.
 * Answers the status that shows the request abandoned, if the stack moved on meanwhile.
 */
async function waitWatchingStack(run: Run, waitMs: number): Promise<string | undefined> {
  const { deps: { clock }, watch } = run;
  const wakeAt = clock.now() + waitMs;
  for (let now = clock.now(); now < wakeAt; now = clock.now()) {
    const until = Math.min(wakeAt, watch.dueAt);
    if (until > now) await clock.sleep(until - now);
    if (clock.now() >= wakeAt) break;
    const moved = await watch.check();
    if (moved) return moved;
  }
  return undefined;
}

/**
 * How a thrown error ends the invocation. A permanent one fails; a transient one comes only
 * from the key read (polls report theirs in their progress) and is tried again until the deadline.
 */
function endingOfError(run: Run, error: unknown): Ending {
  const failure = classify(error);
  if (failure instanceof PermanentError) return { kind: 'failed', reason: failure.message };
  if (run.deps.clock.now() < run.state.deadline) return { kind: 'retry', reason: failure.message };
  return { kind: 'deadline', reason: `could not read the Polytomic key: ${failure.message}` };
}

/** Acts on the decision: logs it and answers the framework. */
async function end(run: Run, ending: Ending): Promise<IsCompleteResponse> {
  const { logger, rounds } = run;
  switch (ending.kind) {
    case 'completed':
      logger.info('every bulk sync is terminal', { outcome: Object.fromEntries(rounds.map((p) => [p.syncId, p.status])) });
      return { IsComplete: true, Data: outcomeData(run.syncIds, rounds, false) };
    case 'yield':
      logger.info('still waiting', { pending: rounds.filter((p) => !p.done).map((p) => `${p.syncId}: ${p.status}`) });
      return { IsComplete: false };
    case 'retry':
      logger.warn('could not read the key, will try again', { reason: ending.reason });
      return { IsComplete: false };
    case 'deadline':
      return onDeadline(run, ending.reason);
    case 'failed':
      return endUnsuccessfully(run, ending.reason, rounds);
    case 'abandoned':
      return abandoned(run, ending.stackStatus, rounds);
  }
}

/** The deadline has passed: the deployment continues if so configured (never in a rollback), else the request ends unsuccessfully. */
async function onDeadline(run: Run, reason?: string): Promise<IsCompleteResponse> {
  const { logger, props, state, rounds } = run;
  const message = deadlineMessage(props, rounds, state.rollback, reason);
  if (props.onTimeout === 'CONTINUE' && !state.rollback) {
    logger.warn('deadline passed; the deployment continues, as configured', { reason: message });
    return { IsComplete: true, Data: outcomeData(props.syncIds, rounds, true) };
  }
  return endUnsuccessfully(run, message, rounds, true);
}

/**
 * The one way a request ends without success, with `message`. What the stack tells decides
 * (`StackWatch.beforeFailing`): an abandoned request completes quietly, a rollback warns and
 * lets CloudFormation go on, anything else fails the deployment.
 */
async function endUnsuccessfully(
  context: FailureContext, message: string, rounds: readonly SyncProgress[], timedOut = false,
): Promise<IsCompleteResponse> {
  const verdict = await context.watch.beforeFailing();
  switch (verdict.kind) {
    case 'abandoned':
      return abandoned(context, verdict.stackStatus, rounds);
    case 'rollback':
      context.logger.warn('rollback: giving up on the bulk syncs; the rollback goes on', { reason: message });
      return { IsComplete: true, Data: { ...outcomeData(context.syncIds, rounds, timedOut), [Attribute.Summary]: 'rollback: not confirmed' } };
    case 'fail':
      context.logger.error('failed', { reason: message });
      throw deploymentError(message, context.logger);
  }
}

/**
 * The stack left the status the request started in: CloudFormation has sent a new request,
 * or none, and reads no answer to this one. It completes (a failure would only add noise).
 */
function abandoned(context: FailureContext, stackStatus: string, rounds: readonly SyncProgress[]): IsCompleteResponse {
  context.logger.warn('abandoned: the stack left the status this request started in; Polytomic is no longer called', { stackStatus });
  return { IsComplete: true, Data: { ...outcomeData(context.syncIds, rounds, false), [Attribute.Summary]: `abandoned: stack is ${stackStatus}` } };
}

function readState(raw: Partial<CancellerState> | undefined, props: CancellerProperties, now: number): CancellerState {
  // A state written by another version, or none: fall back to a deadline from now.
  const startedAt = typeof raw?.startedAt === 'number' ? raw.startedAt : now;
  const deadline = typeof raw?.deadline === 'number' ? raw.deadline : startedAt + props.timeoutMs;
  return { version: 1, startedAt, deadline, rollback: raw?.rollback === true };
}
