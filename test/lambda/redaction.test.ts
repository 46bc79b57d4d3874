/**
 * Redact before you cut. Polytomic (or anything on the way) may echo the key in what it
 * answers; the handler may shorten that text only once the key has been redacted from it,
 * or a key that straddles the cut leaves its first half in a log line or in the reason
 * CloudFormation shows. The key sits at every offset across each cut window of the pieces
 * that shorten text (exhaustively), then in whole deployments run against the simulator
 * (a sampled set), and no 6-character fragment of it may come out anywhere.
 */
import { randomInt } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as fc from 'fast-check';
import { realClock } from '../../lambda/clock';
import { TransientError, describe as describeError } from '../../lambda/errors';
import { HandlerDeps, MAX_REASON_BYTES, deploymentError } from '../../lambda/framework';
import { Logger, clip } from '../../lambda/logger';
import { deadlineMessage, describePending, outcomeData } from '../../lambda/outcome';
import { PolytomicClient, idempotencyKey } from '../../lambda/polytomic-client';
import { parseProperties } from '../../lambda/properties';
import { errorMessageOf } from '../../lambda/responses';
import { MAX_ERROR_BYTES, MAX_STATUS_BYTES, SyncWatcher } from '../../lambda/sync-watcher';
import { SimulatedClock, resourceProperties, testDeps } from '../fixtures/events';
import { deploy } from '../fixtures/harness';
import { FakeSecretsManager } from '../simulator/fake-secrets-manager';
import { PolytomicSimulator } from '../simulator/polytomic-simulator';

/**
 * A random alphanumeric key, every third character a digit and every letter outside a-f:
 * each 6-character fragment then has a digit and a non-hex letter, so no word, UUID or hash
 * of the ordinary output can match one by chance.
 */
function randomKey(length: number): string {
  const letters = 'ghijklmnopqrstuvwxyzGHIJKLMNOPQRSTUVWXYZ';
  return Array.from({ length }, (_, i) => (i % 3 === 2 ? String(randomInt(10)) : letters[randomInt(letters.length)])).join('');
}

const KEY = randomKey(96);
const FRAGMENTS = new Set(Array.from({ length: KEY.length - 5 }, (_, i) => KEY.slice(i, i + 6).toLowerCase()));

/** The first fragment of the key found in `texts` (case-insensitively: statuses are lower-cased), if any. */
function leakIn(texts: readonly string[]): string | undefined {
  for (const text of texts) {
    const lower = text.toLowerCase();
    for (let i = 0; i + 6 <= lower.length; i++) {
      const piece = lower.slice(i, i + 6);
      if (FRAGMENTS.has(piece)) return `"${piece}" in …${text.slice(Math.max(0, i - 40), i + 46)}…`;
    }
  }
  return undefined;
}

function expectNoLeak(texts: readonly string[]): void {
  expect(leakIn(texts)).toBeUndefined();
}

/** The key with `before` dots in front and `after` behind (dots: no white space to fold). */
function padded(before: number, after: number, key = KEY): string {
  return '.'.repeat(before) + key + '.'.repeat(after);
}

function keyedLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = new Logger((line) => lines.push(line));
  logger.addSecret(KEY);
  return { logger, lines };
}

/** Every offset from `from` to `to`: the key starts before, straddles and follows the cut points in between. */
const offsets = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('unit level: every offset across every cut window', () => {
  test('clip is the only cut, and Logger.bound redacts before it', () => {
    const { logger } = keyedLogger();
    for (const before of offsets(0, 260)) {
      const text = padded(before, 300);
      for (const max of [MAX_STATUS_BYTES, MAX_ERROR_BYTES, 120, 256]) {
        const out = logger.bound(text, max);
        expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
        expectNoLeak([out]);
      }
    }
    // the bug this guards against: the same cut before redaction leaves part of the key
    expect(leakIn([logger.redact(clip(padded(20, 300), MAX_STATUS_BYTES))])).toBeDefined();
  });

  test('log lines: the key at every offset across the 4,000-byte line cut, in any case', () => {
    const { logger, lines } = keyedLogger();
    // the line's own fields come first: the cut falls 100-odd characters before 4,000 into the reason
    for (const before of offsets(3_600, 4_100)) {
      logger.warn('poll failed', { reason: padded(before, 4_200 - before, before % 2 ? KEY : KEY.toLowerCase()) });
    }
    expect(lines).toHaveLength(501);
    expect(Math.max(...lines.map((l) => Buffer.byteLength(l)))).toBeLessThanOrEqual(4_000);
    expectNoLeak(lines);
  });

  test('the reason of a failure: the key at every offset across the 1,000-byte cut', () => {
    const { logger } = keyedLogger();
    for (const before of offsets(0, 1_100)) {
      const error = deploymentError(`bulk sync x was refused: ${padded(before, 1_200 - before)}`, logger);
      expect(Buffer.byteLength(error.message)).toBeLessThanOrEqual(MAX_REASON_BYTES);
      expectNoLeak([error.message, error.stack ?? '']);
    }
  });

  test('error descriptions are not cut where they are made: the key reaches the sink whole', () => {
    for (const before of offsets(0, 400)) {
      const text = padded(before, 400 - before);
      expect(errorMessageOf({ status: 400, message: text })).toContain(KEY);
      expect(errorMessageOf({ error: { message: text } })).toContain(KEY);
      expect(describeError(Object.assign(new TypeError(text), { cause: { code: text } }))).toContain(KEY);
      expect(describeError(text)).toContain(KEY);
    }
  });

  test('watcher and outcome: a status or an error with the key at every offset, shown in attributes, reason and log', async () => {
    // across the status (40 bytes) and error (200 bytes) cuts, and the reason's (1,000 bytes)
    for (const before of [...offsets(0, 300), ...offsets(800, 1_100)]) {
      const text = padded(before, 1_200 - before);
      const { logger, lines } = keyedLogger();
      const client = {
        getStatus: async (syncId: string) => {
          if (syncId === 'status-sync') return { current: { id: 'e1', status: text.toLowerCase() } };
          if (syncId === 'last-sync') return { last: { id: 'e0', status: text } };
          throw new TransientError(`GET status failed: ${text}`);
        },
        cancel: async () => ({ refused: true as const, status: 422, message: text }),
      } as unknown as PolytomicClient;
      const watcher = new SyncWatcher(client, logger, 'scope');
      const ids = ['status-sync', 'last-sync', 'error-sync'];
      const rounds = await watcher.pollAll(ids);
      const props = parseProperties(resourceProperties({ SyncIds: ids }));
      const message = deadlineMessage(props, rounds, false);
      const error = deploymentError(message, logger);
      logger.warn('deadline passed', { reason: message });
      const data = outcomeData(ids, rounds, true);
      expectNoLeak([...lines, error.message, error.stack ?? '', JSON.stringify(data), describePending(rounds)]);
      for (const p of rounds) {
        expect(Buffer.byteLength(p.status)).toBeLessThanOrEqual(MAX_STATUS_BYTES);
        expect(Buffer.byteLength(p.lastError ?? '')).toBeLessThanOrEqual(MAX_ERROR_BYTES);
      }
    }
  });
});

describe('unit level: the client, against a loopback server that echoes the key', () => {
  let answer = { status: 400, body: '' };
  const server = http.createServer((_req, res) => {
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  let base = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

  test('refusals of status and cancel: the key at every offset across the old 200-character cut', async () => {
    const { logger, lines } = keyedLogger();
    const now = Date.now();
    const client = new PolytomicClient({
      apiUrl: base,
      apiVersion: '2025-09-18',
      authorization: `Bearer ${KEY}`,
      logger,
      retryDeadline: () => now, // no retries: one request per call
      stopBy: now + 60_000,
      requestTimeoutMs: 2_000,
      clock: realClock,
    });
    const texts: string[] = [];
    for (const before of offsets(80, 230)) {
      answer = { status: 400, body: JSON.stringify({ status: 400, message: padded(before, 230 - before) }) };
      const error = await client.getStatus('s').then(() => undefined, (e: Error) => e);
      expect(error?.message).toContain(KEY); // whole, for the sink to redact
      texts.push(deploymentError(error!.message, logger).message);
      logger.warn('poll failed', { reason: error!.message });

      answer = { status: 422, body: JSON.stringify({ status: 422, message: padded(before, 230 - before) }) };
      const refused = await client.cancel('s', () => idempotencyKey('k'));
      expect(refused).toMatchObject({ refused: true, status: 422 });
      logger.warn('cancel refused', { reason: (refused as { message: string }).message });
    }
    expectNoLeak([...texts, ...lines]);
  });
});

// ------------------------------------------------------------------ whole deployments

type Mode = 'FAIL' | 'CONTINUE' | 'ROLLBACK';

interface Run {
  sim: PolytomicSimulator;
  secrets: FakeSecretsManager;
  syncId: string;
  secretArn: string;
  text: string;
}

/** Every way the key can come back to the handler. */
const PATHS: Record<string, (run: Run) => void> = {
  ...Object.fromEntries([400, 403, 404, 409, 422, 500].flatMap((status) => [
    [`status ${status}`, ({ sim, syncId, text }: Run) => sim.fault(
      { method: 'GET', path: `/api/bulk/syncs/${syncId}/status`, times: Infinity },
      { type: 'status', status, body: { status, message: text } })],
    [`cancel ${status}`, ({ sim, syncId, text }: Run) => sim.fault(
      { method: 'POST', path: `/api/bulk/syncs/${syncId}/cancel`, times: Infinity },
      { type: 'status', status, body: { status, message: text } })],
  ])),
  'running status string': ({ sim, syncId, text }) => sim.fault(
    { method: 'GET', path: `/api/bulk/syncs/${syncId}/status`, times: Infinity },
    { type: 'json', body: { data: { current_execution: { id: 'e1', status: text } } } }),
  'last status string': ({ sim, syncId, text }) => sim.fault(
    { method: 'GET', path: `/api/bulk/syncs/${syncId}/status`, times: Infinity },
    { type: 'json', body: { data: { current_execution: null, last_execution: { id: 'e0', status: text } } } }),
  'non-JSON body': ({ syncId, text }) => intercept(syncId, () => new Response(`<html>${text}</html>`, { status: 200 })),
  'non-JSON error body': ({ syncId, text }) => intercept(syncId, () => new Response(text, { status: 400 })),
  'fetch error': ({ syncId, text }) => intercept(syncId, () => {
    throw Object.assign(new TypeError(text), { cause: { code: text } });
  }),
  'Secrets Manager error': ({ secrets, secretArn, text }) => secrets.fail(secretArn, text),
  'Secrets Manager throttling': ({ secrets, secretArn, text }) => secrets.fail(secretArn, `Throttling${text}`),
};

/** Requests on one sync's path are answered by `answer` instead of the simulator. */
let interception: { syncId: string; answer: () => Response } | undefined;
function intercept(syncId: string, answer: () => Response): void {
  interception = { syncId, answer };
}

describe('whole deployments: the key echoed on every error path, at sampled offsets', () => {
  const realFetch = globalThis.fetch;
  let sim: PolytomicSimulator;
  let secrets: FakeSecretsManager;
  let runs = 0;

  beforeAll(async () => {
    sim = await PolytomicSimulator.start({ apiKey: KEY });
    secrets = await FakeSecretsManager.start();
    process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = secrets.url;
    // the SDK's own retries (with real-time backoff) would only slow the test down
    process.env.AWS_MAX_ATTEMPTS = '1';
    globalThis.fetch = async (input, init) => {
      const url = String(input instanceof Request ? input.url : input);
      if (interception && url.includes(interception.syncId)) return interception.answer();
      return realFetch(input, init);
    };
  });
  afterAll(async () => {
    globalThis.fetch = realFetch;
    delete process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER;
    delete process.env.AWS_MAX_ATTEMPTS;
    await Promise.all([sim.close(), secrets.close()]);
  });

  /** One deployment with the key echoed on `path`; returns everything the handler let out. */
  async function leakedBy(path: string, mode: Mode, before: number, after: number): Promise<string | undefined> {
    runs++;
    const secretArn = `arn:aws:secretsmanager:eu-west-1:123456789012:secret:redaction-${runs}-AbCdEf`;
    secrets.putSecret(secretArn, { SecretString: KEY });
    const syncId = sim.addSync({ running: true, cancelAfterPolls: 1_000 });
    PATHS[path]({ sim, secrets, syncId, secretArn, text: padded(before, after) });
    const clock = new SimulatedClock();
    const deps: HandlerDeps & { clock: SimulatedClock; lines: string[] } = {
      ...testDeps(clock),
      clock,
      requestTimeoutMs: 1_000,
      ...mode === 'ROLLBACK' ? { stackStatus: async () => 'UPDATE_ROLLBACK_IN_PROGRESS' } : {},
    };
    const props = resourceProperties({
      ApiUrl: sim.url,
      SyncIds: [syncId],
      SecretArn: secretArn,
      TimeoutSeconds: '60',
      PollIntervalSeconds: '15',
      OnTimeout: mode === 'CONTINUE' ? 'CONTINUE' : 'FAIL',
    });
    try {
      const run = await deploy(mode === 'ROLLBACK' ? 'Update' : 'Create', props, deps);
      // every path ends, one way or the other, within the 60 s timeout
      expect(run.error?.message ?? '').not.toMatch(/not complete after/);
      return leakIn([...deps.lines, run.error?.message ?? '', run.error?.stack ?? '', JSON.stringify(run.result ?? {})]);
    } finally {
      sim.clearFaults();
      interception = undefined;
      secrets.fail(secretArn, 'none', 0);
    }
  }

  // The cuts that matter lie at most ~1,100 characters into a message. Placed every 80
  // characters, the 96-character key has each of them inside it with at least 6 characters
  // on either side, wherever the message's prefix puts the cut.
  const placements = Array.from({ length: 15 }, (_, i) => i * 80);
  const modes: Mode[] = ['FAIL', 'CONTINUE', 'ROLLBACK'];

  test.each(Object.keys(PATHS))('%s', async (path) => {
    for (const [i, before] of placements.entries()) {
      const mode = modes[i % modes.length];
      expect(await leakedBy(path, mode, before, 1_200 - before)).toBeUndefined();
    }
  });

  test('property: any path, mode and padding', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom(...Object.keys(PATHS)),
      fc.constantFrom(...modes),
      fc.integer({ min: 0, max: 1_300 }),
      fc.integer({ min: 0, max: 1_500 }),
      async (path, mode, before, after) => {
        expect(await leakedBy(path, mode, before, after)).toBeUndefined();
      },
    ), { numRuns: 25 });
  });
});

describe('a key with characters the attributes cannot carry', () => {
  test('a status echoing a key with a quote and a backslash is redacted before they are replaced', async () => {
    // printable ASCII, so the secret reader accepts it; `"` and `\\` are replaced in what is shown
    const key = `${KEY.slice(0, 40)}"\\${KEY.slice(40, 80)}`;
    const { logger, lines } = keyedLogger();
    logger.addSecret(key);
    const sim = await PolytomicSimulator.start({ apiKey: key });
    const syncId = sim.addSync({ statusScript: [key] });
    try {
      const client = new PolytomicClient({
        apiUrl: sim.url,
        apiVersion: '2025-09-18',
        authorization: `Bearer ${key}`,
        logger,
        clock: realClock,
        retryDeadline: () => Date.now() + 5_000,
        stopBy: Date.now() + 10_000,
      });
      const [progress] = await new SyncWatcher(client, logger, 'scope').pollAll([syncId]);
      expectNoLeak([progress.status, ...lines]);
      expect(progress.status).not.toContain('"');
    } finally {
      await sim.close();
    }
  });
});
