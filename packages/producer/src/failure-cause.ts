/**
 * The typed cause a record's failure carries: what Kinesis said about the record's last attempt (its
 * per-entry `ErrorCode` / `ErrorMessage`, or the error of the whole request), as plain data so it
 * crosses the host's IPC channel inside a {@link RecordFailure}.
 */

import { ErrorCode, type TransferableError } from '@kinesis-ts/core';

/** What Kinesis said about one failed attempt of an entry (plain data). */
export interface EntryError {
  /** Kinesis' per-entry `ErrorCode`, or the failed request's error name (`RequestTimeout` for the producer's timeout). */
  readonly errorCode: string;
  /** Kinesis' per-entry `ErrorMessage`, or the failed request's message. */
  readonly errorMessage: string | undefined;
  /** The whole request failed: its error, transferable (one object shared by the request's entries). */
  readonly requestError: TransferableError | undefined;
}

/** Where and how often the record was tried, for the cause's context. */
export interface CauseContext {
  readonly streamName: string;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
  /** The shard the record was predicted to land on (`''` when unknown). */
  readonly shardId: string;
  /** Attempts made, the failed one included. */
  readonly attempts: number;
}

/**
 * The cause of a record failure as a transferable `KinesisTsError` (`TIMEOUT` when the request got no
 * answer in time, else `KINESIS_REQUEST_FAILED`), whose own cause is the request's error if any.
 * Built as data (no `Error`, no stack captured): `fromTransferableError` turns it into the error.
 */
export function failureCause(error: EntryError, where: CauseContext): TransferableError {
  const timedOut = error.requestError?.code === ErrorCode.TIMEOUT;
  const context: Record<string, unknown> = {
    streamName: where.streamName,
    partitionKey: where.partitionKey,
    attempts: where.attempts,
    errorCode: error.errorCode,
  };
  if (error.errorMessage !== undefined) context.errorMessage = error.errorMessage;
  if (where.explicitHashKey !== undefined) context.explicitHashKey = where.explicitHashKey;
  if (where.shardId !== '') context.shardId = where.shardId;
  const base = {
    name: 'KinesisTsError',
    code: timedOut ? ErrorCode.TIMEOUT : ErrorCode.KINESIS_REQUEST_FAILED,
    message:
      error.requestError === undefined
        ? `PutRecords entry failed: ${error.errorCode}${error.errorMessage ? `: ${error.errorMessage}` : ''}`
        : `PutRecords request failed: ${error.errorCode}${error.errorMessage ? `: ${error.errorMessage}` : ''}`,
    context,
  };
  return error.requestError === undefined ? base : { ...base, cause: error.requestError };
}
