/**
 * The failure policy of `consumer.run(handler, { failure })`: what happens when a batch handler throws
 * or reports failed records. The semantics follow AWS Lambda's Kinesis event source mapping
 * (`MaximumRetryAttempts`, `BisectBatchOnFunctionError`, `ReportBatchItemFailures`,
 * `MaximumRecordAgeInSeconds`, on-failure destination); this file holds the options and their
 * validation, the retry loop lives in `batch-retrier.ts`.
 */
import {
  assertKnownOptions,
  backoffDelay,
  ErrorCode,
  type OptionKeys,
  ValidationError,
} from '@kinesis-ts/core';
import {
  type FailureDestination,
  type FailureDestinationInput,
  toFailureDestination,
} from './failure-destination.js';

/** Options of the failure policy (`run(handler, { failure })`). */
export interface FailurePolicyOptions {
  /**
   * Retries of a failed batch (Lambda: `MaximumRetryAttempts`). `0`: a failed batch goes to the
   * destination at once. Default `Infinity` (Lambda's `-1`): retried until it succeeds or, with
   * `maxRecordAgeMs`, gets too old. Splitting a batch in halves (`bisectOnError`) does not count.
   */
  readonly maxRetryAttempts?: number;
  /** First retry delay; doubled on every further retry of the same records. Default 100 ms. */
  readonly retryBaseDelayMs?: number;
  /** Longest retry delay. Default 10,000 ms. */
  readonly retryMaxDelayMs?: number;
  /**
   * On a thrown error, split the failing records in two halves and try them separately, until the
   * failing record is alone (Lambda: `BisectBatchOnFunctionError`). Default `false`.
   */
  readonly bisectOnError?: boolean;
  /**
   * Records that failed and are older than this (by `approximateArrivalTimestamp`) are not retried
   * but sent to the destination (Lambda: `MaximumRecordAgeInSeconds`, here in milliseconds). Default
   * `Infinity`. Unlike Lambda, records that never failed are always handed to the handler, however old.
   */
  readonly maxRecordAgeMs?: number;
  /**
   * Where records go that exhausted the policy (Lambda: `DestinationConfig.OnFailure`): a function, a
   * `{ send, close? }` object, or a shipped helper (`kinesisStreamDestination`,
   * `jsonLinesFileDestination`). Required when `maxRetryAttempts` or `maxRecordAgeMs` is finite:
   * records are checkpointed only after they were processed or the destination accepted them.
   */
  readonly destination?: FailureDestinationInput;
  /**
   * Attempts to hand one group of records to the destination before the consumer stops (`run()`
   * rejects with `FAILURE_DESTINATION_FAILED`; nothing is checkpointed past them). Attempts are spaced
   * like retries. Default `Infinity`: the shard waits at those records until the destination accepts.
   */
  readonly destinationMaxAttempts?: number;
  /** Longest wait for one destination call; a call that does not answer counts as failed. Default 30,000 ms. */
  readonly destinationTimeoutMs?: number;
}

/** The failure policy with every default applied. */
export interface ResolvedFailurePolicy {
  readonly maxRetryAttempts: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly bisectOnError: boolean;
  readonly maxRecordAgeMs: number;
  readonly destination: FailureDestination | null;
  readonly destinationMaxAttempts: number;
  readonly destinationTimeoutMs: number;
}

/** Counters of the failure policy, over all shards, since the consumer was created. */
export interface FailureStats {
  /** Handler calls that threw or reported failed records (and were not stopped by a lost lease or close). */
  readonly handlerFailures: number;
  /** Retries of failed records (each one after a backoff delay). */
  readonly retries: number;
  /** Failing batches split in two (`bisectOnError`). */
  readonly bisections: number;
  /** Records the destination accepted (for any reason). */
  readonly recordsSentToDestination: number;
  /** Of those, records sent because they were older than `maxRecordAgeMs`. */
  readonly recordsSkippedByAge: number;
  /** Destination calls that failed (threw or timed out); the records were offered again. */
  readonly destinationFailures: number;
}

const FAILURE_POLICY_KEYS: OptionKeys<FailurePolicyOptions> = {
  maxRetryAttempts: true,
  retryBaseDelayMs: true,
  retryMaxDelayMs: true,
  bisectOnError: true,
  maxRecordAgeMs: true,
  destination: true,
  destinationMaxAttempts: true,
  destinationTimeoutMs: true,
};

function nonNegative(name: string, value: number | undefined, fallback: number, integer: boolean): number {
  if (value === undefined) return fallback;
  const ok =
    typeof value === 'number' &&
    !Number.isNaN(value) &&
    value >= 0 &&
    (value === Number.POSITIVE_INFINITY || !integer || Number.isInteger(value));
  if (!ok) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `failure.${name} must be ${integer ? 'a non-negative integer' : 'a non-negative number'} or Infinity`,
      { context: { [name]: value } },
    );
  }
  return value;
}

/**
 * Validates the failure policy and applies defaults.
 * @throws ValidationError when an option is invalid, or when records could be given up (finite
 * `maxRetryAttempts` or `maxRecordAgeMs`) and no destination takes them.
 */
export function resolveFailurePolicy(options: FailurePolicyOptions): ResolvedFailurePolicy {
  if (options === null || typeof options !== 'object') {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'failure must be an object', {
      context: { failure: options === null ? 'null' : typeof options },
    });
  }
  assertKnownOptions(options, FAILURE_POLICY_KEYS, { path: 'failure.' });
  const retryBaseDelayMs = nonNegative('retryBaseDelayMs', options.retryBaseDelayMs, 100, false);
  const retryMaxDelayMs = nonNegative('retryMaxDelayMs', options.retryMaxDelayMs, 10_000, false);
  if (retryMaxDelayMs < retryBaseDelayMs || !Number.isFinite(retryMaxDelayMs)) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      'failure.retryMaxDelayMs must be finite and at least retryBaseDelayMs',
      { context: { retryBaseDelayMs, retryMaxDelayMs } },
    );
  }
  const maxRecordAgeMs = nonNegative('maxRecordAgeMs', options.maxRecordAgeMs, Infinity, false);
  const maxRetryAttempts = nonNegative('maxRetryAttempts', options.maxRetryAttempts, Infinity, true);
  const destinationMaxAttempts = nonNegative(
    'destinationMaxAttempts',
    options.destinationMaxAttempts,
    Infinity,
    true,
  );
  if (destinationMaxAttempts < 1) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      'failure.destinationMaxAttempts must be at least 1',
      {
        context: { destinationMaxAttempts },
      },
    );
  }
  const destinationTimeoutMs = nonNegative(
    'destinationTimeoutMs',
    options.destinationTimeoutMs,
    30_000,
    false,
  );
  if (destinationTimeoutMs <= 0 || !Number.isFinite(destinationTimeoutMs)) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      'failure.destinationTimeoutMs must be positive and finite',
      {
        context: { destinationTimeoutMs },
      },
    );
  }
  if (options.bisectOnError !== undefined && typeof options.bisectOnError !== 'boolean') {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'failure.bisectOnError must be a boolean', {
      context: { bisectOnError: options.bisectOnError },
    });
  }
  const destination = options.destination === undefined ? null : toFailureDestination(options.destination);
  if (destination === null && (Number.isFinite(maxRetryAttempts) || Number.isFinite(maxRecordAgeMs))) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      'failure.destination is required when maxRetryAttempts or maxRecordAgeMs is finite: records are checkpointed only after they were processed or a destination accepted them (pass a function that ignores them to drop them)',
      { context: { maxRetryAttempts, maxRecordAgeMs } },
    );
  }
  return {
    maxRetryAttempts,
    retryBaseDelayMs,
    retryMaxDelayMs,
    bisectOnError: options.bisectOnError ?? false,
    maxRecordAgeMs,
    destination,
    destinationMaxAttempts,
    destinationTimeoutMs,
  };
}

/**
 * Delay before retry number `retry` (1-based): `retryBaseDelayMs · 2^(retry-1)`, at most
 * `retryMaxDelayMs`, with "equal jitter" (between half and all of it, core's `backoffDelay`) so
 * shards failing together do not retry in lockstep. `random` is injectable for tests.
 */
export function retryDelayMs(
  policy: Pick<ResolvedFailurePolicy, 'retryBaseDelayMs' | 'retryMaxDelayMs'>,
  retry: number,
  random: () => number = Math.random,
): number {
  return backoffDelay(
    retry,
    { baseMs: policy.retryBaseDelayMs, maxMs: policy.retryMaxDelayMs, jitter: 'equal' },
    random,
  );
}
