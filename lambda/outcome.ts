/**
 * What isComplete reports when it ends: the message of a wait that timed out, the pending
 * syncs it names, and the custom resource's attributes.
 *
 * Statuses and errors arrive from the SyncWatcher already redacted and bounded; nothing here
 * cuts them again. The messages built here are redacted and cut where they leave the handler
 * (the logger, `deploymentError`); the attributes are bounded here, to stay under 4 KB.
 */
import { clip } from './logger';
import { SyncProgress } from './sync-watcher';
import { Attribute, CancellerAttributes, ResumeAttributes } from '../src/shared/contract';
import { MINUTE_MS } from '../src/shared/time-budget';

/** The message of a wait that reached its deadline with `rounds` as last seen. */
export function deadlineMessage(
  props: { readonly timeoutMs: number; readonly syncIds: readonly string[] }, rounds: readonly SyncProgress[], rollback: boolean, reason?: string,
): string {
  const pending = rounds.filter((p) => !p.done);
  const minutes = Math.round(props.timeoutMs / MINUTE_MS);
  const details = pending.length > 0 ? describePending(pending) : reason ?? 'no status could be read';
  const waited = rollback ? 'the rollback wait' : `${minutes} min`;
  // before the details, which may be long: the reason is cut at 1000 bytes
  const restarts = describeRestarts(rounds);
  return `timed out after ${waited} waiting for ${pending.length || props.syncIds.length} of ${props.syncIds.length} Polytomic bulk sync(s) to stop: `
    + `${restarts ? `${restarts}. Last seen: ` : ''}${details}`;
}

/**
 * The syncs still running that started new executions after they were cancelled, and what
 * to do about it; undefined when none did. A schedule such as continuous starts a sync again
 * as soon as a cancel lands, so cancelling alone never ends. (A sync that restarted once but
 * was stopped in the end did not hold the deployment up.)
 */
export function describeRestarts(rounds: readonly SyncProgress[]): string | undefined {
  const restarted = rounds.filter((p) => !p.done && (p.newExecutions ?? 0) > 0);
  if (restarted.length === 0) return undefined;
  const shown = restarted.slice(0, MAX_PENDING_SHOWN)
    .map((p) => `${p.syncId} started ${p.newExecutions} new execution${p.newExecutions === 1 ? '' : 's'}`);
  const more = restarted.length > shown.length ? ` and ${restarted.length - shown.length} more` : '';
  const one = restarted.length === 1;
  return `${shown.join(', ')}${more} while the canceller waited: a schedule (such as continuous) starts ${one ? 'it' : 'them'} again; `
    + `use haltMode PAUSE_AND_RESUME to deactivate ${one ? 'it' : 'them'} for the deployment`;
}

/** Enough sync ids to act on; the reason is cut at 1000 bytes anyway. */
const MAX_PENDING_SHOWN = 8;
/** 25 statuses of at most 40 bytes plus this stay well under CloudFormation's 4 KB. */
export const MAX_SUMMARY_BYTES = 200;

export function describePending(pending: readonly SyncProgress[]): string {
  const shown = pending.slice(0, MAX_PENDING_SHOWN).map((p) => `${p.syncId} last seen ${p.status}${p.lastError ? ` (last error: ${p.lastError})` : ''}`);
  return shown.join('; ') + (pending.length > shown.length ? `; and ${pending.length - shown.length} more` : '');
}

/**
 * The custom resource's attributes: each sync's final status (every sync, so that no
 * `finalStatusOf` reference breaks, `unknown` if it was never read), plus a summary.
 */
export function outcomeData(
  syncIds: readonly string[], rounds: readonly SyncProgress[], timedOut: boolean,
): Record<string, string> {
  const statuses: Record<string, string> = {};
  const counts = new Map<string, number>();
  for (const id of syncIds) {
    const status = rounds.find((p) => p.syncId === id)?.status ?? 'unknown';
    statuses[id] = status;
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  const fixed: CancellerAttributes = {
    [Attribute.TimedOut]: String(timedOut),
    // made of redacted statuses only, so it may be cut
    [Attribute.Summary]: clip([...counts].map(([status, n]) => `${n} ${status}`).join(', ') || (syncIds.length === 0 ? 'no bulk sync selected' : 'no status read'),
      MAX_SUMMARY_BYTES),
  };
  return { ...statuses, ...fixed };
}

/** What a resume (or a pause undone by a rollback) did: the syncs activated again, and those still paused. */
export interface ResumeOutcome {
  readonly resumed: readonly string[];
  readonly stillPaused: readonly string[];
  /** executions started (runAfterResume) */
  readonly started: number;
  /** runAfterResume was asked for */
  readonly start: boolean;
}

/** The resume's attributes. */
export function resumeData(outcome: ResumeOutcome, summary?: string): Record<string, string> {
  const counts = [`${outcome.resumed.length} resumed`];
  if (outcome.start) counts.push(`${outcome.started} started`);
  if (outcome.stillPaused.length > 0) counts.push(`${outcome.stillPaused.length} still paused`);
  const data: ResumeAttributes = {
    [Attribute.Resumed]: outcome.resumed.join(','),
    [Attribute.StillPaused]: outcome.stillPaused.join(','),
    // counts and the handler's own words only, so it may be cut
    [Attribute.Summary]: clip(summary ?? counts.join(', '), MAX_SUMMARY_BYTES),
  };
  return { ...data };
}
