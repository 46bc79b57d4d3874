/**
 * The contract between the construct, which writes the custom resource, and the handler,
 * which reads it: property names and wire types, defaults, handler entry points, attribute
 * names, and the state onEvent hands to isComplete through the framework. Both sides import
 * this module, so a property added here does not compile until the construct writes it
 * (`CancellerWireProperties` has no optional key) and the handler reads it (its readers are a
 * record over every property name).
 *
 * Property names are public: CloudFormation replays the properties of older deployments on
 * rollback and delete, so they are only ever added to, never renamed.
 *
 * Plain types and constants only: esbuild bundles this file into the handler and jsii
 * compiles it with the construct, so it imports nothing but the time budget.
 */
import { DEFAULT_POLL_INTERVAL_MS, DEFAULT_TIMEOUT_MS } from './time-budget';

export type AuthMode = 'API_KEY' | 'DEPLOYMENT_KEY';
export type TimeoutBehavior = 'FAIL' | 'CONTINUE';
/** CANCEL: cancel what runs. PAUSE_AND_RESUME: deactivate the active syncs too, and activate them after. */
export type HaltModeName = 'CANCEL' | 'PAUSE_AND_RESUME';

/** The custom resource types, on which the handler routes. */
export const CANCELLER_RESOURCE_TYPE = 'Custom::PolytomicBulkSyncCanceller';
export const RESUME_RESOURCE_TYPE = 'Custom::PolytomicBulkSyncResume';

/** The version of the property shape; the handler reads older shapes leniently. */
export const PROPERTIES_VERSION = '1';

/** How the handler reaches Polytomic: the same for both resource types. */
export interface ConnectionWireProperties {
  readonly PropertiesVersion: string;
  readonly SecretArn: string;
  readonly SecretField: string | undefined;
  readonly AuthMode: AuthMode;
  readonly OrganizationId: string | undefined;
  readonly ApiUrl: string;
  readonly ApiVersion: string;
  /** whole seconds, as a string (a token at synth is checked by the handler) */
  readonly TimeoutSeconds: string;
  /** seconds, as a string */
  readonly PollIntervalSeconds: string;
  readonly OnTimeout: TimeoutBehavior;
}

/**
 * The canceller's properties (the pause, in PAUSE_AND_RESUME), as the construct writes them.
 * Every key is required (a value may be `undefined`, which CloudFormation omits) so that the
 * construct cannot forget one. At deploy time every value arrives as a string (or a list).
 */
export interface CancellerWireProperties extends ConnectionWireProperties {
  /** the syncs named by id (may be empty when ConnectionIds selects) */
  readonly SyncIds: string[];
  /** every sync whose source or destination is one of these connections, listed at deploy time; absent when none */
  readonly ConnectionIds: string[] | undefined;
  /** 'true' when a selection that comes to no sync at all is accepted; absent otherwise */
  readonly AllowEmptySelection: string | undefined;
  /** EVERY_DEPLOYMENT: a value new at each synthesis, so that every deployment sends an Update; absent otherwise */
  readonly DeploymentNonce: string | undefined;
  readonly HaltMode: HaltModeName;
  /** changes whenever a guarded resource may change, so CloudFormation sends an Update */
  readonly GuardedResourcesHash: string;
  /** the deploy-time values guarded resources use (parameters, imports), for the same reason */
  readonly GuardedReferences: unknown;
}

/**
 * The resume's properties. `PauseId` is the pause's physical id (`Ref`), which names the syncs
 * it deactivated and changes with every pause: the resume is updated exactly when a pause ran.
 */
export interface ResumeWireProperties extends ConnectionWireProperties {
  readonly PauseId: string;
  /** 'true' to start one execution of each sync activated again */
  readonly RunAfterResume: string;
}

export type PropertyName = keyof CancellerWireProperties;
export type ResumePropertyName = keyof ResumeWireProperties;

/** Each property's name, for messages and lookups. */
export const Prop: { readonly [K in PropertyName | ResumePropertyName]: K } = {
  PropertiesVersion: 'PropertiesVersion',
  SyncIds: 'SyncIds',
  ConnectionIds: 'ConnectionIds',
  AllowEmptySelection: 'AllowEmptySelection',
  DeploymentNonce: 'DeploymentNonce',
  SecretArn: 'SecretArn',
  SecretField: 'SecretField',
  AuthMode: 'AuthMode',
  OrganizationId: 'OrganizationId',
  ApiUrl: 'ApiUrl',
  ApiVersion: 'ApiVersion',
  TimeoutSeconds: 'TimeoutSeconds',
  PollIntervalSeconds: 'PollIntervalSeconds',
  OnTimeout: 'OnTimeout',
  HaltMode: 'HaltMode',
  GuardedResourcesHash: 'GuardedResourcesHash',
  GuardedReferences: 'GuardedReferences',
  PauseId: 'PauseId',
  RunAfterResume: 'RunAfterResume',
};

/**
 * The values a property takes when it is not given: the construct writes them, and the
 * handler applies them to properties written by versions that lacked the property.
 */
export const DEFAULTS = {
  authMode: 'API_KEY',
  apiUrl: 'https://app.polytomic.com',
  apiVersion: '2025-09-18',
  timeoutMs: DEFAULT_TIMEOUT_MS,
  pollIntervalMs: DEFAULT_POLL_INTERVAL_MS,
  onTimeout: 'FAIL',
  haltMode: 'CANCEL',
  runAfterResume: false,
  allowEmptySelection: false,
} as const satisfies {
  readonly authMode: AuthMode;
  readonly apiUrl: string;
  readonly apiVersion: string;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly onTimeout: TimeoutBehavior;
  readonly haltMode: HaltModeName;
  readonly runAfterResume: boolean;
  readonly allowEmptySelection: boolean;
};

/** The bundled handler's file name in the asset (`index.js`) and the functions it exports. */
export const HANDLER_MODULE = 'index';
export const ENTRY_POINTS = ['onEvent', 'isComplete'] as const;
export type EntryPoint = typeof ENTRY_POINTS[number];

/** The Lambda `handler` setting of an entry point, such as `index.onEvent`. */
export function handlerSetting(entry: EntryPoint): string {
  return `${HANDLER_MODULE}.${entry}`;
}

/**
 * The canceller's attributes besides one per sync (named by the sync id, holding its final
 * status).
 */
export interface CancellerAttributes {
  /** a summary of the outcome, such as `1 canceled, 2 completed` */
  readonly Summary: string;
  /** `true` when the wait ended at the timeout with OnTimeout CONTINUE */
  readonly TimedOut: string;
}

/** The resume's attributes. */
export interface ResumeAttributes {
  /** the syncs activated again, comma-separated */
  readonly Resumed: string;
  /** the syncs still inactive when the resume gave up (OnTimeout CONTINUE), comma-separated; empty when none */
  readonly StillPaused: string;
  readonly Summary: string;
}

export type AttributeName = keyof CancellerAttributes | keyof ResumeAttributes;

export const Attribute: { readonly [K in AttributeName]: K } = {
  Summary: 'Summary',
  TimedOut: 'TimedOut',
  Resumed: 'Resumed',
  StillPaused: 'StillPaused',
};

/** Where onEvent's state travels in the framework's event, from onEvent to each isComplete. */
export const STATE_KEY = 'PolytomicCanceller';

/** What onEvent hands to isComplete, as one small typed object. */
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
  /** the syncs a selection by connection came to, when onEvent resolved it (a pause) */
  readonly selected?: readonly string[];
  /** Set when isComplete has nothing to do (the rollback Update of a pause): why. */
  readonly nothingToDo?: string;
  /**
   * Epoch ms until which isComplete only waits, calling nobody: the Delete of a pause whose
   * Create CloudFormation gave up on keeps the provider alive while the abandoned run undoes
   * its pause.
   */
  readonly holdUntil?: number;
  /**
   * PAUSE_AND_RESUME: what this request does to the syncs' activation. `deactivate`: the pause
   * deactivates `syncIds` (the active ones among those it halts), then waits as a canceller
   * does. `activate`: the resume, or a pause undone by a rollback, activates `syncIds` again
   * (and with `start`, starts one execution of each). Absent: cancel only.
   */
  readonly activation?: {
    readonly action: 'deactivate' | 'activate';
    readonly syncIds: readonly string[];
    readonly start?: boolean;
    /** activate only once the stack status, unreadable in onEvent, shows the pause undone */
    readonly ifUndone?: boolean;
  };
}
