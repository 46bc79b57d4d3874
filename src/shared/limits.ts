/**
 * The limits of the canceller's timing and API URL, and the messages that report a value
 * outside them. The construct checks them at synth; the handler checks them again at deploy
 * time, for values that were tokens (a CfnParameter) at synth. Both build their messages here,
 * so a user reads the same words from either.
 *
 * The limits themselves are durations, stated (with their reasons) in `time-budget.ts`.
 *
 * Plain constants and functions over numbers and strings only: esbuild bundles this file into
 * the handler and jsii compiles it with the construct, so it imports nothing but the time budget.
 */
import { DAY_MS, HOUR_MS, MAX_POLL_INTERVAL_MS, MAX_SYNCS_PER_CANCELLER, MAX_TIMEOUT_MS, MIN_POLL_INTERVAL_MS, MIN_TIMEOUT_MS, MINUTE_MS, SECOND_MS } from './time-budget';

/** The limits in seconds, the unit of the messages and of the resource properties. */
export const MAX_TIMEOUT_SECONDS = MAX_TIMEOUT_MS / SECOND_MS;
export const MIN_TIMEOUT_SECONDS = MIN_TIMEOUT_MS / SECOND_MS;
export const MIN_POLL_INTERVAL_SECONDS = MIN_POLL_INTERVAL_MS / SECOND_MS;
export const MAX_POLL_INTERVAL_SECONDS = MAX_POLL_INTERVAL_MS / SECOND_MS;
/** keeps the custom resource's response well under CloudFormation's 4 KB */
export const MAX_SYNCS = MAX_SYNCS_PER_CANCELLER;

const UNITS: ReadonlyArray<readonly [number, string]> = [[DAY_MS, 'day'], [HOUR_MS, 'hour'], [MINUTE_MS, 'minute'], [SECOND_MS, 'second']];

/** `90` → `1 minute 30 seconds`: the two largest non-zero units, as people say it. */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return `${seconds} seconds`;
  if (seconds < 0) return `-${humanDuration(-seconds)}`;
  const parts: string[] = [];
  // in milliseconds, so a fraction of a second is not lost to floating point
  let rest = Math.round(seconds * SECOND_MS);
  for (const [unitMs, name] of UNITS) {
    // the last unit keeps the fraction: `1.5 seconds`
    const amount = unitMs === SECOND_MS ? rest / SECOND_MS : Math.floor(rest / unitMs);
    rest -= unitMs === SECOND_MS ? rest : amount * unitMs;
    if (amount > 0 && parts.length < 2) parts.push(`${amount} ${name}${amount === 1 ? '' : 's'}`);
  }
  return parts.length > 0 ? parts.join(' ') : '0 seconds';
}

export function timeoutProblems(seconds: number): string[] {
  const problems: string[] = [];
  const shown = humanDuration(seconds);
  if (!Number.isInteger(seconds)) problems.push(`timeout is ${shown}: it must be a whole number of seconds`);
  if (!(seconds >= MIN_TIMEOUT_SECONDS && seconds <= MAX_TIMEOUT_SECONDS)) {
    problems.push(`timeout is ${shown}: it must be between ${humanDuration(MIN_TIMEOUT_SECONDS)} and ${humanDuration(MAX_TIMEOUT_SECONDS)} (CloudFormation waits at most one hour for a custom resource)`);
  }
  return problems;
}

/** `timeoutSeconds` is left out when the timeout is not known (a token at synth). */
export function pollIntervalProblems(seconds: number, timeoutSeconds?: number): string[] {
  if (!(seconds >= MIN_POLL_INTERVAL_SECONDS && seconds <= MAX_POLL_INTERVAL_SECONDS)) {
    return [`pollInterval is ${humanDuration(seconds)}: it must be between ${humanDuration(MIN_POLL_INTERVAL_SECONDS)} and ${humanDuration(MAX_POLL_INTERVAL_SECONDS)}`];
  }
  if (timeoutSeconds !== undefined && seconds > timeoutSeconds) {
    return [`pollInterval (${humanDuration(seconds)}) is longer than timeout (${humanDuration(timeoutSeconds)}): it must not be`];
  }
  return [];
}

export interface ApiUrlCheckOptions {
  /**
   * Accept `http://` to a loopback host (127.0.0.0/8, localhost, [::1]): the key then never
   * leaves the machine. The handler allows it (its tests run a local Polytomic over http);
   * the construct does not, since a deployed handler has nothing to reach on its own loopback.
   * @default false
   */
  readonly allowLoopbackHttp?: boolean;
}

export function apiUrlProblems(apiUrl: string, options: ApiUrlCheckOptions = {}): string[] {
  if (apiUrl !== apiUrl.trim()) return [`apiUrl "${apiUrl}" has leading or trailing spaces`];
  let url: URL;
  try {
    url = new URL(apiUrl);
  } catch {
    return [`apiUrl "${apiUrl}" is not a URL: an https URL such as https://app.polytomic.com is expected`];
  }
  const loopbackHttp = options.allowLoopbackHttp === true && url.protocol === 'http:' && isLoopback(url.hostname);
  if (url.protocol !== 'https:' && !loopbackHttp) {
    return [`apiUrl "${apiUrl}" does not use https: the key is sent with every request, so only https is accepted`];
  }
  if (url.username || url.password) return ['apiUrl must not contain credentials: the key is read from the secret'];
  // not echoed whole: a query may hold something that should not be printed
  if (url.search || url.hash) return [`apiUrl "${url.origin}${url.pathname}" has a query or fragment: give the base URL only`];
  return [];
}

function isLoopback(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname);
}
