/**
 * The KPL aggregated record format: decode, deaggregate (as the KCL does) and encode.
 *
 * An aggregate is the 4-byte magic `F3 89 9A C2`, a protobuf `AggregatedRecord` (partition key table,
 * explicit hash key table, records that point into both tables), and the 16-byte MD5 of the protobuf
 * bytes. See `aggregation-wire.ts` for the message definitions and {@link AggregateBuilder} for
 * building aggregates under a size cap.
 */

import { createHash } from 'node:crypto';
import {
  parseAggregatedRecord,
  serializeAggregatedRecord,
  type WireAggregate,
  WireFormatError,
  type WireRecordInput,
} from './aggregation-wire.js';
import { ErrorCode, isKinesisTsError, ValidationError } from './errors.js';
import { isExplicitHashKey, parseExplicitHashKey, validatePartitionKey } from './hash-keys.js';
import type { KinesisRecord } from './records.js';

/** The 4 bytes every KPL aggregate starts with: `F3 89 9A C2`. Do not mutate. */
export const KPL_MAGIC: Uint8Array = new Uint8Array([0xf3, 0x89, 0x9a, 0xc2]);

const MAGIC_0 = 0xf3;
const MAGIC_1 = 0x89;
const MAGIC_2 = 0x9a;
const MAGIC_3 = 0xc2;
const MAGIC_BYTES = 4;
/** Private copy of the magic, safe from callers mutating {@link KPL_MAGIC}. */
const KPL_MAGIC_BYTES = new Uint8Array([MAGIC_0, MAGIC_1, MAGIC_2, MAGIC_3]);
const DIGEST_BYTES = 16;

/** Bytes an aggregate adds around its protobuf message: magic (4) plus MD5 digest (16). */
export const KPL_AGGREGATE_OVERHEAD_BYTES = MAGIC_BYTES + DIGEST_BYTES;

/** One user record unpacked from an aggregate. */
export interface AggregatedUserRecord {
  /** The user record's own partition key (from the aggregate's key table). */
  partitionKey: string;
  /** The user record's explicit hash key, when it had one. */
  explicitHashKey?: string;
  /** The payload: a `Buffer` view into the aggregate's bytes (no copy). */
  data: Uint8Array;
}

/**
 * True when `data` starts with the KPL magic and is long enough to hold a digest and a non-empty
 * message: the KCL's test for whether to try deaggregating a record.
 */
export function hasAggregateMagic(data: Uint8Array): boolean {
  return (
    data.length > KPL_AGGREGATE_OVERHEAD_BYTES &&
    data[0] === MAGIC_0 &&
    data[1] === MAGIC_1 &&
    data[2] === MAGIC_2 &&
    data[3] === MAGIC_3
  );
}

function md5(bytes: Uint8Array): Buffer {
  return createHash('md5').update(bytes).digest();
}

function invalid(reason: string, message: string, cause?: unknown): ValidationError {
  return new ValidationError(ErrorCode.INVALID_AGGREGATE, `invalid KPL aggregate: ${message}`, {
    cause,
    context: { reason },
  });
}

function digestMatches(data: Uint8Array, bodyEnd: number, digest: Uint8Array): boolean {
  for (let i = 0; i < DIGEST_BYTES; i++) {
    if (data[bodyEnd + i] !== digest[i]) return false;
  }
  return true;
}

/**
 * Decodes a KPL aggregate into its user records, strictly.
 *
 * Throws a {@link ValidationError} (`INVALID_AGGREGATE`, `context.reason` says which check failed,
 * `cause` holds the parser's error) when: the data is too short or lacks the magic; the MD5 digest
 * does not match; the protobuf is truncated or malformed; a record lacks a required field or points
 * past a key table; an explicit hash key in the table is not a decimal in 0..2^128-1; or the aggregate
 * holds no records. It never throws anything else, whatever the bytes. Each `data` is a `Buffer` view
 * into the memory of `data` (no copy): do not modify the input while you use them.
 */
export function decodeAggregate(data: Uint8Array): AggregatedUserRecord[] {
  if (!(data instanceof Uint8Array)) throw invalid('not-bytes', 'data is not a Uint8Array');
  if (data.length <= KPL_AGGREGATE_OVERHEAD_BYTES) {
    throw invalid('too-short', `${data.length} bytes is too short for magic, message and digest`);
  }
  if (data[0] !== MAGIC_0 || data[1] !== MAGIC_1 || data[2] !== MAGIC_2 || data[3] !== MAGIC_3) {
    throw invalid('bad-magic', 'data does not start with the KPL magic F3 89 9A C2');
  }
  const bodyEnd = data.length - DIGEST_BYTES;
  const body = data.subarray(MAGIC_BYTES, bodyEnd);
  if (!digestMatches(data, bodyEnd, md5(body))) {
    throw invalid('digest-mismatch', 'MD5 digest does not match the message');
  }
  let message: WireAggregate;
  try {
    message = parseAggregatedRecord(body);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw invalid(
      error instanceof WireFormatError ? 'malformed-message' : 'corrupt-protobuf',
      `cannot parse the protobuf message: ${detail}`,
      error,
    );
  }
  const { partitionKeys, explicitHashKeys, records } = message;
  if (records.length === 0) throw invalid('no-records', 'the aggregate holds no records');
  for (const key of explicitHashKeys) {
    if (!isExplicitHashKey(key)) {
      throw invalid(
        'bad-explicit-hash-key',
        `explicit hash key table holds ${JSON.stringify(key.slice(0, 64))}`,
      );
    }
  }
  const out = new Array<AggregatedUserRecord>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    const partitionKey = partitionKeys[record.partitionKeyIndex];
    if (partitionKey === undefined) {
      throw invalid(
        'index-out-of-range',
        `record ${i} has partition_key_index ${record.partitionKeyIndex}, table has ${partitionKeys.length}`,
      );
    }
    let explicitHashKey: string | undefined;
    if (record.explicitHashKeyIndex >= 0) {
      explicitHashKey = explicitHashKeys[record.explicitHashKeyIndex];
      if (explicitHashKey === undefined) {
        throw invalid(
          'index-out-of-range',
          `record ${i} has explicit_hash_key_index ${record.explicitHashKeyIndex}, table has ${explicitHashKeys.length}`,
        );
      }
    }
    out[i] = { partitionKey, explicitHashKey, data: record.data };
  }
  return out;
}

/** A Kinesis record as read from a shard, before deaggregation. */
export interface RawKinesisRecord {
  /** The record's bytes. */
  readonly data: Uint8Array;
  /** The (outer) partition key. */
  readonly partitionKey: string;
  /** The record's sequence number. */
  readonly sequenceNumber: string;
  /** The shard it was read from. */
  readonly shardId: string;
  /** When Kinesis accepted it. */
  readonly approximateArrivalTimestamp: Date;
  /** Explicit hash key, when known. */
  readonly explicitHashKey?: string | undefined;
  /** `NONE` or `KMS`, when reported. */
  readonly encryptionType?: string | undefined;
}

/** Options of {@link deaggregate}. */
export interface DeaggregateOptions {
  /**
   * Called when a record starts with the KPL magic but fails a check (digest, protobuf, indexes); the
   * record is then delivered as a plain record. Use it to log or count corrupt aggregates.
   */
  readonly onInvalidAggregate?: ((error: ValidationError, record: RawKinesisRecord) => void) | undefined;
}

function plainRecord(record: RawKinesisRecord): KinesisRecord {
  return {
    data: record.data,
    partitionKey: record.partitionKey,
    sequenceNumber: record.sequenceNumber,
    subSequenceNumber: 0,
    explicitHashKey: record.explicitHashKey,
    shardId: record.shardId,
    approximateArrivalTimestamp: record.approximateArrivalTimestamp,
    aggregated: false,
    encryptionType: record.encryptionType,
  };
}

/**
 * Turns one Kinesis record into the user records it carries, as the KCL does.
 *
 * A valid aggregate yields its user records in order, with `subSequenceNumber` 0..n-1,
 * `aggregated: true`, the inner partition and explicit hash keys, and the outer sequence number,
 * shard, arrival time and encryption type. Any other record, including one that starts with the magic
 * but fails a check of {@link decodeAggregate}, yields itself as one plain record
 * (`subSequenceNumber` 0, `aggregated: false`), so nothing is lost. (The KCL passes a record through
 * on a bad digest or unparsable protobuf too; on a bad table index it drops the record and logs,
 * which this function does not do.) A plain record costs a length check and four byte compares.
 */
export function deaggregate(record: RawKinesisRecord, options?: DeaggregateOptions): KinesisRecord[] {
  if (!hasAggregateMagic(record.data)) return [plainRecord(record)];
  let users: AggregatedUserRecord[];
  try {
    users = decodeAggregate(record.data);
  } catch (error) {
    options?.onInvalidAggregate?.(error as ValidationError, record);
    return [plainRecord(record)];
  }
  const out = new Array<KinesisRecord>(users.length);
  for (let i = 0; i < users.length; i++) {
    const user = users[i]!;
    out[i] = {
      data: user.data,
      partitionKey: user.partitionKey,
      sequenceNumber: record.sequenceNumber,
      subSequenceNumber: i,
      explicitHashKey: user.explicitHashKey,
      shardId: record.shardId,
      approximateArrivalTimestamp: record.approximateArrivalTimestamp,
      aggregated: true,
      encryptionType: record.encryptionType,
    };
  }
  return out;
}

/** A user record to put into an aggregate. String data is encoded as UTF-8. */
export interface AggregateInputRecord {
  /** Partition key (1..256 characters). */
  readonly partitionKey: string;
  /** Explicit hash key (decimal in 0..2^128-1), when the record has one. */
  readonly explicitHashKey?: string | undefined;
  /** The payload. */
  readonly data: Uint8Array | string;
}

/** Encodes data as bytes: strings as UTF-8, byte arrays as they are. */
export function dataBytes(data: Uint8Array | string): Uint8Array {
  return typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
}

/**
 * Validates a record for aggregation: its partition key (1..256 characters) and explicit hash key.
 * Throws {@link ValidationError} `INVALID_PARTITION_KEY` or `INVALID_EXPLICIT_HASH_KEY`.
 */
export function validateAggregateInput(record: AggregateInputRecord): void {
  validatePartitionKey(record.partitionKey);
  const ehk = record.explicitHashKey;
  // The regex check avoids a BigInt per record; parse only to throw the typed error.
  if (ehk !== undefined && ehk !== null && !isExplicitHashKey(ehk)) parseExplicitHashKey(ehk);
  const data = record.data;
  if (typeof data !== 'string' && !(data instanceof Uint8Array)) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'record data must be a string or a Uint8Array', {
      context: { type: typeof data },
    });
  }
}

/**
 * Frames a serialized `AggregatedRecord`: magic, message, MD5 digest.
 * @internal
 */
export function frameAggregate(body: Uint8Array): Uint8Array {
  const out = Buffer.allocUnsafe(KPL_AGGREGATE_OVERHEAD_BYTES + body.length);
  out.set(KPL_MAGIC_BYTES, 0);
  out.set(body, MAGIC_BYTES);
  out.set(md5(body), MAGIC_BYTES + body.length);
  return out;
}

/**
 * Key tables of an aggregate under construction: each distinct key once, in order of first use
 * (as the KPL builds them).
 * @internal
 */
export class KeyTable {
  /** The keys in table order. */
  readonly keys: string[] = [];
  private readonly index = new Map<string, number>();

  /** The index of `key`, or -1 when it is not in the table. */
  indexOf(key: string): number {
    return this.index.get(key) ?? -1;
  }

  /** Adds `key` if new; returns its index. */
  add(key: string): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.keys.length;
      this.keys.push(key);
      this.index.set(key, i);
    }
    return i;
  }

  /** Empties the table. */
  clear(): void {
    this.keys.length = 0;
    this.index.clear();
  }
}

/**
 * Encodes user records as one KPL aggregate (magic, protobuf, MD5), with each distinct partition key
 * and explicit hash key stored once. Validates every record first (partition key, explicit hash key,
 * data type) and throws {@link ValidationError} on the first bad one; throws `INVALID_ARGUMENT` for an
 * empty list. Applies no size limit: use {@link AggregateBuilder} to stay under one.
 */
export function encodeAggregate(records: readonly AggregateInputRecord[]): Uint8Array {
  if (records.length === 0) {
    throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'cannot encode an aggregate of zero records');
  }
  const partitionKeys = new KeyTable();
  const explicitHashKeys = new KeyTable();
  const entries = new Array<WireRecordInput>(records.length);
  for (let i = 0; i < records.length; i++) {
    const record = records[i]!;
    try {
      validateAggregateInput(record);
    } catch (error) {
      if (isKinesisTsError(error)) {
        throw new ValidationError(error.code, `record ${i}: ${error.message}`, {
          cause: error,
          context: { ...error.context, index: i },
        });
      }
      throw error;
    }
    const ehk = record.explicitHashKey;
    entries[i] = {
      partitionKeyIndex: partitionKeys.add(record.partitionKey),
      explicitHashKeyIndex: ehk === undefined || ehk === null ? -1 : explicitHashKeys.add(ehk),
      data: dataBytes(record.data),
    };
  }
  return frameAggregate(serializeAggregatedRecord(partitionKeys.keys, explicitHashKeys.keys, entries));
}
