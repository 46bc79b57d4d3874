/**
 * Lenient parsing of the custom resource properties. CloudFormation sends every value as a
 * string and replays properties written by older versions of the construct on rollback and
 * delete, so missing optional values take the defaults they had when they were introduced.
 *
 * The construct checks its props at synth, but not those given as tokens (a CfnParameter):
 * `checkProperties` checks them here, with the construct's own limits and messages.
 */
import { PermanentError } from './errors';
import { AuthMode, CancellerProperties, DEFAULT_API_URL, DEFAULT_API_VERSION, Prop, TimeoutBehavior } from './types';
import {
  MAX_POLL_INTERVAL_SECONDS, MAX_TIMEOUT_SECONDS, MIN_POLL_INTERVAL_SECONDS, MIN_TIMEOUT_SECONDS,
  apiUrlProblems, pollIntervalProblems, timeoutProblems,
} from '../src/shared/limits';

const DEFAULT_TIMEOUT_SECONDS = 30 * 60;
const DEFAULT_POLL_INTERVAL_SECONDS = 15;
/**
 * Unlike the construct, the handler accepts plain http to a loopback host (127.0.0.0/8,
 * localhost, [::1]), where the key never leaves the machine: its tests run a local Polytomic
 * over http. Any other non-https URL is refused and never gets the key.
 */
const URL_CHECK = { allowLoopbackHttp: true } as const;

/**
 * What the construct would have refused at synth, had the values not been tokens: one
 * message per problem, worded as the construct words it. Empty when all is well.
 */
export function checkProperties(raw: Record<string, unknown> | undefined): string[] {
  const props = raw ?? {};
  const problems = apiUrlProblems(parseString(props[Prop.ApiUrl]) ?? DEFAULT_API_URL, URL_CHECK);
  const timeout = parseNumber(props[Prop.TimeoutSeconds]);
  const interval = parseNumber(props[Prop.PollIntervalSeconds]);
  if (Number.isNaN(timeout)) problems.push(`timeout is "${String(props[Prop.TimeoutSeconds])}": a number of seconds is expected`);
  else problems.push(...timeoutProblems(timeout ?? DEFAULT_TIMEOUT_SECONDS));
  // compared with the timeout only when it is a number, as the construct does when it is known
  const timeoutSeconds = Number.isNaN(timeout) ? undefined : (timeout ?? DEFAULT_TIMEOUT_SECONDS);
  if (Number.isNaN(interval)) problems.push(`pollInterval is "${String(props[Prop.PollIntervalSeconds])}": a number of seconds is expected`);
  else problems.push(...pollIntervalProblems(interval ?? DEFAULT_POLL_INTERVAL_SECONDS, timeoutSeconds));
  return problems;
}

export function parseProperties(raw: Record<string, unknown> | undefined): CancellerProperties {
  const props = raw ?? {};
  const syncIds = parseList(props[Prop.SyncIds]);
  if (syncIds.length === 0) throw new PermanentError(`resource property ${Prop.SyncIds} is empty: at least one bulk sync id is expected`);
  const secretArn = parseString(props[Prop.SecretArn]);
  if (!secretArn) throw new PermanentError(`resource property ${Prop.SecretArn} is missing`);

  const authMode = (parseString(props[Prop.AuthMode]) ?? 'API_KEY').toUpperCase();
  if (authMode !== 'API_KEY' && authMode !== 'DEPLOYMENT_KEY') {
    throw new PermanentError(`resource property ${Prop.AuthMode} is "${authMode}": API_KEY or DEPLOYMENT_KEY is expected`);
  }
  const organizationId = parseString(props[Prop.OrganizationId]);
  if (authMode === 'DEPLOYMENT_KEY' && !organizationId) {
    throw new PermanentError(`resource property ${Prop.OrganizationId} is required with ${Prop.AuthMode} DEPLOYMENT_KEY`);
  }
  const onTimeout = (parseString(props[Prop.OnTimeout]) ?? 'FAIL').toUpperCase();
  const apiUrl = parseString(props[Prop.ApiUrl]) ?? DEFAULT_API_URL;
  // thrown even in a rollback: nothing is better than sending the key in clear text
  const urlProblems = apiUrlProblems(apiUrl, URL_CHECK);
  if (urlProblems.length > 0) throw new PermanentError(urlProblems.join('; '));
  // out of range only if the construct could not check them: the nearest valid values are
  // used (onEvent refuses them outside a rollback, so this matters only there)
  const timeoutSeconds = clamp(parseSeconds(props[Prop.TimeoutSeconds]) ?? DEFAULT_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS);
  const pollIntervalSeconds = clamp(parseSeconds(props[Prop.PollIntervalSeconds]) ?? DEFAULT_POLL_INTERVAL_SECONDS,
    MIN_POLL_INTERVAL_SECONDS, Math.min(MAX_POLL_INTERVAL_SECONDS, timeoutSeconds));

  return {
    syncIds: [...new Set(syncIds)],
    secretArn,
    secretField: parseString(props[Prop.SecretField]),
    authMode: authMode as AuthMode,
    organizationId,
    apiUrl,
    apiVersion: parseString(props[Prop.ApiVersion]) ?? DEFAULT_API_VERSION,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    pollIntervalMs: Math.round(pollIntervalSeconds * 1000),
    onTimeout: (onTimeout === 'CONTINUE' ? 'CONTINUE' : 'FAIL') as TimeoutBehavior,
  };
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

/** Positive seconds, to the millisecond; undefined when absent or unreadable. */
function parseSeconds(value: unknown): number | undefined {
  const seconds = parseNumber(value);
  return seconds !== undefined && seconds > 0 ? Math.round(seconds * 1000) / 1000 : undefined;
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}
