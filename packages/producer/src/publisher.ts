/**
 * Sends one PutRecords request and classifies each entry's outcome: written, worth retrying, or
 * failed for good.
 */

import { ErrorCode, toTransferableError } from '@kinesis-ts/core';
import type { PutEntry } from './entries.js';
import type { EntryError } from './failure-cause.js';
import type { PutRecordsEntry, PutRecordsResultEntry } from './kinesis-api.js';
import { isCallTimeout, isOutcomeUnknown } from './request-timeout.js';

/** What happened to one entry of a request. */
export type EntryOutcome =
  | { readonly kind: 'ok'; readonly shardId: string; readonly sequenceNumber: string }
  | {
      readonly kind: 'retry';
      readonly error: string;
      readonly throttled: boolean;
      /** No answer came back (timeout, reset): the entry may have been written; a retry may duplicate it. */
      readonly outcomeUnknown: boolean;
      /** The request hit the producer's timeout. */
      readonly timedOut: boolean;
      /** What Kinesis said (the cause of the record's failure if this was its last attempt). */
      readonly detail: EntryError;
    }
  | {
      readonly kind: 'fatal';
      readonly code: ErrorCode;
      readonly error: string;
      readonly message: string;
      readonly detail: EntryError;
    };

const THROTTLE_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'LimitExceededException',
  'KMSThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
]);

/** True when an error name (or per-entry error code) means "slow down". */
export function isThrottle(name: string): boolean {
  return THROTTLE_NAMES.has(name);
}

/** Whole-request errors that no retry can fix. */
function fatalCode(name: string): ErrorCode | undefined {
  if (name === 'ResourceNotFoundException') return ErrorCode.STREAM_NOT_FOUND;
  if (name === 'InvalidArgumentException' || name === 'ValidationException')
    return ErrorCode.KINESIS_REQUEST_FAILED;
  return undefined;
}

function errorName(error: unknown): string {
  if (isCallTimeout(error)) return 'RequestTimeout';
  if (error instanceof Error)
    return error.name === 'Error' && 'code' in error ? String(error.code) : error.name;
  return 'UnknownError';
}

/**
 * Puts `batch` with `put` (one PutRecords call, bounded in time by the caller) and returns one outcome
 * per entry, in order. Never throws: a failed request turns into the same outcome for every entry
 * (retry, or fatal for an unknown stream or an invalid request).
 */
export async function publish(
  put: (entries: readonly PutRecordsEntry[]) => Promise<readonly PutRecordsResultEntry[]>,
  batch: readonly PutEntry[],
): Promise<EntryOutcome[]> {
  let results: readonly PutRecordsResultEntry[];
  try {
    results = await put(
      batch.map((e) => ({ Data: e.data, PartitionKey: e.partitionKey, ExplicitHashKey: e.explicitHashKey })),
    );
  } catch (error) {
    const name = errorName(error);
    const code = fatalCode(name);
    // One transferable copy of the request's error, shared by every entry of the request.
    const detail: EntryError = {
      errorCode: name,
      errorMessage: error instanceof Error ? error.message : String(error),
      requestError: toTransferableError(error),
    };
    const outcome: EntryOutcome =
      code === undefined
        ? {
            kind: 'retry',
            error: name,
            throttled: isThrottle(name),
            outcomeUnknown: isOutcomeUnknown(error),
            timedOut:
              isCallTimeout(error) ||
              (error instanceof Error && error.name === 'TimeoutError' && isOutcomeUnknown(error)),
            detail,
          }
        : {
            kind: 'fatal',
            code,
            error: name,
            message: error instanceof Error ? error.message : String(error),
            detail,
          };
    return batch.map(() => outcome);
  }
  return results.map((r): EntryOutcome => {
    if (r.ErrorCode === undefined && r.ShardId !== undefined && r.SequenceNumber !== undefined) {
      return { kind: 'ok', shardId: r.ShardId, sequenceNumber: r.SequenceNumber };
    }
    const error = r.ErrorCode ?? 'InternalFailure';
    return {
      kind: 'retry',
      error,
      throttled: isThrottle(error),
      outcomeUnknown: false,
      timedOut: false,
      detail: { errorCode: error, errorMessage: r.ErrorMessage, requestError: undefined },
    };
  });
}
