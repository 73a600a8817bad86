/**
 * Kinesis size and count limits, and the size of a record as Kinesis counts it.
 */

import { ErrorCode, ValidationError } from './errors.js';

/**
 * The default maximum size of one Kinesis record: data plus partition key bytes (1 MiB). Streams can
 * be configured for larger records; pass the stream's limit where a function takes one.
 */
export const MAX_RECORD_SIZE_BYTES = 1024 * 1024;

/** The most records one `PutRecords` request may carry. */
export const MAX_PUT_RECORDS_COUNT = 500;

/** The most bytes (data plus partition keys) one `PutRecords` request may carry: 10 MiB. */
export const MAX_PUT_RECORDS_BYTES = 10 * 1024 * 1024;

/** The KPL's default cap on the encoded size of one aggregated record (`AggregationMaxSize`, 50 KiB). */
export const KPL_DEFAULT_MAX_AGGREGATE_BYTES = 51200;

/** UTF-8 byte length of a string or the length of a byte array. */
export function byteLength(value: string | Uint8Array): number {
  return typeof value === 'string' ? Buffer.byteLength(value, 'utf8') : value.byteLength;
}

/**
 * The size Kinesis charges a record against its limits: data bytes plus the UTF-8 bytes of the
 * partition key. An explicit hash key does not count (per the `PutRecords` API reference).
 * String data counts as its UTF-8 encoding.
 */
export function userRecordSize(record: {
  readonly partitionKey: string;
  readonly data: string | Uint8Array;
  readonly explicitHashKey?: string | undefined;
}): number {
  return byteLength(record.data) + Buffer.byteLength(record.partitionKey, 'utf8');
}

/**
 * Throws a {@link ValidationError} (`RECORD_TOO_LARGE`, context `{ size, limit }`) when
 * {@link userRecordSize} of `record` exceeds `maxBytes` (default {@link MAX_RECORD_SIZE_BYTES}).
 */
export function assertRecordSize(
  record: {
    readonly partitionKey: string;
    readonly data: string | Uint8Array;
    readonly explicitHashKey?: string | undefined;
  },
  maxBytes: number = MAX_RECORD_SIZE_BYTES,
): void {
  const size = userRecordSize(record);
  if (size > maxBytes) {
    throw new ValidationError(
      ErrorCode.RECORD_TOO_LARGE,
      `record is ${size} bytes (data + partition key), over the limit of ${maxBytes} bytes`,
      { context: { size, limit: maxBytes } },
    );
  }
}
