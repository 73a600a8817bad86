/**
 * Per-record outcomes the host reports back to the producer, batched per PutRecords response.
 */

import type { RecordFailure } from './errors.js';

/** A record Kinesis acknowledged. */
export interface RecordSuccess {
  /** The record's producer-assigned id. */
  readonly id: number;
  /** Shard the (outer) Kinesis record landed on. */
  readonly shardId: string;
  /** Its sequence number. */
  readonly sequenceNumber: string;
  /** Index inside the KPL aggregate, or `undefined` for a plain record. */
  readonly subSequenceNumber: number | undefined;
}

/** A record given up. */
export interface RecordRejection {
  /** The record's producer-assigned id. */
  readonly id: number;
  /** Why. */
  readonly failure: RecordFailure;
}

/** The outcome of one record. */
export type RecordAck = RecordSuccess | RecordRejection;
