/**
 * Section 2: how soon the handler reports a cancel that has landed, and what the waiting costs
 * in status requests, for adaptive polling and for fixed polling every 5 s and every 15 s (the
 * old behaviour, the baseline); then the requests of one round over 25 syncs.
 *
 * Each run is one Create played through `deployEvent` (onEvent, then isComplete every
 * framework interval) with the SimulatedClock, which the simulator shares (`now`): a 5-minute
 * cancel takes no real time and every figure here is the same from run to run.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Section, duration, met, ratio, seconds, table } from './report';
import { cancelsOf, isMultiStatusRead, isStatusRead, stampRequests, statusReadsOf } from './requests';
import type { HandlerDeps } from '../../lambda/framework';
import { cfnEvent } from '../fixtures/events';
import { deployEvent, startWorld, worldDeps } from '../fixtures/harness';

interface Mode {
  readonly name: string;
  readonly fixedPolling: boolean;
  readonly pollIntervalSeconds: string;
}

const ADAPTIVE: Mode = { name: 'adaptive (pollInterval 15 s)', fixedPolling: false, pollIntervalSeconds: '15' };
const FIXED_5: Mode = { name: 'fixed 5 s', fixedPolling: true, pollIntervalSeconds: '5' };
const BASELINE: Mode = { name: 'fixed 15 s (baseline)', fixedPolling: true, pollIntervalSeconds: '15' };
const MODES = [ADAPTIVE, FIXED_5, BASELINE];

const CANCELS_MS = [2_000, 30_000, 5 * 60_000];
/** Landing phases: a cancel taking d, d + 1 s, … d + 14 s (one whole period of both fixed intervals). */
const PHASE_STEP_MS = 1_000;
const PHASES = 15;

/** Targets: reported within 2 s when terminal within 30 s, else within 20% of the time it took; a 5-minute cancel under 25 status requests per sync. */
const SHORT_CANCEL_MS = 30_000;
const SHORT_TARGET_MS = 2_000;
const LONG_TARGET_SHARE = 0.2;
const FIVE_MINUTES_MS = 5 * 60_000;
const FIVE_MINUTE_REQUEST_TARGET = 25;

const ROUND_SYNCS = 25;

interface Detection {
  readonly cancelMs: number;
  readonly mode: Mode;
  /** from the moment the simulator would first answer 'canceled' to IsComplete: true */
  readonly latencyMs: number;
  readonly statusReads: number;
  readonly invocations: number;
}

function targetMs(cancelMs: number): number {
  return cancelMs <= SHORT_CANCEL_MS ? SHORT_TARGET_MS : LONG_TARGET_SHARE * cancelMs;
}

async function detect(cancelMs: number, mode: Mode): Promise<Detection> {
  const deps = worldDeps({ fixedPolling: mode.fixedPolling });
  const world = await startWorld({ now: () => deps.clock.now() });
  try {
    const stamps = stampRequests(world.sim, () => deps.clock.now());
    const syncId = world.sim.addSync({ running: true, cancelAfterMs: cancelMs });
    const event = cfnEvent('Create', world.props({ SyncIds: [syncId], PollIntervalSeconds: mode.pollIntervalSeconds }));
    const run = await deployEvent(event, deps, 200);
    if (!run.result?.IsComplete) throw new Error(`${mode.name}, cancel of ${cancelMs} ms: ${run.error?.message ?? 'not complete'}`);
    const completedAt = deps.clock.now();
    const cancel = cancelsOf(world.sim, syncId).find((r) => (r.responseStatus ?? 0) < 300);
    if (!cancel) throw new Error(`${mode.name}: no cancel reached the simulator`);
    if (world.sim.inspect(syncId).lastExecution?.status !== 'canceled') throw new Error(`${mode.name}: the sync did not end canceled`);
    const landedAt = stamps.get(cancel)! + cancelMs;
    return { cancelMs, mode, latencyMs: completedAt - landedAt, statusReads: statusReadsOf(world.sim, syncId).length, invocations: run.invocations };
  } finally {
    await world.close();
  }
}

export async function pollingSection(): Promise<Section> {
  const runs: Detection[] = [];
  for (const cancelMs of CANCELS_MS) {
    for (const mode of MODES) {
      for (let phase = 0; phase < PHASES; phase++) runs.push(await detect(cancelMs + phase * PHASE_STEP_MS, mode));
    }
  }
  const exact = (cancelMs: number, mode: Mode) => runs.find((r) => r.cancelMs === cancelMs && r.mode === mode)!;
  const window = (cancelMs: number, mode: Mode) =>
    runs.filter((r) => r.mode === mode && r.cancelMs >= cancelMs && r.cancelMs < cancelMs + PHASES * PHASE_STEP_MS);
  const withinTarget = (r: Detection) => r.latencyMs <= targetMs(r.cancelMs);

  const exactRows = CANCELS_MS.flatMap((cancelMs) => MODES.map((mode) => {
    const r = exact(cancelMs, mode);
    const base = exact(cancelMs, BASELINE);
    return [
      duration(cancelMs), mode.name, String(r.statusReads), String(r.invocations), seconds(r.latencyMs), `≤ ${seconds(targetMs(cancelMs))}`, met(withinTarget(r)),
      mode === BASELINE ? '×1' : ratio(r.statusReads, base.statusReads), mode === BASELINE ? '×1' : ratio(r.latencyMs, base.latencyMs),
    ];
  }));
  const phaseRows = CANCELS_MS.flatMap((cancelMs) => MODES.map((mode) => {
    const w = window(cancelMs, mode);
    const latencies = w.map((r) => r.latencyMs);
    const reads = w.map((r) => r.statusReads);
    const mean = latencies.reduce((a, b) => a + b, 0) / latencies.length;
    const missed = w.filter((r) => !withinTarget(r)).length;
    return [
      `${duration(cancelMs)} … ${duration(cancelMs + (PHASES - 1) * PHASE_STEP_MS)}`, mode.name, seconds(Math.round(mean)), seconds(Math.max(...latencies)),
      missed === 0 ? `met at all ${w.length}` : `**not met at ${missed} of ${w.length}**`, `${Math.min(...reads)}–${Math.max(...reads)}`,
    ];
  }));

  const adaptive = runs.filter((r) => r.mode === ADAPTIVE);
  const short = adaptive.filter((r) => r.cancelMs <= SHORT_CANCEL_MS);
  const long = adaptive.filter((r) => r.cancelMs > SHORT_CANCEL_MS);
  const worstShort = Math.max(...short.map((r) => r.latencyMs));
  const worstShare = Math.max(...long.map((r) => r.latencyMs / r.cancelMs));
  const fiveMinutes = exact(FIVE_MINUTES_MS, ADAPTIVE).statusReads;
  const fiveMinutesWorst = Math.max(...window(FIVE_MINUTES_MS, ADAPTIVE).map((r) => r.statusReads));

  const round = await roundSection();
  return {
    title: '2. Detecting a cancel: latency and status requests',
    lines: [
      'One sync, running; the handler cancels it at once and the simulator answers `canceled` from a set time after the cancel',
      '(`cancelAfterMs`). Latency: from that moment to the handler\'s IsComplete: true. Simulated clock, shared by the simulator: no real',
      'waiting, and the same figures in every run. Status requests: GET status requests for the sync, the first (before the cancel) included.',
      'Ratios are against fixed 15 s polling (the old behaviour, `fixedPolling: true`); "—" where the baseline\'s latency is 0 s.',
      '',
      '### Targets (adaptive polling, every landing measured below)',
      '',
      ...table(['target', 'measured', 'result'], [
        [`a cancel terminal within 30 s is reported within 2 s (${short.length} landings)`, `worst ${seconds(worstShort)}`, met(worstShort <= SHORT_TARGET_MS)],
        [`a longer one within 20% of its elapsed time (${long.length} landings)`, `worst ${(worstShare * 100).toFixed(1)}%`, met(worstShare <= LONG_TARGET_SHARE)],
        [`a 5-minute cancel costs fewer than ${FIVE_MINUTE_REQUEST_TARGET} status requests per sync`,
          `${fiveMinutes} (${fiveMinutesWorst} at most for 5 min … ${duration(FIVE_MINUTES_MS + (PHASES - 1) * PHASE_STEP_MS)})`,
          met(fiveMinutes < FIVE_MINUTE_REQUEST_TARGET && fiveMinutesWorst < FIVE_MINUTE_REQUEST_TARGET)],
      ], ['l', 'r', 'l']),
      '',
      '### Cancels of 2 s, 30 s and 5 min',
      '',
      ...table(
        ['cancel takes', 'polling', 'status requests', 'isComplete invocations', 'reported after it lands', 'target', 'met', 'requests vs baseline',
          'latency vs baseline'],
        exactRows,
        ['l', 'l', 'r', 'r', 'r', 'r', 'l', 'r', 'r'],
      ),
      '',
      `### Every landing phase (${PHASES} cancels per row, ${seconds(PHASE_STEP_MS)} apart)`,
      '',
      'A cancel that lands just after a poll waits longest. 30 s and 5 min are multiples of both fixed intervals, which flatters them above;',
      'here each row covers a whole 15 s period of landing times, each judged against its own target (≤ 30 s: 2 s; longer: 20%).',
      '',
      ...table(['cancel takes', 'polling', 'mean latency', 'worst latency', 'target', 'status requests'], phaseRows, ['l', 'l', 'r', 'r', 'l', 'r']),
      '',
      ...round,
    ],
  };
}

/** Whether the handler takes `perSyncStatus` (the engineer adding the multi-status read adds it to HandlerDeps). */
function hasPerSyncStatusFlag(): boolean {
  return fs.readFileSync(path.join(__dirname, '..', '..', 'lambda', 'framework.ts'), 'utf8').includes('perSyncStatus');
}

interface RoundCount {
  readonly statusReads: number;
  readonly multiReads: number;
  readonly rounds: number;
  readonly cancels: number;
}

async function countRounds(running: boolean, overrides: Record<string, unknown>): Promise<RoundCount> {
  const deps = worldDeps(overrides as Partial<Omit<HandlerDeps, 'clock' | 'logger'>>);
  const world = await startWorld({ now: () => deps.clock.now() });
  try {
    const stamps = stampRequests(world.sim, () => deps.clock.now());
    const sync = running ? { running: true, cancelAfterMs: 2_000 } : { running: false };
    const syncIds = Array.from({ length: ROUND_SYNCS }, () => world.sim.addSync(sync));
    const run = await deployEvent(cfnEvent('Create', world.props({ SyncIds: syncIds })), deps, 50);
    if (!run.result?.IsComplete) throw new Error(`round over ${ROUND_SYNCS} syncs: ${run.error?.message ?? 'not complete'}`);
    const reads = world.sim.requests.filter(isStatusRead);
    // a round's requests all reach the simulator at one simulated instant (the clock moves only when the handler waits)
    return {
      statusReads: reads.length,
      multiReads: reads.filter(isMultiStatusRead).length,
      rounds: new Set(reads.map((r) => stamps.get(r))).size,
      cancels: cancelsOf(world.sim).length,
    };
  } finally {
    await world.close();
  }
}

async function roundSection(): Promise<string[]> {
  const flag = hasPerSyncStatusFlag();
  const rows: string[][] = [];
  for (const running of [false, true]) {
    const current = await countRounds(running, {});
    const perSync = flag ? await countRounds(running, { perSyncStatus: true }) : undefined;
    const what = running ? `${ROUND_SYNCS} running, each cancel takes 2 s` : `${ROUND_SYNCS} idle`;
    const line = (name: string, c: RoundCount, base?: RoundCount) => [
      what, name, String(c.rounds), String(c.statusReads), String(c.multiReads), (c.statusReads / c.rounds).toFixed(1), String(c.cancels),
      base ? ratio(c.statusReads / c.rounds, base.statusReads / base.rounds) : '×1',
    ];
    if (perSync) {
      rows.push(line('current code', current, perSync));
      rows.push(line('`perSyncStatus: true` (one request per sync)', perSync));
    } else {
      rows.push(line('current code', current));
    }
  }
  return [
    `### One round over ${ROUND_SYNCS} syncs`,
    '',
    `A Create naming ${ROUND_SYNCS} syncs, adaptive polling. A round is the status reads made at one simulated instant; multi-status reads are`,
    'GET /api/bulk/syncs/status?sync_id=…, counted among the status reads.'
      + (flag ? ' The ratio is against `perSyncStatus: true`.' : ' The handler has no `perSyncStatus` flag in this run: no baseline.'),
    '',
    ...table(['syncs', 'handler', 'rounds', 'status reads', 'of which multi-status', 'status requests per round', 'cancels', 'per round vs one per sync'],
      rows, ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r']),
  ];
}
