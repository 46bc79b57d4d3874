/**
 * The one place that talks HTTP to Polytomic: URL building, auth and version headers, the
 * per-request timeout, retries with backoff, and the classification of every answer.
 * Built-in fetch (Node 18+) is used, so the handler has no HTTP dependency.
 */
import { createHash } from 'node:crypto';
import { PermanentError, TransientError, describe, isTransientStatus } from './errors';
import { Logger } from './logger';
import { Execution, SyncStatus, errorMessageOf, parseStatusResponse } from './responses';
import { BackoffPolicy, DEFAULT_BACKOFF, nextRetryAt, parseRetryAfter } from './schedule';
import { apiUrlProblems } from '../src/shared/limits';

export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
  random(): number;
}

export const realClock: Clock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random: () => Math.random(),
};

/** A request is not started with less time than this left. */
const MIN_REQUEST_TIME_MS = 1_000;

export interface PolytomicClientOptions {
  readonly apiUrl: string;
  readonly apiVersion: string;
  /** the whole `Authorization` header value */
  readonly authorization: string;
  readonly logger: Logger;
  /** no retry is scheduled that could not end before this (epoch ms); read at each retry */
  readonly retryDeadline: () => number;
  /**
   * No request runs past this (epoch ms): the end of the Lambda invocation, less a margin.
   * However many syncs wait on hung connections, the invocation still returns in time.
   */
  readonly stopBy: number;
  /** @default 10 s */
  readonly requestTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  readonly clock?: Clock;
}

/** The answer to a cancel that Polytomic refused without a fault: usually nothing was running. */
export interface CancelRefused { readonly refused: true; readonly status: number; readonly message: string }

export class PolytomicClient {
  private readonly requestTimeoutMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: PolytomicClientOptions) {
    // the one place that sends the key: whatever the caller checked, never to a URL that
    // would carry it in clear text (http is only accepted to a loopback host)
    const problems = apiUrlProblems(options.apiUrl, { allowLoopbackHttp: true });
    if (problems.length > 0) throw new PermanentError(problems.join('; '));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
    this.clock = options.clock ?? realClock;
  }

  /** `GET /api/bulk/syncs/{id}/status`. A sync that does not exist is a permanent error. */
  async getStatus(syncId: string): Promise<SyncStatus> {
    const res = await this.request('GET', `/api/bulk/syncs/${encodeURIComponent(syncId)}/status`, 'GET status', syncId);
    if (res.status === 404) {
      throw new PermanentError(`bulk sync ${syncId} was not found (HTTP 404): check the id and that the key belongs to the sync's organization`);
    }
    if (res.status >= 400) throw new PermanentError(`GET status of bulk sync ${syncId} was refused (HTTP ${res.status}): ${errorMessageOf(res.body)}`);
    return parseStatusResponse(res.body);
  }

  /**
   * `POST /api/bulk/syncs/{id}/cancel`, which only queues the cancel. A 4xx other than an
   * auth failure is returned, not thrown: the caller re-reads the status to learn why.
   *
   * `keyFor(n)` gives the `Idempotency-Key` after `n` answered attempts. A retry after a lost
   * answer (network error, timeout) or a 409 (the first request still in flight) reuses the
   * key, so Polytomic applies the cancel once; a retry after an error answer needs a new
   * key, because Polytomic stores that answer and would replay it for the old one.
   */
  async cancel(syncId: string, keyFor: (answered: number) => string): Promise<true | CancelRefused> {
    const res = await this.request('POST', `/api/bulk/syncs/${encodeURIComponent(syncId)}/cancel`, 'POST cancel', syncId, keyFor);
    if (res.status >= 400) return { refused: true, status: res.status, message: errorMessageOf(res.body) };
    return true;
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    label: string,
    syncId: string,
    keyFor?: (answered: number) => string,
  ): Promise<{ status: number; body: unknown }> {
    // relative to the base URL, so an on-premises host served under a path prefix works too
    const url = new URL(path.replace(/^\/+/, ''), this.options.apiUrl.replace(/\/+$/, '') + '/');
    const headers: Record<string, string> = {
      'Authorization': this.options.authorization,
      'X-Polytomic-Version': this.options.apiVersion,
      'Accept': 'application/json',
      'User-Agent': 'cdk-polytomic',
    };
    let answered = 0;
    let conflicts = 0;
    for (let attempt = 0; ; attempt++) {
      if (keyFor) headers['Idempotency-Key'] = keyFor(answered);
      const timeoutMs = Math.min(this.requestTimeoutMs, this.options.stopBy - this.clock.now());
      if (timeoutMs < Math.min(MIN_REQUEST_TIME_MS, this.requestTimeoutMs)) throw new TransientError(`${label} not sent: no time left in this invocation`);
      let failure: TransientError;
      try {
        const response = await fetch(url, { method, headers, signal: AbortSignal.timeout(timeoutMs) });
        const text = await response.text();
        if (response.status === 401) {
          throw new PermanentError(`Polytomic rejected the credentials (HTTP 401) at ${url.origin}: check that the secret holds a valid key for this auth mode`);
        }
        if (response.status === 403) {
          throw new PermanentError(`the Polytomic key has no access to bulk sync ${syncId} (HTTP 403)`);
        }
        // A 409 to a keyed request means the first one is still in flight; a second 409 for
        // the same key is an answer of its own (Polytomic replays it), for the caller to handle.
        const replayedConflict = response.status === 409 && keyFor !== undefined && ++conflicts >= 2;
        if (replayedConflict || !isTransientStatus(response.status)) {
          return { status: response.status, body: parseJson(text, response.status, label) };
        }
        if (response.status !== 409) {
          answered++; // a new key from now on, whose conflicts are counted afresh
          conflicts = 0;
        }
        failure = new TransientError(
          `${label} answered HTTP ${response.status}`,
          parseRetryAfter(response.headers.get('retry-after'), this.clock.now()),
        );
      } catch (error) {
        if (error instanceof PermanentError) throw error;
        failure = error instanceof TransientError ? error : new TransientError(`${label} failed: ${describeFetchError(error)}`);
      }

      const retryAt = nextRetryAt({
        attempt,
        now: this.clock.now(),
        deadline: this.options.retryDeadline(),
        reserveMs: this.requestTimeoutMs,
        random: this.clock.random(),
        retryAfterMs: failure.retryAfterMs,
        policy: this.options.backoff ?? DEFAULT_BACKOFF,
      });
      if (retryAt === undefined) throw failure;
      this.options.logger.warn('transient failure, will retry', { syncId, attempt: attempt + 1, reason: failure.message, retryInMs: retryAt - this.clock.now() });
      await this.clock.sleep(Math.max(0, retryAt - this.clock.now()));
    }
  }
}

function parseJson(text: string, status: number, label: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    // an error status says enough without its body
    if (status >= 400) return undefined;
    // a proxy's page or a truncated body in place of an answer: the next attempt may be fine
    throw new TransientError(`${label} answered HTTP ${status} with a body that is not JSON`);
  }
}

function describeFetchError(error: unknown): string {
  // by name: the DOMException of an aborted fetch may come from another realm
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'no answer within the request timeout';
  return describe(error);
}

/** An `Idempotency-Key` (8–255 of [A-Za-z0-9_-]) derived from what makes a cancel one logical request. */
export function idempotencyKey(...parts: string[]): string {
  return 'cdkpoly-' + createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 40);
}

export type { Execution, SyncStatus };
