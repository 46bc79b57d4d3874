/**
 * A loopback HTTP server that behaves like Polytomic's bulk-sync REST API, for tests only
 * (node:http, no dependencies). It models the endpoints a canceller touches: list/get a sync,
 * per-sync and multi-sync status, cancel (whole sync and one execution), start, list and get
 * executions, and activate. Paths, envelopes (`{"data": ...}`), snake_case fields, status
 * enums and error bodies follow Polytomic's public API reference and the types of the official
 * TypeScript SDK (`polytomic` on npm). Where those sources are silent (e.g. a cancel on an idle
 * sync, the default page size of the executions list), the choice is documented where it is made
 * and, where it matters, configurable.
 *
 * Request pipeline (in this order):
 *   1. the request (incl. body) is recorded in `sim.requests`;
 *   2. the first queued fault whose matcher matches is taken. "Network / proxy"
 *      faults (status, json, html, malformed, reset) answer right away and never
 *      reach the API layer: no auth check, no idempotency bookkeeping, no state change
 *      (unless `storeOutcome` is set, see `StatusFault`);
 *   3. auth (401), then `Idempotency-Key` handling for POSTs (400 invalid, replay, 409 in flight);
 *   4. `hang` / `delay` faults act here, i.e. they hold the idempotency key while pending;
 *   5. routing and the sync state machine; the outcome is stored for the idempotency key.
 *
 * State machine of a sync (without `statusScript`):
 *   running --POST cancel--> canceling --(cancelAfterPolls observations)--> canceled (moved to last_execution)
 * An "observation" (poll) is any of: GET /api/bulk/syncs/{id}/status, GET /api/bulk/syncs/status
 * listing the sync, GET /api/bulk/syncs/{id}/executions/{execId} for the current execution.
 *
 * Time, schedules and activation (see `SimSchedule`, `AddSyncOptions.schedule`):
 *   - The simulator's time is `options.now()` (default `Date.now`); every timestamp it serves comes
 *     from it. There are no timers: the schedule is evaluated lazily, when a request addresses a sync
 *     (any per-sync route, the sync lists, multi-status) and in `inspect` / `statusOf`. Time-based
 *     events that fell due since the last evaluation are applied in time order with their own
 *     (back-dated) timestamps, so the outcome does not depend on when a test looks.
 *   - 'manual' (the default; an omitted schedule is still served as before, see `AddSyncOptions.schedule`):
 *     nothing starts on its own.
 *   - 'continuous': at the START of each observation, an active sync with no current execution
 *     starts one (started_at = now). So the observation in which an execution ends (e.g. a cancel
 *     landing) still shows the sync idle with that execution in last_execution; the next observation
 *     shows a new running execution. Other requests (cancel, GET sync, the executions list) do not start one.
 *   - 'interval': ticks at anchor + k * everyMs (k >= 1), where anchor is the time the sync was added
 *     (when added active) or last went from inactive to active. A tick starts an execution (started_at =
 *     the tick) if the sync has no current execution; a tick that finds one running is skipped, not queued.
 *   - Executions started by a schedule run until cancelled, or complete ('completed') after `runMs` of
 *     simulated time (at started_at + runMs) or after `runPolls` observations reported them running,
 *     whichever comes first. Once 'canceling', only the cancel path ends them.
 *   - POST /api/bulk/syncs/{id}/activate {"active": false} (or `setActive`): active=false, no more
 *     ticks/continuous starts, and the current execution is cancelled through the same path as
 *     POST cancel (canceling for cancelAfterPolls observations, then canceled). {"active": true}
 *     resumes: continuous starts at the next observation, interval counts from the activation.
 *     An inactive sync never starts an execution on its own; POST executions still starts one (200):
 *     Polytomic documents that inactive syncs "do not run on their schedule but can still be triggered
 *     manually" (CreateBulkSyncRequest.active). Every applied activation is recorded with its sim time
 *     (`inspect(id).activations`).
 *   - GET /api/bulk/syncs/{id} serves the schedule as `schedule: {"frequency": ...}` under every
 *     X-Polytomic-Version, as it always has; the 2025-09-18 reference names the field `default_schedule`
 *     (plus `additional_schedules`), which the simulator does not switch to.
 */
import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { TERMINAL_STATUSES } from '../../lambda/types';

/** The version echoed when a request carries no `X-Polytomic-Version` header. */
export const DEFAULT_POLYTOMIC_VERSION = '2024-02-08';
/**
 * The statuses that move an execution to `last_execution`: the handler's own set, so the two
 * cannot disagree. The API documents only `completed`, `canceled` and `failed` as terminal;
 * `errors` and `interrupted` are treated as terminal too because no execution leaves them.
 */
export { TERMINAL_STATUSES };

/** How the simulator answers a cancel when nothing runs (UNCONFIRMED in the real API). */
export interface IdleCancelAnswer {
  readonly status: number;
  /** Default: `{"data":{"message":"Cancellation requested"}}` for 2xx, an ApiError otherwise. */
  readonly body?: unknown;
}

export interface PolytomicSimulatorOptions {
  /** Accepted as `Authorization: Bearer <apiKey>`. Default 'test-api-key-0000'. */
  readonly apiKey?: string;
  /** When set, `Authorization: Basic base64(organizationId:key)` is accepted too. */
  readonly deployment?: { readonly organizationId: string; readonly key: string };
  /** Answer to POST cancel on a sync with no current execution. Default 200 "Cancellation requested". */
  readonly idleCancel?: IdleCancelAnswer;
  /** The simulator's clock in epoch ms, e.g. `() => clock.now()` for a test's `SimulatedClock` (a method: wrap it). Default `Date.now`. */
  readonly now?: () => number;
  /** Serve the sync list in pages of this size even when the caller asks for no page (as 2025-09-18 does). Default: the whole list. */
  readonly listPageSize?: number;
}

/** How long an execution started by a schedule runs (both unset: until cancelled; both set: whichever ends first). */
export interface ScheduledRunLength {
  /** Completes at started_at + runMs of simulated time. */
  readonly runMs?: number;
  /** Reported 'running' by this many observations (counting the one that started it); the next one finds it completed. */
  readonly runPolls?: number;
}

/**
 * A sync's schedule. The served `schedule.frequency` is 'manual', 'continuous', and for 'interval'
 * 'hourly' / 'daily' / 'weekly' when `everyMs` is one hour / day / week, else 'custom'.
 */
export type SimSchedule =
  | { readonly frequency: 'manual' }
  | ({ readonly frequency: 'continuous' } & ScheduledRunLength)
  | ({ readonly frequency: 'interval'; readonly everyMs: number } & ScheduledRunLength);

/** One applied activation request (POST activate or `setActive`); rejected, faulted and replayed requests are not recorded. */
export interface ActivationChange {
  /** Simulator time (ms since the epoch, from `options.now`). */
  readonly at: number;
  readonly active: boolean;
  /** False when the sync already had this value (e.g. activating an active sync). */
  readonly changed: boolean;
  /** 'api': POST /api/bulk/syncs/{id}/activate; 'test': `sim.setActive()`. */
  readonly via: 'api' | 'test';
}

/** A finished execution to seed a sync with; the times are taken as given. */
export interface PastExecution {
  /** A terminal status (see `TERMINAL_STATUSES`). */
  readonly status: string;
  readonly startedAt: Date;
  /** Also the execution's `updated_at`. */
  readonly finishedAt: Date;
}

export interface AddSyncOptions {
  /** Default: a random UUID. */
  readonly id?: string;
  readonly name?: string;
  /** Default true. Inactive syncs have no `next_execution_time` and never start an execution on their own. */
  readonly active?: boolean;
  /**
   * Default: nothing starts on its own (as 'manual'), but the sync is still served as it was before
   * schedules were modelled: `schedule: {"frequency": "hourly"}` and, while active, a
   * `next_execution_time` at the next full hour that never fires. Give `{ frequency: 'manual' }` to be
   * served as manual (no next_execution_time). Not combinable with `statusScript`.
   */
  readonly schedule?: SimSchedule;
  /** Start with a current execution in status 'running'. Default false (true when `statusScript` is given). */
  readonly running?: boolean;
  /** Status of the previous run, shown as `last_execution`. Default 'completed'; null = the sync never ran. */
  readonly lastExecution?: string | null;
  /**
   * Finished executions instead of the single `lastExecution` (give one or the other). The one
   * that finished last becomes `last_execution`.
   */
  readonly history?: readonly PastExecution[];
  /** Observations spent in 'canceling' after a cancel before 'canceled'. Default 2. */
  readonly cancelAfterPolls?: number;
  /**
   * Time (sim ms) a cancel takes instead: 'canceling' until this long after the first cancel,
   * then 'canceled' at the next observation, however many polls came between.
   */
  readonly cancelAfterMs?: number;
  /** The connections it reads from and writes to. Default: one source and one destination shared by every sync. */
  readonly sourceConnectionId?: string;
  readonly destinationConnectionId?: string;
  /** Once canceled, immediately start ONE new running execution (a scheduler racing us). Needs `active`. */
  readonly restartAfterCancel?: boolean;
  /**
   * Successive observations set the current execution's status to these values, overriding the
   * state machine (cancel is still accepted and counted, but changes nothing). The last value sticks.
   * A terminal value moves the execution to `last_execution`; a non-terminal value with no current
   * execution starts a new one.
   */
  readonly statusScript?: readonly string[];
  /** Every request on this sync answers 403. */
  readonly forbidden?: boolean;
}

/** Which requests a fault applies to. */
export interface FaultMatcher {
  readonly method?: 'GET' | 'POST';
  /** Exact pathname (no query string) or a RegExp tested against the pathname. */
  readonly path?: string | RegExp;
  /** How many matching requests get the fault. Default 1; `Infinity` allowed. */
  readonly times?: number;
}

/** Answer with this status; body defaults to an ApiError (RestErrResponse for 401). */
export interface StatusFault {
  readonly type: 'status';
  readonly status: number;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Treat as a real API outcome: stored for the request's Idempotency-Key and replayed (as the docs say for 500s). */
  readonly storeOutcome?: boolean;
}
/** Arbitrary JSON body (e.g. missing fields, an unknown status). Default status 200. */
export interface JsonFault {
  readonly type: 'json';
  readonly status?: number;
  readonly body: unknown;
  readonly storeOutcome?: boolean;
}
/** A proxy's HTML error page (content-type text/html, no version header). Default status 502. */
export interface HtmlFault { readonly type: 'html'; readonly status?: number }
/** 200, content-type application/json, truncated body `{"data": {`. */
export interface MalformedFault { readonly type: 'malformed' }
/** Accept the request and never answer, until the client aborts or `close()`. Holds its Idempotency-Key meanwhile. */
export interface HangFault { readonly type: 'hang' }
/** Destroy the socket without answering. */
export interface ResetFault { readonly type: 'reset' }
/** Process the request normally but answer after `ms`; its Idempotency-Key is in flight meanwhile. The state change happens even if the client gave up. */
export interface DelayFault { readonly type: 'delay'; readonly ms: number }

export type Fault = StatusFault | JsonFault | HtmlFault | MalformedFault | HangFault | ResetFault | DelayFault;

/** One request as the simulator saw it. */
export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  /** Repeated parameters become arrays. */
  readonly query: Record<string, string | string[]>;
  /** Lower-cased names. */
  readonly headers: Record<string, string>;
  /** Parsed JSON, the raw text if not JSON, or undefined when empty. */
  readonly body: unknown;
  /** The fault applied to this request, if any. */
  fault?: Fault['type'];
  /** Answered from the idempotency store. */
  replayed?: boolean;
  /** Status code sent (undefined for hang/reset). */
  responseStatus?: number;
}

/** Execution object, as served (snake_case). */
export interface SimExecution {
  id: string;
  status: string;
  type: 'scheduled';
  created_at: string;
  started_at: string;
  updated_at: string;
  completed_at?: string;
  fetch_mode: string;
  is_partial: boolean;
  is_resync: boolean;
  is_test: boolean;
  output_disposition: string;
  record_count: number;
  error_count: number;
  warning_count: number;
  schemas: Array<Record<string, unknown>>;
}

/** Read-only view of a simulated sync. */
export interface SyncSnapshot {
  readonly id: string;
  readonly name: string;
  readonly active: boolean;
  readonly currentExecution?: SimExecution;
  readonly lastExecution?: SimExecution;
  /** Every execution ever created, oldest first. */
  readonly executionIds: readonly string[];
  /** The schedule as given (undefined: the legacy default, see `AddSyncOptions.schedule`). */
  readonly schedule?: SimSchedule;
  /** Executions started by the schedule (not by `running`, POST executions, `startExecution`, scripts or `restartAfterCancel`), oldest first. */
  readonly scheduledExecutionIds: readonly string[];
  /** `scheduledExecutionIds.length`. */
  readonly scheduledStarts: number;
  /** Simulator time of the next interval tick; undefined when inactive or not an interval schedule. */
  readonly nextTickAt?: number;
  /** Every applied activation request, oldest first. */
  readonly activations: readonly ActivationChange[];
}

/** The execution a schedule started, while it is current, and what ends it. */
interface ScheduledRun {
  exec: SimExecution;
  endsAt?: number;
  pollsLeft?: number;
}

interface SyncState {
  id: string;
  name: string;
  active: boolean;
  schedule?: SimSchedule;
  /** Next interval tick (sim ms); undefined unless active with an interval schedule. */
  nextTickAt?: number;
  scheduledRun?: ScheduledRun;
  scheduledExecutionIds: string[];
  activations: ActivationChange[];
  forbidden: boolean;
  cancelAfterPolls: number;
  cancelAfterMs?: number;
  /** sim ms at which a time-based cancel lands */
  cancelLandsAt?: number;
  sourceConnectionId: string;
  destinationConnectionId: string;
  restartAfterCancel: boolean;
  script?: readonly string[];
  scriptIndex: number;
  current?: SimExecution;
  last?: SimExecution;
  executions: Map<string, SimExecution>;
  /** Observations left in 'canceling' before 'canceled'; undefined when no cancel is pending. */
  cancelPollsLeft?: number;
  cancelsApplied: number;
  createdAt: string;
  /** Changes with an activation that changed `active`. */
  updatedAt: string;
}

interface Outcome {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** Where an execution sorts in the executions list: a timestamp, ties broken by a global sequence. */
interface SortKey {
  readonly at: string;
  readonly seq: number;
}

/** What a `page_token` stands for: the last item served and the query it was served for. */
interface PageCursor {
  readonly syncId: string;
  readonly onlyTerminal: boolean;
  readonly ascending: boolean;
  readonly after: SortKey;
}

interface QueuedFault {
  matcher: FaultMatcher;
  fault: Fault;
  remaining: number;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_-]{8,255}$/;
/**
 * Page size of GET /api/bulk/syncs/{id}/executions. The API documents a cap of 100 but no
 * default; 50 is the default Polytomic documents for its other cursor-paginated list (bulk syncs
 * under 2025-09-18). A limit outside 1..100 answers 400 rather than being clamped ("capped at
 * 100" could mean either): a client that passes here also works against a server that clamps.
 */
const EXECUTIONS_DEFAULT_LIMIT = 50;
const EXECUTIONS_MAX_LIMIT = 100;
const ORG_ID = 'be80a27e-0e80-4dcb-bee9-1666f02eeb83';
/** The connections a sync reads from and writes to unless told otherwise. */
export const DEFAULT_SOURCE_CONNECTION = '503c2db0-978a-4884-9fc0-658a3dad82f1';
export const DEFAULT_DESTINATION_CONNECTION = '5ff69368-6504-11ed-9bb3-ea7534cffcad';
/** The largest page of the sync list (2025-09-18: default and maximum 50). */
const LIST_MAX_LIMIT = 50;
/** Time-based schedule events applied in one evaluation before the simulator gives up (a test bug, e.g. everyMs 1 and a jump of days). */
const MAX_SCHEDULE_EVENTS = 10_000;
const SERVED_FREQUENCY: Record<number, string> = { 3_600_000: 'hourly', 86_400_000: 'daily', 604_800_000: 'weekly' };

/** ApiError body `{"status":N,"message":"..."}`. */
function apiError(status: number, message: string): Outcome {
  return { status, body: { status, message } };
}
const UNAUTHORIZED: Outcome = { status: 401, body: { code: 401, status: 'Unauthorized', error: 'unauthorized' } };

function defaultErrorBody(status: number): unknown {
  if (status === 401) return UNAUTHORIZED.body;
  return { status, message: (http.STATUS_CODES[status] ?? 'error').toLowerCase() };
}

/** The answer of a `status` / `json` fault. */
function faultOutcome(fault: StatusFault | JsonFault): Outcome {
  if (fault.type === 'json') return { status: fault.status ?? 200, body: fault.body };
  return { status: fault.status, body: fault.body ?? defaultErrorBody(fault.status), headers: fault.headers };
}

/** Per-schema status: that enum has no 'canceling' / 'errors'. */
function schemaStatus(status: string): string {
  if (status === 'canceling') return 'running';
  if (status === 'errors') return 'completed';
  return status;
}

export class PolytomicSimulator {
  /** Start a simulator on 127.0.0.1 with an OS-assigned port. */
  public static async start(options: PolytomicSimulatorOptions = {}): Promise<PolytomicSimulator> {
    const sim = new PolytomicSimulator(options);
    await new Promise<void>((resolve, reject) => {
      sim.server.once('error', reject);
      sim.server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = sim.server.address() as AddressInfo;
    sim.url = `http://127.0.0.1:${port}`;
    return sim;
  }

  /** Base URL, e.g. 'http://127.0.0.1:PORT' (no trailing slash). */
  public url = '';
  /** Every request received, in arrival order. */
  public readonly requests: RecordedRequest[] = [];
  public readonly apiKey: string;

  private readonly server: http.Server;
  private readonly options: PolytomicSimulatorOptions;
  private readonly syncs = new Map<string, SyncState>();
  private readonly faults: QueuedFault[] = [];
  private readonly idempotency = new Map<string, Outcome | 'in-flight'>();
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Start and last-update order of each execution (timestamps can tie within a millisecond). */
  private readonly order = new WeakMap<SimExecution, { started: number; updated: number }>();
  private sequence = 0;
  /** Issued `page_token`s; anything else is unknown. */
  private readonly pageTokens = new Map<string, PageCursor>();
  /** The simulator's clock (epoch ms). */
  private readonly now: () => number;

  private constructor(options: PolytomicSimulatorOptions) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.apiKey = options.apiKey ?? 'test-api-key-0000';
    this.server = http.createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          this.send(res, req, apiError(500, `simulator bug: ${String(err)}`));
        }
      });
    });
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  /** Add a sync; returns its id. */
  public addSync(opts: AddSyncOptions = {}): string {
    const id = opts.id ?? randomUUID();
    if (id === 'status' || id.includes('/')) throw new Error(`invalid sync id '${id}'`);
    if (this.syncs.has(id)) throw new Error(`sync ${id} already exists`);
    validateSchedule(opts.schedule);
    if (opts.schedule && opts.schedule.frequency !== 'manual' && opts.statusScript) {
      throw new Error('a schedule cannot be combined with statusScript');
    }
    const now = new Date(this.now()).toISOString();
    const sync: SyncState = {
      id,
      name: opts.name ?? `Bulk sync ${id.slice(0, 8)}`,
      active: opts.active ?? true,
      schedule: opts.schedule,
      scheduledExecutionIds: [],
      activations: [],
      forbidden: opts.forbidden ?? false,
      cancelAfterPolls: opts.cancelAfterPolls ?? 2,
      cancelAfterMs: opts.cancelAfterMs,
      sourceConnectionId: opts.sourceConnectionId ?? DEFAULT_SOURCE_CONNECTION,
      destinationConnectionId: opts.destinationConnectionId ?? DEFAULT_DESTINATION_CONNECTION,
      restartAfterCancel: opts.restartAfterCancel ?? false,
      script: opts.statusScript,
      scriptIndex: 0,
      executions: new Map(),
      cancelsApplied: 0,
      createdAt: now,
      updatedAt: now,
    };
    if (opts.history) {
      if (opts.lastExecution !== undefined) throw new Error('give either history or lastExecution');
      for (const past of opts.history) {
        if (!TERMINAL_STATUSES.has(past.status)) throw new Error(`history status '${past.status}' is not terminal`);
      }
    }
    this.syncs.set(id, sync);
    const lastStatus = opts.lastExecution === undefined ? 'completed' : opts.lastExecution;
    if (opts.history) {
      let latest: SimExecution | undefined;
      for (const past of opts.history) {
        const exec = this.newExecution(sync, past.status, past.startedAt);
        this.finish(sync, exec, past.status, past.finishedAt);
        if (!latest || exec.completed_at! >= latest.completed_at!) latest = exec;
      }
      sync.last = latest;
    } else if (lastStatus !== null) {
      const prev = this.newExecution(sync, lastStatus, new Date(this.now() - 3600_000));
      this.finish(sync, prev, lastStatus);
      sync.current = undefined;
    }
    if (opts.running ?? opts.statusScript !== undefined) this.startExecution(id);
    if (sync.active) this.resumeSchedule(sync);
    return id;
  }

  /**
   * Set `active` as POST activate would (recorded with via 'test'): deactivating stops the schedule and
   * requests cancellation of the current execution; activating resumes the schedule. E.g. "someone paused it in the UI".
   */
  public setActive(syncId: string, active: boolean): void {
    this.applyActivation(this.mustGet(syncId), active, 'test');
  }

  /** Make a sync start running now (throws if one is already running). Returns the execution id. */
  public startExecution(syncId: string): string {
    const sync = this.mustGet(syncId);
    if (sync.current) throw new Error(`sync ${syncId} already has a current execution`);
    return this.newExecution(sync, 'running').id;
  }

  /** Queue a fault; faults are consumed in registration order when their matcher matches. */
  public fault(matcher: FaultMatcher, fault: Fault): void {
    this.faults.push({ matcher, fault, remaining: matcher.times ?? 1 });
  }

  /** Drop all queued faults. */
  public clearFaults(): void {
    this.faults.length = 0;
  }

  /** Cancels that were executed (POST cancel, per-execution cancel): not replays, not faulted, not rejected (401/403/404). Includes idle cancels. */
  public cancelsApplied(syncId: string): number {
    return this.mustGet(syncId).cancelsApplied;
  }

  /** Current execution status, or undefined when idle. Applies due time-based schedule events; not an observation. */
  public statusOf(syncId: string): string | undefined {
    const s = this.mustGet(syncId);
    this.advance(s);
    return s.current?.status;
  }

  /** Read-only view of a sync (deep-copied). Applies due time-based schedule events; not an observation. */
  public inspect(syncId: string): SyncSnapshot {
    const s = this.mustGet(syncId);
    this.advance(s);
    const copy = (e?: SimExecution) => (e ? (JSON.parse(JSON.stringify(e)) as SimExecution) : undefined);
    return {
      id: s.id,
      name: s.name,
      active: s.active,
      currentExecution: copy(s.current),
      lastExecution: copy(s.last),
      executionIds: [...s.executions.keys()],
      schedule: s.schedule,
      scheduledExecutionIds: [...s.scheduledExecutionIds],
      scheduledStarts: s.scheduledExecutionIds.length,
      nextTickAt: s.nextTickAt,
      activations: s.activations.map((a) => ({ ...a })),
    };
  }

  /** Close the server, destroying open (incl. hung) sockets and pending delays. */
  public async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------- pipeline

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const raw = await readBody(req);
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = (req.method ?? 'GET').toUpperCase();
    const record: RecordedRequest = {
      method,
      path: url.pathname,
      query: queryRecord(url.searchParams),
      headers: headerRecord(req.headers),
      body: parseBody(raw),
    };
    this.requests.push(record);

    const fault = this.takeFault(method, url.pathname);
    if (fault) record.fault = fault.type;
    const finish = (o: Outcome) => {
      record.responseStatus = o.status;
      this.send(res, req, o);
    };

    // Faults in front of the API layer.
    if (fault) {
      switch (fault.type) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'html': {
          const status = fault.status ?? 502;
          record.responseStatus = status;
          const text = http.STATUS_CODES[status] ?? 'Error';
          res.writeHead(status, { 'content-type': 'text/html; charset=utf-8' });
          res.end(`<!DOCTYPE html><html><head><title>${status} ${text}</title></head><body><h1>${status} ${text}</h1><p>The upstream server did not answer.</p></body></html>`);
          return;
        }
        case 'malformed':
          record.responseStatus = 200;
          res.writeHead(200, { 'content-type': 'application/json', 'x-polytomic-version': versionOf(req) });
          res.end('{"data": {');
          return;
        case 'status':
        case 'json':
          if (!fault.storeOutcome) return finish(faultOutcome(fault));
          break;
        default:
          break;
      }
    }

    // API layer.
    if (!this.authorized(req.headers.authorization)) return finish(UNAUTHORIZED);

    let key: string | undefined;
    const keyHeader = req.headers['idempotency-key'];
    if (method === 'POST' && keyHeader !== undefined) {
      const k = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
      if (!IDEMPOTENCY_KEY.test(k)) {
        return finish(apiError(400, 'invalid Idempotency-Key: must be 8-255 characters of [A-Za-z0-9_-]'));
      }
      const stored = this.idempotency.get(k);
      if (stored === 'in-flight') return finish(apiError(409, 'a request with this Idempotency-Key is already in progress'));
      if (stored) {
        record.replayed = true;
        return finish(stored);
      }
      key = k;
      this.idempotency.set(k, 'in-flight');
    }

    if (fault?.type === 'hang') {
      // Never answer; release the key (no outcome stored) once the connection goes away.
      await new Promise<void>((resolve) => {
        if (res.destroyed || req.socket.destroyed) resolve();
        res.once('close', () => resolve());
      });
      if (key) this.idempotency.delete(key);
      return;
    }
    if (fault?.type === 'delay') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          resolve();
        }, fault.ms);
        this.timers.add(t);
      });
    }

    let outcome: Outcome;
    if (fault?.type === 'status' || fault?.type === 'json') {
      outcome = faultOutcome(fault);
    } else {
      try {
        outcome = this.route(method, url, record.body, raw);
      } catch (err) {
        outcome = apiError(500, `simulator bug: ${String(err)}`);
      }
    }
    if (key) this.idempotency.set(key, outcome);
    if (res.destroyed) return; // client went away (e.g. timed out during a delay): state changed, nothing to send
    finish(outcome);
  }

  private takeFault(method: string, path: string): Fault | undefined {
    const i = this.faultIndex(method, path);
    if (i < 0) return undefined;
    const q = this.faults[i];
    q.remaining -= 1;
    if (q.remaining <= 0) this.faults.splice(i, 1);
    return q.fault;
  }

  private faultIndex(method: string, path: string): number {
    return this.faults.findIndex(({ matcher: m }) =>
      (m.method === undefined || m.method === method) &&
      (m.path === undefined || (typeof m.path === 'string' ? m.path === path : m.path.test(path))));
  }

  private authorized(header: string | undefined): boolean {
    if (!header) return false;
    const [scheme, value = ''] = header.split(/\s+/, 2);
    if (scheme.toLowerCase() === 'bearer') return value === this.apiKey;
    if (scheme.toLowerCase() === 'basic' && this.options.deployment) {
      const { organizationId, key } = this.options.deployment;
      return Buffer.from(value, 'base64').toString('utf8') === `${organizationId}:${key}`;
    }
    return false;
  }

  private send(res: http.ServerResponse, req: http.IncomingMessage, o: Outcome): void {
    const text = o.body === undefined ? '' : JSON.stringify(o.body);
    res.writeHead(o.status, {
      ...o.headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      'x-polytomic-version': versionOf(req),
    });
    res.end(text);
  }

  // ---------------------------------------------------------------- routes

  private route(method: string, url: URL, body: unknown, raw: string): Outcome {
    const parts = url.pathname.split('/').filter(Boolean);
    if (parts[0] !== 'api' || parts[1] !== 'bulk' || parts[2] !== 'syncs') return apiError(404, 'not found');
    const rest = parts.slice(3).map(decodeURIComponent);

    if (rest.length === 0) {
      if (method !== 'GET') return apiError(405, 'method not allowed');
      const active = url.searchParams.get('active');
      for (const s of this.syncs.values()) this.advance(s);
      const list = [...this.syncs.values()]
        .filter((s) => active === null || String(s.active) === active)
        .map((s) => this.syncBody(s));
      return this.listPage(list, url.searchParams);
    }
    if (rest.length === 1 && rest[0] === 'status') {
      if (method !== 'GET') return apiError(405, 'method not allowed');
      return this.multiStatus(url.searchParams);
    }

    const sync = this.syncs.get(rest[0]);
    if (!sync) return apiError(404, 'bulk sync not found');
    if (sync.forbidden) return apiError(403, 'forbidden');
    this.advance(sync);
    const route = `${method} ${rest.slice(1).map((p, i) => (i === 1 ? ':exec' : p)).join('/')}`;

    switch (route) {
      case 'GET ':
        return ok(this.syncBody(sync));
      case 'GET status':
        this.observe(sync);
        return ok(this.statusBody(sync));
      case 'POST cancel':
        return this.cancel(sync);
      case 'POST activate': {
        const active = (body as { active?: unknown } | undefined)?.active;
        if (typeof active !== 'boolean') return apiError(400, 'active is required and must be a boolean');
        this.applyActivation(sync, active, 'api');
        return ok({ id: sync.id, active });
      }
      case 'GET executions':
        return this.listExecutions(sync, url.searchParams);
      case 'POST executions':
        return this.start(sync, body, raw);
      case 'GET executions/:exec': {
        const exec = sync.executions.get(rest[2]);
        if (!exec) return apiError(404, 'execution not found');
        if (exec === sync.current) this.observe(sync);
        return ok(exec);
      }
      case 'POST executions/:exec/cancel': {
        const exec = sync.executions.get(rest[2]);
        if (!exec) return apiError(404, 'execution not found');
        if (exec !== sync.current) {
          sync.cancelsApplied += 1;
          return this.idleCancelAnswer();
        }
        return this.cancel(sync);
      }
      default:
        return apiError(404, 'not found');
    }
  }

  /**
   * The sync list, a page at a time when the caller asks for one (`limit`, `page_token`) or
   * the simulator is told to (`listPageSize`): `pagination.next_page_token` leads to the next
   * page and is absent on the last. Otherwise the whole list, as API versions before
   * 2025-09-18 answer.
   */
  private listPage(list: readonly Record<string, unknown>[], params: URLSearchParams): Outcome {
    const asked = params.get('limit');
    const limit = asked !== null ? Math.min(Math.max(Number(asked) || 0, 1), LIST_MAX_LIMIT) : undefined;
    // the smaller of what is asked and what the simulator is told to serve
    const size = limit === undefined ? this.options.listPageSize : Math.min(limit, this.options.listPageSize ?? limit);
    const token = params.get('page_token');
    if (size === undefined && token === null) return ok(list);
    const decoded = token === null ? 'offset:0' : Buffer.from(token, 'base64url').toString('utf8');
    const start = /^offset:\d+$/.test(decoded) ? Number(decoded.slice('offset:'.length)) : NaN;
    if (!Number.isInteger(start) || start > list.length) return apiError(400, 'invalid page_token');
    const pageSize = size ?? LIST_MAX_LIMIT;
    const end = Math.min(list.length, start + pageSize);
    const next = end < list.length ? Buffer.from(`offset:${end}`).toString('base64url') : undefined;
    return { status: 200, body: { data: list.slice(start, end), ...next ? { pagination: { next_page_token: next } } : {} } };
  }

  private cancel(sync: SyncState): Outcome {
    sync.cancelsApplied += 1;
    if (!sync.current) return this.idleCancelAnswer();
    this.requestCancel(sync);
    return ok({ message: 'Cancellation requested' });
  }

  private idleCancelAnswer(): Outcome {
    const idle = this.options.idleCancel;
    if (!idle) return ok({ message: 'Cancellation requested' });
    if (idle.body !== undefined) return { status: idle.status, body: idle.body };
    return idle.status < 300 ? { status: idle.status, body: { data: { message: 'Cancellation requested' } } } : apiError(idle.status, 'no running execution');
  }

  /** Queue cancellation of the current execution (no-op when scripted, idle, or already canceling). */
  private requestCancel(sync: SyncState): void {
    if (sync.script || !sync.current || sync.current.status === 'canceling') return;
    this.setStatus(sync.current, 'canceling');
    sync.cancelPollsLeft = sync.cancelAfterPolls;
    sync.cancelLandsAt = sync.cancelAfterMs === undefined ? undefined : this.now() + sync.cancelAfterMs;
  }

  private start(sync: SyncState, body: unknown, raw: string): Outcome {
    if (raw.trim() !== '' && (typeof body !== 'object' || body === null || Array.isArray(body))) {
      return apiError(400, 'request body must be a JSON object');
    }
    const b = (body ?? {}) as { test?: unknown; resync_mode?: unknown; fetch_mode?: unknown; resync?: unknown };
    if (b.test === true && b.resync_mode !== undefined) return apiError(400, 'test and resync_mode are mutually exclusive');
    if (b.resync !== undefined) return apiError(400, 'resync is no longer accepted; use resync_mode');
    if (sync.current) return apiError(409, 'sync is already running');
    // Accepted on an inactive sync too ("can still be triggered manually"); `active` is left as it is.
    const exec = this.newExecution(sync, 'running');
    if (typeof b.fetch_mode === 'string') exec.fetch_mode = b.fetch_mode;
    exec.is_test = b.test === true;
    exec.is_resync = b.resync_mode !== undefined;
    return ok(exec);
  }

  /**
   * GET /api/bulk/syncs/{id}/executions: newest start first (`ascending=true`: oldest first);
   * `only_terminal=true` keeps finished executions and orders them by `updated_at` instead.
   * The cursor is keyset-based, so executions that start while a client pages through the list
   * cause neither duplicates nor gaps. `pagination.next_page_token` is present only when another
   * page exists. A token is only valid for the sync and the flags it was issued for.
   */
  private listExecutions(sync: SyncState, params: URLSearchParams): Outcome {
    let limit = EXECUTIONS_DEFAULT_LIMIT;
    const limitText = params.get('limit');
    if (limitText !== null) {
      limit = /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
      if (!(limit >= 1 && limit <= EXECUTIONS_MAX_LIMIT)) {
        return apiError(400, `limit must be an integer from 1 to ${EXECUTIONS_MAX_LIMIT}`);
      }
    }
    const onlyTerminal = booleanParam(params, 'only_terminal');
    const ascending = booleanParam(params, 'ascending');
    if (onlyTerminal === undefined || ascending === undefined) {
      return apiError(400, 'only_terminal and ascending must be true or false');
    }

    const keyOf = (e: SimExecution): SortKey => {
      const o = this.order.get(e)!;
      return onlyTerminal ? { at: e.updated_at, seq: o.updated } : { at: e.started_at, seq: o.started };
    };
    const direction = ascending ? 1 : -1;
    let list = [...sync.executions.values()]
      .filter((e) => !onlyTerminal || TERMINAL_STATUSES.has(e.status))
      .sort((a, b) => direction * compareKeys(keyOf(a), keyOf(b)));

    const token = params.get('page_token');
    if (token !== null) {
      // Only an omitted token means "first page"; an empty one is as unknown as a made-up one.
      const cursor = this.pageTokens.get(token);
      if (!cursor || cursor.syncId !== sync.id) return apiError(400, 'invalid page_token');
      if (cursor.onlyTerminal !== onlyTerminal || cursor.ascending !== ascending) {
        return apiError(400, 'page_token does not match only_terminal/ascending of the request that issued it');
      }
      list = list.filter((e) => direction * compareKeys(keyOf(e), cursor.after) > 0);
    }

    const page = list.slice(0, limit);
    const pagination: { next_page_token?: string } = {};
    if (list.length > limit) {
      const next = randomUUID().replace(/-/g, '');
      this.pageTokens.set(next, { syncId: sync.id, onlyTerminal, ascending, after: keyOf(page[page.length - 1]) });
      pagination.next_page_token = next;
    }
    return { status: 200, body: { data: page, pagination } };
  }

  /**
   * GET /api/bulk/syncs/status. Forbidden and unknown syncs are left out of `data` and the rest
   * answered with 200, whether they were listed by `sync_id` or selected by `all` / `active`.
   * The real API's behaviour for these is unconfirmed (the SDK maps a 404 for this endpoint, so
   * it may reject the whole request instead). Omission is the conservative model for a client:
   * a whole-request error is loud, whereas a sync silently missing from `data` is what a client
   * can get wrong, so it must notice it. Inject a `status` fault to simulate the whole-request error.
   */
  private multiStatus(params: URLSearchParams): Outcome {
    let selected: SyncState[];
    if (params.get('all') === 'true') {
      selected = [...this.syncs.values()];
    } else if (params.has('active')) {
      selected = [...this.syncs.values()].filter((s) => String(s.active) === params.get('active'));
    } else {
      selected = params.getAll('sync_id')
        .map((id) => this.syncs.get(id))
        .filter((s): s is SyncState => s !== undefined);
    }
    // a sync whose own status read has a fault waiting is left out, as an entry Polytomic could
    // not give: the client reads it alone, and meets the fault
    const faulted = (s: SyncState) => this.faultIndex('GET', `/api/bulk/syncs/${s.id}/status`) >= 0;
    return ok(selected.filter((s) => !s.forbidden && !faulted(s)).map((s) => {
      this.observe(s);
      const exec = s.current ?? s.last;
      const next = this.nextExecutionTime(s);
      return {
        sync_id: s.id,
        ...(exec ? { status: exec.status } : {}),
        ...(next ? { nextExecutionTime: next } : {}),
        schemas: exec ? exec.schemas.map((sc) => ({
          schema: sc.schema,
          execution_id: exec.id,
          status: sc.status,
          status_message: sc.status_message,
          record_count: sc.record_count,
          error_count: sc.error_count,
          warning_count: sc.warning_count,
          started_at: sc.started_at,
          ...(sc.completed_at ? { completed_at: sc.completed_at } : {}),
        })) : [],
      };
    }));
  }

  // ---------------------------------------------------------------- state machine

  /**
   * One observation (poll) of a sync: applies due time-based schedule events, starts a continuous
   * sync's next execution, then advances the script, the pending cancel or a scheduled run's `runPolls`.
   */
  private observe(sync: SyncState): void {
    this.advance(sync);
    if (sync.active && sync.schedule?.frequency === 'continuous' && !sync.current) {
      this.startScheduled(sync, this.now());
    }
    const run = sync.scheduledRun;
    if (run && run.exec === sync.current && run.exec.status === 'running' && run.pollsLeft !== undefined) {
      if (run.pollsLeft > 0) {
        run.pollsLeft -= 1;
      } else {
        this.finish(sync, run.exec, 'completed');
      }
      return;
    }
    if (sync.script) {
      if (sync.scriptIndex >= sync.script.length) return; // exhausted: last value sticks
      const status = sync.script[sync.scriptIndex++];
      if (!sync.current) {
        if (!TERMINAL_STATUSES.has(status)) this.newExecution(sync, status);
        return;
      }
      if (TERMINAL_STATUSES.has(status)) this.finish(sync, sync.current, status);
      else this.setStatus(sync.current, status);
      return;
    }
    if (!sync.current || sync.current.status !== 'canceling' || sync.cancelPollsLeft === undefined) return;
    if (sync.cancelLandsAt !== undefined ? this.now() < sync.cancelLandsAt : sync.cancelPollsLeft > 0) {
      sync.cancelPollsLeft -= 1;
      return;
    }
    sync.cancelPollsLeft = undefined;
    sync.cancelLandsAt = undefined;
    this.finish(sync, sync.current, 'canceled');
    if (sync.restartAfterCancel && sync.active) {
      sync.restartAfterCancel = false; // only ONE racing restart
      this.newExecution(sync, 'running');
    }
  }

  /**
   * Apply the time-based schedule events that fell due up to now, in time order, with their own
   * timestamps: a scheduled run reaching `runMs` completes; an interval tick starts an execution when
   * none is current (else it is skipped). At equal times the completion comes first.
   */
  private advance(sync: SyncState): void {
    const now = this.now();
    for (let events = 0; ; events++) {
      if (events > MAX_SCHEDULE_EVENTS) {
        throw new Error(`sync ${sync.id}: more than ${MAX_SCHEDULE_EVENTS} schedule events in one step; is everyMs too small for the time jump?`);
      }
      const run = sync.scheduledRun;
      const endsAt = run && run.exec === sync.current && run.exec.status === 'running' ? run.endsAt : undefined;
      const tick = sync.nextTickAt;
      if (endsAt !== undefined && endsAt <= now && (tick === undefined || endsAt <= tick)) {
        this.finish(sync, run!.exec, 'completed', new Date(endsAt));
        continue;
      }
      if (tick === undefined || tick > now || sync.schedule?.frequency !== 'interval') return;
      const every = sync.schedule.everyMs;
      if (!sync.current) {
        this.startScheduled(sync, tick);
        sync.nextTickAt = tick + every;
      } else if (endsAt === undefined || endsAt > now) {
        // Nothing ends the current execution by now: every tick up to now is skipped.
        sync.nextTickAt = tick + (Math.floor((now - tick) / every) + 1) * every;
      } else {
        // The run ends at endsAt (after this tick): the ticks before it are skipped.
        sync.nextTickAt = tick + Math.ceil((endsAt - tick) / every) * every;
      }
    }
  }

  /** Start an execution on behalf of the schedule at sim time `at`. */
  private startScheduled(sync: SyncState, at: number): void {
    const schedule = sync.schedule;
    if (!schedule || schedule.frequency === 'manual') return;
    const exec = this.newExecution(sync, 'running', new Date(at));
    sync.scheduledExecutionIds.push(exec.id);
    sync.scheduledRun = {
      exec,
      endsAt: schedule.runMs === undefined ? undefined : at + schedule.runMs,
      pollsLeft: schedule.runPolls,
    };
  }

  /** The sync (just added active, or just activated) resumes its schedule: interval ticks count from now. */
  private resumeSchedule(sync: SyncState): void {
    if (sync.schedule?.frequency === 'interval') sync.nextTickAt = this.now() + sync.schedule.everyMs;
  }

  /** POST activate / `setActive`: record it, then stop or resume the schedule. */
  private applyActivation(sync: SyncState, active: boolean, via: ActivationChange['via']): void {
    this.advance(sync);
    const changed = sync.active !== active;
    sync.activations.push({ at: this.now(), active, changed, via });
    sync.active = active;
    if (changed) sync.updatedAt = new Date(this.now()).toISOString();
    if (!active) {
      sync.nextTickAt = undefined;
      // "Deactivating a sync ... requests cancellation of any execution that is currently in progress."
      this.requestCancel(sync);
    } else if (changed) {
      this.resumeSchedule(sync); // activating an active sync leaves its interval as it was
    }
  }

  /**
   * `next_execution_time`: the next interval tick while active; for the legacy default schedule the
   * next full hour while active (it never fires); otherwise (manual, continuous, inactive) absent.
   */
  private nextExecutionTime(sync: SyncState): string | undefined {
    if (!sync.active) return undefined;
    if (!sync.schedule) {
      const d = new Date(this.now() + 3600_000);
      d.setUTCMinutes(0, 0, 0);
      return d.toISOString();
    }
    return sync.nextTickAt === undefined ? undefined : new Date(sync.nextTickAt).toISOString();
  }

  private newExecution(sync: SyncState, status: string, at = new Date(this.now())): SimExecution {
    const ts = at.toISOString();
    const exec: SimExecution = {
      id: randomUUID(),
      status,
      type: 'scheduled',
      created_at: ts,
      started_at: ts,
      updated_at: ts,
      fetch_mode: 'incremental',
      is_partial: false,
      is_resync: false,
      is_test: false,
      output_disposition: 'retain',
      record_count: 0,
      error_count: 0,
      warning_count: 0,
      schemas: [{
        schema: 'contact',
        output_name: 'contact',
        status: schemaStatus(status),
        status_message: '',
        record_count: 0,
        error_count: 0,
        warning_count: 0,
        created_at: ts,
        started_at: ts,
        updated_at: ts,
      }],
    };
    this.sequence += 1;
    this.order.set(exec, { started: this.sequence, updated: this.sequence });
    sync.executions.set(exec.id, exec);
    sync.current = exec;
    return exec;
  }

  private setStatus(exec: SimExecution, status: string, at = new Date(this.now())): void {
    const ts = at.toISOString();
    exec.status = status;
    exec.updated_at = ts;
    this.sequence += 1;
    this.order.get(exec)!.updated = this.sequence;
    exec.record_count += 100;
    for (const sc of exec.schemas) {
      sc.status = schemaStatus(status);
      sc.updated_at = ts;
      sc.record_count = exec.record_count;
    }
  }

  /** Move an execution to a terminal status and into last_execution. */
  private finish(sync: SyncState, exec: SimExecution, status: string, at = new Date(this.now())): void {
    this.setStatus(exec, status, at);
    exec.completed_at = exec.updated_at;
    for (const sc of exec.schemas) sc.completed_at = exec.completed_at;
    sync.last = exec;
    if (sync.current === exec) sync.current = undefined;
    if (sync.scheduledRun?.exec === exec) sync.scheduledRun = undefined;
  }

  private statusBody(sync: SyncState): Record<string, unknown> {
    const next = this.nextExecutionTime(sync);
    return {
      ...(sync.current ? { current_execution: sync.current } : {}),
      ...(sync.last ? { last_execution: sync.last } : {}),
      ...(next ? { next_execution_time: next } : {}),
    };
  }

  private syncBody(s: SyncState): Record<string, unknown> {
    return {
      id: s.id,
      name: s.name,
      active: s.active,
      mode: 'replicate',
      source_connection_id: s.sourceConnectionId,
      destination_connection_id: s.destinationConnectionId,
      source_configuration: {},
      destination_configuration: { schema: 'analytics' },
      schedule: { frequency: servedFrequency(s.schedule) },
      automatically_add_new_fields: 'all',
      automatically_add_new_objects: 'none',
      normalize_names: 'enabled',
      disable_record_timestamps: false,
      organization_id: this.options.deployment?.organizationId ?? ORG_ID,
      policies: [],
      created_at: s.createdAt,
      updated_at: s.updatedAt,
    };
  }

  private mustGet(syncId: string): SyncState {
    const s = this.syncs.get(syncId);
    if (!s) throw new Error(`unknown sync ${syncId}`);
    return s;
  }
}

// ---------------------------------------------------------------- helpers

function ok(data: unknown): Outcome {
  return { status: 200, body: { data } };
}

/** Compare two sort keys: by timestamp (ISO 8601 UTC strings sort as text), then by sequence. */
function compareKeys(a: SortKey, b: SortKey): number {
  if (a.at !== b.at) return a.at < b.at ? -1 : 1;
  return a.seq - b.seq;
}

/** An optional boolean query parameter: absent = false; undefined when neither 'true' nor 'false'. */
function booleanParam(params: URLSearchParams, name: string): boolean | undefined {
  const v = params.get(name);
  if (v === null || v === 'false') return false;
  return v === 'true' ? true : undefined;
}

/** `schedule.frequency` as served for a simulated schedule (undefined: the legacy default, 'hourly'). */
function servedFrequency(schedule: SimSchedule | undefined): string {
  if (!schedule) return 'hourly';
  if (schedule.frequency !== 'interval') return schedule.frequency;
  return SERVED_FREQUENCY[schedule.everyMs] ?? 'custom';
}

/** Reject schedules the simulator cannot run deterministically. */
function validateSchedule(schedule: SimSchedule | undefined): void {
  if (!schedule || schedule.frequency === 'manual') return;
  if (!['continuous', 'interval'].includes(schedule.frequency)) throw new Error(`unknown schedule frequency '${String(schedule.frequency)}'`);
  if (schedule.frequency === 'interval' && !(Number.isFinite(schedule.everyMs) && schedule.everyMs > 0)) {
    throw new Error('interval schedule: everyMs must be a positive number');
  }
  if (schedule.runMs !== undefined && !(Number.isFinite(schedule.runMs) && schedule.runMs > 0)) throw new Error('runMs must be a positive number');
  if (schedule.runPolls !== undefined && !(Number.isInteger(schedule.runPolls) && schedule.runPolls >= 0)) {
    throw new Error('runPolls must be an integer >= 0');
  }
}

function versionOf(req: http.IncomingMessage): string {
  const v = req.headers['x-polytomic-version'];
  return (Array.isArray(v) ? v[0] : v) || DEFAULT_POLYTOMIC_VERSION;
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): unknown {
  if (raw === '') return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function queryRecord(params: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k of new Set(params.keys())) {
    const all = params.getAll(k);
    out[k] = all.length === 1 ? all[0] : all;
  }
  return out;
}

function headerRecord(headers: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}
