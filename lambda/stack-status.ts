/**
 * The stack's status, and the two decisions the handler takes from it:
 * - is this Update CloudFormation rolling back? The rollback Update of a custom resource
 *   looks like any other Update (ResourceProperties and OldResourceProperties swapped);
 * - is the request still awaited? While CloudFormation waits for a resource the stack keeps
 *   the status the request started in. Once it leaves it (another resource failed and the
 *   stack rolls back, the update was cancelled, the stack settled) the request is abandoned:
 *   CloudFormation sends a new request, or none, and reads no answer to this one.
 * The handler may read only its own stack.
 */
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { clientForArn } from './arn';
import { Clock } from './clock';
import { describe } from './errors';
import { Logger } from './logger';
import {
  RECHECK_MAX_AGE_MS, STACK_STATUS_ATTEMPTS, STACK_STATUS_ATTEMPT_TIMEOUT_MS, STACK_STATUS_CONNECT_TIMEOUT_MS, STACK_STATUS_RETRY_STEP_MS,
  STATUS_MAX_AGE_MS,
} from '../src/shared/time-budget';

/** The status when it could not be read. */
export const UNKNOWN_STATUS = 'unknown';

export interface StackStatusOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** no attempt is started that could not end by then (epoch ms, on `clock`) */
  readonly stopBy: number;
  /** how long one attempt may take; default STACK_STATUS_ATTEMPT_TIMEOUT_MS */
  readonly attemptTimeoutMs?: number;
}

/** The stack's status, or `UNKNOWN_STATUS`; never throws. */
export type StackStatusReader = (stackId: string, options: StackStatusOptions) => Promise<string>;

const clients = new Map<string, CloudFormationClient>();

/** One client per region (the stack's own, from its ARN) and endpoint. */
export function cloudFormationClientFor(stackId: string): CloudFormationClient {
  return clientForArn(clients, stackId, 'cloudformation', 'AWS_ENDPOINT_URL_CLOUDFORMATION', (region) => new CloudFormationClient({
    ...region ? { region } : {},
    maxAttempts: 1, // retried in readStackStatus, within a bounded time
    requestHandler: { connectionTimeout: STACK_STATUS_CONNECT_TIMEOUT_MS, requestTimeout: STACK_STATUS_ATTEMPT_TIMEOUT_MS },
  }));
}

/** Reads the stack's status, a few times if need be (throttling, a grant still propagating); STACK_STATUS_READ_MAX_MS at most. */
export const readStackStatus: StackStatusReader = async (stackId, options) => {
  const { logger, clock } = options;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? STACK_STATUS_ATTEMPT_TIMEOUT_MS;
  const client = cloudFormationClientFor(stackId);
  for (let attempt = 1; ; attempt++) {
    if (clock.now() + attemptTimeoutMs > options.stopBy) {
      logger.warn('no time left to read the stack status', { attempts: attempt - 1 });
      return UNKNOWN_STATUS;
    }
    try {
      const out = await client.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: clock.abortAfter(attemptTimeoutMs) });
      const status = out.Stacks?.[0]?.StackStatus;
      if (!status) {
        logger.warn('the stack status read has no status', { attempts: attempt });
        return UNKNOWN_STATUS;
      }
      logger.info('stack status read', { stackStatus: status });
      return status;
    } catch (error) {
      if (attempt >= STACK_STATUS_ATTEMPTS) {
        logger.warn('could not read the stack status', { reason: describe(error), attempts: attempt });
        return UNKNOWN_STATUS;
      }
      await clock.sleep(STACK_STATUS_RETRY_STEP_MS * attempt);
    }
  }
};

/**
 * The one test of a rollback: an Update that CloudFormation sends while it rolls the stack
 * back. A rollback must never fail: the handler then tries for a shorter while, and warns
 * where it would fail. onEvent asks it of the status it reads, and the StackWatch asks it
 * again before a request ends unsuccessfully.
 */
export function isRollbackUpdate(requestType: string, stackStatus: string): boolean {
  return requestType === 'Update' && isRollingBack(stackStatus);
}

/**
 * Whether the Delete of a pause undoes it: CloudFormation deletes a pause's new physical id
 * while it rolls back the deployment that created it (ROLLBACK_IN_PROGRESS after a failed
 * create, UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS after a failed update, and the other
 * rollbacks), and then the syncs it deactivated are activated again. Any other Delete (the
 * clean-up after a successful update, a stack delete) calls nothing: activating an earlier
 * deployment's set could wake a sync deactivated since. An unknown status is no answer: the
 * caller reads again.
 */
export function isPauseUndone(stackStatus: string): boolean {
  return isRollingBack(stackStatus) || stackStatus === 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS';
}

/** UPDATE_ROLLBACK_IN_PROGRESS, ROLLBACK_IN_PROGRESS, IMPORT_ROLLBACK_IN_PROGRESS. */
function isRollingBack(status: string): boolean {
  return status.endsWith('ROLLBACK_IN_PROGRESS');
}

/**
 * Whether CloudFormation no longer waits for a Create or Update that started with the stack
 * in `startedIn` (undefined when that is not known). An unknown status never abandons.
 */
export function isAbandoned(status: string, startedIn: string | undefined): boolean {
  if (status === UNKNOWN_STATUS) return false;
  if (startedIn !== undefined && startedIn !== UNKNOWN_STATUS) return status !== startedIn;
  // Without the starting status, only a status in which no Create or Update can be awaited:
  // settled, cleaning up (every resource answered), deleting, or a failed create rolling back.
  return /_(COMPLETE|FAILED)$/.test(status) || status.endsWith('CLEANUP_IN_PROGRESS')
    || status === 'DELETE_IN_PROGRESS' || status === 'ROLLBACK_IN_PROGRESS';
}

/** How a request that cannot succeed ends, as its stack tells (see `StackWatch.beforeFailing`). */
export type FailureVerdict =
  /** nobody awaits the answer any more: the request completes quietly */
  | { readonly kind: 'abandoned'; readonly stackStatus: string }
  /** a rollback: it warns, and CloudFormation goes on */
  | { readonly kind: 'rollback' }
  /** it fails the deployment */
  | { readonly kind: 'fail' };

/** What isComplete knows of its request and its stack when it starts. */
export interface WatchStart {
  readonly requestType: string;
  /** onEvent found this request a rollback (`isRollbackUpdate`) */
  readonly rollback: boolean;
  /** the status onEvent read, when it could */
  readonly status?: string;
  /** when it read it */
  readonly readAt: number;
}

/**
 * isComplete's view of its stack: reads the status when the last read is too old, tells when
 * the request has been abandoned, and answers the one question asked before a request ends
 * unsuccessfully. A read that fails changes nothing but the time of the next one.
 */
export class StackWatch {
  private readonly requestType: string;
  private readonly rollback: boolean;
  /** the status the request started in, when known */
  private startedIn: string | undefined;
  private readAt: number;
  /** the last status read (or onEvent's), `UNKNOWN_STATUS` if none was */
  private last: string;

  constructor(
    private readonly read: () => Promise<string>,
    private readonly clock: Clock,
    start: WatchStart,
  ) {
    this.requestType = start.requestType;
    this.rollback = start.rollback;
    const known = start.status !== undefined && start.status !== UNKNOWN_STATUS;
    this.startedIn = known ? start.status : undefined;
    this.last = known ? start.status! : UNKNOWN_STATUS;
    this.readAt = known ? start.readAt : -Infinity;
  }

  /** the status last seen */
  get latest(): string {
    return this.last;
  }

  /** when the next read is due */
  get dueAt(): number {
    return this.readAt + STATUS_MAX_AGE_MS;
  }

  /**
   * Reads the status if the last read is older than `maxAgeMs`. Answers the status that
   * shows the request abandoned, else undefined.
   */
  async check(maxAgeMs = STATUS_MAX_AGE_MS): Promise<string | undefined> {
    if (this.clock.now() - this.readAt < maxAgeMs) return undefined;
    const status = await this.read();
    this.readAt = this.clock.now();
    if (status === UNKNOWN_STATUS) return undefined;
    this.last = status;
    if (isAbandoned(status, this.startedIn)) return status;
    // onEvent could not read it: the first status read here stands for it
    this.startedIn ??= status;
    return undefined;
  }

  /**
   * Asked before a request ends unsuccessfully: is it abandoned, is it a rollback? A rollback
   * onEvent found stays one, without another read. Otherwise the status is read again unless
   * it was read within RECHECK_MAX_AGE_MS: the stack may have moved on, or this may be a
   * rollback onEvent could not tell (its read failed).
   */
  async beforeFailing(): Promise<FailureVerdict> {
    if (this.rollback) return { kind: 'rollback' };
    const abandonedIn = await this.check(RECHECK_MAX_AGE_MS);
    if (abandonedIn) return { kind: 'abandoned', stackStatus: abandonedIn };
    return isRollbackUpdate(this.requestType, this.last) ? { kind: 'rollback' } : { kind: 'fail' };
  }
}
