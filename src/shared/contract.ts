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

/** The version of the property shape; the handler reads older shapes leniently. */
export const PROPERTIES_VERSION = '1';

/**
 * The custom resource's properties, as the construct writes them. Every key is required
 * (a value may be `undefined`, which CloudFormation omits) so that the construct cannot
 * forget one. At deploy time every value arrives as a string (or a list of strings).
 */
export interface CancellerWireProperties {
  readonly PropertiesVersion: string;
  readonly SyncIds: string[];
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
  /** changes whenever a guarded resource may change, so CloudFormation sends an Update */
  readonly GuardedResourcesHash: string;
  /** the deploy-time values guarded resources use (parameters, imports), for the same reason */
  readonly GuardedReferences: unknown;
}

export type PropertyName = keyof CancellerWireProperties;

/** Each property's name, for messages and lookups. */
export const Prop: { readonly [K in PropertyName]: K } = {
  PropertiesVersion: 'PropertiesVersion',
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
  GuardedResourcesHash: 'GuardedResourcesHash',
  GuardedReferences: 'GuardedReferences',
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
} as const satisfies {
  readonly authMode: AuthMode;
  readonly apiUrl: string;
  readonly apiVersion: string;
  readonly timeoutMs: number;
  readonly pollIntervalMs: number;
  readonly onTimeout: TimeoutBehavior;
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
 * The custom resource's attributes besides one per sync (named by the sync id, holding its
 * final status).
 */
export interface CancellerAttributes {
  /** a summary of the outcome, such as `1 canceled, 2 completed` */
  readonly Summary: string;
  /** `true` when the wait ended at the timeout with OnTimeout CONTINUE */
  readonly TimedOut: string;
}

export type AttributeName = keyof CancellerAttributes;

export const Attribute: { readonly [K in AttributeName]: K } = {
  Summary: 'Summary',
  TimedOut: 'TimedOut',
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
}
