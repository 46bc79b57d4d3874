/**
 * What the handler makes of the custom resource's properties, and the execution statuses it
 * treats as final. The contract with the construct (property names and wire types, defaults,
 * the state onEvent hands to isComplete) is src/shared/contract.ts.
 */
import { AuthMode, TimeoutBehavior } from '../src/shared/contract';

/** The resource properties after lenient parsing, with defaults applied. */
export interface CancellerProperties {
  readonly syncIds: string[];
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

/** Execution statuses after which nothing of that execution runs any more. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed', 'canceled', 'failed',
  // Not documented as terminal but no execution leaves them: `errors` is "completed with
  // errors" and `interrupted` an execution that was stopped. Treating them as running would
  // hold a deployment until the timeout for nothing.
  'errors', 'interrupted',
]);
