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

/**
 * A single-line description of any thrown value, with the network error code when there is
 * one. Not shortened: text is cut only where it leaves the handler, after redaction.
 */
export function describe(error: unknown): string {
  // duck-typed: errors from fetch may come from another realm, where instanceof fails
  const e = error as { message?: unknown; code?: unknown; cause?: { message?: unknown; code?: unknown } } | null | undefined;
  if (e && typeof e === 'object' && typeof e.message === 'string') {
    const cause = e.cause && typeof e.cause === 'object' ? e.cause : undefined;
    const code = cause?.code ?? cause?.message ?? e.code;
    return `${e.message}${typeof code === 'string' ? ` (${code})` : ''}`.replace(/\s+/g, ' ');
  }
  return String(error).replace(/\s+/g, ' ');
}
