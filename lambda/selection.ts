/**
 * Which syncs a canceller halts: those named by id, and every sync whose source or destination
 * is one of the named connections, listed at deploy time (so a sync added in the Polytomic app
 * since the last deployment is halted too). No duplicates; the ids named first, in their order.
 */
import { PermanentError } from './errors';
import { Logger } from './logger';
import { PolytomicClient } from './polytomic-client';
import { CancellerProperties } from './types';
import { MAX_SYNCS } from '../src/shared/limits';

/**
 * `strict` (the request's first listing): more than 25 syncs, or none when that is not allowed,
 * fails. A later listing (the next isComplete invocation) finds what changed since: it keeps
 * the first 25 and warns, so a sync added mid-deployment cannot fail a wait already under way.
 */
export async function resolveSelection(
  client: PolytomicClient, props: Pick<CancellerProperties, 'syncIds' | 'connectionIds' | 'allowEmptySelection'>, logger: Logger, strict = true,
): Promise<string[]> {
  if (props.connectionIds.length === 0) return [...props.syncIds];
  const connections = new Set(props.connectionIds);
  const listed = await client.listSyncs();
  const byConnection = listed
    .filter((sync) => connections.has(sync.sourceConnectionId ?? '') || connections.has(sync.destinationConnectionId ?? ''))
    .map((sync) => sync.id);
  const selected = [...new Set([...props.syncIds, ...byConnection])];
  logger.info('selection resolved', { byId: props.syncIds, connections: props.connectionIds, byConnection, selected });
  if (!strict && selected.length > MAX_SYNCS) {
    logger.warn(`the selection now comes to ${selected.length} bulk syncs: the first ${MAX_SYNCS} are waited for`, { left: selected.slice(MAX_SYNCS) });
    return selected.slice(0, MAX_SYNCS);
  }
  if (selected.length > MAX_SYNCS) {
    throw new PermanentError(`the selection comes to ${selected.length} bulk syncs (${byConnection.length} by connection): at most ${MAX_SYNCS} per canceller; `
      + 'split the connections across cancellers, or name the syncs');
  }
  if (selected.length === 0 && !props.allowEmptySelection && strict) {
    throw new PermanentError(`no bulk sync reads from or writes to connection(s) ${props.connectionIds.join(', ')}, and no sync id is given: `
      + 'check the connection ids, or set allowEmptySelection if an empty selection is expected');
  }
  return selected;
}
