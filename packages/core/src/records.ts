/**
 * Records: what the consumer yields ({@link KinesisRecord}) and what the producer accepts
 * ({@link UserRecord}).
 */

/** One user record as delivered by the consumer, after KPL deaggregation. */
export interface KinesisRecord {
  /** The record's payload. A `Buffer` in Node (a `Uint8Array` subclass). */
  readonly data: Uint8Array;
  /** The partition key the producer used (the inner key for aggregated records). */
  readonly partitionKey: string;
  /** Sequence number of the Kinesis record that carried this user record. */
  readonly sequenceNumber: string;
  /**
   * Position inside a KPL aggregate (0-based); `0` for plain records. Together with
   * `sequenceNumber` it orders records within a shard and is what checkpoints store.
   */
  readonly subSequenceNumber: number;
  /** Explicit hash key, when the producer set one (inner key for aggregated records). */
  readonly explicitHashKey?: string | undefined;
  /** Shard the record was read from. */
  readonly shardId: string;
  /** When Kinesis accepted the (outer) record. */
  readonly approximateArrivalTimestamp: Date;
  /** True when the record was unpacked from a KPL aggregate. */
  readonly aggregated: boolean;
  /** Encryption type reported by Kinesis (`NONE` or `KMS`), when present. */
  readonly encryptionType?: string | undefined;
}

/** A record as a producer accepts it. */
export interface UserRecord {
  /** The payload: a string is encoded as UTF-8. */
  readonly data: string | Uint8Array;
  /** Partition key (1..256 characters). Generated when absent. */
  readonly partitionKey?: string | undefined;
  /** Explicit hash key: a decimal integer in 0..2^128-1 that overrides the key's hash. */
  readonly explicitHashKey?: string | undefined;
}

const utf8 = new TextDecoder('utf-8');

/** Decodes a record's data as UTF-8 text. */
export function recordText(record: Pick<KinesisRecord, 'data'>): string {
  return utf8.decode(record.data);
}

/** Parses a record's data as UTF-8 JSON. Throws the `SyntaxError` of `JSON.parse` on bad input. */
export function recordJson<T = unknown>(record: Pick<KinesisRecord, 'data'>): T {
  return JSON.parse(recordText(record)) as T;
}

/**
 * A position in a shard: the unit checkpoints are written in. Usually a record's; a rewind may also
 * store `TRIM_HORIZON`, `LATEST` or a timestamp (see `checkpointPosition`).
 */
export interface Checkpoint {
  /**
   * Sequence number of the Kinesis record, or a sentinel (`TRIM_HORIZON`, `LATEST`,
   * `AT_TIMESTAMP:<epoch ms>`) for a position that is not a record.
   */
  readonly sequenceNumber: string;
  /** Sub-sequence number inside a KPL aggregate (`0` for plain records). */
  readonly subSequenceNumber: number;
}

/**
 * Compares two records' positions: negative when `a` comes before `b`, 0 when equal, positive after.
 * Sequence numbers are compared numerically (they are decimal strings of up to 128 bits). Sentinel
 * checkpoints (`TRIM_HORIZON`, ...) are not records: check `isRecordCheckpoint` first.
 * @throws SyntaxError when a sequence number is not decimal.
 */
export function compareCheckpoints(a: Checkpoint, b: Checkpoint): number {
  if (a.sequenceNumber !== b.sequenceNumber) {
    const x = BigInt(a.sequenceNumber);
    const y = BigInt(b.sequenceNumber);
    return x < y ? -1 : 1;
  }
  return a.subSequenceNumber - b.subSequenceNumber;
}
