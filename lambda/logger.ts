/**
 * Structured JSON-lines logger. Redaction happens here, at the sink: every secret value the
 * handler learns is registered once, and no line, whatever a caller passes, can print it.
 */

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

const REDACTED = '***';
const MAX_LINE = 4_000;

export class Logger {
  constructor(
    private readonly sink: LogSink = (line) => process.stdout.write(line + '\n'),
    private readonly context: LogFields = {},
    // shared with children, so a secret learnt through any of them is redacted by all
    private readonly secrets: Set<string> = new Set(),
  ) {}

  /** A logger that adds `fields` to each line and shares this one's secrets. */
  child(fields: LogFields): Logger {
    return new Logger(this.sink, { ...this.context, ...fields }, this.secrets);
  }

  /** Never print `value` (and its obvious encodings) again. */
  addSecret(value: string): void {
    const variants = [
      value,
      Buffer.from(value).toString('base64'),
      JSON.stringify(value).slice(1, -1),
      // error descriptions fold white space, which would hide a value that contains some
      value.replace(/\s+/g, ' '),
      ...value.split(/\s+/).filter((part) => part.length >= 8),
    ];
    // a tiny value would redact ordinary words
    for (const variant of variants) if (variant.trim().length >= 4) this.secrets.add(variant);
  }

  /** `text` with every known secret replaced; for errors that leave the handler too. */
  redact(text: string): string {
    let out = text;
    for (const secret of this.secrets) {
      if (secret.length > 0) out = out.split(secret).join(REDACTED);
    }
    // an Authorization header value must never pass even if it was not registered
    return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{4,}/g, `$1 ${REDACTED}`);
  }

  debug(msg: string, fields?: LogFields): void { this.write('DEBUG', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.write('INFO', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.write('WARN', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.write('ERROR', msg, fields); }

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    const entry = { level, time: new Date().toISOString(), msg, ...this.context, ...fields };
    let line: string;
    try {
      line = JSON.stringify(entry, errorReplacer);
    } catch {
      line = JSON.stringify({ level, msg, note: 'fields could not be serialised' });
    }
    line = this.redact(line);
    this.sink(line.length > MAX_LINE ? line.slice(0, MAX_LINE) + '…' : line);
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
