import * as fc from 'fast-check';
import { Logger, clip } from '../../lambda/logger';

function capture() {
  const lines: string[] = [];
  return { lines, logger: new Logger((line) => lines.push(line), { component: 'test' }) };
}

describe('Logger', () => {
  test('writes one JSON object per line with level, message, context and fields', () => {
    const { lines, logger } = capture();
    logger.child({ syncId: 's1' }).info('cancel requested', { attempt: 1 });
    expect(lines).toHaveLength(1);
    // exactly these: no timestamp of its own (CloudWatch stamps each line)
    expect(JSON.parse(lines[0])).toEqual({ level: 'INFO', msg: 'cancel requested', component: 'test', syncId: 's1', attempt: 1 });
  });

  test('a registered secret never reaches the sink, raw, base64 or JSON-escaped, whoever logs it', () => {
    const { lines, logger } = capture();
    const child = logger.child({ syncId: 's1' });
    const secret = 'pk_live_"quoted"\\slash';
    child.addSecret(secret);
    logger.info(`key is ${secret}`, { nested: { value: secret }, b64: Buffer.from(secret).toString('base64') });
    logger.error('boom', { error: new Error(`failed with ${secret}`) });
    const output = lines.join('\n');
    expect(output).not.toContain('pk_live_');
    expect(output).not.toContain(Buffer.from(secret).toString('base64'));
    expect(output).toContain('***');
  });

  test('Authorization header values are masked even when not registered', () => {
    const { lines, logger } = capture();
    logger.warn('headers', { authorization: 'Bearer abcdef123456', other: 'Basic dXNlcjpwYXNz' });
    expect(lines[0]).not.toContain('abcdef123456');
    expect(lines[0]).not.toContain('dXNlcjpwYXNz');
    expect(JSON.parse(lines[0])).toMatchObject({ authorization: 'Bearer ***', other: 'Basic ***' });
  });

  test('redact() cleans text that leaves the handler another way', () => {
    const { logger } = capture();
    logger.addSecret('s3cr3t-value');
    expect(logger.redact('error: s3cr3t-value rejected')).toBe('error: *** rejected');
  });

  test('very short values are not registered, so ordinary words survive', () => {
    const { lines, logger } = capture();
    logger.addSecret('a');
    logger.info('a cancel was sent');
    expect(JSON.parse(lines[0]).msg).toBe('a cancel was sent');
  });

  test('errors are logged by name and message; circular fields do not throw', () => {
    const { lines, logger } = capture();
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    logger.info('x', { error: new TypeError('bad') });
    logger.info('y', { circular });
    expect(JSON.parse(lines[0]).error).toEqual({ name: 'TypeError', message: 'bad' });
    expect(JSON.parse(lines[1])).toMatchObject({ level: 'INFO', msg: 'y' });
  });

  test('a secret is redacted whatever its case: text on its way out may have been lower-cased', () => {
    const { lines, logger } = capture();
    logger.addSecret('Pk-Live-AbC123');
    logger.info('status pk-live-abc123 / PK-LIVE-ABC123');
    expect(lines[0]).not.toMatch(/abc123/i);
    expect(logger.redact('x Pk-Live-AbC123 y')).toBe('x *** y');
  });

  test('a secret that contains another is replaced whole', () => {
    const { logger } = capture();
    logger.addSecret('abcd-1234');
    logger.addSecret('abcd-1234-efgh-5678');
    expect(logger.redact('[abcd-1234-efgh-5678]')).toBe('[***]');
  });

  test('a line is cut to 4,000 bytes only after redaction: a secret across the cut leaves nothing', () => {
    const { lines, logger } = capture();
    const secret = 'sEcReT0123456789';
    logger.addSecret(secret);
    for (let before = 3_900; before < 4_000; before++) logger.info('x', { reason: '.'.repeat(before) + secret + '.'.repeat(100) });
    for (const line of lines) {
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(4_000);
      expect(line).not.toMatch(/sEcReT|0123456789/);
    }
  });

  test('bound() redacts, then clips', () => {
    const { logger } = capture();
    logger.addSecret('0123456789abcdef');
    expect(logger.bound('ab0123456789abcdef', 8)).toBe('ab***');
    expect(logger.bound('abcdefgh0123456789abcdef', 8)).toBe('abcde…');
  });
});

describe('clip', () => {
  test.each([
    ['short', 10, 'short'],
    ['exactly10!', 10, 'exactly10!'],
    ['more than ten', 10, 'more th…'],
    ['€€€€', 8, '€…'],
    ['a😀b', 6, 'a😀b'],
    ['😀😀', 5, '…'],
    ['anything', 2, ''],
  ])('%p to %p bytes → %p', (text, max, expected) => {
    expect(clip(text, max)).toBe(expected);
  });

  test('property: never over the limit, never a broken character, a prefix of the text', () => {
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.integer({ min: 0, max: 300 }), (text, max) => {
      const out = clip(text, max);
      expect(Buffer.byteLength(out)).toBeLessThanOrEqual(max);
      expect(Buffer.from(out).toString()).toBe(out);
      expect(text.startsWith(out.replace(/…$/, ''))).toBe(true);
    }), { numRuns: 500 });
  });
});
