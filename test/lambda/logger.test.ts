import { Logger } from '../../lambda/logger';

function capture() {
  const lines: string[] = [];
  return { lines, logger: new Logger((line) => lines.push(line), { component: 'test' }) };
}

describe('Logger', () => {
  test('writes one JSON object per line with level, message, context and fields', () => {
    const { lines, logger } = capture();
    logger.child({ syncId: 's1' }).info('cancel requested', { attempt: 1 });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'INFO', msg: 'cancel requested', component: 'test', syncId: 's1', attempt: 1 });
    expect(JSON.parse(lines[0]).time).toMatch(/^\d{4}-\d{2}-\d{2}T/);
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
});
