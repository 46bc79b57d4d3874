/**
 * The Provider framework's request and response shapes (aws-cdk-lib does not export them)
 * and the dependencies a handler takes, so tests can pass a fake clock and a captured log.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { Logger } from './logger';
import { Clock, realClock } from './polytomic-client';
import { RollbackCheck, checkRollback } from './stack-status';
import { CancellerState, STATE_KEY } from './types';

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
  /** tells whether the stack is rolling back */
  readonly rollbackCheck: (stackId: string, logger: Logger, stopBy?: number) => Promise<RollbackCheck>;
}

export function defaultDeps(): HandlerDeps {
  return {
    logger: new Logger(),
    clock: realClock,
    frameworkIntervalMs: Number(process.env.FRAMEWORK_QUERY_INTERVAL_SECONDS ?? '10') * 1000,
    rollbackCheck: checkRollback,
  };
}

/** CloudFormation rejects a response over 4 KB; the reason is kept well below. */
const MAX_MESSAGE_BYTES = 1000;

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut) > maxBytes - 3) cut = cut.slice(0, -1);
  return cut + '…';
}

/** The final error of a request, as the framework will report it to CloudFormation. */
export class DeploymentFailure extends Error {}

/** An error for the framework to report: short, single-line, and without a stack to bloat the 4 KB response. */
export function deploymentError(message: string, logger: Logger): DeploymentFailure {
  const text = truncateUtf8(logger.redact(message).replace(/\s+/g, ' '), MAX_MESSAGE_BYTES);
  const error = new DeploymentFailure(text);
  error.stack = `Error: ${text}`;
  return error;
}
