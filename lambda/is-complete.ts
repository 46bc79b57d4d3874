/**
 * isComplete: reads the key, then polls every sync (cancelling what runs) until a round finds
 * them all terminal, the invocation's time is up (IsComplete: false; the framework calls
 * again), or the deadline passes. A transient failure never fails the deployment before the
 * deadline; only a permanent one (bad key, no access, unknown sync) or the deadline does, and
 * during a rollback nothing does: it warns and lets CloudFormation go on. While it waits it
 * reads the stack's status at least once a minute: once the stack has left the status the
 * request started in, nobody waits for the answer, and it stops calling Polytomic at once.
 *
 * The halt window (docs/halt-window.md), as onEvent's `activation` asks: a pause first
 * deactivates the syncs it pauses, every round until confirmed, then polls as above; on every
 * unsuccessful ending but a CONTINUE at the deadline it first activates them again
 * (`compensate`). The resume, and a pause undone by a rollback, activate the paused syncs
 * again (`activateUntilDone`), round after round until all are confirmed or the deadline.
 *
 * The steps: `readRequest` (properties, state, bounds), `connect` (key read, client),
 * `pollUntilDone` (rounds, and `waitWatchingStack` between them) decide an `Ending`; `end`
 * acts on it, and `endUnsuccessfully` is the one way a request ends without success.
 */
import { Activator } from './activation';
import { settleAll } from './concurrency';
import { readAuthorization } from './credentials';
import { PermanentError, TransientError, classify } from './errors';
import { HandlerContext, HandlerDeps, IsCompleteRequest, IsCompleteResponse, MAX_REASON_BYTES, deploymentError, defaultDeps } from './framework';
import { Logger } from './logger';
import { ResumeOutcome, deadlineMessage, outcomeData, resumeData } from './outcome';
import { PolytomicClient } from './polytomic-client';
import { parseProperties, parseResumeProperties } from './properties';
import { adaptivePollDelayMs, planNextPoll } from './schedule';
import { resolveSelection } from './selection';
import { StackWatch, UNKNOWN_STATUS, isPauseUndone } from './stack-status';
import { SyncProgress, SyncWatcher } from './sync-watcher';
import { CancellerProperties, ConnectionProperties } from './types';
import { Attribute, CancellerState, RESUME_RESOURCE_TYPE, STATE_KEY } from '../src/shared/contract';
import {
  COMPENSATION_WINDOW_MS, IAM_PROPAGATION_MS, STACK_STATUS_READ_MAX_MS, STACK_STATUS_RETRY_STEP_MS, UNDONE_STATUS_READ_MS,
  InvocationBounds, MINUTE_MS, MIN_ROUND_RETRY_MS, REQUEST_TIMEOUT_MS,
  ROUND_RESERVE_MS, STOP_MARGIN_MS,
  invocationBounds,
} from '../src/shared/time-budget';

type Activation = NonNullable<CancellerState['activation']>;

/** What ending a request unsuccessfully needs; known even when the properties cannot be read. */
interface FailureContext {
  readonly logger: Logger;
  readonly syncIds: readonly string[];
  /** asked before anything fails: is the request abandoned, is it a rollback? */
  readonly watch: StackWatch;
  /** the resume (pausing again for a rollback): it answers the resume's attributes */
  readonly resume: boolean;
}

/** One invocation: what it read from the request, and how far its polling got. */
interface Run extends FailureContext {
  /** the syncs it halts: those named, and with a selection by connection those listed once connected */
  syncIds: readonly string[];
  /** a selection by connection still to be listed */
  readonly selection?: Pick<CancellerProperties, 'syncIds' | 'connectionIds' | 'allowEmptySelection'>;
  /** the selection by connection was listed in this invocation */
  selectionListed?: boolean;
  readonly deps: HandlerDeps;
  readonly props: ConnectionProperties;
  readonly state: CancellerState;
  readonly bounds: InvocationBounds;
  /** when the Lambda times out */
  readonly lambdaEnd: number;
  /** when this invocation started */
  readonly started: number;
  /** the CloudFormation request, the same in every invocation */
  readonly requestId: string;
  /** what makes this invocation's cancels distinct logical requests */
  readonly requestScope: string;
  /** when the current round of polls started */
  roundStart: number;
  /** every sync as the last round saw it; empty before the first */
  rounds: SyncProgress[];
  /** the key's Authorization header, once read */
  authorization?: string;
  /** the activation work of this invocation, once connected */
  activator?: Activator;
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
  const activation = readActivation(event[STATE_KEY]);
  const resume = event.ResourceType === RESUME_RESOURCE_TYPE;
  if (resume && activation === undefined) {
    // an Update that is no new pause, a Delete: onEvent asked for nothing
    logger.info('resume: nothing to do, Polytomic is not called');
    return { IsComplete: true, Data: resumeData(NOTHING_RESUMED, 'nothing to resume') };
  }
  const holdUntil = event[STATE_KEY]?.holdUntil;
  if (typeof holdUntil === 'number') return hold(holdUntil, context, deps, logger);
  if (!resume && event.RequestType === 'Delete' && activation?.action !== 'activate') return { IsComplete: true };
  const nothingToDo = event[STATE_KEY]?.nothingToDo;
  if (!resume && typeof nothingToDo === 'string') {
    logger.info(`${nothingToDo}, Polytomic is not called`);
    // every sync keeps an attribute, so that no reference to one breaks
    const ids: unknown = event.ResourceProperties?.SyncIds;
    const syncIds = Array.isArray(ids) ? ids.filter((id): id is string => typeof id === 'string') : [];
    return { IsComplete: true, Data: { ...outcomeData(syncIds, [], false), [Attribute.Summary]: nothingToDo } };
  }
  const request = readRequest(event, context, deps, logger, resume, activation);
  if ('unreadable' in request) {
    const data = activation?.action === 'activate' ? resumeData({ ...NOTHING_RESUMED, stillPaused: activation.syncIds }) : undefined;
    return endUnsuccessfully(request.unreadable, request.reason, [], false, data);
  }
  if (activation?.ifUndone) {
    const undone = await pauseUndone(request.run, event.StackId, activation);
    if (undone !== 'undone') return { IsComplete: undone === 'no' || request.run.deps.clock.now() >= request.run.state.deadline };
  }
  if (activation?.action === 'activate') return endActivation(request.run, activation, await activateUntilDone(request.run, activation));
  return end(request.run, await work(request.run));
}

const NOTHING_RESUMED: ResumeOutcome = { resumed: [], stillPaused: [], started: 0, start: false };

/** Waits, calling nobody, until `holdUntil` (the Delete of a pause CloudFormation gave up on). */
async function hold(holdUntil: number, context: HandlerContext, deps: HandlerDeps, logger: Logger): Promise<IsCompleteResponse> {
  const { clock } = deps;
  const until = Math.min(holdUntil, clock.now() + context.getRemainingTimeInMillis() - STOP_MARGIN_MS);
  if (until > clock.now()) await clock.sleep(until - clock.now());
  if (clock.now() < holdUntil) return { IsComplete: false };
  logger.info('the pause CloudFormation gave up on had its time to undo itself; the delete completes');
  return { IsComplete: true };
}

/**
 * A Delete whose onEvent could not read the stack status: is the pause undone (a rollback)?
 * Read again in each invocation until it can tell (the framework calls again meanwhile); at
 * the deadline it gives up, naming the syncs, rather than wake syncs deactivated since.
 */
async function pauseUndone(run: Run, stackId: string, activation: Activation): Promise<'undone' | 'no' | 'unknown'> {
  const { deps, logger, bounds, state } = run;
  const { clock } = deps;
  // read until it answers, for a while: a rollback seen in one invocation is not remembered in the next
  const readUntil = Math.min(bounds.stopBy, clock.now() + UNDONE_STATUS_READ_MS);
  let status = await deps.stackStatus(stackId, { logger, clock, stopBy: bounds.stopBy });
  while (status === UNKNOWN_STATUS && clock.now() + STACK_STATUS_RETRY_STEP_MS + STACK_STATUS_READ_MAX_MS <= readUntil) {
    await clock.sleep(STACK_STATUS_RETRY_STEP_MS);
    status = await deps.stackStatus(stackId, { logger, clock, stopBy: bounds.stopBy });
  }
  if (status !== UNKNOWN_STATUS) {
    if (isPauseUndone(status)) return 'undone';
    logger.info('delete: the pause is not undone (clean-up, or stack delete): nothing to do, Polytomic is not called', { stackStatus: status });
    return 'no';
  }
  if (deps.clock.now() >= state.deadline) {
    logger.error('could not read the stack status, so this delete cannot tell whether it undoes a pause: if the deployment rolled back, '
      + 'these syncs are still paused: activate them in Polytomic', { paused: activation.syncIds });
  }
  return 'unknown';
}

/** Reads the request: its properties, onEvent's state, the stack it watches, and the bounds of this invocation. */
function readRequest(
  event: IsCompleteRequest, context: HandlerContext, deps: HandlerDeps, logger: Logger, resume: boolean, activation: Activation | undefined,
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
  let props: ConnectionProperties;
  let syncIds: readonly string[];
  let selection: Run['selection'];
  try {
    if (resume) {
      props = parseResumeProperties(event.ResourceProperties);
      syncIds = activation?.syncIds ?? [];
    } else {
      const canceller = parseProperties(event.ResourceProperties);
      props = canceller;
      const selected = Array.isArray(raw?.selected) ? raw.selected.filter((id): id is string => typeof id === 'string') : undefined;
      syncIds = activation?.action === 'activate' ? activation.syncIds : selected ?? canceller.syncIds;
      // selecting by connection: the list is read once connected, unless onEvent read it (a pause)
      if (activation?.action !== 'activate' && selected === undefined && canceller.connectionIds.length > 0) selection = canceller;
    }
  } catch (error) {
    return { unreadable: { logger, syncIds: [], watch, resume }, reason: classify(error).message };
  }
  const state = readState(raw, props, started, activation);
  // a pause keeps the compensation window at the end of every invocation: however its wait
  // ends, this invocation can still activate its syncs again
  const pollingEnd = activation?.action === 'deactivate' ? lambdaEnd - COMPENSATION_WINDOW_MS : lambdaEnd;
  return {
    run: {
      logger,
      syncIds,
      ...selection ? { selection } : {},
      watch,
      resume,
      deps,
      props,
      state,
      bounds: invocationBounds(pollingEnd, state.deadline),
      lambdaEnd,
      started,
      requestId: event.RequestId,
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
  run.authorization ??= await readAuthorization(props, {
    logger,
    accessDeniedIsTransient: run.started - state.startedAt < IAM_PROPAGATION_MS,
    stopBy: bounds.stopBy,
    clock: deps.clock,
  });
  // a failing sync is retried for about one poll interval, so it cannot hold up the round
  const client = clientOf(run, run.authorization,
    () => Math.min(bounds.invocationEnd, state.deadline, run.roundStart + Math.max(props.pollIntervalMs, MIN_ROUND_RETRY_MS)));
  run.activator = new Activator(client, logger, run.requestId);
  if (run.selection) {
    // strict only in the request's first invocation, which the framework makes straight after onEvent
    const strict = run.started - state.startedAt < deps.frameworkIntervalMs;
    try {
      run.syncIds = await resolveSelection(client, run.selection, logger, strict);
      run.selectionListed = true;
    } catch (error) {
      const failure = classify(error);
      if (failure instanceof PermanentError) throw failure;
      throw new TransientError(`could not list the bulk syncs to select by connection: ${failure.message}`);
    }
  }
  // a new scope per invocation: a cancel re-sent by a later invocation is a new request
  return new SyncWatcher(client, logger, run.requestScope, state.rollback, deps.perSyncStatus === true);
}

function clientOf(run: Run, authorization: string, retryDeadline: () => number, stopBy = run.bounds.stopBy): PolytomicClient {
  const { deps, logger, props } = run;
  return new PolytomicClient({
    apiUrl: props.apiUrl,
    apiVersion: props.apiVersion,
    authorization,
    logger,
    retryDeadline,
    stopBy,
    requestTimeoutMs: deps.requestTimeoutMs ?? REQUEST_TIMEOUT_MS,
    clock: deps.clock,
  });
}

/**
 * Rounds of polls, each followed by a decision: every sync is terminal (completed; failed if a
 * rollback gave up on one), the deadline has come, or a wait before the next round, in this
 * invocation or (yield) the next. A pause first deactivates, in each round, the syncs not
 * confirmed yet: a sync not confirmed is not done.
 */
async function pollUntilDone(run: Run, watcher: SyncWatcher): Promise<Ending> {
  const { deps, props, state, bounds } = run;
  for (;;) {
    const gone = await run.watch.check();
    if (gone) return { kind: 'abandoned', stackStatus: gone };
    run.roundStart = deps.clock.now();
    const unconfirmed = state.activation?.action === 'deactivate' ? await run.activator!.deactivate(state.activation.syncIds, state.rollback) : new Map<string, string>();
    run.rounds = (await watcher.pollAll(run.syncIds))
      .map((p) => unconfirmed.has(p.syncId) ? { ...p, done: false, lastError: unconfirmed.get(p.syncId) } : p);
    if (run.rounds.every((p) => p.done)) {
      const gaveUp = run.rounds.filter((p) => p.gaveUp);
      if (gaveUp.length === 0) return { kind: 'completed' };
      return { kind: 'failed', reason: gaveUp.map((p) => `${p.syncId}: ${p.lastError}`).join('; ') };
    }
    const now = deps.clock.now();
    const plan = planNextPoll({
      now,
      lastPollAt: run.roundStart,
      // soon after the cancels, then less and less often (fixed: every pollInterval)
      pollIntervalMs: deps.fixedPolling ? props.pollIntervalMs : adaptivePollDelayMs(run.roundStart - state.startedAt, props.pollIntervalMs),
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
  return { kind: 'deadline', reason: run.authorization === undefined ? `could not read the Polytomic key: ${failure.message}` : failure.message };
}

/** Acts on the decision: logs it and answers the framework. */
async function end(run: Run, ending: Ending): Promise<IsCompleteResponse> {
  const { logger, rounds } = run;
  switch (ending.kind) {
    case 'completed': {
      const left = await pauseLeftBehind(run);
      if (left) return abandoned(run, left, rounds);
      logger.info('every bulk sync is terminal', { outcome: Object.fromEntries(rounds.map((p) => [p.syncId, p.status])) });
      return { IsComplete: true, Data: attributesOf(run, rounds, false) };
    }
    case 'yield':
      logger.info('still waiting', { pending: rounds.filter((p) => !p.done).map((p) => `${p.syncId}: ${p.status}`) });
      return { IsComplete: false };
    case 'retry':
      logger.warn(run.authorization === undefined ? 'could not read the key, will try again' : 'could not start polling, will try again', { reason: ending.reason });
      return { IsComplete: false };
    case 'deadline':
      return onDeadline(run, ending.reason);
    case 'failed':
      return endUnsuccessfully(run, await compensate(run, ending.reason), rounds);
    case 'abandoned':
      await compensate(run);
      return abandoned(run, ending.stackStatus, rounds);
  }
}

/**
 * Before a pause answers success: has CloudFormation given up on it meanwhile? Its answer would
 * then be read by nobody, and no resume would follow: the stack status is read afresh, and an
 * abandoned pause activates its syncs again first. Answers the status, or undefined.
 */
async function pauseLeftBehind(run: Run): Promise<string | undefined> {
  if (run.state.activation?.action !== 'deactivate' || run.state.rollback) return undefined;
  // read now, however recent the last read: the answer about to be given decides
  const left = await run.watch.check(0);
  if (left) await compensate(run);
  return left;
}

/** The deadline has passed: the deployment continues if so configured (never in a rollback), else the request ends unsuccessfully. */
async function onDeadline(run: Run, reason?: string): Promise<IsCompleteResponse> {
  const { logger, props, state, rounds } = run;
  const message = deadlineMessage({ timeoutMs: props.timeoutMs, syncIds: run.syncIds }, rounds, state.rollback, reason);
  if (props.onTimeout === 'CONTINUE' && !state.rollback) {
    const left = await pauseLeftBehind(run);
    if (left) return abandoned(run, left, rounds);
    // a pause stays: the deployment goes on, and the resume activates the syncs after it
    logger.warn('deadline passed; the deployment continues, as configured', { reason: message });
    return { IsComplete: true, Data: attributesOf(run, rounds, true) };
  }
  return endUnsuccessfully(run, await compensate(run, message), rounds, true);
}

/**
 * The attributes of an answer: each sync's status and a summary; the resume, which pauses again
 * only for a rollback, answers its own (nothing resumed).
 */
function attributesOf(context: FailureContext, rounds: readonly SyncProgress[], timedOut: boolean): Record<string, string> {
  if (context.resume) return resumeData(NOTHING_RESUMED, `rollback: ${context.syncIds.length} paused again until the pause is undone`);
  const data = outcomeData(context.syncIds, rounds, timedOut);
  const unlisted = 'selection' in context && (context as Run).selection !== undefined && (context as Run).selectionListed !== true;
  return unlisted ? { ...data, [Attribute.Summary]: 'the selection by connection could not be listed' } : data;
}

/** Most sync ids a failure reason names; the log names them all. */
const MAX_IDS_SHOWN = 12;

/**
 * Before a pause ends unsuccessfully: activates again the syncs it deactivated, each request
 * retried for up to the compensation window (which every invocation of a pause keeps), and
 * answers `message` with a word on it. Nothing to do for any other request.
 */
async function compensate(run: Run, message?: string): Promise<string> {
  const activation = run.state.activation;
  // a rollback that pauses again (the resume) leaves the activation to the Delete of the pause that follows
  if (activation?.action !== 'deactivate' || activation.syncIds.length === 0 || run.state.rollback) return message ?? '';
  const ids = activation.syncIds;
  // the status read before failing comes after it, within the window too
  const stopBy = Math.min(run.lambdaEnd - STOP_MARGIN_MS, run.deps.clock.now() + COMPENSATION_WINDOW_MS - STACK_STATUS_READ_MAX_MS);
  const failed = await activateAgain(run, ids, stopBy);
  let note: string;
  if (failed.length === 0) {
    note = `the ${ids.length} sync${ids.length === 1 ? '' : 's'} it paused ${ids.length === 1 ? 'was' : 'were'} activated again`;
    run.logger.info(note, { activated: ids });
  } else {
    const shown = failed.slice(0, MAX_IDS_SHOWN).join(', ') + (failed.length > MAX_IDS_SHOWN ? ` and ${failed.length - MAX_IDS_SHOWN} more` : '');
    note = `could not activate again: ${shown}; activate them in Polytomic${failed.length > MAX_IDS_SHOWN ? ' (the log names them all)' : ''}`;
    run.logger.error(note, { stillPaused: failed });
  }
  if (message === undefined) return note;
  // the note must not be cut: the message gives way (redacted first, then cut)
  return `${run.logger.bound(message, MAX_REASON_BYTES - Buffer.byteLength(note) - 2)}; ${note}`;
}

/** Activates `syncIds`, each retried while a retry fits before `stopBy`; answers those it could not. */
async function activateAgain(run: Run, syncIds: readonly string[], stopBy: number): Promise<string[]> {
  const { deps, logger, props } = run;
  try {
    run.authorization ??= await readAuthorization(props, { logger, stopBy, clock: deps.clock });
  } catch (error) {
    logger.error('could not read the key to activate the paused syncs again', { reason: classify(error).message });
    return [...syncIds];
  }
  const client = clientOf(run, run.authorization, () => stopBy, stopBy);
  const results = await settleAll(syncIds, (id) => client.setActive(id, true));
  return syncIds.filter((id, i) => {
    const result = results[i];
    if (!result.ok) logger.warn('could not activate this sync again', { syncId: id, reason: classify(result.error).message });
    return !result.ok;
  });
}

/**
 * The resume, or a pause undone by a rollback: rounds of activation (and starts) until every
 * sync is done, the invocation's time is up, or the deadline passes. It never stops because
 * the stack moved on: activating paused syncs again is never in the way.
 */
async function activateUntilDone(run: Run, activation: Activation): Promise<Ending> {
  const { deps, props, state, bounds } = run;
  const start = activation.start === true;
  if (activation.syncIds.length === 0) return { kind: 'completed' };
  try {
    await connect(run);
  } catch (error) {
    const failure = classify(error);
    if (failure instanceof PermanentError) return { kind: 'failed', reason: failure.message };
    if (deps.clock.now() < state.deadline) return { kind: 'retry', reason: failure.message };
    return { kind: 'deadline', reason: `could not read the Polytomic key: ${failure.message}` };
  }
  const activator = run.activator!;
  for (;;) {
    run.roundStart = deps.clock.now();
    await activator.activate(activation.syncIds, start);
    if (activator.allDone(activation.syncIds, start)) return { kind: 'completed' };
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
    await deps.clock.sleep(plan.waitMs);
    if (plan.kind === 'yield') return { kind: 'yield' };
  }
}

/**
 * Acts on how the activation ended. Every sync active again: done. Otherwise those still
 * paused are named: a rollback (a pause undone) warns and goes on; the resume fails, or with
 * OnTimeout CONTINUE goes on with a warning and names them in StillPaused.
 */
async function endActivation(run: Run, activation: Activation, ending: Ending): Promise<IsCompleteResponse> {
  const { logger, props, state } = run;
  if (ending.kind === 'yield') {
    const activated = run.activator?.progress(activation.syncIds).activated ?? [];
    logger.info('still activating', { pending: activation.syncIds.filter((id) => !activated.includes(id)) });
    return { IsComplete: false };
  }
  if (ending.kind === 'retry') {
    logger.warn('could not read the key, will try again', { reason: ending.reason });
    return { IsComplete: false };
  }
  const progress = run.activator?.progress(activation.syncIds);
  const resumed = progress?.activated ?? [];
  const outcome: ResumeOutcome = {
    resumed,
    stillPaused: activation.syncIds.filter((id) => !resumed.includes(id)),
    started: progress?.started ?? 0,
    start: activation.start === true,
  };
  if (outcome.stillPaused.length === 0) {
    logger.info('every paused bulk sync is active again', { resumed, started: outcome.started });
    return { IsComplete: true, Data: resumeData(outcome) };
  }
  const reasons = outcome.stillPaused.map((id) => progress?.gaveUp.get(id) ?? progress?.lastErrors.get(id))
    .map((reason, i) => `${outcome.stillPaused[i]}: ${reason ?? (ending.kind === 'deadline' || ending.kind === 'failed' ? ending.reason : undefined) ?? 'not confirmed'}`);
  const minutes = Math.round((state.deadline - state.startedAt) / MINUTE_MS);
  const why = ending.kind === 'deadline' ? `gave up after ${minutes} min` : 'gave up';
  // the ids first: the reason is cut at 1000 bytes, and 25 of them fit
  const message = `${outcome.stillPaused.length} bulk sync(s) still paused, activate them in Polytomic: ${outcome.stillPaused.join(',')}`
    + ` (${why}: ${reasons.join('; ')})`;
  if (state.rollback) {
    logger.warn('rollback: could not activate every paused sync again; the rollback goes on', { reason: message, stillPaused: outcome.stillPaused });
    return { IsComplete: true, Data: resumeData(outcome) };
  }
  if (props.onTimeout === 'CONTINUE') {
    logger.warn('could not activate every paused sync again; the deployment continues, as configured', { reason: message, stillPaused: outcome.stillPaused });
    return { IsComplete: true, Data: resumeData(outcome) };
  }
  return endUnsuccessfully(run, message, [], ending.kind === 'deadline', resumeData(outcome));
}

/**
 * The one way a request ends without success, with `message`. What the stack tells decides
 * (`StackWatch.beforeFailing`): an abandoned request completes quietly, a rollback warns and
 * lets CloudFormation go on, anything else fails the deployment. `data`, when given, stands
 * for the canceller's attributes (the resume has its own).
 */
async function endUnsuccessfully(
  context: FailureContext, message: string, rounds: readonly SyncProgress[], timedOut = false, data?: Record<string, string>,
): Promise<IsCompleteResponse> {
  const verdict = await context.watch.beforeFailing();
  switch (verdict.kind) {
    case 'abandoned':
      return abandoned(context, verdict.stackStatus, rounds, data);
    case 'rollback':
      context.logger.warn('rollback: giving up on the bulk syncs; the rollback goes on', { reason: message });
      return {
        IsComplete: true,
        Data: { ...data ?? attributesOf(context, rounds, timedOut), [Attribute.Summary]: 'rollback: not confirmed' },
      };
    case 'fail':
      context.logger.error('failed', { reason: message });
      throw deploymentError(message, context.logger);
  }
}

/**
 * The stack left the status the request started in: CloudFormation has sent a new request,
 * or none, and reads no answer to this one. It completes (a failure would only add noise).
 */
function abandoned(context: FailureContext, stackStatus: string, rounds: readonly SyncProgress[], data?: Record<string, string>): IsCompleteResponse {
  context.logger.warn('abandoned: the stack left the status this request started in; Polytomic is no longer called', { stackStatus });
  return {
    IsComplete: true,
    Data: { ...data ?? attributesOf(context, rounds, false), [Attribute.Summary]: `abandoned: stack is ${stackStatus}` },
  };
}

function readState(
  raw: Partial<CancellerState> | undefined, props: ConnectionProperties, now: number, activation: Activation | undefined,
): CancellerState {
  // A state written by another version, or none: fall back to a deadline from now.
  const startedAt = typeof raw?.startedAt === 'number' ? raw.startedAt : now;
  const deadline = typeof raw?.deadline === 'number' ? raw.deadline : startedAt + props.timeoutMs;
  return { version: 1, startedAt, deadline, rollback: raw?.rollback === true, ...activation ? { activation } : {} };
}

/** onEvent's activation, if it is one this version understands. */
function readActivation(raw: Partial<CancellerState> | undefined): Activation | undefined {
  const activation = raw?.activation as Partial<Activation> | undefined;
  if (!activation || (activation.action !== 'activate' && activation.action !== 'deactivate') || !Array.isArray(activation.syncIds)) return undefined;
  const syncIds = activation.syncIds.filter((id): id is string => typeof id === 'string');
  return {
    action: activation.action,
    syncIds,
    ...activation.start === true ? { start: true } : {},
    ...activation.ifUndone === true ? { ifUndone: true } : {},
  };
}
