/**
 * Every Kinesis call the consumer makes is bounded in time, whichever client runs it (one the consumer
 * built, or the user's own without timeouts): {@link boundedKinesisApi} aborts a call that has not
 * answered within `timeoutMs` and rejects it with a typed `TIMEOUT` error, which the shard reader
 * treats as a transient failure (retried with backoff; GetRecords and GetShardIterator have no side
 * effects, so nothing is lost or duplicated by giving up on one).
 */
import { type Clock, ErrorCode, KinesisTsError } from '@kinesis-ts/core';
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
  if (signal?.aborted) return call(signal);
  const { clock, timeoutMs } = options;
  const controller = new AbortController();
  const onAbort = (): void => controller.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const finish = (): void => {
      settled = true;
      clock.clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const timer = clock.setTimeout(() => {
      if (settled) return;
      finish();
      const error = new KinesisTsError(
        ErrorCode.TIMEOUT,
        `${operation} did not answer within ${timeoutMs} ms`,
        {
          context: { operation, timeoutMs },
        },
      );
      controller.abort(error);
      reject(error);
    }, timeoutMs);
    let pending: Promise<T>;
    try {
      pending = call(controller.signal);
    } catch (error) {
      pending = Promise.reject(error);
    }
    pending.then(
      (value) => {
        if (settled) return;
        finish();
        resolve(value);
      },
      (error: unknown) => {
        if (settled) return;
        finish();
        reject(error);
      },
    );
  });
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
