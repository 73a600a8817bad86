/**
 * Every Kinesis call the consumer makes is bounded in time, whichever client runs it (one the consumer
 * built, or the user's own without timeouts): {@link boundedKinesisApi} aborts a call that has not
 * answered within `timeoutMs` and rejects it with a typed `TIMEOUT` error, which the shard reader
 * treats as a transient failure (retried with backoff; GetRecords and GetShardIterator have no side
 * effects, so nothing is lost or duplicated by giving up on one).
 */
import { type Clock, ErrorCode, KinesisTsError, withDeadline } from '@kinesis-ts/core';
import type { KinesisApi } from './kinesis-api.js';

/** Options of {@link boundedKinesisApi}. */
export interface BoundedKinesisApiOptions {
  /** Longest wait for one call. */
  readonly timeoutMs: number;
  /** Timers (injectable for tests). */
  readonly clock: Clock;
}

function bounded<T>(
  options: BoundedKinesisApiOptions,
  operation: string,
  signal: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const { clock, timeoutMs } = options;
  return withDeadline(
    {
      clock,
      timeoutMs,
      signal,
      timeoutError: () =>
        new KinesisTsError(ErrorCode.TIMEOUT, `${operation} did not answer within ${timeoutMs} ms`, {
          context: { operation, timeoutMs },
        }),
    },
    call,
  );
}

/** Wraps `api` so every call gives up after `options.timeoutMs` with a typed `TIMEOUT` error. */
export function boundedKinesisApi(api: KinesisApi, options: BoundedKinesisApiOptions): KinesisApi {
  return {
    getShardIterator: (input, signal) =>
      bounded(options, 'GetShardIterator', signal, (s) => api.getShardIterator(input, s)),
    getRecords: (input, signal) => bounded(options, 'GetRecords', signal, (s) => api.getRecords(input, s)),
    listShards: (input, signal) => bounded(options, 'ListShards', signal, (s) => api.listShards(input, s)),
  };
}
