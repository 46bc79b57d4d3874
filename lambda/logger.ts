/**
 * Structured JSON-lines logger. Redaction happens here, at the sink: every secret value the
 * handler learns is registered once, and no line, whatever a caller passes, can print it.
 */

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
export type LogFields = Record<string, unknown>;
export type LogSink = (line: string) => void;

const REDACTED = '***';
/** bytes of one log line, after redaction */
const MAX_LINE_BYTES = 4_000;

/**
 * `text` cut to at most `maxBytes` of UTF-8, ending in `…` when cut. The only place the
 * handler shortens text, and only ever after redaction (see `Logger.bound`): a cut before it
 * could split a secret and leave its first half where no redaction finds it.
 */
export function clip(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text) <= maxBytes) return text;
  if (maxBytes < 3) return '';
  const room = Math.max(0, maxBytes - 3); // the ellipsis takes 3 bytes
  // a character takes at least one byte, so no more than `room` of them can fit
  let head = text.slice(0, room);
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1); // no half surrogate pair
  const bytes = Buffer.from(head);
  if (bytes.length > room) {
    let end = room;
    while (end > 0 && bytes[end] >= 0x80 && bytes[end] < 0xc0) end--; // back over continuation bytes, to a character's start
    head = bytes.subarray(0, end).toString();
  }
  return head + '…';
}

/** The secrets of one logger and its children, with one case-insensitive pattern for all. */
class Secrets {
  private readonly values = new Set<string>();
  private pattern?: RegExp;

  add(value: string): void {
    if (this.values.has(value)) return;
    this.values.add(value);
    this.pattern = undefined;
  }

  redact(text: string): string {
    if (this.values.size === 0) return text;
    // longest first, so a secret that contains another is replaced whole; case-insensitive,
    // because text on its way out may be lower-cased (Polytomic statuses are)
    this.pattern ??= new RegExp([...this.values].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'gi');
    return text.replace(this.pattern, REDACTED);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class Logger {
  constructor(
    private readonly sink: LogSink = (line) => process.stdout.write(line + '\n'),
    private readonly context: LogFields = {},
    // shared with children, so a secret learnt through any of them is redacted by all
    private readonly secrets: Secrets = new Secrets(),
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
    const out = this.secrets.redact(text);
    // an Authorization header value must never pass even if it was not registered
    return out.replace(/\b(Bearer|Basic)\s+[A-Za-z0-9+/=._~-]{4,}/g, `$1 ${REDACTED}`);
  }

  /** `text` redacted, then cut to `maxBytes`: the form in which any text leaves the handler. */
  bound(text: string, maxBytes: number): string {
    return clip(this.redact(text), maxBytes);
  }

  debug(msg: string, fields?: LogFields): void { this.write('DEBUG', msg, fields); }
  info(msg: string, fields?: LogFields): void { this.write('INFO', msg, fields); }
  warn(msg: string, fields?: LogFields): void { this.write('WARN', msg, fields); }
  error(msg: string, fields?: LogFields): void { this.write('ERROR', msg, fields); }

  private write(level: LogLevel, msg: string, fields?: LogFields): void {
    // no timestamp of its own: CloudWatch Logs stamps every line, and the handler reads time only through its clock
    const entry = { level, msg, ...this.context, ...fields };
    let line: string;
    try {
      line = JSON.stringify(entry, errorReplacer);
    } catch {
      line = JSON.stringify({ level, msg, note: 'fields could not be serialised' });
    }
    this.sink(this.bound(line, MAX_LINE_BYTES));
  }
}

function errorReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message };
  return value;
}
