import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as fc from 'fast-check';
import { realClock } from '../../lambda/clock';
import { PermanentError, TransientError } from '../../lambda/errors';
import { Logger } from '../../lambda/logger';
import { IdempotencyKeys, PolytomicClient, idempotencyKey } from '../../lambda/polytomic-client';
import { SimulatedClock } from '../fixtures/events';

/** A loopback server that answers every request with whatever the test sets (in turn from `queue`, if any). */
type Reply = { status: number; contentType: string; body: string };
let answer: Reply = { status: 200, contentType: 'application/json', body: '{}' };
const queue: Reply[] = [];
const seen: Array<{ url: string; headers: http.IncomingHttpHeaders }> = [];
const server = http.createServer((req, res) => {
  seen.push({ url: req.url ?? '', headers: req.headers });
  const reply = queue.shift() ?? answer;
  res.writeHead(reply.status, { 'content-type': reply.contentType });
  res.end(reply.body);
});
let base: string;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => { await new Promise((resolve) => server.close(resolve)); });

function client(apiUrl = base, retry = false) {
  const now = Date.now();
  return new PolytomicClient({
    apiUrl,
    apiVersion: '2025-09-18',
    authorization: 'Bearer k-123456',
    logger: new Logger(() => undefined),
    retryDeadline: () => (retry ? now + 60_000 : now), // no time for a retry: one request per call
    stopBy: now + 60_000,
    requestTimeoutMs: 2_000,
    clock: realClock,
  });
}

describe('PolytomicClient', () => {
  test('paths are relative to the base URL, so an on-premises host under a prefix works', async () => {
    answer = { status: 200, contentType: 'application/json', body: '{"data":{}}' };
    seen.length = 0;
    await client(`${base}/polytomic/`).getStatus('abc');
    await client(base).getStatus('abc');
    expect(seen.map((s) => s.url)).toEqual(['/polytomic/api/bulk/syncs/abc/status', '/api/bulk/syncs/abc/status']);
    expect(seen[0].headers).toMatchObject({ 'authorization': 'Bearer k-123456', 'x-polytomic-version': '2025-09-18', 'accept': 'application/json' });
  });

  test('a sync id is escaped into the path', async () => {
    seen.length = 0;
    await client().getStatus('../../me?x=1');
    expect(seen[0].url).toBe('/api/bulk/syncs/..%2F..%2Fme%3Fx%3D1/status');
  });

  test('property: any status and body ends in a status, or a TransientError or PermanentError, never anything else', async () => {
    const bodies = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.string(),
      fc.constantFrom('', '<html><body>502 Bad Gateway</body></html>', '{"data": {', '{"data":{"current_execution":{"id":1,"status":null}}}'),
    );
    await fc.assert(fc.asyncProperty(fc.integer({ min: 200, max: 599 }), bodies, fc.constantFrom('application/json', 'text/html'), async (status, body, contentType) => {
      answer = { status, contentType, body };
      try {
        const result = await client().getStatus('248df4b7-aa70-47b8-a036-33ac447e668d');
        expect(status).toBeLessThan(400);
        expect(typeof result).toBe('object');
      } catch (error) {
        expect(error instanceof TransientError || error instanceof PermanentError).toBe(true);
        if (status === 401 || status === 403 || status === 404) expect(error).toBeInstanceOf(PermanentError);
        if (status === 429 || status >= 500) expect(error).toBeInstanceOf(TransientError);
      }
    }), { numRuns: 200 });
  });

  test('the key is never sent to a URL that is not https (plain http only to a loopback host)', () => {
    for (const url of ['http://polytomic.example.com', 'http://10.0.0.1', 'ftp://127.0.0.1', 'https://u:p@app.polytomic.com']) {
      expect(() => client(url)).toThrow(PermanentError);
    }
    expect(() => client('http://localhost:1')).not.toThrow();
    expect(() => client('http://[::1]:1')).not.toThrow();
  });

  test('an error message is passed on whole, however long: it is cut only after redaction', async () => {
    const message = `${'m'.repeat(1_000)} k-123456 ${'n'.repeat(1_000)}`;
    answer = { status: 400, contentType: 'application/json', body: JSON.stringify({ status: 400, message }) };
    await expect(client().getStatus('s')).rejects.toThrow(message);
    answer = { status: 422, contentType: 'application/json', body: JSON.stringify({ status: 422, message }) };
    await expect(client().cancel('s', () => idempotencyKey('a'))).resolves.toMatchObject({ message });
  });

  test('a cancel refused with a 4xx is returned for the caller to re-check, not thrown', async () => {
    answer = { status: 422, contentType: 'application/json', body: '{"status":422,"message":"no running execution"}' };
    await expect(client().cancel('s', () => idempotencyKey('a'))).resolves.toEqual({ refused: true, status: 422, message: 'no running execution' });
  });

  test('no request is started without time left before stopBy', async () => {
    const now = Date.now();
    const late = new PolytomicClient({
      apiUrl: base,
      apiVersion: 'v',
      authorization: 'Bearer x',
      logger: new Logger(() => undefined),
      retryDeadline: () => now,
      stopBy: now + 100,
      requestTimeoutMs: 5_000,
      clock: realClock,
    });
    seen.length = 0;
    await expect(late.getStatus('s')).rejects.toThrow(/not sent: no time left in this invocation/);
    expect(seen).toHaveLength(0);
  });

  test('a cancel keeps its key after a first 409, moves to a new key after an error answer, and takes a second 409 as its answer', async () => {
    const json = (status: number) => ({ status, contentType: 'application/json', body: JSON.stringify({ status, message: `m${status}` }) });
    queue.push(json(409), json(500), json(409), json(409));
    seen.length = 0;
    const clock = new SimulatedClock();
    const retrying = new PolytomicClient({
      apiUrl: base,
      apiVersion: 'v',
      authorization: 'Bearer x',
      logger: new Logger(() => undefined),
      retryDeadline: () => clock.now() + 600_000,
      stopBy: clock.now() + 600_000,
      requestTimeoutMs: 2_000,
      clock,
    });
    await expect(retrying.cancel('s', (answered) => `key-${answered}`)).resolves.toEqual({ refused: true, status: 409, message: 'm409' });
    expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['key-0', 'key-0', 'key-1', 'key-1']);
    expect(clock.sleeps).toHaveLength(3);
  });
});

describe('IdempotencyKeys', () => {
  test('a first 409 keeps the key, a second one for the same key is an answer; an error answer moves to a new key with its 409s counted afresh', () => {
    const keys = new IdempotencyKeys((answered) => `k${answered}`);
    expect(keys.current()).toBe('k0');
    expect(keys.record(409)).toBe('retry');
    expect(keys.current()).toBe('k0');
    expect(keys.record(503)).toBe('retry');
    expect(keys.current()).toBe('k1');
    expect(keys.record(409)).toBe('retry');
    expect(keys.record(429)).toBe('retry');
    expect(keys.current()).toBe('k2');
    expect(keys.record(409)).toBe('retry');
    expect(keys.record(409)).toBe('answer');
    expect(keys.current()).toBe('k2');
  });
});

describe('idempotencyKey', () => {
  test('is stable for the same parts, distinct for others, and valid for Polytomic (8–255 of [A-Za-z0-9_-])', () => {
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), fc.array(fc.string(), { minLength: 1, maxLength: 5 }), (a, b) => {
      expect(idempotencyKey(...a)).toBe(idempotencyKey(...a));
      expect(idempotencyKey(...a)).toMatch(/^[A-Za-z0-9_-]{8,255}$/);
      if (a.join('\u0000') !== b.join('\u0000')) expect(idempotencyKey(...a)).not.toBe(idempotencyKey(...b));
    }));
  });
});
