/** How the DynamoDB adapter retries: options, defaults, and the delay (core's full-jitter backoff). */
import {
  assertKnownOptions,
  backoffDelay,
  ErrorCode,
  type OptionKeys,
  ValidationError,
} from '@kinesis-ts/core';

/** How the adapter retries throttled and failed requests. */
export interface RetryOptions {
  /** Attempts per request, the first included. Default 8. */
  readonly maxAttempts?: number;
  /** Backoff before the first retry, before jitter, in ms. Doubles on each retry. Default 50. */
  readonly baseDelayMs?: number;
  /** Upper bound of one backoff, in ms. Default 5000. */
  readonly maxDelayMs?: number;
  /** Random source in [0, 1) for the jitter. Default `Math.random` (inject for tests). */
  readonly random?: () => number;
}

/** {@link RetryOptions} with defaults applied. */
export type ResolvedRetryOptions = Required<RetryOptions>;

const RETRY_KEYS: OptionKeys<RetryOptions> = {
  maxAttempts: true,
  baseDelayMs: true,
  maxDelayMs: true,
  random: true,
};

/** Applies the defaults and checks the values (unknown keys are rejected). */
export function resolveRetryOptions(options: RetryOptions | undefined): ResolvedRetryOptions {
  if (options !== undefined) {
    if (options === null || typeof options !== 'object') {
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'DynamoDBState option retry must be an object', {
        context: { option: 'retry', value: options },
      });
    }
    assertKnownOptions(options, RETRY_KEYS, { subject: 'DynamoDBState option', path: 'retry.' });
  }
  const resolved: ResolvedRetryOptions = {
    maxAttempts: options?.maxAttempts ?? 8,
    baseDelayMs: options?.baseDelayMs ?? 50,
    maxDelayMs: options?.maxDelayMs ?? 5000,
    random: options?.random ?? Math.random,
  };
  if (!Number.isInteger(resolved.maxAttempts) || resolved.maxAttempts < 1) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `retry.maxAttempts must be an integer >= 1, got ${resolved.maxAttempts}`,
    );
  }
  for (const name of ['baseDelayMs', 'maxDelayMs'] as const) {
    if (!Number.isFinite(resolved[name]) || resolved[name] < 0) {
      throw new ValidationError(
        ErrorCode.INVALID_ARGUMENT,
        `retry.${name} must be a number >= 0, got ${resolved[name]}`,
      );
    }
  }
  if (typeof resolved.random !== 'function') {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      'retry.random must be a function returning a number in [0, 1)',
    );
  }
  return resolved;
}

/**
 * The wait before retry number `retry` (1 for the first retry): a uniformly random whole number of
 * ms between 0 and `min(maxDelayMs, baseDelayMs * 2^(retry-1))` (core's `backoffDelay`, full jitter).
 */
export function retryDelay(retry: number, options: ResolvedRetryOptions): number {
  return backoffDelay(retry, { baseMs: options.baseDelayMs, maxMs: options.maxDelayMs }, options.random);
}
