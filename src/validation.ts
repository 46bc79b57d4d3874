import { Duration, Token } from 'aws-cdk-lib';

/** Limits the construct enforces at synth time. */
export const Limits = {
  /** CloudFormation gives a custom resource at most one hour; keep room for the margin below. */
  MAX_TIMEOUT: Duration.minutes(55),
  MIN_TIMEOUT: Duration.minutes(1),
  MIN_POLL_INTERVAL: Duration.seconds(1),
  /** a longer interval would not fit inside one isComplete invocation */
  MAX_POLL_INTERVAL: Duration.minutes(2),
  /** keeps the custom resource's response well under CloudFormation's 4 KB */
  MAX_SYNCS: 25,
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
  if (apiUrl !== apiUrl.trim()) return [`apiUrl "${apiUrl}" has leading or trailing spaces`];
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return [`apiUrl "${apiUrl}" is not a URL: an https URL such as https://app.polytomic.com is expected`];
  }
  if (url.protocol !== 'https:') return [`apiUrl "${apiUrl}" does not use https: the key is sent with every request, so only https is accepted`];
  if (url.username || url.password) return ['apiUrl must not contain credentials: the key is read from the secret'];
  if (url.search || url.hash) return [`apiUrl "${apiUrl}" has a query or fragment: give the base URL only`];
  return [];
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
  const errors: string[] = [];
  const timeoutKnown = !timeout.isUnresolved();
  const intervalKnown = !pollInterval.isUnresolved();
  if (timeoutKnown) {
    const s = timeout.toSeconds({ integral: false });
    if (!Number.isInteger(s)) errors.push(`timeout is ${timeout.toHumanString()}: it must be a whole number of seconds`);
    if (s < Limits.MIN_TIMEOUT.toSeconds({ integral: false }) || s > Limits.MAX_TIMEOUT.toSeconds({ integral: false })) {
      errors.push(`timeout is ${timeout.toHumanString()}: it must be between ${Limits.MIN_TIMEOUT.toHumanString()} and ${Limits.MAX_TIMEOUT.toHumanString()} (CloudFormation waits at most one hour for a custom resource)`);
    }
  }
  if (intervalKnown) {
    const s = pollInterval.toSeconds({ integral: false });
    if (s < Limits.MIN_POLL_INTERVAL.toSeconds({ integral: false }) || s > Limits.MAX_POLL_INTERVAL.toSeconds({ integral: false })) {
      errors.push(`pollInterval is ${pollInterval.toHumanString()}: it must be between ${Limits.MIN_POLL_INTERVAL.toHumanString()} and ${Limits.MAX_POLL_INTERVAL.toHumanString()}`);
    } else if (timeoutKnown && s > timeout.toSeconds({ integral: false })) {
      errors.push(`pollInterval (${pollInterval.toHumanString()}) is longer than timeout (${timeout.toHumanString()}): it must not be`);
    }
  }
  return errors;
}
