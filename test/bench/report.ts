/**
 * Formatting for BENCHMARKS.md: Markdown tables, numbers, ratios and medians. Nothing here
 * measures; every figure it prints is handed to it by a section of the benchmark.
 */

/** A section of BENCHMARKS.md: its title (a `##` heading) and its body. */
export interface Section {
  readonly title: string;
  readonly lines: readonly string[];
}

/** A Markdown table; `align` per column: 'l' left, 'r' right (numbers). */
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>, align?: readonly ('l' | 'r')[]): string[] {
  const rule = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [row(header), row(rule), ...rows.map(row)];
}

function row(cells: readonly string[]): string {
  return `| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Milliseconds with a precision that suits their size. */
export function ms(value: number): string {
  if (value >= 100) return value.toFixed(0);
  if (value >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

/** Simulated milliseconds as seconds ('1 s', '0.5 s', '14.8 s'). */
export function seconds(valueMs: number): string {
  const s = valueMs / 1000;
  return `${Number.isInteger(s) ? s.toFixed(0) : s.toFixed(s >= 10 ? 1 : 2)} s`;
}

/** 'a / b' as '×0.25'; '—' when b is 0 (no ratio to give). */
export function ratio(a: number, b: number): string {
  if (b === 0) return a === 0 ? '×1' : '—';
  const r = a / b;
  return `×${r >= 10 ? r.toFixed(1) : r.toFixed(2)}`;
}

export function bytes(value: number): string {
  return value.toLocaleString('en-US');
}

export function met(ok: boolean): string {
  return ok ? 'met' : '**not met**';
}

/** A duration for humans: the cancels of the benchmark (2 s, 30 s, 5 min). */
export function duration(valueMs: number): string {
  if (valueMs < 60_000) return seconds(valueMs);
  const minutes = Math.floor(valueMs / 60_000);
  const rest = valueMs - minutes * 60_000;
  return rest === 0 ? `${minutes} min` : `${minutes} min ${seconds(rest)}`;
}
