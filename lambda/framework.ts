/**
 * The Provider framework's request and response shapes (aws-cdk-lib does not export them)
 * and the dependencies a handler takes, so tests can pass a fake clock and a captured log.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { Clock, realClock } from './clock';
import { Logger } from './logger';
import { StackStatusReader, readStackStatus } from './stack-status';
import { CancellerState, STATE_KEY } from '../src/shared/contract';
import { FRAMEWORK_QUERY_INTERVAL_MS, SECOND_MS } from '../src/shared/time-budget';

export type OnEventRequest = CloudFormationCustomResourceEvent;

export interface OnEventResponse {
  readonly PhysicalResourceId?: string;
  readonly [STATE_KEY]?: CancellerState;
}

/** isComplete receives the CloudFormation event merged with what onEvent returned. */
export type IsCompleteRequest = CloudFormationCustomResourceEvent & {
  readonly PhysicalResourceId?: string;
  readonly [STATE_KEY]?: Partial<CancellerState>;
};

export interface IsCompleteResponse {
  readonly IsComplete: boolean;
  readonly Data?: Record<string, string>;
}

export type HandlerContext = Pick<Context, 'getRemainingTimeInMillis' | 'awsRequestId'>;

export interface HandlerDeps {
  readonly logger: Logger;
  readonly clock: Clock;
  /** the framework's wait between isComplete invocations */
  readonly frameworkIntervalMs: number;
  /** how long one HTTP request to Polytomic may take */
  readonly requestTimeoutMs?: number;
  /** reads the stack's status (rollback, abandoned request) */
  readonly stackStatus: StackStatusReader;
  /** poll every `pollInterval` instead of adaptively (the benchmark compares the two) */
  readonly fixedPolling?: boolean;
  /** read each sync's status alone instead of all in one request (the benchmark compares the two) */
  readonly perSyncStatus?: boolean;
}

export function defaultDeps(): HandlerDeps {
  return {
    logger: new Logger(),
    clock: realClock,
    // the construct sets it; the budget's value otherwise (a handler run outside the construct)
    frameworkIntervalMs: frameworkIntervalMs(process.env.FRAMEWORK_QUERY_INTERVAL_SECONDS),
    stackStatus: readStackStatus,
  };
}

function frameworkIntervalMs(seconds: string | undefined): number {
  return seconds === undefined ? FRAMEWORK_QUERY_INTERVAL_MS : Number(seconds) * SECOND_MS;
}

/** CloudFormation rejects a response over 4 KB; the reason is kept well below. */
export const MAX_REASON_BYTES = 1000;

/** The final error of a request, as the framework will report it to CloudFormation. */
export class DeploymentFailure extends Error {}

/** An error for the framework to report: short, single-line, and without a stack to bloat the 4 KB response. */
export function deploymentError(message: string, logger: Logger): DeploymentFailure {
  // folded first, so redaction sees the text as it will be sent; cut only once redacted
  const text = logger.bound(message.replace(/\s+/g, ' ').trim(), MAX_REASON_BYTES);
  const error = new DeploymentFailure(text);
  error.stack = `Error: ${text}`;
  return error;
}
