/**
 * Item identifiers of a partial batch response (`{ batchItemFailures: [{ itemIdentifier }] }`,
 * Lambda's shape): which record of a batch a handler reports as failed.
 *
 * Format: the record's `sequenceNumber` for a plain record (as in Lambda); for a user record unpacked
 * from a KPL aggregate, `<sequenceNumber>:<subSequenceNumber>` (records of one aggregate share the
 * sequence number). A bare sequence number also names the first user record of an aggregate.
 */
import type { KinesisRecord } from '@kinesis-ts/core';

/** The handler's partial batch response (Lambda's `StreamsEventResponse` shape). */
export interface BatchResponse {
  /** The failed records; `null`, `undefined` or empty: the whole batch succeeded. */
  readonly batchItemFailures?: ReadonlyArray<{ readonly itemIdentifier: string }> | null;
}

/** The identifier that names `record` in `batchItemFailures`. */
export function itemIdentifier(
  record: Pick<KinesisRecord, 'sequenceNumber' | 'subSequenceNumber' | 'aggregated'>,
): string {
  return record.aggregated ? `${record.sequenceNumber}:${record.subSequenceNumber}` : record.sequenceNumber;
}

/** What a handler's return value says about its batch. */
export type ResponseVerdict =
  | { readonly type: 'ok' }
  /** The first failed record is `records[index]`; the ones before it succeeded. */
  | { readonly type: 'partial'; readonly index: number }
  /** The response names no record of the batch (Lambda's rule: the whole batch failed). */
  | { readonly type: 'invalid'; readonly reason: string };

const IDENTIFIER = /^(\d+)(?::(\d+))?$/;

/**
 * Reads a handler's return value against its batch. Anything but an object with a non-empty
 * `batchItemFailures` array is success (as in Lambda). Identifiers are looked up in one pass over the
 * batch, up to the earliest failed record (the one that counts); identifiers of no record are ignored
 * as long as one names a record.
 */
export function readBatchResponse(response: unknown, records: readonly KinesisRecord[]): ResponseVerdict {
  if (response === null || typeof response !== 'object') return { type: 'ok' };
  const failures = (response as BatchResponse).batchItemFailures;
  if (failures === undefined || failures === null) return { type: 'ok' };
  if (!Array.isArray(failures)) return { type: 'invalid', reason: 'batchItemFailures is not an array' };
  if (failures.length === 0) return { type: 'ok' };
  const wanted = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || !IDENTIFIER.test(id)) {
      return { type: 'invalid', reason: `invalid itemIdentifier ${JSON.stringify(id ?? null)}` };
    }
    wanted.add(id);
  }
  let first = -1;
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    if (
      wanted.has(`${record.sequenceNumber}:${record.subSequenceNumber}`) ||
      (wanted.has(record.sequenceNumber) && (record.subSequenceNumber === 0 || !record.aggregated))
    ) {
      first = i;
      break;
    }
  }
  if (first < 0) {
    return {
      type: 'invalid',
      reason: `no record of the batch matches itemIdentifier ${JSON.stringify([...wanted][0])}`,
    };
  }
  return { type: 'partial', index: first };
}
