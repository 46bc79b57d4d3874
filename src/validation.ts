import { Duration, Token } from 'aws-cdk-lib';
import {
  MAX_POLL_INTERVAL_SECONDS, MAX_SYNCS, MAX_TIMEOUT_SECONDS, MIN_POLL_INTERVAL_SECONDS, MIN_TIMEOUT_SECONDS,
  apiUrlProblems, pollIntervalProblems, timeoutProblems,
} from './shared/limits';

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
  if (syncIds.length === 0) return ['syncIds is empty: give at least one Polytomic bulk sync id'];
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

export function timingErrors(timeout: Duration, pollInterval: Duration): string[] {
  const timeoutSeconds = timeout.isUnresolved() ? undefined : timeout.toSeconds({ integral: false });
  const intervalSeconds = pollInterval.isUnresolved() ? undefined : pollInterval.toSeconds({ integral: false });
  return [
    ...timeoutSeconds === undefined ? [] : timeoutProblems(timeoutSeconds),
    ...intervalSeconds === undefined ? [] : pollIntervalProblems(intervalSeconds, timeoutSeconds),
  ];
}
