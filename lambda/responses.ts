/**
 * Defensive parsing of Polytomic's JSON. Nothing here throws anything but a TransientError
 * (an answer we cannot read may be a passing fault), whatever the input.
 */
import { TransientError } from './errors';
import { TERMINAL_STATUSES } from './types';

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

/**
 * `GET /api/bulk/syncs/status`'s answer: for each sync it lists, what one status read would
 * tell, as far as it tells it. The execution id comes from its schemas (the entry has none of
 * its own): `current` when the status is not terminal, else `last`; without an id, `unsure`
 * (the caller reads that sync alone). Undefined when the answer is unusable.
 */
export function parseMultiStatusResponse(body: unknown): Map<string, SyncStatus & { readonly unsure?: boolean }> | undefined {
  if (!isObject(body) || !Array.isArray(body.data)) return undefined;
  const statuses = new Map<string, SyncStatus & { readonly unsure?: boolean }>();
  const seen = new Set<string>();
  for (const entry of body.data) {
    if (!isObject(entry) || typeof entry.sync_id !== 'string') return undefined;
    // keyed lower-case: the caller may have been given the id in capitals
    const syncId = entry.sync_id.toLowerCase();
    if (seen.has(syncId)) {
      statuses.set(syncId, { unsure: true }); // listed twice: which one holds?
      continue;
    }
    seen.add(syncId);
    statuses.set(syncId, entryStatus(entry));
  }
  return statuses;
}

/**
 * One entry of the multi-status answer. Each schema names its own most recent execution, so
 * an execution id is trusted only when every schema not yet terminal names the same one; a
 * status missing while schemas are listed, or schemas that disagree, make the entry unsure.
 */
function entryStatus(entry: Record<string, unknown>): SyncStatus & { readonly unsure?: boolean } {
  const status = typeof entry.status === 'string' && entry.status.trim() !== '' ? entry.status.trim().toLowerCase() : undefined;
  const schemas = (Array.isArray(entry.schemas) ? entry.schemas : []).filter(isObject);
  if (status === undefined) return schemas.length === 0 ? {} : { unsure: true };
  const open = schemas.filter((schema) => !(typeof schema.status === 'string' && TERMINAL_STATUSES.has(schema.status.toLowerCase())));
  const ids = new Set((TERMINAL_STATUSES.has(status) ? schemas : open).map((schema) => schema.execution_id));
  const id = ids.size === 1 ? [...ids][0] : undefined;
  if (TERMINAL_STATUSES.has(status)) return { last: { id: typeof id === 'string' ? id : '', status } };
  return typeof id === 'string' && id !== '' ? { current: { id, status } } : { unsure: true };
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
