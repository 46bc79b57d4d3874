import { Duration, Token } from 'aws-cdk-lib';
import type { HaltMode, PolytomicAuthMode, PolytomicBulkSyncCancellerProps, RunPolicy, TimeoutAction } from './polytomic-bulk-sync-canceller';
import { AuthMode, DEFAULTS, HaltModeName, TimeoutBehavior } from './shared/contract';
import {
  MAX_POLL_INTERVAL_SECONDS, MAX_SYNCS, MAX_TIMEOUT_SECONDS, MIN_POLL_INTERVAL_SECONDS, MIN_TIMEOUT_SECONDS,
  apiUrlProblems, pollIntervalProblems, timeoutProblems,
} from './shared/limits';

/** `true` when the enum `E` holds exactly the values of the contract's union `C`; a compile error otherwise. */
type SameValues<E extends string, C extends string> = [E] extends [C] ? ([C] extends [E] ? true : never) : never;
// the public enums and the wire contract name the same values, so the defaults below may be cast
const ENUMS_MATCH_CONTRACT: [SameValues<`${PolytomicAuthMode}`, AuthMode>, SameValues<`${TimeoutAction}`, TimeoutBehavior>, SameValues<`${HaltMode}`, HaltModeName>]
  = [true, true, true];
void ENUMS_MATCH_CONTRACT;

/** The props of a canceller with the defaults applied, once every check has passed. */
export interface CheckedSettings {
  readonly authMode: PolytomicAuthMode;
  readonly organizationId?: string;
  readonly secretField?: string;
  readonly apiUrl: string;
  readonly apiVersion: string;
  readonly timeout: Duration;
  readonly pollInterval: Duration;
  readonly timeoutAction: TimeoutAction;
  readonly haltMode: HaltMode;
  readonly runAfterResume: boolean;
  readonly connectionIds: string[];
  readonly allowEmptySelection: boolean;
  readonly runPolicy: RunPolicy;
}

/**
 * Checks `props` and applies the defaults (the contract's, which the handler applies too).
 * Throws one error that lists every problem, each saying what is expected.
 */
export function checkedSettings(path: string, props: PolytomicBulkSyncCancellerProps): CheckedSettings {
  const where = `Invalid PolytomicBulkSyncCanceller ${path}`;
  checkShape(where, props);
  const settings: CheckedSettings = {
    authMode: props.authMode ?? DEFAULTS.authMode as PolytomicAuthMode,
    organizationId: props.organizationId,
    secretField: props.secretField,
    apiUrl: props.apiUrl ?? DEFAULTS.apiUrl,
    apiVersion: props.apiVersion ?? DEFAULTS.apiVersion,
    timeout: props.timeout ?? Duration.millis(DEFAULTS.timeoutMs),
    pollInterval: props.pollInterval ?? Duration.millis(DEFAULTS.pollIntervalMs),
    timeoutAction: props.timeoutAction ?? DEFAULTS.onTimeout as TimeoutAction,
    haltMode: props.haltMode ?? DEFAULTS.haltMode as HaltMode,
    runAfterResume: props.runAfterResume ?? DEFAULTS.runAfterResume,
    connectionIds: props.connectionIds ?? [],
    allowEmptySelection: props.allowEmptySelection ?? DEFAULTS.allowEmptySelection,
    runPolicy: props.runPolicy ?? 'ON_GUARDED_CHANGE' as RunPolicy,
  };
  const errors = [
    ...syncIdErrors(props.syncIds ?? []),
    ...selectionErrors(props.syncIds ?? [], settings.connectionIds, settings.allowEmptySelection),
    ...organizationIdErrors(settings.authMode, settings.organizationId),
    ...apiUrlErrors(settings.apiUrl),
    ...apiVersionErrors(settings.apiVersion),
    ...timingErrors(settings.timeout, settings.pollInterval),
    ...secretFieldErrors(settings.secretField),
  ];
  if (!props.vpc && (props.vpcSubnets || props.securityGroups)) {
    errors.push('vpcSubnets and securityGroups need vpc: give the VPC too');
  }
  if (props.runAfterResume !== undefined && settings.haltMode !== 'PAUSE_AND_RESUME') {
    errors.push('runAfterResume applies to HaltMode.PAUSE_AND_RESUME: set haltMode too, or leave runAfterResume out');
  }
  if (props.logGroup && props.logRetention !== undefined) {
    errors.push('logRetention applies to the log group the construct creates: give it either logGroup or logRetention');
  }
  if (errors.length > 0) throw new Error(`${where}:\n  - ${errors.join('\n  - ')}`);
  return settings;
}

/**
 * Limits the construct enforces at synth time. The numbers and the messages live in
 * `shared/limits`, which the handler uses too, for values that were tokens at synth.
 */
export const Limits = {
  /** CloudFormation gives a custom resource at most one hour; keep room for the margin below. */
  MAX_TIMEOUT: Duration.seconds(MAX_TIMEOUT_SECONDS),
  MIN_TIMEOUT: Duration.seconds(MIN_TIMEOUT_SECONDS),
  MIN_POLL_INTERVAL: Duration.seconds(MIN_POLL_INTERVAL_SECONDS),
  /** a longer interval would not fit inside one isComplete invocation */
  MAX_POLL_INTERVAL: Duration.seconds(MAX_POLL_INTERVAL_SECONDS),
  /** keeps the custom resource's response well under CloudFormation's 4 KB */
  MAX_SYNCS,
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_VERSION = /^\d{4}-\d{2}-\d{2}$/;

/** Problems with the sync id list; unresolved tokens are skipped. */
export function syncIdErrors(syncIds: readonly string[]): string[] {
  if (Token.isUnresolved(syncIds)) return [];
  const errors: string[] = [];
  if (syncIds.length > Limits.MAX_SYNCS) {
    errors.push(`syncIds has ${syncIds.length} ids: at most ${Limits.MAX_SYNCS} are allowed per canceller (use a second canceller for more)`);
  }
  const seen = new Set<string>();
  for (const id of syncIds) {
    if (Token.isUnresolved(id)) continue;
    if (!UUID.test(id)) {
      errors.push(`syncIds contains "${id}", which is not a bulk sync id: a UUID such as 248df4b7-aa70-47b8-a036-33ac447e668d is expected`);
      continue;
    }
    const key = id.toLowerCase();
    if (seen.has(key)) errors.push(`syncIds contains ${id} more than once`);
    seen.add(key);
  }
  return errors;
}

/** A selection must come to something, unless that is allowed; connection ids are UUIDs. */
export function selectionErrors(syncIds: readonly string[], connectionIds: readonly string[], allowEmptySelection: boolean): string[] {
  if (Token.isUnresolved(connectionIds)) return [];
  const errors: string[] = [];
  if (!Token.isUnresolved(syncIds) && syncIds.length === 0 && connectionIds.length === 0 && !allowEmptySelection) {
    errors.push('no sync is selected: give syncIds (bulk sync ids) or connectionIds (every sync reading from or writing to them), '
      + 'or set allowEmptySelection: true if a canceller that halts nothing is intended');
  }
  if (connectionIds.length > Limits.MAX_SYNCS) errors.push(`connectionIds has ${connectionIds.length} ids: at most ${Limits.MAX_SYNCS} are allowed`);
  const seen = new Set<string>();
  for (const id of connectionIds) {
    if (Token.isUnresolved(id)) continue;
    if (!UUID.test(id)) errors.push(`connectionIds contains "${id}", which is not a Polytomic connection id: a UUID is expected`);
    else if (seen.has(id.toLowerCase())) errors.push(`connectionIds contains ${id} more than once`);
    seen.add(id.toLowerCase());
  }
  return errors;
}

export function organizationIdErrors(authMode: string, organizationId: string | undefined): string[] {
  if (authMode === 'DEPLOYMENT_KEY') {
    if (organizationId === undefined) return ['organizationId is required with PolytomicAuthMode.DEPLOYMENT_KEY: the deployment key is scoped to one organization'];
    if (!Token.isUnresolved(organizationId) && !UUID.test(organizationId)) {
      return [`organizationId "${organizationId}" is not a Polytomic organization id: a UUID is expected`];
    }
  } else if (organizationId !== undefined) {
    return ['organizationId is only used with PolytomicAuthMode.DEPLOYMENT_KEY: remove it, or set authMode'];
  }
  return [];
}

export function apiUrlErrors(apiUrl: string): string[] {
  if (Token.isUnresolved(apiUrl)) return [];
  // plain http, even to a loopback host, is refused here: a deployed handler reaches no local Polytomic
  return apiUrlProblems(apiUrl);
}

export function apiVersionErrors(apiVersion: string): string[] {
  if (Token.isUnresolved(apiVersion) || API_VERSION.test(apiVersion)) return [];
  return [`apiVersion "${apiVersion}" is not a Polytomic API version: a date such as 2025-09-18 is expected`];
}

/** Seconds of a duration; one from a token must be in seconds, the only unit CDK can convert then. */
export function secondsOf(name: string, duration: Duration): number {
  try {
    return duration.toSeconds({ integral: false });
  } catch {
    throw new Error(`${name} comes from a token in a unit other than seconds: give it as Duration.seconds(token)`);
  }
}

function secretFieldErrors(secretField: string | undefined): string[] {
  if (secretField === undefined || Token.isUnresolved(secretField)) return [];
  if (secretField.trim() === '') return ['secretField is empty: give the name of the JSON field that holds the key, or leave it out'];
  if (secretField !== secretField.trim()) return [`secretField "${secretField}" has leading or trailing spaces`];
  return [];
}

export function timingErrors(timeout: Duration, pollInterval: Duration): string[] {
  const timeoutSeconds = timeout.isUnresolved() ? undefined : timeout.toSeconds({ integral: false });
  const intervalSeconds = pollInterval.isUnresolved() ? undefined : pollInterval.toSeconds({ integral: false });
  return [
    ...timeoutSeconds === undefined ? [] : timeoutProblems(timeoutSeconds),
    ...intervalSeconds === undefined ? [] : pollIntervalProblems(intervalSeconds, timeoutSeconds),
  ];
}

/**
 * The checks a type system makes for TypeScript users, for callers without one (plain
 * JavaScript, or a jsii language's dynamic types): one clear message instead of one error
 * per character of a string, or a TypeError deep inside the constructor.
 */
function checkShape(where: string, props: PolytomicBulkSyncCancellerProps | undefined): void {
  if (props === undefined || props === null || typeof props !== 'object') {
    throw new Error(`${where}: props are required: give at least secret, and syncIds or connectionIds`);
  }
  const problems: string[] = [];
  for (const [name, what] of [['syncIds', 'bulk sync'], ['connectionIds', 'connection']] as const) {
    const ids: unknown = props[name];
    if (ids === undefined || ids === null) continue;
    if (!Array.isArray(ids) && !Token.isUnresolved(ids)) {
      problems.push(`${name} must be a list of ${what} ids, not ${typeof ids === 'string' ? 'a string' : typeof ids}: write ['${typeof ids === 'string' ? ids : `<${what} id>`}']`);
    } else if (Array.isArray(ids) && ids.some((id) => typeof id !== 'string')) {
      problems.push(`${name} must hold strings (the ${what} ids)`);
    }
  }
  const secret: unknown = props.secret;
  if (secret === undefined || secret === null) {
    problems.push('secret is required: give the secretsmanager.ISecret that holds the Polytomic key, e.g. Secret.fromSecretCompleteArn(this, \'PolytomicKey\', \'arn:aws:secretsmanager:…\')');
  } else if (typeof secret !== 'object' || typeof (secret as { secretArn?: unknown }).secretArn !== 'string') {
    problems.push('secret must be a secretsmanager.ISecret (for example from Secret.fromSecretCompleteArn), not a string or an ARN');
  }
  if (problems.length > 0) throw new Error(`${where}:\n  - ${problems.join('\n  - ')}`);
}
