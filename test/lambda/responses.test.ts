import * as fc from 'fast-check';
import { TransientError } from '../../lambda/errors';
import { errorMessageOf, parseStatusResponse } from '../../lambda/responses';

describe('parseStatusResponse', () => {
  test('reads the running and last executions', () => {
    const status = parseStatusResponse({
      data: {
        current_execution: { id: 'e2', status: 'Running', record_count: 3 },
        last_execution: { id: 'e1', status: 'completed' },
        next_execution_time: '2026-11-29T00:00:00Z',
      },
    });
    expect(status).toEqual({ current: { id: 'e2', status: 'running' }, last: { id: 'e1', status: 'completed' } });
  });

  test('an idle sync has no current execution, whether the key is absent or null', () => {
    expect(parseStatusResponse({ data: { last_execution: { id: 'e1', status: 'canceled' } } }).current).toBeUndefined();
    expect(parseStatusResponse({ data: { current_execution: null } }).current).toBeUndefined();
    expect(parseStatusResponse({ data: null })).toEqual({});
  });

  test('a missing or empty status reads as unknown (not terminal)', () => {
    expect(parseStatusResponse({ data: { current_execution: { id: 'e' } } }).current).toEqual({ id: 'e', status: 'unknown' });
    expect(parseStatusResponse({ data: { current_execution: { status: ' ' } } }).current).toEqual({ id: '', status: 'unknown' });
  });

  test.each([
    [undefined], [null], ['<html>'], [[]], [{}], [{ error: 'x' }], [{ data: 'x' }], [{ data: { current_execution: 'running' } }],
  ])('an unreadable body %p is a transient error', (body) => {
    expect(() => parseStatusResponse(body)).toThrow(TransientError);
  });

  test('property: any JSON value parses or raises a TransientError, never anything else', () => {
    fc.assert(fc.property(fc.oneof(
      fc.jsonValue(),
      fc.record({ data: fc.jsonValue() }),
      fc.record({ data: fc.record({ current_execution: fc.jsonValue(), last_execution: fc.jsonValue() }, { requiredKeys: [] }) }),
    ), (body) => {
      try {
        const status = parseStatusResponse(body);
        for (const e of [status.current, status.last]) {
          if (e) {
            expect(typeof e.id).toBe('string');
            expect(e.status).toMatch(/\S/);
          }
        }
      } catch (error) {
        expect(error).toBeInstanceOf(TransientError);
      }
    }), { numRuns: 500 });
  });
});

describe('errorMessageOf', () => {
  test.each([
    [{ status: 404, message: 'bulk sync not found' }, 'bulk sync not found'],
    [{ code: 401, status: 'Unauthorized', error: 'unauthorized' }, 'unauthorized'],
    [{ error: { message: 'legacy shape' } }, 'legacy shape'],
    [{ message: '  many\n  lines  ' }, 'many lines'],
    ['not an object', 'no message'],
    [{}, 'no message'],
  ])('%p → %s', (body, expected) => {
    expect(errorMessageOf(body)).toBe(expected);
  });

  test('long messages are not cut here: only where text leaves the handler, once redacted', () => {
    expect(errorMessageOf({ message: 'x'.repeat(5000) })).toHaveLength(5000);
  });
});
