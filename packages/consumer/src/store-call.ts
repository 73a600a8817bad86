/**
 * Bounded calls to the state store. Every call the consumer makes to its `StateAdapter` goes through
 * {@link callStore}: it rejects with a typed `StateStoreError` (code `TIMEOUT`) when the adapter has not
 * answered within `timeoutMs`, aborting the signal it gave the call (adapters that take one, such as
 * `listLeases`, stop their work). A timed-out write has an unknown outcome; callers that care (the
 * held lease) treat it so.
 */
import {
  type Clock,
  ErrorCode,
  isKinesisTsError,
  type KinesisTsError,
  type LeaseScope,
  StateStoreError,
  withDeadline,
} from '@kinesis-ts/core';

/** What a bounded store call needs. */
export interface StoreCallOptions {
  readonly clock: Clock;
  /** Longest wait for one call. */
  readonly timeoutMs: number;
  readonly scope: LeaseScope;
}

/** True when `error` is the timeout {@link callStore} raises. */
export function isStoreTimeout(error: unknown): boolean {
  return error instanceof StateStoreError && error.code === ErrorCode.TIMEOUT;
}

/**
 * Runs `call` with a deadline. Resolves or rejects as the call does when it settles in time; otherwise
 * rejects with `StateStoreError` `TIMEOUT` (the call's own late result is ignored).
 */
export function callStore<T>(
  options: StoreCallOptions,
  what: string,
  call: (signal: AbortSignal) => Promise<T>,
  shardId?: string,
): Promise<T> {
  const { clock, timeoutMs, scope } = options;
  return withDeadline(
    {
      clock,
      timeoutMs,
      timeoutError: () =>
        new StateStoreError(
          ErrorCode.TIMEOUT,
          `${what} did not answer within ${timeoutMs} ms (state store call timeout)`,
          {
            context: { ...scope, ...(shardId === undefined ? {} : { shardId }), timeoutMs },
          },
        ),
    },
    call,
  );
}

/** Wraps anything an adapter threw in a typed error (kinesis-ts errors pass through, `cause` kept). */
export function storeError(
  what: string,
  error: unknown,
  scope: LeaseScope,
  shardId?: string,
): KinesisTsError {
  if (isKinesisTsError(error)) return error;
  return new StateStoreError(
    ErrorCode.STATE_STORE_UNAVAILABLE,
    `${what} failed: ${String((error as Error)?.message ?? error)}`,
    { cause: error, context: { ...scope, ...(shardId === undefined ? {} : { shardId }) } },
  );
}

/**
 * Errors no retry heals: a missing stream, a misconfigured store (e.g. a table with the wrong key), a
 * bad argument, an adapter used outside its lifecycle.
 */
export function isPermanentError(error: unknown): boolean {
  return (
    isKinesisTsError(error, ErrorCode.STREAM_NOT_FOUND) ||
    isKinesisTsError(error, ErrorCode.STATE_STORE_MISCONFIGURED) ||
    isKinesisTsError(error, ErrorCode.INVALID_ARGUMENT) ||
    isKinesisTsError(error, ErrorCode.CLOSED) ||
    isKinesisTsError(error, ErrorCode.NOT_STARTED)
  );
}
