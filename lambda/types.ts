/**
 * The contract between the construct (which writes the custom resource properties) and this
 * handler, and between onEvent and isComplete (the state the framework carries between them).
 *
 * Resource property names are public: CloudFormation replays the properties of older
 * deployments on rollback and delete, so they are only ever added to, never renamed.
 */

/** The property names the construct writes. Values arrive from CloudFormation as strings. */
export const Prop = {
  Version: 'PropertiesVersion',
  SyncIds: 'SyncIds',
  SecretArn: 'SecretArn',
  SecretField: 'SecretField',
  AuthMode: 'AuthMode',
  OrganizationId: 'OrganizationId',
  ApiUrl: 'ApiUrl',
  ApiVersion: 'ApiVersion',
  TimeoutSeconds: 'TimeoutSeconds',
  PollIntervalSeconds: 'PollIntervalSeconds',
  OnTimeout: 'OnTimeout',
} as const;

export type AuthMode = 'API_KEY' | 'DEPLOYMENT_KEY';
export type TimeoutBehavior = 'FAIL' | 'CONTINUE';

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

/** What onEvent hands to isComplete (through the framework), as one small typed object. */
export interface CancellerState {
  readonly version: 1;
  /** epoch ms when onEvent ran */
  readonly startedAt: number;
  /** epoch ms after which the wait ends (fails or continues, per `OnTimeout`) */
  readonly deadline: number;
  /** true when this Update is CloudFormation rolling back: failures then only warn */
  readonly rollback: boolean;
  /**
   * The stack's status when onEvent ran; absent when it could not be read, and from states
   * written by older versions. The request is abandoned once the stack leaves it.
   */
  readonly stackStatus?: string;
}

export const STATE_KEY = 'PolytomicCanceller';

/** Execution statuses after which nothing of that execution runs any more. */
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  'completed', 'canceled', 'failed',
  // Not documented as terminal but no execution leaves them: `errors` is "completed with
  // errors" and `interrupted` an execution that was stopped. Treating them as running would
  // hold a deployment until the timeout for nothing.
  'errors', 'interrupted',
]);

export const DEFAULT_API_URL = 'https://app.polytomic.com';
export const DEFAULT_API_VERSION = '2025-09-18';
