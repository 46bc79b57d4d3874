/**
 * Reading the simulator's request log: which requests read a sync's status (its own status
 * read, or a read of many statuses that names it, whichever the handler uses), and when each
 * request arrived on a given clock.
 */
import type { PolytomicSimulator, RecordedRequest } from '../simulator/polytomic-simulator';

const MULTI_STATUS = '/api/bulk/syncs/status';

/** GET /api/bulk/syncs/{id}/status or GET /api/bulk/syncs/status. */
export function isStatusRead(r: RecordedRequest): boolean {
  return r.method === 'GET' && (r.path === MULTI_STATUS || /^\/api\/bulk\/syncs\/[^/]+\/status$/.test(r.path));
}

export function isMultiStatusRead(r: RecordedRequest): boolean {
  return r.method === 'GET' && r.path === MULTI_STATUS;
}

/** The requests that read `syncId`'s status. */
export function statusReadsOf(sim: PolytomicSimulator, syncId: string): RecordedRequest[] {
  return sim.requests.filter((r) => r.method === 'GET'
    && (r.path === `/api/bulk/syncs/${syncId}/status` || (r.path === MULTI_STATUS && [r.query.sync_id ?? []].flat().includes(syncId))));
}

export function cancelsOf(sim: PolytomicSimulator, syncId?: string): RecordedRequest[] {
  return sim.requests.filter((r) => r.method === 'POST' && (syncId ? r.path === `/api/bulk/syncs/${syncId}/cancel` : /\/cancel$/.test(r.path)));
}

/**
 * The time, on `now`, at which each request from here on reached the simulator (the log's
 * own entries carry none). Taken when the simulator records the request, before it answers.
 */
export function stampRequests(sim: PolytomicSimulator, now: () => number): Map<RecordedRequest, number> {
  const stamps = new Map<RecordedRequest, number>();
  const log = sim.requests as RecordedRequest[];
  const push = log.push.bind(log);
  log.push = (...items: RecordedRequest[]) => {
    for (const item of items) stamps.set(item, now());
    return push(...items);
  };
  return stamps;
}
