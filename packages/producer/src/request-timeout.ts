/**
 * Bounds every Kinesis call the producer makes: a per-call deadline on the injectable clock that
 * aborts the call's signal and rejects, whether or not the client honours the signal.
 */

import { type Clock, ErrorCode, isKinesisTsError, KinesisTsError, withDeadline } from '@kinesis-ts/core';

/**
 * Runs `call` with an `AbortSignal` that aborts after `timeoutMs` on `clock`. Rejects with a
 * `KinesisTsError` `TIMEOUT` (context: operation, timeoutMs) at the deadline even if `call` never
 * settles; a late result is ignored.
 */
export function callWithTimeout<T>(
  clock: Clock,
  timeoutMs: number,
  operation: string,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  return withDeadline(
    {
      clock,
      timeoutMs,
      timeoutError: () =>
        new KinesisTsError(ErrorCode.TIMEOUT, `${operation} did not answer within ${timeoutMs} ms`, {
          context: { operation, timeoutMs },
        }),
    },
    call,
  );
}

/** True for the error {@link callWithTimeout} rejects with. */
export function isCallTimeout(error: unknown): boolean {
  return isKinesisTsError(error, ErrorCode.TIMEOUT);
}

/**
 * True when a failed request may nevertheless have been applied: no response was received and the
 * failure is not a connection that was never made (refused, DNS, connect timeout). A timed-out or
 * reset PutRecords is such a case: its records are retried and may land twice.
 */
export function isOutcomeUnknown(error: unknown): boolean {
  if (isCallTimeout(error)) return true;
  if (!(error instanceof Error)) return false;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } }).$metadata;
  if (metadata?.httpStatusCode !== undefined) return false;
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN') return false;
  if (/did not establish a connection/.test(error.message)) return false;
  return (
    error.name === 'TimeoutError' ||
    error.name === 'AbortError' ||
    code === 'ETIMEDOUT' ||
    code === 'ECONNRESET' ||
    code === 'EPIPE' ||
    /socket hang up/i.test(error.message)
  );
}
