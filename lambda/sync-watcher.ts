/**
 * One round of work per bulk sync: read its status; if an execution runs, ask Polytomic to
 * cancel it; report what was seen. Rounds repeat until one finds every sync terminal, so a
 * sync that starts again after the cancel is caught too.
 */
import { PermanentError, classify } from './errors';
import { Logger, clip } from './logger';
import { PolytomicClient, idempotencyKey } from './polytomic-client';
import { SyncStatus } from './responses';
import { TERMINAL_STATUSES } from './types';
import { CANCEL_RESEND_MIN_MS } from '../src/shared/time-budget';

/**
 * What the watcher reports of one sync. `status` and `lastError` are Polytomic's words, so
 * they may be of any length and may even echo the key: they leave the watcher redacted, then
 * bounded, ready to be shown in the custom resource's attributes and its failure reason.
 */
export interface SyncProgress {
  readonly syncId: string;
  /** nothing of this sync runs */
  readonly done: boolean;
  /**
   * the status last seen: of the running execution, else of the last one (`none` if it
   * never ran); printable, at most `MAX_STATUS_BYTES` of UTF-8
   */
  readonly status: string;
  readonly executionId?: string;
  /** the transient failure of this round, if any; at most `MAX_ERROR_BYTES` */
  readonly lastError?: string;
  /** a rollback gave up on this sync after a permanent failure */
  readonly gaveUp?: boolean;
  /**
   * executions of this sync first seen after this watcher's first cancel of it: a schedule
   * (such as continuous) starts it again; absent when none
   */
  readonly newExecutions?: number;
}

/** The executions of one sync seen since this watcher first cancelled it. */
interface RestartMemory {
  readonly seen: Set<string>;
  /** executions first seen after the first cancel */
  started: number;
}

/** What this invocation did about the current execution of one sync. */
interface CancelMemory {
  readonly executionId: string;
  /** cancels sent for this execution; each is a logical request with keys of its own */
  sent: number;
  /** polls since the last cancel that did not show `canceling` */
  pollsSinceCancel: number;
  /** `canceling` was seen since the last cancel: a later `running` means it did not take */
  sawCanceling: boolean;
  /** when the last cancel was sent (on the client's clock); -Infinity: send again at the next round */
  sentAt: number;
}

/** A cancel that shows no effect after this many polls is sent again (with a new key). */
export const RESEND_AFTER_POLLS = 3;

export const MAX_CONCURRENT_SYNCS = 4;

/** A status longer than this is no status Polytomic documents; 25 of them must fit in 4 KB. */
export const MAX_STATUS_BYTES = 40;
export const MAX_ERROR_BYTES = 200;

export class SyncWatcher {
  private readonly cancels = new Map<string, CancelMemory>();
  private readonly lastSeen = new Map<string, SyncProgress>();
  private readonly restarts = new Map<string, RestartMemory>();
  /** the multi-status endpoint refused once: each sync is read alone for the rest of this invocation */
  private multiRefused = false;

  constructor(
    private readonly client: PolytomicClient,
    private readonly logger: Logger,
    /** what makes this invocation's cancels distinct logical requests */
    private readonly requestScope: string,
    /**
     * The request is a rollback (`isRollbackUpdate`, as onEvent found it): it must never fail,
     * so a permanent failure of one sync (deleted since, no access) gives up on that sync only
     * (`gaveUp`) and the others are still cancelled. Otherwise pollAll throws it.
     */
    private readonly rollback = false,
    /** read each sync's status alone, never all at once (the benchmark compares the two) */
    private readonly perSyncStatus = false,
  ) {}


  /**
   * Polls every sync, at most `MAX_CONCURRENT_SYNCS` at a time. Throws only PermanentError,
   * and only once every request of the round has ended: nothing runs on in the background.
   */
  async pollAll(syncIds: readonly string[]): Promise<SyncProgress[]> {
    const together = await this.readTogether(syncIds);
    const results: SyncProgress[] = new Array(syncIds.length);
    let next = 0;
    let failure: unknown;
    const worker = async () => {
      while (failure === undefined && next < syncIds.length) {
        const index = next++;
        try {
          results[index] = await this.pollOne(syncIds[index], together?.get(syncIds[index].toLowerCase()));
        } catch (error) {
          failure ??= error;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_SYNCS, syncIds.length) }, worker));
    if (failure !== undefined) throw failure;
    return results;
  }

  /**
   * Every sync's status in one request (`GET /api/bulk/syncs/status`): a round over 25 syncs
   * that all rest costs 1 request, not 25. A sync the answer leaves unsure (not listed, or
   * running without an execution id) is read alone, as is every sync when the answer fails
   * (this round) or is refused (from then on: the endpoint may not serve this key or version).
   */
  private async readTogether(syncIds: readonly string[]): Promise<ReadonlyMap<string, SyncStatus> | undefined> {
    if (this.perSyncStatus || this.multiRefused || syncIds.length < 2) return undefined;
    let answer: Awaited<ReturnType<PolytomicClient['getStatuses']>>;
    try {
      answer = await this.client.getStatuses(syncIds);
    } catch (error) {
      const failure = classify(error);
      if (!(failure instanceof PermanentError)) {
        this.logger.warn('could not read every status at once; each sync is read alone this round', { reason: failure.message });
        return undefined;
      }
      answer = 'refused'; // the reads of each sync tell which, if any, is refused
    }
    if (answer === 'refused') {
      this.multiRefused = true;
      this.logger.warn('the status of many syncs in one request was refused: each sync is read alone from now on');
      return undefined;
    }
    if (answer === 'unusable') {
      this.logger.warn('the status of many syncs could not be read from the answer; each sync is read alone this round');
      return undefined;
    }
    return new Map([...answer].filter(([, status]) => !status.unsure));
  }

  private async pollOne(syncId: string, known?: SyncStatus): Promise<SyncProgress> {
    const log = this.logger.child({ syncId });
    let progress: SyncProgress;
    try {
      progress = await this.step(syncId, log, known);
    } catch (error) {
      const failure = classify(error);
      if (failure instanceof PermanentError) {
        if (!this.rollback) throw failure;
        log.warn('rollback: giving up on this sync', { reason: failure.message });
        return this.shown({ syncId, done: true, status: 'unknown', lastError: failure.message, gaveUp: true });
      }
      const previous = this.lastSeen.get(syncId);
      log.warn('poll failed, will try again', { reason: failure.message });
      progress = { syncId, done: false, status: previous?.status ?? 'unknown', executionId: previous?.executionId, lastError: failure.message };
    }
    const restarts = this.restarts.get(syncId)?.started ?? 0;
    const shown = this.shown(restarts > 0 ? { ...progress, newExecutions: restarts } : progress);
    this.lastSeen.set(syncId, shown);
    return shown;
  }

  /**
   * Redacted first, then changed, then cut: a character replaced or a cut made before
   * redaction could leave part of the key unrecognised.
   */
  private shown(progress: SyncProgress): SyncProgress {
    const redacted = (text: string) => this.logger.redact(text);
    return {
      ...progress,
      // nothing that JSON must escape either, so the size in the response is the size here
      status: clip(redacted(progress.status).replace(/[^\x20-\x7e]|["\\]/g, '?'), MAX_STATUS_BYTES),
      ...progress.lastError === undefined ? {} : { lastError: clip(redacted(progress.lastError).replace(/\s+/g, ' '), MAX_ERROR_BYTES) },
    };
  }

  /** Counts the executions that appear after the first cancel of `syncId` (none before it). */
  private noteExecutions(syncId: string, ...executionIds: Array<string | undefined>): void {
    const memory = this.restarts.get(syncId);
    if (!memory) return;
    for (const id of executionIds) {
      if (id === undefined || id === '' || memory.seen.has(id)) continue;
      memory.seen.add(id);
      memory.started++;
    }
  }

  /** One round for one sync, from its status as read together with the others (`known`) or read now. */
  private async step(syncId: string, log: Logger, known?: SyncStatus): Promise<SyncProgress> {
    const { current, last } = known ?? await this.client.getStatus(syncId);
    this.noteExecutions(syncId, current?.id, last?.id);
    if (!current || TERMINAL_STATUSES.has(current.status)) {
      const finished = current ?? last;
      const status = finished?.status ?? 'none';
      log.info(current ? 'execution is terminal' : 'not running', { status, executionId: finished?.id });
      return { syncId, done: true, status, executionId: finished?.id };
    }

    let memory = this.cancels.get(syncId);
    if (memory?.executionId !== current.id) {
      memory = { executionId: current.id, sent: 0, pollsSinceCancel: 0, sawCanceling: false, sentAt: -Infinity };
      this.cancels.set(syncId, memory);
    }
    if (current.status === 'canceling') {
      memory.sawCanceling = true;
      log.info('waiting for the cancel to finish', { status: current.status, executionId: current.id });
      return { syncId, done: false, status: current.status, executionId: current.id };
    }

    // running, or any state not known to be terminal (a future status, too). A cancel is
    // (re)sent when none was, when the execution went back to running after `canceling`, or
    // when the last one showed no effect for a few polls (accepted before the run started).
    // a few polls and some time: adaptive polling reads every second or two at first
    const resend = memory.sent === 0 || memory.sawCanceling
      || (memory.pollsSinceCancel >= RESEND_AFTER_POLLS && this.client.now() - memory.sentAt >= CANCEL_RESEND_MIN_MS);
    if (!resend) {
      memory.pollsSinceCancel++;
      log.info('waiting for the queued cancel', { status: current.status, executionId: current.id });
      return { syncId, done: false, status: current.status, executionId: current.id };
    }
    memory.sent++;
    memory.pollsSinceCancel = 0;
    memory.sawCanceling = false;
    memory.sentAt = this.client.now();
    const logical = [this.requestScope, syncId, current.id, String(memory.sent)];
    let answer: Awaited<ReturnType<PolytomicClient['cancel']>>;
    try {
      answer = await this.client.cancel(syncId, (answered) => idempotencyKey(...logical, String(answered)));
    } catch (error) {
      const failure = classify(error);
      if (failure instanceof PermanentError) throw failure;
      memory.pollsSinceCancel = RESEND_AFTER_POLLS; // try again at the next round
      memory.sentAt = -Infinity;
      log.warn('cancel failed, will try again', { reason: failure.message, executionId: current.id });
      return { syncId, done: false, status: current.status, executionId: current.id, lastError: failure.message };
    }
    // from the first cancel on, an execution not seen before was started again
    if (!this.restarts.has(syncId)) this.restarts.set(syncId, { seen: new Set([current.id, last?.id ?? '']), started: 0 });
    if (answer === true) {
      log.info('cancel requested', { status: current.status, executionId: current.id, attempt: memory.sent });
    } else {
      // most often the execution ended between the two calls; the next status read tells
      memory.pollsSinceCancel = RESEND_AFTER_POLLS; // if it still runs, cancel again at once
      memory.sentAt = -Infinity;
      log.warn('cancel refused, will read the status again', { httpStatus: answer.status, reason: answer.message, executionId: current.id });
    }
    return { syncId, done: false, status: current.status, executionId: current.id };
  }
}

