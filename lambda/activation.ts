/**
 * What the halt window (docs/halt-window.md) does to the syncs' activation, one round at a
 * time: the pause deactivates the active syncs it halts, the resume (or a rollback undoing a
 * pause) activates them again and, with runAfterResume, starts one execution of each.
 *
 * Both are idempotent: activation is a state, sent again it changes nothing; a start carries
 * an `Idempotency-Key` derived from the request (not the invocation), so a later invocation
 * that sends it again gets Polytomic's first answer replayed and never starts a second run.
 * An `Activator` lives for one invocation and remembers what it confirmed, so that a round
 * sends only what is still unconfirmed.
 */
import { settleAll } from './concurrency';
import { PermanentError, classify } from './errors';
import { Logger } from './logger';
import { PolytomicClient, idempotencyKey } from './polytomic-client';
import { MAX_ERROR_BYTES } from './sync-watcher';

/** What the activation of one sync came to, so far. */
export interface ActivationProgress {
  /** confirmed active again */
  readonly activated: readonly string[];
  /** gave up on after a permanent failure (with the reason): they stay paused */
  readonly gaveUp: ReadonlyMap<string, string>;
  /** the last transient failure of each sync not confirmed yet */
  readonly lastErrors: ReadonlyMap<string, string>;
  /** executions started (or found running) after activation */
  readonly started: number;
}

export class Activator {
  private readonly activated = new Set<string>();
  private readonly deactivated = new Set<string>();
  /** starts confirmed, or given up on (a refusal only warns: the sync is active again) */
  private readonly startsDone = new Set<string>();
  private startedCount = 0;
  private readonly gaveUp = new Map<string, string>();
  private readonly lastErrors = new Map<string, string>();

  constructor(
    private readonly client: PolytomicClient,
    private readonly logger: Logger,
    /** what makes a start one logical request: the CloudFormation request, the same in every invocation */
    private readonly requestId: string,
  ) {}

  /**
   * Deactivates every sync of `syncIds` not confirmed yet in this invocation. Answers the
   * reason of each that is still unconfirmed (a transient failure, to try again at the next
   * round); throws the first permanent failure, once every request has ended, except in a
   * `rollback`, which gives up on that sync alone.
   */
  async deactivate(syncIds: readonly string[], rollback = false): Promise<ReadonlyMap<string, string>> {
    const pending = syncIds.filter((id) => !this.deactivated.has(id));
    const results = await settleAll(pending, (id) => this.client.setActive(id, false));
    const unconfirmed = new Map<string, string>();
    let permanent: PermanentError | undefined;
    results.forEach((result, i) => {
      const syncId = pending[i];
      if (result.ok) {
        this.deactivated.add(syncId);
        this.logger.info('deactivated for the deployment', { syncId });
        return;
      }
      const failure = classify(result.error);
      if (failure instanceof PermanentError && rollback) {
        // a rollback never stops for one sync: the others are still paused and waited for
        this.deactivated.add(syncId);
        this.logger.warn('rollback: gave up deactivating this sync', { syncId, reason: failure.message });
        return;
      }
      if (failure instanceof PermanentError) {
        permanent ??= failure;
        return;
      }
      this.logger.warn('deactivate failed, will try again', { syncId, reason: failure.message });
      unconfirmed.set(syncId, this.shown(`deactivate: ${failure.message}`));
    });
    if (permanent) throw permanent;
    return unconfirmed;
  }

  /**
   * One round of activation: every sync of `syncIds` not done yet is activated and, with
   * `start`, started. A permanent failure gives up on that sync alone; a transient one is
   * tried again at the next round. Never throws.
   */
  async activate(syncIds: readonly string[], start: boolean): Promise<void> {
    const pending = syncIds.filter((id) => !this.isDone(id, start));
    const results = await settleAll(pending, (id) => this.activateOne(id, start));
    results.forEach((result, i) => {
      const syncId = pending[i];
      if (result.ok) {
        this.lastErrors.delete(syncId);
        return;
      }
      const failure = classify(result.error);
      if (failure instanceof PermanentError && !this.activated.has(syncId)) {
        this.logger.warn('gave up activating this sync again: it stays paused', { syncId, reason: failure.message });
        this.gaveUp.set(syncId, this.shown(failure.message));
      } else if (failure instanceof PermanentError) {
        // active again, which is what matters: the run it could not start is only a warning
        this.logger.warn('active again, but no execution could be started', { syncId, reason: failure.message });
        this.startsDone.add(syncId);
      } else {
        this.logger.warn('activation failed, will try again', { syncId, reason: failure.message });
        this.lastErrors.set(syncId, this.shown(failure.message));
      }
    });
  }

  /** Every sync of `syncIds` is active again (and started), or given up on. */
  allDone(syncIds: readonly string[], start: boolean): boolean {
    return syncIds.every((id) => this.isDone(id, start));
  }

  progress(syncIds: readonly string[]): ActivationProgress {
    return {
      activated: syncIds.filter((id) => this.activated.has(id)),
      gaveUp: this.gaveUp,
      lastErrors: this.lastErrors,
      started: this.startedCount,
    };
  }

  private isDone(syncId: string, start: boolean): boolean {
    return this.gaveUp.has(syncId) || (this.activated.has(syncId) && (!start || this.startsDone.has(syncId)));
  }

  private async activateOne(syncId: string, start: boolean): Promise<void> {
    if (!this.activated.has(syncId)) {
      await this.client.setActive(syncId, true);
      this.activated.add(syncId);
      this.logger.info('activated again', { syncId });
    }
    if (!start || this.startsDone.has(syncId)) return;
    const answer = await this.client.startExecution(syncId, (answered) => idempotencyKey(this.requestId, 'start', syncId, String(answered)));
    this.startsDone.add(syncId);
    this.startedCount++;
    this.logger.info(answer === 'started' ? 'execution started' : 'an execution already runs', { syncId });
  }

  /** Redacted, on one line, then cut: ready for the failure reason. */
  private shown(text: string): string {
    return this.logger.bound(text.replace(/\s+/g, ' '), MAX_ERROR_BYTES);
  }
}
