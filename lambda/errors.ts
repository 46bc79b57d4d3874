/**
 * One classification of failures, by what the caller must do about them:
 * - `TransientError`: try again later (throttling, 5xx, network, timeouts, unreadable bodies).
 *   isComplete never fails a deployment on one of these before the deadline.
 * - `PermanentError`: stop now and fail with this short message (bad key, no access, no sync).
 */

export class TransientError extends Error {
  override readonly name = 'TransientError';
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
  }
}

export class PermanentError extends Error {
  override readonly name = 'PermanentError';
  constructor(message: string) {
    super(message);
  }
}

/** HTTP statuses worth another attempt: timeout, conflict (an idempotent request in flight), throttling, server errors. */
export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/** Anything thrown, as one of the two kinds. Unknown errors are transient: they may pass. */
export function classify(error: unknown): TransientError | PermanentError {
  if (error instanceof TransientError || error instanceof PermanentError) return error;
  return new TransientError(describe(error));
}

/** A short, single-line description of any thrown value. */
export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as { cause?: unknown }).cause;
    const causeText = cause instanceof Error ? ` (${(cause as { code?: string }).code ?? cause.message})` : '';
    return `${error.message}${causeText}`.replace(/\s+/g, ' ').slice(0, 300);
  }
  return String(error).slice(0, 300);
}
