/**
 * The records the host buffers and the Kinesis entries it builds from them.
 */

import type { EntryError } from './failure-cause.js';

/** A user record inside the host, with what routing, expiry and acknowledgement need. */
export interface PendingRecord {
  /** The producer-assigned id (increasing in `put()` order). */
  readonly id: number;
  /** Payload bytes. */
  readonly data: Uint8Array;
  /** Partition key. */
  readonly partitionKey: string;
  /** Explicit hash key, when the caller gave one. */
  readonly explicitHashKey: string | undefined;
  /** Effective hash key (explicit, else MD5 of the partition key). */
  readonly hashKey: bigint;
  /** Data + partition key bytes, as Kinesis counts them. */
  readonly size: number;
  /** When the host received it (clock ms). */
  readonly arrivedAt: number;
  /** When it expires if not acknowledged (clock ms). */
  readonly deadline: number;
}

/** One entry of a PutRecords request: a plain record or a KPL aggregate of several. */
export interface PutEntry {
  /** Orders entries of a shard: the id of the first record. */
  readonly seq: number;
  /** The user records it carries (one for a plain record). */
  readonly records: readonly PendingRecord[];
  /** Bytes to put. */
  readonly data: Uint8Array;
  /** Partition key to put with. */
  readonly partitionKey: string;
  /** Explicit hash key to put with. */
  readonly explicitHashKey: string | undefined;
  /** Data + partition key bytes. */
  readonly size: number;
  /** True for a KPL aggregate. */
  readonly aggregated: boolean;
  /** The shard it is predicted to land on (`''` when the shard map had none). */
  readonly shardId: string;
  /** Shard-map version the prediction was made with. */
  readonly mapVersion: number;
  /** When the entry should be sent at the latest (first record's arrival + buffer time). */
  readonly dueAt: number;
  /** When the entry expires (earliest record deadline). */
  readonly deadline: number;
  /** The partition keys of its user records (ordered mode). */
  readonly keys: readonly string[];
  /** Failed attempts so far. */
  attempts: number;
  /** Not to be sent before this time (retry backoff). */
  notBefore: number;
  /** The last error code Kinesis gave for it. */
  lastError: string | undefined;
  /** What Kinesis said about the last failed attempt (the cause if the entry's records fail). */
  lastErrorDetail: EntryError | undefined;
  /** An earlier attempt got no answer (timeout, reset): it may already be in the stream. */
  maybeWritten: boolean;
}

/** A plain (not aggregated) entry for one record. */
export function plainEntry(
  record: PendingRecord,
  shardId: string,
  mapVersion: number,
  bufferTime: number,
): PutEntry {
  return {
    seq: record.id,
    records: [record],
    data: record.data,
    partitionKey: record.partitionKey,
    explicitHashKey: record.explicitHashKey,
    size: record.size,
    aggregated: false,
    shardId,
    mapVersion,
    dueAt: record.arrivedAt + bufferTime,
    deadline: record.deadline,
    keys: [record.partitionKey],
    attempts: 0,
    notBefore: 0,
    lastError: undefined,
    lastErrorDetail: undefined,
    maybeWritten: false,
  };
}
