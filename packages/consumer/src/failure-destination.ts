/**
 * The failure destination contract: where records go that exhausted the failure policy (Lambda's
 * on-failure destination), and the JSON document the shipped destinations write for each record.
 */
import { ErrorCode, type KinesisRecord, ValidationError } from '@kinesis-ts/core';
import { itemIdentifier } from './item-identifier.js';

/** Why records were given up (Lambda's `requestContext.condition` names). */
export type FailureCondition = 'RetryAttemptsExhausted' | 'RecordAgeExceeded';

/** One group of consecutive records of one shard that the policy gave up, with why. */
export interface FailedRecords {
  readonly streamName: string;
  readonly consumerGroup: string;
  readonly shardId: string;
  /** The records, in shard order (one record once bisecting isolated it). */
  readonly records: readonly KinesisRecord[];
  readonly condition: FailureCondition;
  /** The last error of the handler for these records. */
  readonly error: unknown;
  /** Handler calls that included all of these records and failed. */
  readonly attempts: number;
  /** When the policy gave them up (epoch ms). */
  readonly failedAt: Date;
}

/**
 * A destination for records the policy gave up. `send` resolves when the records are stored (only then
 * are they checkpointed); it rejects, or does not answer within `destinationTimeoutMs`, to have them
 * offered again after a backoff. `signal` aborts when the shard stops here (lease lost, close): a send
 * may stop early then (its records are not checkpointed). Sends of one shard never overlap; sends of
 * different shards may. `close()` runs once at the end of the consumer's `close()`.
 */
export interface FailureDestination {
  send(failed: FailedRecords, signal: AbortSignal): Promise<void>;
  close?(): Promise<void>;
}

/** A destination as an option: the object, or just its `send` function. */
export type FailureDestinationInput =
  | FailureDestination
  | ((failed: FailedRecords, signal: AbortSignal) => Promise<void> | void);

/** Normalises the `destination` option. @throws ValidationError for anything else. */
export function toFailureDestination(input: FailureDestinationInput): FailureDestination {
  if (typeof input === 'function') {
    return { send: async (failed, signal) => input(failed, signal) };
  }
  if (input !== null && typeof input === 'object' && typeof input.send === 'function') return input;
  throw new ValidationError(
    ErrorCode.INVALID_ARGUMENT,
    'failure.destination must be a function or an object with send(failed, signal)',
    { context: { destination: input === null ? 'null' : typeof input } },
  );
}

/** The JSON document the shipped destinations write for one failed record (version 1). */
export interface FailedRecordDocument {
  readonly version: 1;
  readonly condition: FailureCondition;
  readonly streamName: string;
  readonly consumerGroup: string;
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly subSequenceNumber: number;
  /** As a handler names it in `batchItemFailures` (see `itemIdentifier`). */
  readonly itemIdentifier: string;
  readonly partitionKey: string;
  readonly explicitHashKey?: string;
  readonly approximateArrivalTimestamp: string;
  readonly aggregated: boolean;
  readonly attempts: number;
  readonly failedAt: string;
  readonly error: { readonly name: string; readonly message: string; readonly code?: string };
  /** First and last sequence numbers of the group the record was given up with. */
  readonly group: {
    readonly size: number;
    readonly firstSequenceNumber: string;
    readonly lastSequenceNumber: string;
  };
  /** The payload, base64 (absent with `includeData: false`). */
  readonly data?: string;
}

/** A short, serialisable description of an error. */
export function describeError(error: unknown): { name: string; message: string; code?: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      ...(typeof code === 'string' ? { code } : {}),
    };
  }
  return { name: 'Error', message: String(error) };
}

/** One document per record of `failed` (per-group work done once, not per record). */
export function failedRecordDocuments(failed: FailedRecords, includeData = true): FailedRecordDocument[] {
  const first = failed.records[0];
  const last = failed.records[failed.records.length - 1];
  if (first === undefined || last === undefined) return [];
  const error = describeError(failed.error);
  const failedAt = failed.failedAt.toISOString();
  const group = {
    size: failed.records.length,
    firstSequenceNumber: first.sequenceNumber,
    lastSequenceNumber: last.sequenceNumber,
  };
  return failed.records.map((record) => ({
    version: 1,
    condition: failed.condition,
    streamName: failed.streamName,
    consumerGroup: failed.consumerGroup,
    shardId: failed.shardId,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: record.subSequenceNumber,
    itemIdentifier: itemIdentifier(record),
    partitionKey: record.partitionKey,
    ...(record.explicitHashKey === undefined ? {} : { explicitHashKey: record.explicitHashKey }),
    approximateArrivalTimestamp: record.approximateArrivalTimestamp.toISOString(),
    aggregated: record.aggregated,
    attempts: failed.attempts,
    failedAt,
    error,
    group,
    ...(includeData
      ? {
          data: Buffer.from(record.data.buffer, record.data.byteOffset, record.data.byteLength).toString(
            'base64',
          ),
        }
      : {}),
  }));
}
