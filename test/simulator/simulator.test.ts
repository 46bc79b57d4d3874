import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { FakeSecretsManager } from './fake-secrets-manager';
import { PolytomicSimulator, TERMINAL_STATUSES } from './polytomic-simulator';
import { TERMINAL_STATUSES as HANDLER_TERMINAL_STATUSES } from '../../lambda/types';

const API_KEY = 'test-api-key-0000';
const ORG = '11111111-2222-4333-8444-555555555555';
const DEPLOY_KEY = 'deploy-key';

let sim: PolytomicSimulator;

beforeEach(async () => {
  sim = await PolytomicSimulator.start({ deployment: { organizationId: ORG, key: DEPLOY_KEY } });
});
afterEach(async () => {
  await sim.close();
});

interface CallOptions {
  method?: 'GET' | 'POST';
  body?: unknown;
  headers?: Record<string, string>;
  auth?: string | null;
  signal?: AbortSignal;
}

/** Call the simulator with Bearer auth (unless overridden); returns status, headers and parsed JSON. */
async function call(path: string, opts: CallOptions = {}): Promise<{ status: number; headers: Headers; json: any }> {
  const headers: Record<string, string> = { ...opts.headers };
  const auth = opts.auth === undefined ? `Bearer ${API_KEY}` : opts.auth;
  if (auth !== null) headers.authorization = auth;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${sim.url}${path}`, {
    method: opts.method ?? 'GET',
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
    signal: opts.signal,
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, json: text === '' ? undefined : JSON.parse(text) };
}

const status = (id: string) => call(`/api/bulk/syncs/${id}/status`);
const cancel = (id: string, headers?: Record<string, string>) => call(`/api/bulk/syncs/${id}/cancel`, { method: 'POST', headers });

describe('sync state machine', () => {
  test('cancel: running -> canceling for cancelAfterPolls polls -> canceled in last_execution', async () => {
    const id = sim.addSync({ running: true, cancelAfterPolls: 2 });
    const before = await status(id);
    expect(before.json.data.current_execution.status).toBe('running');
    const execId = before.json.data.current_execution.id;

    const c = await cancel(id);
    expect(c.status).toBe(200);
    expect(c.json).toEqual({ data: { message: 'Cancellation requested' } });
    expect(sim.statusOf(id)).toBe('canceling');

    const seen: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      const s = (await status(id)).json.data;
      seen.push(s.current_execution?.status ?? `idle:${s.last_execution.status}`);
    }
    expect(seen).toEqual(['canceling', 'canceling', 'idle:canceled']);
    const after = (await status(id)).json.data;
    expect(after).not.toHaveProperty('current_execution');
    expect(after.last_execution).toMatchObject({ id: execId, status: 'canceled', type: 'scheduled' });
    expect(after.last_execution.completed_at).toEqual(expect.any(String));
    expect(after.last_execution.schemas[0]).toMatchObject({ status: 'canceled', output_name: 'contact' });
    expect(sim.cancelsApplied(id)).toBe(1);
    expect(sim.statusOf(id)).toBeUndefined();

    const exec = await call(`/api/bulk/syncs/${id}/executions/${execId}`);
    expect(exec.json.data).toMatchObject({ id: execId, status: 'canceled' });
  });

  test('GET executions/{id} of the current execution also counts as a poll', async () => {
    const id = sim.addSync({ running: true, cancelAfterPolls: 1 });
    const execId = sim.inspect(id).currentExecution!.id;
    await cancel(id);
    const get = async () => (await call(`/api/bulk/syncs/${id}/executions/${execId}`)).json.data.status;
    expect(await get()).toBe('canceling');
    expect(await get()).toBe('canceled');
  });

  test('restartAfterCancel starts exactly one new running execution', async () => {
    const id = sim.addSync({ running: true, cancelAfterPolls: 0, restartAfterCancel: true });
    const first = sim.inspect(id).currentExecution!.id;
    await cancel(id);
    const s = (await status(id)).json.data;
    expect(s.last_execution).toMatchObject({ id: first, status: 'canceled' });
    expect(s.current_execution.status).toBe('running');
    expect(s.current_execution.id).not.toBe(first);

    await cancel(id);
    const s2 = (await status(id)).json.data;
    expect(s2).not.toHaveProperty('current_execution');
    expect(sim.inspect(id).executionIds).toHaveLength(3); // previous completed run + 2
    expect(sim.cancelsApplied(id)).toBe(2);
  });

  test('statusScript drives successive polls; terminal value moves to last; last value sticks', async () => {
    const id = sim.addSync({ statusScript: ['running', 'canceling', 'running', 'canceling', 'canceled'] });
    const seen: string[] = [];
    for (let i = 0; i < 7; i++) {
      const d = (await status(id)).json.data;
      seen.push(d.current_execution?.status ?? `idle:${d.last_execution.status}`);
    }
    expect(seen).toEqual(['running', 'canceling', 'running', 'canceling', 'idle:canceled', 'idle:canceled', 'idle:canceled']);

    const q = sim.addSync({ statusScript: ['quantum'] });
    expect((await status(q)).json.data.current_execution.status).toBe('quantum');
    expect((await status(q)).json.data.current_execution.status).toBe('quantum');
  });

  test('idle shape: current_execution key absent; multi-status uses camelCase nextExecutionTime', async () => {
    const id = sim.addSync({});
    const d = (await status(id)).json.data;
    expect(Object.keys(d).sort()).toEqual(['last_execution', 'next_execution_time']);
    expect(d.last_execution.status).toBe('completed');

    const never = sim.addSync({ lastExecution: null, active: false });
    expect((await status(never)).json).toEqual({ data: {} });

    const running = sim.addSync({ running: true });
    const multi = await call(`/api/bulk/syncs/status?sync_id=${id}&sync_id=${running}`);
    expect(multi.json.data).toHaveLength(2);
    expect(multi.json.data[0]).toMatchObject({ sync_id: id, status: 'completed', nextExecutionTime: expect.any(String) });
    expect(multi.json.data[0]).not.toHaveProperty('next_execution_time');
    expect(multi.json.data[1]).toMatchObject({ sync_id: running, status: 'running' });
    expect(multi.json.data[1].schemas[0].execution_id).toBe(sim.inspect(running).currentExecution!.id);
  });

  test('idle cancel answers the default, or the configured idleCancel', async () => {
    const id = sim.addSync({});
    expect((await cancel(id)).json).toEqual({ data: { message: 'Cancellation requested' } });
    await sim.close();
    sim = await PolytomicSimulator.start({ idleCancel: { status: 409, body: { status: 409, message: 'no execution running' } } });
    const id2 = sim.addSync({});
    const c = await cancel(id2);
    expect(c.status).toBe(409);
    expect(c.json).toEqual({ status: 409, message: 'no execution running' });
  });

  test('start: 200 when idle, 409 while running', async () => {
    const id = sim.addSync({});
    const started = await call(`/api/bulk/syncs/${id}/executions`, { method: 'POST', body: {} });
    expect(started.status).toBe(200);
    expect(started.json.data.status).toBe('running');
    expect(sim.statusOf(id)).toBe('running');
    const again = await call(`/api/bulk/syncs/${id}/executions`, { method: 'POST', body: {} });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ status: 409, message: 'sync is already running' });
  });

  test('activate requires {"active": bool}; deactivating cancels and hides next_execution_time', async () => {
    const id = sim.addSync({ running: true });
    const bad = await call(`/api/bulk/syncs/${id}/activate`, { method: 'POST', body: {} });
    expect(bad.status).toBe(400);
    const none = await call(`/api/bulk/syncs/${id}/activate`, { method: 'POST' });
    expect(none.status).toBe(400);
    const off = await call(`/api/bulk/syncs/${id}/activate`, { method: 'POST', body: { active: false } });
    expect(off.json).toEqual({ data: { id, active: false } });
    expect(sim.statusOf(id)).toBe('canceling');
    expect((await status(id)).json.data).not.toHaveProperty('next_execution_time');
    expect((await call(`/api/bulk/syncs/${id}`)).json.data.active).toBe(false);
    expect((await call('/api/bulk/syncs?active=false')).json.data.map((s: any) => s.id)).toEqual([id]);
    expect((await call('/api/bulk/syncs?active=true')).json.data).toEqual([]);
  });
});

describe('schedules and activation', () => {
  const T0 = Date.UTC(2026, 10, 28, 12, 0, 0);
  const iso = (ms: number) => new Date(ms).toISOString();
  const activate = (id: string, body: unknown, headers?: Record<string, string>) =>
    call(`/api/bulk/syncs/${id}/activate`, { method: 'POST', body, headers });
  /** One observation; returns the current execution's status, or 'idle:<last status>'. */
  const observe = async (id: string): Promise<string> => {
    const d = (await status(id)).json.data;
    return d.current_execution?.status ?? `idle:${d.last_execution?.status}`;
  };
  let t = T0;
  /** Replace the simulator with one on a clock the test moves with `advance`. */
  async function onSimulatedClock(): Promise<void> {
    await sim.close();
    t = T0;
    sim = await PolytomicSimulator.start({ now: () => t });
  }
  const advance = (ms: number) => {
    t += ms;
  };

  test('continuous: after a cancel lands, the NEXT observation starts a new execution (while active)', async () => {
    const id = sim.addSync({ schedule: { frequency: 'continuous' }, cancelAfterPolls: 1 });
    expect(sim.statusOf(id)).toBeUndefined(); // nothing runs before the first observation
    expect(await observe(id)).toBe('running');
    const first = sim.inspect(id).currentExecution!.id;
    expect(sim.inspect(id).scheduledExecutionIds).toEqual([first]);

    await cancel(id);
    expect(await observe(id)).toBe('canceling');
    expect(await observe(id)).toBe('idle:canceled'); // the landing observation still shows the sync idle
    // Requests other than observations start nothing.
    await call(`/api/bulk/syncs/${id}`);
    await call(`/api/bulk/syncs/${id}/executions`);
    expect(sim.statusOf(id)).toBeUndefined();

    const next = (await status(id)).json.data;
    expect(next.current_execution.status).toBe('running');
    expect(next.current_execution.id).not.toBe(first);
    expect(next.last_execution).toMatchObject({ id: first, status: 'canceled' });
    expect(next).not.toHaveProperty('next_execution_time');
    expect(sim.inspect(id).scheduledStarts).toBe(2);
  });

  test('continuous with runPolls: runPolls observations see it running, the next one completed, the one after a new run', async () => {
    const id = sim.addSync({ schedule: { frequency: 'continuous', runPolls: 2 }, lastExecution: null });
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(await observe(id));
    expect(seen).toEqual(['running', 'running', 'idle:completed', 'running', 'running']);
    expect(sim.inspect(id).scheduledStarts).toBe(2);
  });

  test('no restart while inactive, whatever the time; activation resumes a continuous sync at the next observation', async () => {
    await onSimulatedClock();
    const cont = sim.addSync({ schedule: { frequency: 'continuous' }, active: false });
    const every = sim.addSync({ schedule: { frequency: 'interval', everyMs: 60_000 }, active: false });
    for (let i = 0; i < 3; i++) {
      advance(3600_000);
      expect(await observe(cont)).toBe('idle:completed');
      expect(await observe(every)).toBe('idle:completed');
    }
    expect(sim.inspect(cont).scheduledStarts).toBe(0);
    expect(sim.inspect(every).scheduledStarts).toBe(0);
    expect(sim.inspect(every).nextTickAt).toBeUndefined();

    expect((await activate(cont, { active: true })).json).toEqual({ data: { id: cont, active: true } });
    expect(sim.statusOf(cont)).toBeUndefined(); // not an observation
    expect(await observe(cont)).toBe('running');
    expect(sim.inspect(cont).currentExecution!.started_at).toBe(iso(t));
    expect(sim.inspect(cont).scheduledStarts).toBe(1);
  });

  test('start (POST executions) on an inactive sync is accepted, leaves it inactive and is not a scheduled start', async () => {
    const id = sim.addSync({ schedule: { frequency: 'continuous' }, active: false, cancelAfterPolls: 0 });
    const started = await call(`/api/bulk/syncs/${id}/executions`, { method: 'POST', body: {} });
    expect(started.status).toBe(200);
    expect(sim.inspect(id)).toMatchObject({ active: false, scheduledStarts: 0 });
    await cancel(id);
    expect(await observe(id)).toBe('idle:canceled');
    expect(await observe(id)).toBe('idle:canceled'); // inactive: no continuous restart
  });

  test('deactivate cancels the running execution: canceling for cancelAfterPolls observations, then canceled; nothing restarts', async () => {
    const id = sim.addSync({ schedule: { frequency: 'continuous' }, cancelAfterPolls: 2 });
    expect(await observe(id)).toBe('running');
    const execId = sim.inspect(id).currentExecution!.id;

    const off = await activate(id, { active: false });
    expect(off.json).toEqual({ data: { id, active: false } });
    expect(sim.statusOf(id)).toBe('canceling');
    const seen: string[] = [];
    for (let i = 0; i < 5; i++) seen.push(await observe(id));
    expect(seen).toEqual(['canceling', 'canceling', 'idle:canceled', 'idle:canceled', 'idle:canceled']);
    expect(sim.inspect(id).lastExecution).toMatchObject({ id: execId, status: 'canceled' });
    expect(sim.inspect(id).scheduledStarts).toBe(1);
    expect(sim.cancelsApplied(id)).toBe(0); // counts POST cancels only
  });

  test('interval: starts at anchor + k*everyMs stamped with the tick; runMs completes it; a jump applies every due tick in order', async () => {
    await onSimulatedClock();
    const id = sim.addSync({ schedule: { frequency: 'interval', everyMs: 60_000, runMs: 10_000 }, lastExecution: null });
    expect(sim.inspect(id).nextTickAt).toBe(T0 + 60_000);
    expect((await status(id)).json.data).toEqual({ next_execution_time: iso(T0 + 60_000) });

    advance(59_999);
    expect(await observe(id)).toBe('idle:undefined');
    advance(1);
    const d = (await status(id)).json.data;
    expect(d.current_execution).toMatchObject({ status: 'running', started_at: iso(T0 + 60_000) });
    expect(d.next_execution_time).toBe(iso(T0 + 120_000));
    advance(10_000);
    expect((await status(id)).json.data.last_execution).toMatchObject({ status: 'completed', completed_at: iso(T0 + 70_000) });

    advance(180_000); // now T0 + 250s: ticks at 120s, 180s, 240s; the last run ends exactly now
    const list = (await call(`/api/bulk/syncs/${id}/executions?ascending=true`)).json.data;
    expect(list.map((e: any) => [e.started_at, e.status, e.completed_at])).toEqual([60, 120, 180, 240].map((s) =>
      [iso(T0 + s * 1000), 'completed', iso(T0 + s * 1000 + 10_000)]));
    expect(sim.inspect(id)).toMatchObject({ scheduledStarts: 4, nextTickAt: T0 + 300_000 });
  });

  test('interval: a tick that finds an execution running is skipped, not queued', async () => {
    await onSimulatedClock();
    const id = sim.addSync({ schedule: { frequency: 'interval', everyMs: 60_000 }, cancelAfterPolls: 0 });
    advance(60_000);
    expect(await observe(id)).toBe('running');
    const first = sim.inspect(id).currentExecution!.id;
    advance(5 * 60_000 + 30_000); // five ticks pass while it runs
    expect(await observe(id)).toBe('running');
    expect(sim.inspect(id)).toMatchObject({ scheduledStarts: 1, nextTickAt: T0 + 7 * 60_000 });
    expect(sim.inspect(id).currentExecution!.id).toBe(first);
    await cancel(id);
    expect(await observe(id)).toBe('idle:canceled');
    advance(30_000);
    expect(await observe(id)).toBe('running');
    expect(sim.inspect(id).currentExecution!.started_at).toBe(iso(T0 + 7 * 60_000));
  });

  test('activate resumes: interval ticks stop while inactive and count from the activation', async () => {
    await onSimulatedClock();
    const id = sim.addSync({ schedule: { frequency: 'interval', everyMs: 60_000, runMs: 1_000 }, lastExecution: null });
    advance(30_000);
    await activate(id, { active: false });
    expect((await status(id)).json.data).toEqual({});
    advance(600_000);
    expect(sim.inspect(id).scheduledStarts).toBe(0);

    await activate(id, { active: true }); // at T0 + 630s
    expect(sim.inspect(id).nextTickAt).toBe(T0 + 690_000);
    await activate(id, { active: true }); // already active: the interval is left as it was
    advance(20_000);
    await activate(id, { active: true });
    expect(sim.inspect(id).nextTickAt).toBe(T0 + 690_000);
    advance(39_999);
    expect(sim.inspect(id).scheduledStarts).toBe(0);
    advance(1);
    expect(await observe(id)).toBe('running');
    expect(sim.inspect(id).currentExecution!.started_at).toBe(iso(T0 + 690_000));
  });

  test('GET sync shows active and schedule (the field is `schedule` under every API version)', async () => {
    const get = async (id: string, headers?: Record<string, string>) => (await call(`/api/bulk/syncs/${id}`, { headers })).json.data;
    const legacy = sim.addSync({});
    const manual = sim.addSync({ schedule: { frequency: 'manual' } });
    const cont = sim.addSync({ schedule: { frequency: 'continuous' }, active: false });
    const hourly = sim.addSync({ schedule: { frequency: 'interval', everyMs: 3600_000 } });
    const daily = sim.addSync({ schedule: { frequency: 'interval', everyMs: 86_400_000 } });
    const custom = sim.addSync({ schedule: { frequency: 'interval', everyMs: 90_000 } });

    expect(await get(legacy)).toMatchObject({ id: legacy, active: true, mode: 'replicate', schedule: { frequency: 'hourly' } });
    expect(await get(manual)).toMatchObject({ active: true, schedule: { frequency: 'manual' } });
    expect(await get(cont)).toMatchObject({ active: false, schedule: { frequency: 'continuous' } });
    expect((await get(hourly)).schedule).toEqual({ frequency: 'hourly' });
    expect((await get(daily)).schedule).toEqual({ frequency: 'daily' });
    expect((await get(custom)).schedule).toEqual({ frequency: 'custom' });
    const v2025 = await get(manual, { 'X-Polytomic-Version': '2025-09-18' });
    expect(v2025.schedule).toEqual({ frequency: 'manual' });
    expect(v2025).not.toHaveProperty('default_schedule');

    // next_execution_time: only an active interval (its next tick) and the legacy default (next full hour) have one.
    expect((await status(legacy)).json.data).toHaveProperty('next_execution_time');
    expect((await status(manual)).json.data).not.toHaveProperty('next_execution_time');
    expect((await status(hourly)).json.data).toHaveProperty('next_execution_time');

    const before = await get(hourly);
    await new Promise((r) => setTimeout(r, 5));
    await activate(hourly, { active: false });
    const after = await get(hourly);
    expect(after.active).toBe(false);
    expect(after.updated_at > before.updated_at).toBe(true);
    expect(after.created_at).toBe(before.created_at);
  });

  test('activate: 400 ApiError for a bad body (nothing changes, nothing recorded); 401, 403, 404 as elsewhere', async () => {
    const id = sim.addSync({ running: true });
    const bodies: unknown[] = [undefined, {}, { active: 'false' }, { active: null }, { active: 1 }, [true], 'true', { enabled: false }];
    for (const body of bodies) {
      const r = await activate(id, body);
      expect(r.status).toBe(400);
      expect(r.json).toEqual({ status: 400, message: expect.any(String) });
    }
    expect(sim.inspect(id)).toMatchObject({ active: true, activations: [] });
    expect(sim.statusOf(id)).toBe('running');

    expect((await call(`/api/bulk/syncs/${id}/activate`, { method: 'POST', body: { active: false }, auth: null })).status).toBe(401);
    expect((await activate('00000000-0000-4000-8000-000000000000', { active: false })).status).toBe(404);
    const forbidden = sim.addSync({ forbidden: true });
    expect((await activate(forbidden, { active: false })).status).toBe(403);
    expect(sim.inspect(forbidden)).toMatchObject({ active: true, activations: [] });
    expect(sim.inspect(id).active).toBe(true);
  });

  test('activation history: every applied request with its sim time, changed flag and origin; replays are not recorded', async () => {
    await onSimulatedClock();
    const id = sim.addSync({ schedule: { frequency: 'continuous' } });
    const key = { 'Idempotency-Key': 'pause-0001' };
    await activate(id, { active: false }, key);
    advance(1_000);
    const replay = await activate(id, { active: false }, key);
    expect(replay.json).toEqual({ data: { id, active: false } });
    expect(sim.requests[sim.requests.length - 1].replayed).toBe(true);
    await activate(id, { active: false });
    advance(500);
    sim.setActive(id, true);
    await activate(id, { active: true });

    const history = sim.inspect(id).activations;
    expect(history).toEqual([
      { at: T0, active: false, changed: true, via: 'api' },
      { at: T0 + 1_000, active: false, changed: false, via: 'api' },
      { at: T0 + 1_500, active: true, changed: true, via: 'test' },
      { at: T0 + 1_500, active: true, changed: false, via: 'api' },
    ]);
    // "Never left paused": the last change leaves it active, and the sync is active.
    expect(history.filter((h) => h.changed).at(-1)?.active).toBe(true);
    expect(sim.inspect(id).active).toBe(true);
  });

  test('bad schedules are rejected when the sync is added', () => {
    expect(() => sim.addSync({ schedule: { frequency: 'interval', everyMs: 0 } })).toThrow(/everyMs/);
    expect(() => sim.addSync({ schedule: { frequency: 'continuous', runMs: -1 } })).toThrow(/runMs/);
    expect(() => sim.addSync({ schedule: { frequency: 'continuous', runPolls: 1.5 } })).toThrow(/runPolls/);
    expect(() => sim.addSync({ schedule: { frequency: 'continuous' }, statusScript: ['running'] })).toThrow(/statusScript/);
  });
});

describe('terminal statuses', () => {
  test('the simulator uses the handler\'s set', () => {
    expect(TERMINAL_STATUSES).toBe(HANDLER_TERMINAL_STATUSES);
  });

  test.each(['errors', 'interrupted'])('%s ends the execution: it moves to last_execution and a new start is accepted', async (terminal) => {
    const id = sim.addSync({ statusScript: ['running', terminal] });
    const execId = sim.inspect(id).currentExecution!.id;
    expect((await status(id)).json.data.current_execution.status).toBe('running');
    const d = (await status(id)).json.data;
    expect(d).not.toHaveProperty('current_execution');
    expect(d.last_execution).toMatchObject({ id: execId, status: terminal, completed_at: expect.any(String) });
    const started = await call(`/api/bulk/syncs/${id}/executions`, { method: 'POST', body: {} });
    expect(started.status).toBe(200);
  });
});

describe('executions list', () => {
  const list = (id: string, query = '') => call(`/api/bulk/syncs/${id}/executions${query}`);
  const at = (minutes: number) => new Date(Date.UTC(2026, 0, 1, 12, minutes));

  /** Start, cancel and finish one execution over HTTP (needs cancelAfterPolls: 0): runs land within the same millisecond. */
  async function runOnce(id: string): Promise<void> {
    expect((await call(`/api/bulk/syncs/${id}/executions`, { method: 'POST', body: {} })).status).toBe(200);
    await cancel(id);
    await status(id);
    expect(sim.statusOf(id)).toBeUndefined();
  }

  /** Follow next_page_token to the end; returns the ids of each page. */
  async function walk(id: string, query: string, between?: () => Promise<void>): Promise<string[][]> {
    const pages: string[][] = [];
    let token: string | undefined;
    do {
      const r = await list(id, `${query}${token === undefined ? '' : `&page_token=${encodeURIComponent(token)}`}`);
      expect(r.status).toBe(200);
      pages.push(r.json.data.map((e: any) => e.id));
      token = r.json.pagination.next_page_token;
      if (token === undefined) expect(r.json.pagination).toEqual({});
      if (between) await between();
    } while (token !== undefined);
    return pages;
  }

  test('pagination: every execution exactly once, newest first (ascending=true: oldest first)', async () => {
    const id = sim.addSync({ lastExecution: null, cancelAfterPolls: 0 });
    for (let i = 0; i < 7; i++) await runOnce(id);
    sim.startExecution(id);
    const oldestFirst = sim.inspect(id).executionIds;
    expect(oldestFirst).toHaveLength(8);

    const desc = await walk(id, '?limit=3');
    expect(desc.map((p) => p.length)).toEqual([3, 3, 2]);
    expect(desc.flat()).toEqual([...oldestFirst].reverse());

    const asc = await walk(id, '?limit=3&ascending=true');
    expect(asc.flat()).toEqual(oldestFirst);

    const exact = await walk(id, '?limit=4'); // a full last page: no token pointing at an empty page
    expect(exact.map((p) => p.length)).toEqual([4, 4]);
  });

  test('pagination: executions started between pages cause no duplicate and no gap', async () => {
    const id = sim.addSync({ lastExecution: null, cancelAfterPolls: 0 });
    for (let i = 0; i < 5; i++) await runOnce(id);
    const before = sim.inspect(id).executionIds;
    const pages = await walk(id, '?limit=2', () => runOnce(id));
    expect(pages.flat()).toEqual([...before].reverse());
  });

  test('a page_token can be used again and gives the same page', async () => {
    const id = sim.addSync({ lastExecution: null, cancelAfterPolls: 0 });
    for (let i = 0; i < 3; i++) await runOnce(id);
    const token = (await list(id, '?limit=1')).json.pagination.next_page_token;
    const a = await list(id, `?limit=1&page_token=${token}`);
    const b = await list(id, `?limit=1&page_token=${token}`);
    expect(a.json.data).toEqual(b.json.data);
    expect(b.json.pagination.next_page_token).toEqual(expect.any(String));
  });

  test('default page size is 50; limit 100 is accepted', async () => {
    const history = Array.from({ length: 120 }, (_, i) => ({ status: 'completed', startedAt: at(i), finishedAt: at(i) }));
    const id = sim.addSync({ history });
    expect((await walk(id, '?')).map((p) => p.length)).toEqual([50, 50, 20]);
    expect((await walk(id, '?limit=100')).map((p) => p.length)).toEqual([100, 20]);
  });

  test.each(['0', '101', '-1', '1.5', 'abc', '', '10abc', '1e2'])('limit=%p -> 400 ApiError', async (limit) => {
    const id = sim.addSync({});
    const r = await list(id, `?limit=${limit}`);
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ status: 400, message: 'limit must be an integer from 1 to 100' });
  });

  test('only_terminal: finished executions only, ordered by updated_at (not start time)', async () => {
    // A started first but finished last.
    const history = [
      { status: 'completed', startedAt: at(0), finishedAt: at(30) },
      { status: 'failed', startedAt: at(10), finishedAt: at(20) },
    ];
    const id = sim.addSync({ history });
    sim.startExecution(id);
    const [a, b, running] = sim.inspect(id).executionIds;
    const ids = async (query: string) => (await list(id, query)).json.data.map((e: any) => e.id);

    expect(await ids('')).toEqual([running, b, a]);
    expect(await ids('?ascending=true')).toEqual([a, b, running]);
    expect(await ids('?only_terminal=true')).toEqual([a, b]);
    expect(await ids('?only_terminal=true&ascending=true')).toEqual([b, a]);
    expect(await ids('?only_terminal=false&ascending=false')).toEqual([running, b, a]);
    expect((await status(id)).json.data.last_execution.id).toBe(a);
  });

  test('only_terminal pages through terminal executions only', async () => {
    const id = sim.addSync({ lastExecution: null, cancelAfterPolls: 0 });
    for (let i = 0; i < 5; i++) await runOnce(id);
    sim.startExecution(id);
    const finished = sim.inspect(id).executionIds.slice(0, 5);
    expect((await walk(id, '?only_terminal=true&limit=2')).flat()).toEqual([...finished].reverse());
  });

  test('page_token: unknown, empty, from another sync or for other flags -> 400', async () => {
    const id = sim.addSync({ lastExecution: null, cancelAfterPolls: 0 });
    const other = sim.addSync({ lastExecution: null, cancelAfterPolls: 0 });
    for (let i = 0; i < 3; i++) {
      await runOnce(id);
      await runOnce(other);
    }
    const token = (await list(id, '?limit=1')).json.pagination.next_page_token;
    expect(token).toEqual(expect.any(String));
    expect((await list(id, `?limit=1&page_token=${token}`)).status).toBe(200);

    for (const [syncId, query] of [
      [id, '?page_token=not-a-token'],
      [id, '?page_token='],
      [other, `?page_token=${token}`],
      [id, `?ascending=true&page_token=${token}`],
      [id, `?only_terminal=true&page_token=${token}`],
    ]) {
      const r = await list(syncId, query);
      expect({ query, status: r.status, body: r.json.status }).toEqual({ query, status: 400, body: 400 });
    }
  });

  test('only_terminal / ascending other than true or false -> 400', async () => {
    const id = sim.addSync({});
    expect((await list(id, '?only_terminal=yes')).status).toBe(400);
    expect((await list(id, '?ascending=1')).status).toBe(400);
  });

  test('history must be terminal and excludes lastExecution', () => {
    expect(() => sim.addSync({ history: [{ status: 'running', startedAt: at(0), finishedAt: at(1) }] })).toThrow(/not terminal/);
    expect(() => sim.addSync({ history: [], lastExecution: 'completed' })).toThrow(/either/);
  });
});

describe('multi-status', () => {
  test('forbidden and unknown syncs are left out; 200 for the rest; the forbidden one is not observed', async () => {
    const a = sim.addSync({});
    const f = sim.addSync({ forbidden: true, statusScript: ['canceling'] });
    const b = sim.addSync({ running: true });
    const unknown = '00000000-0000-4000-8000-000000000000';
    const r = await call(`/api/bulk/syncs/status?sync_id=${a}&sync_id=${f}&sync_id=${unknown}&sync_id=${b}`);
    expect(r.status).toBe(200);
    expect(r.json.data.map((s: any) => s.sync_id)).toEqual([a, b]);
    expect(sim.statusOf(f)).toBe('running');

    const only = await call(`/api/bulk/syncs/status?sync_id=${f}&sync_id=${unknown}`);
    expect(only).toMatchObject({ status: 200, json: { data: [] } });
  });

  test('all=true and active=true leave forbidden syncs out', async () => {
    const a = sim.addSync({});
    sim.addSync({ forbidden: true });
    const r = await call('/api/bulk/syncs/status?all=true');
    expect(r.status).toBe(200);
    expect(r.json.data.map((s: any) => s.sync_id)).toEqual([a]);
    expect((await call('/api/bulk/syncs/status?active=true')).json.data.map((s: any) => s.sync_id)).toEqual([a]);
  });
});

describe('auth, errors and headers', () => {
  test('401 for missing, wrong Bearer and wrong Basic; Bearer and Basic(org:key) accepted', async () => {
    const id = sim.addSync({});
    const unauthorized = { code: 401, status: 'Unauthorized', error: 'unauthorized' };
    for (const auth of [null, 'Bearer nope', `Bearer ${API_KEY}x`, `Basic ${Buffer.from(`${ORG}:wrong`).toString('base64')}`,
      `Basic ${Buffer.from(`${DEPLOY_KEY}:`).toString('base64')}`]) {
      const r = await call(`/api/bulk/syncs/${id}/status`, { auth });
      expect({ auth, status: r.status, json: r.json }).toEqual({ auth, status: 401, json: unauthorized });
    }
    expect((await call(`/api/bulk/syncs/${id}/status`)).status).toBe(200);
    const basic = `Basic ${Buffer.from(`${ORG}:${DEPLOY_KEY}`).toString('base64')}`;
    expect((await call(`/api/bulk/syncs/${id}/status`, { auth: basic })).status).toBe(200);
  });

  test('unauthorized cancel is not applied', async () => {
    const id = sim.addSync({ running: true });
    expect((await call(`/api/bulk/syncs/${id}/cancel`, { method: 'POST', auth: 'Bearer bad' })).status).toBe(401);
    expect(sim.cancelsApplied(id)).toBe(0);
    expect(sim.statusOf(id)).toBe('running');
  });

  test('404 for an unknown sync, 403 for a forbidden one', async () => {
    const r = await status('00000000-0000-4000-8000-000000000000');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ status: 404, message: 'bulk sync not found' });
    const f = sim.addSync({ forbidden: true, running: true });
    expect((await status(f)).status).toBe(403);
    const c = await cancel(f);
    expect(c).toMatchObject({ status: 403, json: { status: 403, message: 'forbidden' } });
    expect(sim.statusOf(f)).toBe('running');
  });

  test('X-Polytomic-Version is echoed, default 2024-02-08, also on errors', async () => {
    const id = sim.addSync({});
    expect((await status(id)).headers.get('x-polytomic-version')).toBe('2024-02-08');
    const v = await call(`/api/bulk/syncs/${id}/status`, { headers: { 'X-Polytomic-Version': '2025-09-18' } });
    expect(v.headers.get('x-polytomic-version')).toBe('2025-09-18');
    const e = await call('/api/bulk/syncs/nope/status', { auth: null, headers: { 'X-Polytomic-Version': '2023-04-25' } });
    expect(e.status).toBe(401);
    expect(e.headers.get('x-polytomic-version')).toBe('2023-04-25');
  });

  test('requests are recorded with lower-cased headers, query and body', async () => {
    const id = sim.addSync({});
    await call(`/api/bulk/syncs/status?sync_id=${id}&sync_id=${id}&all=false`, { headers: { 'X-Polytomic-Version': '2024-02-08' } });
    await call(`/api/bulk/syncs/${id}/activate`, { method: 'POST', body: { active: true }, headers: { 'Idempotency-Key': 'key-12345678' } });
    const [get, post] = sim.requests;
    expect(get).toMatchObject({ method: 'GET', path: '/api/bulk/syncs/status', query: { sync_id: [id, id], all: 'false' } });
    expect(get.headers).toMatchObject({ 'authorization': `Bearer ${API_KEY}`, 'x-polytomic-version': '2024-02-08' });
    expect(post).toMatchObject({ method: 'POST', body: { active: true }, responseStatus: 200 });
    expect(post.headers['idempotency-key']).toBe('key-12345678');
  });
});

describe('idempotency', () => {
  test('a replayed cancel returns the stored outcome and is not applied twice', async () => {
    const id = sim.addSync({ running: true });
    const key = 'cancel-0123456789';
    const a = await cancel(id, { 'Idempotency-Key': key });
    const b = await cancel(id, { 'Idempotency-Key': key });
    expect(b.status).toBe(a.status);
    expect(b.json).toEqual(a.json);
    expect(sim.cancelsApplied(id)).toBe(1);
    expect(sim.requests.map((r) => r.replayed ?? false)).toEqual([false, true]);
    await cancel(id, { 'Idempotency-Key': 'cancel-other-key' });
    expect(sim.cancelsApplied(id)).toBe(2);
  });

  test('a stored error outcome (404) is replayed too', async () => {
    const key = 'k_404_abcdefgh';
    const a = await cancel('missing', { 'Idempotency-Key': key });
    const id = sim.addSync({ id: 'missing', running: true });
    const b = await cancel(id, { 'Idempotency-Key': key });
    expect([a.status, b.status]).toEqual([404, 404]);
    expect(sim.cancelsApplied(id)).toBe(0);
  });

  test.each(['short', 'has space 12345', 'bad/char/12345', 'x'.repeat(256)])('invalid key %p -> 400, not applied', async (key) => {
    const id = sim.addSync({ running: true });
    const r = await cancel(id, { 'Idempotency-Key': key });
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ status: 400 });
    expect(sim.cancelsApplied(id)).toBe(0);
    expect(sim.statusOf(id)).toBe('running');
  });

  test('same key while the first request is in flight -> 409', async () => {
    const id = sim.addSync({ running: true });
    const key = 'inflight-key-1';
    sim.fault({ method: 'POST', path: `/api/bulk/syncs/${id}/cancel` }, { type: 'delay', ms: 300 });
    const first = cancel(id, { 'Idempotency-Key': key });
    await new Promise((r) => setTimeout(r, 50));
    const second = await cancel(id, { 'Idempotency-Key': key });
    expect(second.status).toBe(409);
    expect((await first).status).toBe(200);
    expect(sim.cancelsApplied(id)).toBe(1);
    const third = await cancel(id, { 'Idempotency-Key': key });
    expect(third.status).toBe(200);
    expect(sim.cancelsApplied(id)).toBe(1);
  });
});

describe('faults', () => {
  test('status fault: 429 with retry-after, consumed once, still recorded, not applied', async () => {
    const id = sim.addSync({ running: true });
    sim.fault({ method: 'POST', path: /\/cancel$/ }, { type: 'status', status: 429, headers: { 'retry-after': '1' } });
    const r = await cancel(id);
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(r.json).toEqual({ status: 429, message: 'too many requests' });
    expect(sim.cancelsApplied(id)).toBe(0);
    expect((await cancel(id)).status).toBe(200);
    expect(sim.requests.map((q) => q.fault)).toEqual(['status', undefined]);
  });

  test('faults match by method/path, honour times and registration order', async () => {
    const id = sim.addSync({});
    sim.fault({ method: 'POST' }, { type: 'status', status: 500 });
    sim.fault({ path: `/api/bulk/syncs/${id}/status`, times: 2 }, { type: 'status', status: 503 });
    sim.fault({ path: `/api/bulk/syncs/${id}/status` }, { type: 'status', status: 502 });
    const codes: number[] = [];
    for (let i = 0; i < 4; i++) codes.push((await status(id)).status);
    expect(codes).toEqual([503, 503, 502, 200]);
    expect((await cancel(id)).status).toBe(500);
    sim.fault({ times: Infinity }, { type: 'status', status: 401 });
    const r = await status(id);
    expect(r.json).toEqual({ code: 401, status: 'Unauthorized', error: 'unauthorized' });
    expect((await status(id)).status).toBe(401);
  });

  test('storeOutcome: a faulted 500 is stored and replayed for the same idempotency key', async () => {
    const id = sim.addSync({ running: true });
    sim.fault({ method: 'POST' }, { type: 'status', status: 500, storeOutcome: true });
    const key = 'store-500-key';
    expect((await cancel(id, { 'Idempotency-Key': key })).status).toBe(500);
    expect((await cancel(id, { 'Idempotency-Key': key })).status).toBe(500);
    expect(sim.cancelsApplied(id)).toBe(0);
    expect((await cancel(id, { 'Idempotency-Key': 'fresh-key-123' })).status).toBe(200);
  });

  test('html fault: proxy error page, text/html, default 502', async () => {
    const id = sim.addSync({});
    sim.fault({}, { type: 'html' });
    const res = await fetch(`${sim.url}/api/bulk/syncs/${id}/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(502);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toMatch(/^<!DOCTYPE html>.*502 Bad Gateway/s);
  });

  test('malformed fault: 200 application/json with an unparseable body', async () => {
    const id = sim.addSync({});
    sim.fault({}, { type: 'malformed' });
    const res = await fetch(`${sim.url}/api/bulk/syncs/${id}/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    await expect(res.json()).rejects.toMatchObject({ name: 'SyntaxError' }); // cross-realm: no instanceof
  });

  test('json fault: arbitrary body', async () => {
    const id = sim.addSync({});
    sim.fault({ path: `/api/bulk/syncs/${id}/status` }, { type: 'json', body: { data: { current_execution: { status: 'quantum' } } } });
    expect((await status(id)).json).toEqual({ data: { current_execution: { status: 'quantum' } } });
    sim.fault({}, { type: 'json', status: 200, body: {} });
    expect((await status(id)).json).toEqual({});
  });

  test('hang fault: never answers; client timeout aborts; key released afterwards', async () => {
    const id = sim.addSync({ running: true });
    sim.fault({ method: 'POST' }, { type: 'hang' });
    const key = 'hang-key-0001';
    const hung = call(`/api/bulk/syncs/${id}/cancel`, { method: 'POST', headers: { 'Idempotency-Key': key }, signal: AbortSignal.timeout(250) });
    await new Promise((r) => setTimeout(r, 50));
    expect((await cancel(id, { 'Idempotency-Key': key })).status).toBe(409); // first one still in flight
    await expect(hung).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(sim.cancelsApplied(id)).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect((await cancel(id, { 'Idempotency-Key': key })).status).toBe(200);
    expect(sim.cancelsApplied(id)).toBe(1);
  });

  test('hang fault: close() destroys the hung socket', async () => {
    const id = sim.addSync({});
    sim.fault({}, { type: 'hang' });
    const hung = status(id);
    await new Promise((r) => setTimeout(r, 50));
    await sim.close();
    await expect(hung).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed' });
    sim = await PolytomicSimulator.start();
  });

  test('reset fault: socket destroyed, fetch rejects, request recorded', async () => {
    const id = sim.addSync({ running: true });
    sim.fault({ method: 'POST' }, { type: 'reset' });
    await expect(cancel(id)).rejects.toMatchObject({ name: 'TypeError', message: 'fetch failed', cause: { code: 'UND_ERR_SOCKET' } });
    expect(sim.requests).toHaveLength(1);
    expect(sim.requests[0]).toMatchObject({ fault: 'reset', method: 'POST' });
    expect(sim.cancelsApplied(id)).toBe(0);
    expect((await cancel(id)).status).toBe(200);
  });

  test('delay fault: the state changes even when the client gives up', async () => {
    const id = sim.addSync({ running: true });
    sim.fault({ method: 'POST' }, { type: 'delay', ms: 200 });
    await expect(cancel(id, undefined).then(() => 'answered')).resolves.toBe('answered');
    sim.fault({ method: 'POST' }, { type: 'delay', ms: 200 });
    const aborted = call(`/api/bulk/syncs/${id}/cancel`, { method: 'POST', signal: AbortSignal.timeout(50) });
    await expect(aborted).rejects.toMatchObject({ name: 'TimeoutError' });
    await new Promise((r) => setTimeout(r, 250));
    expect(sim.cancelsApplied(id)).toBe(2);
  });
});

describe('FakeSecretsManager with the real SDK client', () => {
  const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:polytomic/api-key-AbC123';
  let fake: FakeSecretsManager;
  beforeEach(async () => {
    fake = await FakeSecretsManager.start({
      secrets: {
        [arn]: { SecretString: '{"apiKey":"pk-1"}' },
        'binary-secret': { SecretBinary: new Uint8Array([1, 2, 3]) },
      },
    });
  });
  afterEach(async () => {
    await fake.close();
  });

  const client = (region = 'eu-west-1') => new SecretsManagerClient({
    endpoint: fake.url,
    region,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy' },
    maxAttempts: 1,
  });

  test('reads a string secret by ARN and by name; records target and signing region', async () => {
    const c = client();
    const out = await c.send(new GetSecretValueCommand({ SecretId: arn }));
    expect(out).toMatchObject({ ARN: arn, Name: 'polytomic/api-key', SecretString: '{"apiKey":"pk-1"}', VersionStages: ['AWSCURRENT'] });
    expect(out.CreatedDate).toBeInstanceOf(Date);
    expect(out.VersionId).toMatch(/^[0-9a-f-]{36}$/);
    const byName = await c.send(new GetSecretValueCommand({ SecretId: 'polytomic/api-key' }));
    expect(byName.SecretString).toBe('{"apiKey":"pk-1"}');
    expect(fake.requests[0]).toMatchObject({ target: 'secretsmanager.GetSecretValue', secretId: arn, region: 'eu-west-1', service: 'secretsmanager', accessKeyId: 'AKIDEXAMPLE' });
    expect(fake.requests[0].headers['content-type']).toBe('application/x-amz-json-1.1');
    c.destroy();
  });

  test('binary secret comes back as bytes', async () => {
    const c = client('us-west-2');
    const out = await c.send(new GetSecretValueCommand({ SecretId: 'binary-secret' }));
    expect(Array.from(out.SecretBinary!)).toEqual([1, 2, 3]);
    expect(fake.requests[0].region).toBe('us-west-2');
    c.destroy();
  });

  test('unknown secret -> ResourceNotFoundException; fail() injects other errors', async () => {
    const c = client();
    await expect(c.send(new GetSecretValueCommand({ SecretId: 'nope' }))).rejects.toMatchObject({
      name: 'ResourceNotFoundException', $metadata: { httpStatusCode: 400 },
    });
    fake.fail(arn, 'AccessDeniedException', 1);
    await expect(c.send(new GetSecretValueCommand({ SecretId: arn }))).rejects.toMatchObject({ name: 'AccessDeniedException' });
    fake.fail('polytomic/api-key', 'DecryptionFailure');
    await expect(c.send(new GetSecretValueCommand({ SecretId: arn }))).rejects.toMatchObject({ name: 'DecryptionFailure' });
    expect(fake.requests.map((r) => r.region)).toEqual(['eu-west-1', 'eu-west-1', 'eu-west-1']);
    c.destroy();
  });

  test('AWS_ENDPOINT_URL_SECRETS_MANAGER points a client without endpoint at the fake', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = fake.url;
    try {
      const c = new SecretsManagerClient({ region: 'ap-south-1', credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'dummy' }, maxAttempts: 1 });
      const out = await c.send(new GetSecretValueCommand({ SecretId: arn }));
      expect(out.SecretString).toBe('{"apiKey":"pk-1"}');
      expect(fake.requests[0].region).toBe('ap-south-1');
      c.destroy();
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
      else process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = saved;
    }
  });
});

describe('the sync list, connections and pages', () => {
  const WAREHOUSE = 'a1f0c3de-0000-4000-8000-00000000000a';

  test('each sync carries its own connections; the defaults are shared', async () => {
    const mine = sim.addSync({ sourceConnectionId: WAREHOUSE, destinationConnectionId: ORG });
    const other = sim.addSync();
    const { json } = await call('/api/bulk/syncs');
    const byId = new Map<string, any>(json.data.map((s: any) => [s.id, s]));
    expect(byId.get(mine)).toMatchObject({ source_connection_id: WAREHOUSE, destination_connection_id: ORG });
    expect(byId.get(other).source_connection_id).toMatch(/^[0-9a-f-]{36}$/);
    expect(json.pagination).toBeUndefined();
  });

  test('pages: limit and page_token walk the whole list once, the last page has no next token, a bad token is refused', async () => {
    const ids = Array.from({ length: 5 }, () => sim.addSync());
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const { json }: { json: any } = await call(`/api/bulk/syncs?limit=2${token ? `&page_token=${token}` : ''}`);
      seen.push(...json.data.map((s: any) => s.id));
      token = json.pagination?.next_page_token;
      pages++;
    } while (token);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([...ids].sort());
    expect((await call('/api/bulk/syncs?page_token=!!')).status).toBe(400);
  });
});

describe('a cancel that takes a time, not a number of polls', () => {
  test('canceling until cancelAfterMs has passed on the simulator clock, however often it is read; canceled at the next read after', async () => {
    let now = 1_000_000;
    const timed = await PolytomicSimulator.start({ apiKey: API_KEY, now: () => now });
    try {
      const id = timed.addSync({ running: true, cancelAfterMs: 30_000 });
      const read = async (): Promise<any> => {
        const res = await fetch(`${timed.url}/api/bulk/syncs/${id}/status`, { headers: { authorization: `Bearer ${API_KEY}` } });
        return ((await res.json()) as { data: unknown }).data;
      };
      await fetch(`${timed.url}/api/bulk/syncs/${id}/cancel`, { method: 'POST', headers: { authorization: `Bearer ${API_KEY}` } });
      for (let i = 0; i < 10; i++) expect((await read()).current_execution.status).toBe('canceling');
      now += 29_999;
      expect((await read()).current_execution.status).toBe('canceling');
      now += 1;
      const after = await read();
      expect(after.current_execution ?? null).toBeNull();
      expect(after.last_execution.status).toBe('canceled');
    } finally {
      await timed.close();
    }
  });
});

describe('the status of many syncs', () => {
  test('a sync whose own status read has a fault waiting is left out, so the client reads it alone', async () => {
    const a = sim.addSync({ running: true });
    const b = sim.addSync();
    sim.fault({ method: 'GET', path: `/api/bulk/syncs/${a}/status`, times: 1 }, { type: 'status', status: 503 });
    const { json } = await call(`/api/bulk/syncs/status?sync_id=${a}&sync_id=${b}`);
    expect(json.data.map((e: any) => e.sync_id)).toEqual([b]);
    expect((await call(`/api/bulk/syncs/${a}/status`)).status).toBe(503);
    const again = await call(`/api/bulk/syncs/status?sync_id=${a}&sync_id=${b}`);
    expect(again.json.data.map((e: any) => e.sync_id)).toEqual([a, b]);
    expect(again.json.data[0]).toMatchObject({ status: 'running', schemas: [expect.objectContaining({ execution_id: expect.any(String) })] });
  });
});
