/**
 * Defensive parsing of Polytomic's JSON. Nothing here throws anything but a TransientError
 * (an answer we cannot read may be a passing fault), whatever the input.
 */
import { TransientError } from './errors';

export interface Execution {
  readonly id: string;
  /** lower-cased; `unknown` when the field is missing */
  readonly status: string;
}

export interface SyncStatus {
  /** the execution in progress, if the answer has one */
  readonly current?: Execution;
  readonly last?: Execution;
}

/** Reads `{"data":{"current_execution"?, "last_execution"?}}`. */
export function parseStatusResponse(body: unknown): SyncStatus {
  if (!isObject(body) || !('data' in body)) {
    throw new TransientError('the status answer has no "data" object');
  }
  const data = body.data;
  if (data === null || data === undefined) return {};
  if (!isObject(data)) throw new TransientError('the status answer\'s "data" is not an object');
  return {
    current: parseExecution(data.current_execution),
    last: parseExecution(data.last_execution),
  };
}

function parseExecution(value: unknown): Execution | undefined {
  if (value === null || value === undefined) return undefined;
  if (!isObject(value)) throw new TransientError('an execution in the status answer is not an object');
  const id = typeof value.id === 'string' ? value.id : '';
  const status = typeof value.status === 'string' && value.status.trim() !== '' ? value.status.trim().toLowerCase() : 'unknown';
  return { id, status };
}

/**
 * The human message of an error body, whichever of Polytomic's error shapes it has. Not
 * shortened here: Polytomic may echo the key, and a cut before redaction could split it.
 */
export function errorMessageOf(body: unknown): string {
  let message: unknown;
  if (isObject(body)) {
    const error = body.error;
    message = body.message ?? (isObject(error) ? error.message : error);
  }
  if (typeof message !== 'string' || message.trim() === '') return 'no message';
  return message.replace(/\s+/g, ' ').trim();
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
