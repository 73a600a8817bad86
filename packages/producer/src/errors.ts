/**
 * The error a `put()` promise rejects with when its record could not be written.
 */

import { type ErrorCode, KinesisTsError, type TransferableError, type UserRecord } from '@kinesis-ts/core';

/**
 * A record was accepted but not written: it expired after retries (`RECORD_EXPIRED`), the stream does
 * not exist (`STREAM_NOT_FOUND`), or Kinesis rejected the request for good (`KINESIS_REQUEST_FAILED`).
 * Carries the record so the caller can log, spool or resend it.
 */
export class ProducerRecordError extends KinesisTsError {
  /** The record as it was passed to `put()` (string data stays a string). */
  readonly record: UserRecord;

  constructor(
    code: ErrorCode,
    message: string,
    record: UserRecord,
    options: { cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
    this.record = record;
  }
}

/** A failure as the host reports it (plain data, so it crosses the IPC channel). */
export interface RecordFailure {
  /** Stable error code. */
  readonly code: ErrorCode;
  /** Human-readable reason. */
  readonly message: string;
  /** Ids and values that explain the failure (stream, attempts, last error). */
  readonly context: Record<string, unknown>;
  /**
   * What Kinesis said about the record's last attempt (per-entry `ErrorCode` / `ErrorMessage`, or the
   * request's error), as core's transferable data; the rejection's `cause` is rebuilt from it.
   */
  readonly cause?: TransferableError | undefined;
}
