/**
 * Work on many syncs, a few at a time: one request per sync, CONCURRENT_REQUESTS at once, so
 * that 25 syncs neither wait on one another in turn nor flood Polytomic.
 */
import { CONCURRENT_REQUESTS } from '../src/shared/time-budget';

/** The outcome of `work` on one item: its value, or what it threw. */
export type Settled<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Runs `work` on every item, at most `limit` at a time, and answers every outcome in the
 * items' order once all have ended: nothing runs on in the background, and one failure stops
 * none of the others.
 */
export async function settleAll<I, T>(items: readonly I[], work: (item: I) => Promise<T>, limit = CONCURRENT_REQUESTS): Promise<Array<Settled<T>>> {
  const results: Array<Settled<T>> = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      try {
        results[index] = { ok: true, value: await work(items[index]) };
      } catch (error) {
        results[index] = { ok: false, error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
