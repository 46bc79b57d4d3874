/**
 * The one place that talks HTTP to Polytomic: URL building, auth and version headers, the
 * per-request timeout, retries with backoff, and the classification of every answer.
 * Built-in fetch (Node 18+) is used, so the handler has no HTTP dependency.
 *
 * A request is prepared once (`prepare`), then sent by attempts (`attempt`: one fetch and
 * the classification of its answer) that the retry loop (`request`, `waitToRetry`) repeats
 * while a transient failure leaves time for another; a keyed request's `Idempotency-Key`
 * follows the rules of `IdempotencyKeys`.
 */
import { createHash } from 'node:crypto';
import { Clock } from './clock';
import { PermanentError, TransientError, describe, isTransientStatus } from './errors';
import { Logger } from './logger';
import { Execution, SyncStatus, errorMessageOf, parseMultiStatusResponse, parseStatusResponse } from './responses';
import { BackoffPolicy, DEFAULT_BACKOFF, nextRetryAt, parseRetryAfter } from './schedule';
import { apiUrlProblems } from '../src/shared/limits';
import { MAX_RETRY_AFTER_MS, MIN_CALL_TIME_MS, REQUEST_TIMEOUT_MS, SECOND_MS } from '../src/shared/time-budget';

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
  /** @default REQUEST_TIMEOUT_MS */
  readonly requestTimeoutMs?: number;
  readonly backoff?: BackoffPolicy;
  /** time, waits, and the bound of each request */
  readonly clock: Clock;
}

/** The answer to a cancel that Polytomic refused without a fault: usually nothing was running. */
export interface CancelRefused { readonly refused: true; readonly status: number; readonly message: string }

/** A request as every attempt sends it (the `Idempotency-Key` aside). */
interface PreparedRequest {
  readonly method: 'GET' | 'POST';
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  /** names the request in messages, e.g. `GET status` */
  readonly label: string;
  readonly syncId: string;
  /** the JSON body, if any */
  readonly body?: string;
}

/** Polytomic's answer, for the caller to handle: its status, and its body's JSON if any. */
interface Answer { readonly status: number; readonly body: unknown }

/**
 * The `Idempotency-Key` of each attempt at one keyed request, from `keyFor(n)`, the key
 * after `n` error answers. The rules:
 * - a retry after a lost answer (network error, timeout) reuses the key, so Polytomic
 *   applies the request once;
 * - so does a retry after a first 409 for the key: the first request is still in flight;
 * - a second 409 for the same key is an answer of its own (Polytomic replays it), for the
 *   caller to handle rather than retry;
 * - an error answer (any other transient status) moves to a new key, because Polytomic
 *   stores that answer and would replay it for the old one; the new key's 409s are counted
 *   afresh.
 */
export class IdempotencyKeys {
  private answered = 0;
  private conflicts = 0;

  constructor(private readonly keyFor: (answered: number) => string) {}

  /** the key for the next attempt */
  current(): string {
    return this.keyFor(this.answered);
  }

  /** Records a transient status answered under the current key: is it an answer, or a reason to retry? */
  record(status: number): 'answer' | 'retry' {
    if (status === 409) return ++this.conflicts >= 2 ? 'answer' : 'retry';
    this.answered++;
    this.conflicts = 0;
    return 'retry';
  }
}

/** A sync as the list shows it: enough to select it by connection. */
export interface ListedSync {
  readonly id: string;
  readonly sourceConnectionId?: string;
  readonly destinationConnectionId?: string;
}

/** The largest page 2025-09-18 serves; a list past this many pages is not what a canceller selects from. */
const LIST_PAGE_SIZE = 50;
const MAX_LIST_PAGES = 200;

export class PolytomicClient {
  private readonly requestTimeoutMs: number;
  /** no request is sent before this (epoch ms, on the clock): the last Retry-After */
  private notBefore = 0;
  private readonly clock: Clock;

  constructor(private readonly options: PolytomicClientOptions) {
    // the one place that sends the key: whatever the caller checked, never to a URL that
    // would carry it in clear text (http is only accepted to a loopback host)
    const problems = apiUrlProblems(options.apiUrl, { allowLoopbackHttp: true });
    if (problems.length > 0) throw new PermanentError(problems.join('; '));
    this.requestTimeoutMs = options.requestTimeoutMs ?? REQUEST_TIMEOUT_MS;
    this.clock = options.clock;
  }

  /** `GET /api/bulk/syncs/{id}/status`. A sync that does not exist is a permanent error. */
  async getStatus(syncId: string): Promise<SyncStatus> {
    const res = await this.request('GET', `/api/bulk/syncs/${encodeURIComponent(syncId)}/status`, 'GET status', syncId);
    if (res.status === 404) throw notFound(syncId);
    if (res.status >= 400) throw new PermanentError(`GET status of bulk sync ${syncId} was refused (HTTP ${res.status}): ${errorMessageOf(res.body)}`);
    return parseStatusResponse(res.body);
  }

  /** Now, on the client's clock (its callers time what they send by it). */
  now(): number {
    return this.clock.now();
  }

  /**
   * `GET /api/bulk/syncs`, every page: each sync's id and the connections it reads from and
   * writes to. Pages are followed by `pagination.next_page_token` (API 2025-09-18; earlier
   * versions answer the whole list at once, without it). An error answer is permanent.
   */
  async listSyncs(): Promise<ListedSync[]> {
    const listed: ListedSync[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_LIST_PAGES; page++) {
      const query = `limit=${LIST_PAGE_SIZE}${token === undefined ? '' : `&page_token=${encodeURIComponent(token)}`}`;
      const res = await this.request('GET', `/api/bulk/syncs?${query}`, 'GET syncs', 'list');
      if (res.status >= 400) throw new PermanentError(`GET of the bulk sync list was refused (HTTP ${res.status}): ${errorMessageOf(res.body)}`);
      const body = isObject(res.body) ? res.body : {};
      if (!Array.isArray(body.data)) throw new TransientError('the bulk sync list answer has no "data" list');
      for (const sync of body.data) {
        if (!isObject(sync) || typeof sync.id !== 'string') continue;
        const connection = (key: string) => (typeof sync[key] === 'string' ? sync[key] as string : undefined);
        listed.push({ id: sync.id, sourceConnectionId: connection('source_connection_id'), destinationConnectionId: connection('destination_connection_id') });
      }
      const next = isObject(body.pagination) && typeof body.pagination.next_page_token === 'string' ? body.pagination.next_page_token : '';
      if (next === '') return listed;
      token = next;
    }
    throw new PermanentError(`the bulk sync list has more than ${MAX_LIST_PAGES} pages of ${LIST_PAGE_SIZE}: select the syncs by id instead`);
  }

  /**
   * `GET /api/bulk/syncs/status?sync_id=…` (repeated): every sync's status in one request.
   * `refused` when Polytomic answers with an error (the endpoint is not there, or will not
   * serve these ids): the caller reads each sync alone from then on; `unusable` when the
   * answer cannot be read. Auth failures throw, as every request's do; a transient failure
   * throws a TransientError once no retry fits.
   */
  async getStatuses(syncIds: readonly string[]): Promise<NonNullable<ReturnType<typeof parseMultiStatusResponse>> | 'refused' | 'unusable'> {
    const query = syncIds.map((id) => `sync_id=${encodeURIComponent(id)}`).join('&');
    const res = await this.request('GET', `/api/bulk/syncs/status?${query}`, 'GET statuses', syncIds.length === 1 ? syncIds[0] : `${syncIds.length} syncs`);
    if (res.status >= 400) return 'refused';
    return parseMultiStatusResponse(res.body) ?? 'unusable';
  }

  /**
   * `POST /api/bulk/syncs/{id}/cancel`, which only queues the cancel. A 4xx other than an
   * auth failure is returned, not thrown: the caller re-reads the status to learn why.
   *
   * `keyFor(n)` gives the `Idempotency-Key` after `n` error answers: `IdempotencyKeys` says
   * when a retry reuses the key (so Polytomic applies the cancel once) and when it needs a new one.
   */
  async cancel(syncId: string, keyFor: (answered: number) => string): Promise<true | CancelRefused> {
    const res = await this.request('POST', `/api/bulk/syncs/${encodeURIComponent(syncId)}/cancel`, 'POST cancel', syncId, keyFor);
    if (res.status >= 400) return { refused: true, status: res.status, message: errorMessageOf(res.body) };
    return true;
  }

  /**
   * `GET /api/bulk/syncs/{id}`: whether the sync is active (runs on its schedule). A sync that
   * does not exist is a permanent error; an answer without a boolean `active`, a transient one.
   */
  async getSync(syncId: string): Promise<{ readonly active: boolean }> {
    const res = await this.request('GET', `/api/bulk/syncs/${encodeURIComponent(syncId)}`, 'GET sync', syncId);
    if (res.status === 404) throw notFound(syncId);
    if (res.status >= 400) throw new PermanentError(`GET of bulk sync ${syncId} was refused (HTTP ${res.status}): ${errorMessageOf(res.body)}`);
    const data = isObject(res.body) ? res.body.data : undefined;
    const active = isObject(data) ? data.active : undefined;
    if (typeof active !== 'boolean') throw new TransientError(`GET sync of bulk sync ${syncId} answered without a boolean "active"`);
    return { active };
  }

  /**
   * `POST /api/bulk/syncs/{id}/activate` with `{"active": …}`: a sync deactivated runs no more
   * on its schedule (and Polytomic cancels its current execution). Idempotent by nature: sent
   * again, it changes nothing, so it needs no key. A refusal (4xx) is a permanent error.
   */
  async setActive(syncId: string, active: boolean): Promise<void> {
    const label = active ? 'POST activate' : 'POST deactivate';
    const res = await this.request('POST', `/api/bulk/syncs/${encodeURIComponent(syncId)}/activate`, label, syncId, undefined, { active });
    if (res.status === 404) throw notFound(syncId);
    if (res.status >= 400) throw new PermanentError(`${label} of bulk sync ${syncId} was refused (HTTP ${res.status}): ${errorMessageOf(res.body)}`);
  }

  /**
   * `POST /api/bulk/syncs/{id}/executions`: starts one execution. `keyFor(n)` gives the
   * `Idempotency-Key` after `n` error answers (see `IdempotencyKeys`), so a retry after a lost
   * answer never starts a second one. `running` when one already runs (HTTP 409, answered twice).
   */
  async startExecution(syncId: string, keyFor: (answered: number) => string): Promise<'started' | 'running'> {
    const res = await this.request('POST', `/api/bulk/syncs/${encodeURIComponent(syncId)}/executions`, 'POST executions', syncId, keyFor, {});
    if (res.status === 409) return 'running';
    if (res.status === 404) throw notFound(syncId);
    if (res.status >= 400) throw new PermanentError(`POST executions of bulk sync ${syncId} was refused (HTTP ${res.status}): ${errorMessageOf(res.body)}`);
    return 'started';
  }

  /** Sends the request until Polytomic answers it, retrying transient failures while a retry fits. */
  private async request(
    method: 'GET' | 'POST',
    path: string,
    label: string,
    syncId: string,
    keyFor?: (answered: number) => string,
    body?: unknown,
  ): Promise<Answer> {
    const request = this.prepare(method, path, label, syncId, body);
    const keys = keyFor ? new IdempotencyKeys(keyFor) : undefined;
    await this.waitForRetryAfter(request);
    for (let attempt = 0; ; attempt++) {
      const result = await this.attempt(request, keys);
      if (!(result instanceof TransientError)) return result;
      // clamped as the backoff clamps it: a Retry-After of an hour must not cost the invocation
      if (result.retryAfterMs !== undefined) {
        this.notBefore = Math.max(this.notBefore, this.clock.now() + Math.min(result.retryAfterMs, MAX_RETRY_AFTER_MS));
      }
      await this.waitToRetry(request, result, attempt);
    }
  }

  /**
   * A `Retry-After` holds for every request of this client, not only the one it answered: a
   * later round, however soon adaptive polling plans it, waits for it too, or gives up on
   * this round when it could not be sent before its retry deadline.
   */
  private async waitForRetryAfter(request: PreparedRequest): Promise<void> {
    const waitMs = this.notBefore - this.clock.now();
    if (waitMs <= 0) return;
    if (this.notBefore + this.requestTimeoutMs > this.options.retryDeadline()) {
      throw new TransientError(`${request.label} not sent: Polytomic asked to wait ${Math.ceil(waitMs / SECOND_MS)} s (Retry-After)`);
    }
    await this.clock.sleep(waitMs);
  }

  /** The URL and the headers every attempt sends. */
  private prepare(method: 'GET' | 'POST', path: string, label: string, syncId: string, body?: unknown): PreparedRequest {
    // relative to the base URL, so an on-premises host served under a path prefix works too
    const url = new URL(path.replace(/^\/+/, ''), this.options.apiUrl.replace(/\/+$/, '') + '/');
    const headers: Record<string, string> = {
      'Authorization': this.options.authorization,
      'X-Polytomic-Version': this.options.apiVersion,
      'Accept': 'application/json',
      'User-Agent': 'cdk-polytomic',
    };
    if (body === undefined) return { method, url, headers, label, syncId };
    return { method, url, headers: { ...headers, 'Content-Type': 'application/json' }, label, syncId, body: JSON.stringify(body) };
  }

  /**
   * One attempt, bounded by the request timeout and by `stopBy`: Polytomic's answer, or a
   * failure worth another attempt. Throws a PermanentError when the key is refused, and a
   * TransientError, not to be retried, when no time is left to send it.
   */
  private async attempt(request: PreparedRequest, keys: IdempotencyKeys | undefined): Promise<Answer | TransientError> {
    const key = keys?.current();
    const timeoutMs = Math.min(this.requestTimeoutMs, this.options.stopBy - this.clock.now());
    if (timeoutMs < Math.min(MIN_CALL_TIME_MS, this.requestTimeoutMs)) throw new TransientError(`${request.label} not sent: no time left in this invocation`);
    let reply: { status: number; retryAfter: string | null; text: string };
    try {
      const response = await fetch(request.url, {
        method: request.method,
        headers: key === undefined ? request.headers : { ...request.headers, 'Idempotency-Key': key },
        ...request.body === undefined ? {} : { body: request.body },
        signal: this.clock.abortAfter(timeoutMs),
      });
      reply = { status: response.status, retryAfter: response.headers.get('retry-after'), text: await response.text() };
    } catch (error) {
      return new TransientError(`${request.label} failed: ${describeFetchError(error)}`);
    }
    if (reply.status === 401) {
      throw new PermanentError(`Polytomic rejected the credentials (HTTP 401) at ${request.url.origin}: check that the secret holds a valid key for this auth mode`);
    }
    if (reply.status === 403) {
      throw new PermanentError(`the Polytomic key has no access to bulk sync ${request.syncId} (HTTP 403)`);
    }
    if (isTransientStatus(reply.status) && (keys === undefined || keys.record(reply.status) === 'retry')) {
      return new TransientError(`${request.label} answered HTTP ${reply.status}`, parseRetryAfter(reply.retryAfter, this.clock.now()));
    }
    return parseAnswer(reply.text, reply.status, request.label);
  }

  /** Waits for the retry after `attempt`, or throws `failure` when no retry could end before the retry deadline. */
  private async waitToRetry(request: PreparedRequest, failure: TransientError, attempt: number): Promise<void> {
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
    this.options.logger.warn('transient failure, will retry', {
      syncId: request.syncId, attempt: attempt + 1, reason: failure.message, retryInMs: retryAt - this.clock.now(),
    });
    await this.clock.sleep(Math.max(0, retryAt - this.clock.now()));
  }
}

/** The answer with its body's JSON; a body that is not JSON where an answer was expected is a transient failure. */
function parseAnswer(text: string, status: number, label: string): Answer | TransientError {
  if (text.trim() === '') return { status, body: undefined };
  try {
    return { status, body: JSON.parse(text) };
  } catch {
    // an error status says enough without its body
    if (status >= 400) return { status, body: undefined };
    // a proxy's page or a truncated body in place of an answer: the next attempt may be fine
    return new TransientError(`${label} answered HTTP ${status} with a body that is not JSON`);
  }
}

function notFound(syncId: string): PermanentError {
  return new PermanentError(`bulk sync ${syncId} was not found (HTTP 404): check the id and that the key belongs to the sync's organization`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
