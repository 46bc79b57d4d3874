/**
 * Lenient parsing of the custom resource properties. CloudFormation sends every value as a
 * string and replays properties written by older versions of the construct on rollback and
 * delete, so missing optional values take the defaults they had when they were introduced.
 *
 * The construct checks its props at synth, but not those given as tokens (a CfnParameter):
 * `checkProperties` checks them here, with the construct's own limits and messages.
 */
import { PermanentError } from './errors';
import { pausedSyncsOf } from './pause-id';
import { CancellerProperties, ConnectionProperties, ResumeProperties } from './types';
import {
  ConnectionWireProperties, DEFAULTS, HaltModeName, PropertyName, Prop, ResumePropertyName, TimeoutBehavior,
} from '../src/shared/contract';
import {
  MAX_POLL_INTERVAL_SECONDS, MAX_TIMEOUT_SECONDS, MIN_POLL_INTERVAL_SECONDS, MIN_TIMEOUT_SECONDS,
  apiUrlProblems, pollIntervalProblems, timeoutProblems,
} from '../src/shared/limits';
import { SECOND_MS } from '../src/shared/time-budget';

const DEFAULT_TIMEOUT_SECONDS = DEFAULTS.timeoutMs / SECOND_MS;
const DEFAULT_POLL_INTERVAL_SECONDS = DEFAULTS.pollIntervalMs / SECOND_MS;
/**
 * Unlike the construct, the handler accepts plain http to a loopback host (127.0.0.0/8,
 * localhost, [::1]), where the key never leaves the machine: its tests run a local Polytomic
 * over http. Any other non-https URL is refused and never gets the key.
 */
const URL_CHECK = { allowLoopbackHttp: true } as const;

/** The halt modes the handler knows. */
const HALT_MODES: readonly HaltModeName[] = ['CANCEL', 'PAUSE_AND_RESUME'];

/**
 * How each property is read: one reader per property the construct writes, so a property
 * added to the contract does not compile until it is handled here. Readers are lenient and
 * never throw: what they cannot read is absent (`undefined`, or the default); the checks that
 * refuse a value, and those across properties, come after, in parseProperties.
 */
const CONNECTION_READERS = {
  // older shapes are read leniently anyway, whatever version they say they are
  PropertiesVersion: nothing,
  SecretArn: parseString,
  SecretField: parseString,
  // upper-cased but not checked, so that a refusal can name what was given
  AuthMode: (value: unknown): string => (parseString(value) ?? DEFAULTS.authMode).toUpperCase(),
  OrganizationId: parseString,
  ApiUrl: (value: unknown): string => parseString(value) ?? DEFAULTS.apiUrl,
  ApiVersion: (value: unknown): string => parseString(value) ?? DEFAULTS.apiVersion,
  // seconds, undefined when absent, NaN when unreadable: checkProperties tells them apart
  TimeoutSeconds: parseNumber,
  PollIntervalSeconds: parseNumber,
  // anything but CONTINUE fails: the safe reading of a value not understood
  OnTimeout: (value: unknown): TimeoutBehavior => (parseString(value) ?? DEFAULTS.onTimeout).toUpperCase() === 'CONTINUE' ? 'CONTINUE' : 'FAIL',
} satisfies { readonly [K in keyof ConnectionWireProperties]: (value: unknown) => unknown };

/** The canceller's readers. */
const READERS = {
  ...CONNECTION_READERS,
  SyncIds: (value: unknown): string[] => [...new Set(parseList(value))],
  ConnectionIds: (value: unknown): string[] => [...new Set(parseList(value))],
  AllowEmptySelection: (value: unknown): boolean => (parseString(value) ?? String(DEFAULTS.allowEmptySelection)).toLowerCase() === 'true',
  // only makes CloudFormation send an Update at every deployment (runPolicy EVERY_DEPLOYMENT)
  DeploymentNonce: nothing,
  // upper-cased but not checked, so that a refusal can name what was given
  HaltMode: (value: unknown): string => (parseString(value) ?? DEFAULTS.haltMode).toUpperCase(),
  // only makes CloudFormation send an Update when a guarded resource may change
  GuardedResourcesHash: nothing,
  // only makes CloudFormation send an Update when a value a guarded resource uses changes
  GuardedReferences: nothing,
} satisfies { readonly [K in PropertyName]: (value: unknown) => unknown };

/** The resume's readers. */
const RESUME_READERS = {
  ...CONNECTION_READERS,
  PauseId: parseString,
  // lower-cased but not checked, so that a refusal can name what was given
  RunAfterResume: (value: unknown): string | undefined => parseString(value)?.toLowerCase(),
} satisfies { readonly [K in ResumePropertyName]: (value: unknown) => unknown };

type Readers = Readonly<Record<string, (value: unknown) => unknown>>;
/** Every property, as its reader read it. */
type ReadProperties<R extends Readers> = { readonly [K in keyof R]: ReturnType<R[K]> };

function readAll<R extends Readers>(readers: R, raw: Record<string, unknown> | undefined): ReadProperties<R> {
  const props = raw ?? {};
  const read: Partial<Record<keyof R, unknown>> = {};
  for (const name of Object.keys(readers) as Array<keyof R & string>) read[name] = readers[name](props[name]);
  // each value comes from the reader of its own name
  return read as ReadProperties<R>;
}

/**
 * What the construct would have refused at synth, had the values not been tokens: one
 * message per problem, worded as the construct words it. Empty when all is well.
 */
export function checkProperties(raw: Record<string, unknown> | undefined): string[] {
  const problems = connectionProblems(raw);
  const haltMode = readAll(READERS, raw).HaltMode;
  if (!isHaltMode(haltMode)) problems.push(`haltMode is "${haltMode}": CANCEL or PAUSE_AND_RESUME is expected`);
  return problems;
}

/** checkProperties for the resume's properties. */
export function checkResumeProperties(raw: Record<string, unknown> | undefined): string[] {
  const problems = connectionProblems(raw);
  const runAfterResume = readAll(RESUME_READERS, raw).RunAfterResume;
  if (runAfterResume !== undefined && runAfterResume !== 'true' && runAfterResume !== 'false') {
    problems.push(`runAfterResume is "${runAfterResume}": true or false is expected`);
  }
  return problems;
}

/** The problems of the properties both resources share. */
function connectionProblems(raw: Record<string, unknown> | undefined): string[] {
  const props = raw ?? {};
  const read = readAll(CONNECTION_READERS, raw);
  const problems = apiUrlProblems(read.ApiUrl, URL_CHECK);
  const timeout = read.TimeoutSeconds;
  const interval = read.PollIntervalSeconds;
  if (Number.isNaN(timeout)) problems.push(`timeout is "${String(props[Prop.TimeoutSeconds])}": a number of seconds is expected`);
  else problems.push(...timeoutProblems(timeout ?? DEFAULT_TIMEOUT_SECONDS));
  // compared with the timeout only when it is a number, as the construct does when it is known
  const timeoutSeconds = Number.isNaN(timeout) ? undefined : (timeout ?? DEFAULT_TIMEOUT_SECONDS);
  if (Number.isNaN(interval)) problems.push(`pollInterval is "${String(props[Prop.PollIntervalSeconds])}": a number of seconds is expected`);
  else problems.push(...pollIntervalProblems(interval ?? DEFAULT_POLL_INTERVAL_SECONDS, timeoutSeconds));
  return problems;
}

export function parseProperties(raw: Record<string, unknown> | undefined): CancellerProperties {
  const read = readAll(READERS, raw);
  const { SyncIds: syncIds, ConnectionIds: connectionIds, AllowEmptySelection: allowEmptySelection } = read;
  if (syncIds.length === 0 && connectionIds.length === 0 && !allowEmptySelection) {
    throw new PermanentError(`resource properties ${Prop.SyncIds} and ${Prop.ConnectionIds} are empty: at least one bulk sync or connection is expected`);
  }
  const connection = parseConnection(raw);
  // out of range only if the construct could not check it: onEvent refuses it outside a
  // rollback, and a rollback only cancels, the safe reading of a mode not understood
  const haltMode = isHaltMode(read.HaltMode) ? read.HaltMode : 'CANCEL';
  return { syncIds, connectionIds, allowEmptySelection, ...connection, haltMode };
}

/** The resume's properties; the syncs to activate again are those its `PauseId` names. */
export function parseResumeProperties(raw: Record<string, unknown> | undefined): ResumeProperties {
  const read = readAll(RESUME_READERS, raw);
  const pauseId = read.PauseId;
  if (!pauseId) throw new PermanentError(`resource property ${Prop.PauseId} is missing`);
  const pausedSyncIds = pausedSyncsOf(pauseId);
  if (!pausedSyncIds) throw new PermanentError(`resource property ${Prop.PauseId} is "${pauseId}": the physical id of a pause (polytomic-pause-…) is expected`);
  const connection = parseConnection(raw);
  return { ...connection, pauseId, pausedSyncIds, runAfterResume: read.RunAfterResume === undefined ? DEFAULTS.runAfterResume : read.RunAfterResume === 'true' };
}

/** The resume's PauseId as given, undefined when absent: an Update whose PauseId is unchanged calls nothing. */
export function readPauseId(raw: Record<string, unknown> | undefined): string | undefined {
  return readAll(RESUME_READERS, raw).PauseId;
}

/** The properties both resources share: how to reach Polytomic, and for how long. */
function parseConnection(raw: Record<string, unknown> | undefined): ConnectionProperties {
  const read = readAll(CONNECTION_READERS, raw);
  const secretArn = read.SecretArn;
  if (!secretArn) throw new PermanentError(`resource property ${Prop.SecretArn} is missing`);

  const authMode = read.AuthMode;
  if (authMode !== 'API_KEY' && authMode !== 'DEPLOYMENT_KEY') {
    throw new PermanentError(`resource property ${Prop.AuthMode} is "${authMode}": API_KEY or DEPLOYMENT_KEY is expected`);
  }
  const organizationId = read.OrganizationId;
  if (authMode === 'DEPLOYMENT_KEY' && !organizationId) {
    throw new PermanentError(`resource property ${Prop.OrganizationId} is required with ${Prop.AuthMode} DEPLOYMENT_KEY`);
  }
  const apiUrl = read.ApiUrl;
  // thrown even in a rollback: nothing is better than sending the key in clear text
  const urlProblems = apiUrlProblems(apiUrl, URL_CHECK);
  if (urlProblems.length > 0) throw new PermanentError(urlProblems.join('; '));
  // out of range only if the construct could not check them: the nearest valid values are
  // used (onEvent refuses them outside a rollback, so this matters only there)
  const timeoutSeconds = clamp(positiveSeconds(read.TimeoutSeconds) ?? DEFAULT_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  const pollIntervalSeconds = clamp(positiveSeconds(read.PollIntervalSeconds) ?? DEFAULT_POLL_INTERVAL_SECONDS,
    MIN_POLL_INTERVAL_SECONDS, Math.min(MAX_POLL_INTERVAL_SECONDS, timeoutSeconds));

  return {
    secretArn,
    secretField: read.SecretField,
    authMode,
    organizationId,
    apiUrl,
    apiVersion: read.ApiVersion,
    timeoutMs: Math.round(timeoutSeconds * SECOND_MS),
    pollIntervalMs: Math.round(pollIntervalSeconds * SECOND_MS),
    onTimeout: read.OnTimeout,
  };
}

function isHaltMode(value: string): value is HaltModeName {
  return (HALT_MODES as readonly string[]).includes(value);
}

/** The reader of a property the handler has no use for. */
function nothing(): undefined {
  return undefined;
}

function parseString(value: unknown): string | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

/** A list, or a comma-separated string. */
function parseList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? value.split(',') : [];
  return items.map(parseString).filter((s): s is string => s !== undefined);
}

/** A number (or numeric string); undefined when absent, NaN when unreadable. */
function parseNumber(value: unknown): number | undefined {
  const text = parseString(value);
  if (text === undefined) return undefined;
  const number = Number(text);
  return Number.isFinite(number) ? number : NaN;
}

/** Positive seconds, to the millisecond; undefined when absent or unreadable (NaN). */
function positiveSeconds(seconds: number | undefined): number | undefined {
  return seconds !== undefined && seconds > 0 ? Math.round(seconds * SECOND_MS) / SECOND_MS : undefined;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
