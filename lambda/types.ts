/**
 * What the handler makes of the custom resource's properties, and the execution statuses it
 * treats as final. The contract with the construct (property names and wire types, defaults,
 * the state onEvent hands to isComplete) is src/shared/contract.ts.
 */
import { AuthMode, HaltModeName, TimeoutBehavior } from '../src/shared/contract';

/** How the handler reaches Polytomic, and how long it tries: the same for the canceller and the resume. */
export interface ConnectionProperties {
  readonly secretArn: string;
  readonly secretField?: string;
  readonly authMode: AuthMode;
  readonly organizationId?: string;
  readonly apiUrl: string;
  readonly apiVersion: string;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly onTimeout: TimeoutBehavior;
}

/** The canceller's resource properties (the pause, in PAUSE_AND_RESUME) after lenient parsing, with defaults applied. */
export interface CancellerProperties extends ConnectionProperties {
  /** the syncs named by id */
  readonly syncIds: string[];
  /** every sync whose source or destination is one of these is selected too (listed at deploy time) */
  readonly connectionIds: string[];
  /** a selection that comes to no sync is accepted (and does nothing) */
  readonly allowEmptySelection: boolean;
  readonly haltMode: HaltModeName;
}

/** The resume's resource properties after lenient parsing. */
export interface ResumeProperties extends ConnectionProperties {
  /** the pause's physical id */
  readonly pauseId: string;
  /** the syncs the pause deactivated, as its physical id names them */
  readonly pausedSyncIds: string[];
  /** start one execution of each sync activated again */
  readonly runAfterResume: boolean;
}

/** Execution statuses after which nothing of that execution runs any more. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed', 'canceled', 'failed',
  // Not documented as terminal but no execution leaves them: `errors` is "completed with
  // errors" and `interrupted` an execution that was stopped. Treating them as running would
  // hold a deployment until the timeout for nothing.
  'errors', 'interrupted',
]);
