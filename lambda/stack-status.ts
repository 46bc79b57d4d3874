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
import { regionOf } from './arn';
import { describe } from './errors';
import { Logger } from './logger';
import { Clock } from './polytomic-client';

/** The status when it could not be read. */
export const UNKNOWN_STATUS = 'unknown';

const ATTEMPTS = 3;
const ATTEMPT_TIMEOUT_MS = 5_000;

export interface StackStatusOptions {
  readonly logger: Logger;
  readonly clock: Clock;
  /** no attempt is started that could not end by then (epoch ms, on `clock`) */
  readonly stopBy: number;
  /** how long one attempt may take; default 5 s */
  readonly attemptTimeoutMs?: number;
}

/** The stack's status, or `UNKNOWN_STATUS`; never throws. */
export type StackStatusReader = (stackId: string, options: StackStatusOptions) => Promise<string>;

const clients = new Map<string, CloudFormationClient>();

/** One client per region (the stack's own, from its ARN) and endpoint. */
export function cloudFormationClientFor(stackId: string): CloudFormationClient {
  const region = regionOf(stackId, 'cloudformation') ?? '';
  // the SDK reads an endpoint override from the environment once, when the client is made
  const cacheKey = process.env.NOFIX ? 'x' : `${region} ${process.env.AWS_ENDPOINT_URL_CLOUDFORMATION ?? ''}`;
  let client = clients.get(cacheKey);
  if (!client) {
    client = new CloudFormationClient({
      ...region ? { region } : {},
      maxAttempts: 1, // retried in readStackStatus, within a bounded time
      requestHandler: { connectionTimeout: 2_000, requestTimeout: ATTEMPT_TIMEOUT_MS },
    });
    clients.set(cacheKey, client);
  }
  return client;
}

/** Reads the stack's status, a few times if need be (throttling, a grant still propagating); about 20 s at most. */
export const readStackStatus: StackStatusReader = async (stackId, options) => {
  const { logger, clock } = options;
  const attemptTimeoutMs = options.attemptTimeoutMs ?? ATTEMPT_TIMEOUT_MS;
  const client = cloudFormationClientFor(stackId);
  for (let attempt = 1; ; attempt++) {
    if (clock.now() + attemptTimeoutMs > options.stopBy) {
      logger.warn('no time left to read the stack status', { attempts: attempt - 1 });
      return UNKNOWN_STATUS;
    }
    try {
      const out = await client.send(new DescribeStacksCommand({ StackName: stackId }), { abortSignal: AbortSignal.timeout(attemptTimeoutMs) });
      const status = out.Stacks?.[0]?.StackStatus;
      if (!status) {
        logger.warn('the stack status read has no status', { attempts: attempt });
        return UNKNOWN_STATUS;
      }
      logger.info('stack status read', { stackStatus: status });
      return status;
    } catch (error) {
      if (attempt >= ATTEMPTS) {
        logger.warn('could not read the stack status', { reason: describe(error), attempts: attempt });
        return UNKNOWN_STATUS;
      }
      await clock.sleep(1_000 * attempt);
    }
  }
};

/** UPDATE_ROLLBACK_IN_PROGRESS, ROLLBACK_IN_PROGRESS, IMPORT_ROLLBACK_IN_PROGRESS. */
export function isRollingBack(status: string): boolean {
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

/**
 * How old the last status read may be while isComplete waits: with the framework's interval
 * between invocations and the read itself, no minute passes without one.
 */
export const STATUS_MAX_AGE_MS = 45_000;

/**
 * isComplete's view of its stack: reads the status when the last read is too old, and tells
 * when the request has been abandoned. A read that fails changes nothing but the time of the
 * next one.
 */
export class StackWatch {
  /** the status the request started in, when known */
  private startedIn: string | undefined;
  private readAt: number;
  /** the last status read (or onEvent's), `UNKNOWN_STATUS` if none was */
  private last: string;

  constructor(
    private readonly read: () => Promise<string>,
    private readonly clock: Clock,
    /** what onEvent saw, and when */
    start: { readonly status?: string; readonly readAt: number },
  ) {
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
    if (this.clock.now() - this.readAt < maxAgeMs || process.env.NOFIX) return undefined;
    const status = await this.read();
    this.readAt = this.clock.now();
    if (status === UNKNOWN_STATUS) return undefined;
    this.last = status;
    if (isAbandoned(status, this.startedIn)) return status;
    // onEvent could not read it: the first status read here stands for it
    this.startedIn ??= status;
    return undefined;
  }
}
