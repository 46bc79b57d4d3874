/**
 * Every duration of the canceller, construct and handler alike, in milliseconds. The
 * independent values are chosen (each says why); the dependent ones are computed from them
 * here and nowhere else. `test/src/shared/time-budget.test.ts` checks the rules that tie them
 * together for every timeout and poll interval a user may give.
 *
 * The picture, for one deployment:
 *
 *   onEvent ─ reads the stack status (bounded), fixes the deadline = now + timeout
 *   isComplete invocations, each at most IS_COMPLETE_TIMEOUT, FRAMEWORK_QUERY_INTERVAL apart:
 *     ├ no round of polls is planned to start later than invocationEnd (lambdaEnd − INVOCATION_SAFETY)
 *     ├ no call (Polytomic, Secrets Manager, CloudFormation) runs past stopBy (lambdaEnd − STOP_MARGIN)
 *     └ the last round starts at the deadline; the answer follows within ROUND_RESERVE + ANSWER_RESERVE
 *   CloudFormation's own ServiceTimeout = timeout + SERVICE_TIMEOUT_MARGIN: the handler answers first.
 *
 * Plain numbers only: esbuild bundles this file into the handler and jsii compiles it with
 * the construct, so it imports nothing.
 */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

// ---------------------------------------------------------------------------------------
// What the user chooses (props `timeout` and `pollInterval`): limits and defaults
// ---------------------------------------------------------------------------------------

/** CloudFormation waits at most this long for a custom resource (the largest ServiceTimeout). */
export const CLOUDFORMATION_MAX_WAIT_MS = HOUR_MS;
export const MIN_TIMEOUT_MS = MINUTE_MS;
/** The longest timeout that leaves room for SERVICE_TIMEOUT_MARGIN_MS and a pause's COMPENSATION_WINDOW_MS within CloudFormation's hour. */
export const MAX_TIMEOUT_MS = 55 * MINUTE_MS;
export const DEFAULT_TIMEOUT_MS = 30 * MINUTE_MS;
export const MIN_POLL_INTERVAL_MS = SECOND_MS;
/** A longer interval would not fit, with its round, inside one isComplete invocation. */
export const MAX_POLL_INTERVAL_MS = 2 * MINUTE_MS;
export const DEFAULT_POLL_INTERVAL_MS = 15 * SECOND_MS;

// ---------------------------------------------------------------------------------------
// The Provider framework and the handler functions
// ---------------------------------------------------------------------------------------

/** The framework's wait between isComplete invocations; the handler polls in between itself. */
export const FRAMEWORK_QUERY_INTERVAL_MS = 10 * SECOND_MS;
/** The framework's own give-up time: an hour, like CloudFormation's, so the handler's deadline comes first. */
export const FRAMEWORK_TOTAL_TIMEOUT_MS = CLOUDFORMATION_MAX_WAIT_MS;
/**
 * onEvent reads the stack status and fixes the deadline; with PAUSE_AND_RESUME it also reads
 * the key and which syncs are active (see ON_EVENT_WORK_MAX_MS).
 */
export const ON_EVENT_TIMEOUT_MS = 3 * MINUTE_MS;
/** Long enough for a key read and several rounds of polls; short enough that a lost invocation costs little. */
export const IS_COMPLETE_TIMEOUT_MS = 5 * MINUTE_MS;
/**
 * What happens between isComplete's answer and CloudFormation reading the response: cold
 * starts of the framework functions, Step Functions transitions, the response upload.
 * Generous on purpose: CloudFormation's timeout is a backstop the handler should never meet.
 */
export const FRAMEWORK_OVERHEAD_MS = 85 * SECOND_MS;

// ---------------------------------------------------------------------------------------
// Calls: Polytomic, Secrets Manager, CloudFormation
// ---------------------------------------------------------------------------------------

/** One HTTP request to Polytomic. */
export const REQUEST_TIMEOUT_MS = 10 * SECOND_MS;
/** No call is started with less time than this left before its stop time. */
export const MIN_CALL_TIME_MS = SECOND_MS;
/** The whole secret read, the SDK's own retries included. */
export const SECRET_READ_TIMEOUT_MS = 20 * SECOND_MS;
export const SECRETS_CONNECT_TIMEOUT_MS = 3 * SECOND_MS;
export const SECRETS_SOCKET_TIMEOUT_MS = 5 * SECOND_MS;
/** Attempts at reading the stack status (throttling, a grant still propagating). */
export const STACK_STATUS_ATTEMPTS = 3;
export const STACK_STATUS_ATTEMPT_TIMEOUT_MS = 5 * SECOND_MS;
export const STACK_STATUS_CONNECT_TIMEOUT_MS = 2 * SECOND_MS;
/** Before attempt n + 1 the reader waits n times this. */
export const STACK_STATUS_RETRY_STEP_MS = SECOND_MS;
/** onEvent gives its status read this long, well within its own minute. */
export const ON_EVENT_STATUS_READ_BUDGET_MS = 30 * SECOND_MS;
/** First retry of a failed request waits up to this long (full jitter, doubling). */
export const BACKOFF_BASE_MS = 500;
/** No single wait between retries is longer. */
export const BACKOFF_MAX_MS = 20 * SECOND_MS;
/** The longest `Retry-After` honoured: a longer one is clamped rather than trusted blindly. */
export const MAX_RETRY_AFTER_MS = MINUTE_MS;
/** Within one round a failing request is retried for at least this long (or the poll interval). */
export const MIN_ROUND_RETRY_MS = 30 * SECOND_MS;
/** For this long after onEvent, access denied may be a grant still propagating, and is retried. */
export const IAM_PROPAGATION_MS = MINUTE_MS;
/** Before failing anything, the stack status is read again unless it was read this recently. */
export const RECHECK_MAX_AGE_MS = 5 * SECOND_MS;
/** During a rollback the canceller tries for at most this long (or its timeout, if shorter). */
export const ROLLBACK_MAX_WAIT_MS = 5 * MINUTE_MS;
/**
 * After a pause's wait ends unsuccessfully (its deadline, the stack rolling back without it),
 * activating the syncs it paused again is tried for this long, over as many invocations as it
 * takes; its ServiceTimeout includes it.
 */
export const COMPENSATION_WINDOW_MS = 2 * MINUTE_MS;

// ---------------------------------------------------------------------------------------
// Derived: one isComplete invocation, and CloudFormation's timeout
// ---------------------------------------------------------------------------------------

/** Between the requests of one round (4 run at a time) and their logging. */
const ROUND_SLACK_MS = 5 * SECOND_MS;
/** The time one round of polls may need: a request that may take its whole timeout, and slack. */
export const ROUND_RESERVE_MS = REQUEST_TIMEOUT_MS + ROUND_SLACK_MS;
/** Time kept after the last call to log and answer before the Lambda timeout. */
const ANSWER_RESERVE_MS = 10 * SECOND_MS;
/** No call runs closer than this to the Lambda timeout: what is left is for the answer. */
export const STOP_MARGIN_MS = ANSWER_RESERVE_MS;
/** The last round is planned so that a request it starts still ends before the stop margin. */
export const INVOCATION_SAFETY_MS = STOP_MARGIN_MS + REQUEST_TIMEOUT_MS;
/** The longest a stack status read takes: every attempt timing out, and the waits between them. */
export const STACK_STATUS_READ_MAX_MS = STACK_STATUS_ATTEMPTS * STACK_STATUS_ATTEMPT_TIMEOUT_MS
  + STACK_STATUS_RETRY_STEP_MS * (STACK_STATUS_ATTEMPTS * (STACK_STATUS_ATTEMPTS - 1)) / 2;
/**
 * How old the last stack status read may be while isComplete waits: with the framework's
 * interval between invocations and one read attempt, no minute passes without a read.
 */
export const STATUS_MAX_AGE_MS = MINUTE_MS - FRAMEWORK_QUERY_INTERVAL_MS - STACK_STATUS_ATTEMPT_TIMEOUT_MS;
/**
 * How long after the deadline the handler may still answer: the framework's interval before
 * the invocation that makes the last round, that round, the answer, and the framework's own
 * path to CloudFormation.
 */
export const ANSWER_AFTER_DEADLINE_MAX_MS = FRAMEWORK_QUERY_INTERVAL_MS + ROUND_RESERVE_MS + ANSWER_RESERVE_MS + FRAMEWORK_OVERHEAD_MS;
/** CloudFormation's own timeout is set this far past the handler's deadline. */
export const SERVICE_TIMEOUT_MARGIN_MS = ANSWER_AFTER_DEADLINE_MAX_MS;

/**
 * How long the Delete of a pause whose Create CloudFormation gave up on holds the provider:
 * the abandoned run notices within a status read's age and the framework's interval, then
 * undoes its pause within the compensation window.
 */
export const ABANDONED_PAUSE_HOLD_MS = STATUS_MAX_AGE_MS + FRAMEWORK_QUERY_INTERVAL_MS + ROUND_RESERVE_MS + COMPENSATION_WINDOW_MS;

/** A Delete that must know whether it undoes a pause keeps reading the stack status this long in one invocation. */
export const UNDONE_STATUS_READ_MS = MINUTE_MS;

/**
 * Adaptive polling (see `adaptivePollDelayMs` in the handler): for this long after the cancel
 * the status is read at least every FAST_POLL_MS, so a short cancel is noticed at once; after
 * it, the wait grows with the time elapsed (ADAPTIVE_POLL_PERCENT of it) up to `pollInterval`.
 */
export const FAST_POLL_PHASE_MS = 30 * SECOND_MS;
export const FAST_POLL_MS = 2 * SECOND_MS;
/** The first read after a cancel comes this soon: most cancels of an idle or short run land at once. */
export const FIRST_RECHECK_MS = SECOND_MS;
export const ADAPTIVE_POLL_PERCENT = 20;

/** A queued cancel that shows no effect is sent again only after a few polls and this long. */
export const CANCEL_RESEND_MIN_MS = 30 * SECOND_MS;

/** Requests to Polytomic that run at the same time (one per sync). */
export const CONCURRENT_REQUESTS = 4;
/** The most syncs one canceller halts (the response must stay under CloudFormation's 4 KB). */
export const MAX_SYNCS_PER_CANCELLER = 25;
/**
 * The longest onEvent works: the status read, the key read, and one read of every sync's
 * activation (4 at a time), each request taking its whole timeout.
 */
export const ON_EVENT_WORK_MAX_MS = ON_EVENT_STATUS_READ_BUDGET_MS + SECRET_READ_TIMEOUT_MS
  + Math.ceil(MAX_SYNCS_PER_CANCELLER / CONCURRENT_REQUESTS) * REQUEST_TIMEOUT_MS;

/**
 * The custom resource's ServiceTimeout for a canceller with `timeoutMs`, in whole seconds; a
 * pause (`pausing`) adds its compensation window.
 */
export function serviceTimeoutSeconds(timeoutMs: number, pausing = false): number {
  if (!pausing) return Math.ceil((timeoutMs + SERVICE_TIMEOUT_MARGIN_MS) / SECOND_MS);
  // a pause's Delete may hold for an abandoned Create (ABANDONED_PAUSE_HOLD_MS): it answers in time too
  const holdingDelete = ON_EVENT_STATUS_READ_BUDGET_MS + ABANDONED_PAUSE_HOLD_MS + ANSWER_RESERVE_MS + FRAMEWORK_OVERHEAD_MS;
  return Math.ceil(Math.max(timeoutMs + COMPENSATION_WINDOW_MS + SERVICE_TIMEOUT_MARGIN_MS, holdingDelete) / SECOND_MS);
}

/** The time points of one isComplete invocation, from its Lambda deadline and the wait's deadline. */
export interface InvocationBounds {
  /** no round of polls is planned to start after this */
  readonly invocationEnd: number;
  /** no call runs past this */
  readonly stopBy: number;
}

export function invocationBounds(lambdaEnd: number, deadline: number): InvocationBounds {
  return {
    invocationEnd: Math.min(lambdaEnd - INVOCATION_SAFETY_MS, deadline + ROUND_RESERVE_MS),
    stopBy: Math.min(lambdaEnd - STOP_MARGIN_MS, deadline + ROUND_RESERVE_MS),
  };
}
