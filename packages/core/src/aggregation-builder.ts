/**
 * Building KPL aggregates incrementally under a size cap, with exact size accounting.
 */

import {
  type AggregateInputRecord,
  dataBytes,
  frameAggregate,
  KeyTable,
  KPL_AGGREGATE_OVERHEAD_BYTES,
  validateAggregateInput,
} from './aggregation.js';
import { serializeAggregatedRecord, type WireRecordInput } from './aggregation-wire.js';
import { ErrorCode, ValidationError } from './errors.js';
import { KPL_DEFAULT_MAX_AGGREGATE_BYTES, MAX_RECORD_SIZE_BYTES } from './limits.js';

/** Options of {@link AggregateBuilder}. */
export interface AggregateBuilderOptions {
  /**
   * Cap on the encoded size of one aggregate (magic + message + digest), in bytes. Default
   * {@link KPL_DEFAULT_MAX_AGGREGATE_BYTES} (51200, the KPL's default).
   */
  readonly maxBytes?: number | undefined;
  /**
   * The stream's record size limit (data + partition key bytes). No aggregate is ever built past it.
   * Default {@link MAX_RECORD_SIZE_BYTES} (1 MiB).
   */
  readonly maxRecordBytes?: number | undefined;
}

/** A finished aggregate, ready to put as one Kinesis record. */
export interface BuiltAggregate {
  /** The aggregate's bytes: magic, protobuf message, MD5 digest. */
  readonly data: Uint8Array;
  /** Partition key to put it with: the first user record's key. */
  readonly partitionKey: string;
  /**
   * Explicit hash key to put it with: the first user record's, when it had one. With the first
   * record's partition key this routes the aggregate where the first record alone would go (the KPL
   * uses partition key `"a"` and the first record's hash key as explicit hash key: the same shard).
   */
  readonly explicitHashKey?: string | undefined;
  /** How many user records it holds. */
  readonly records: number;
}

/** Size in bytes of `value` as a protobuf varint. */
function varintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Size of a length-delimited field with a one-byte tag. */
function delimitedSize(length: number): number {
  return 1 + varintSize(length) + length;
}

function checkLimit(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= KPL_AGGREGATE_OVERHEAD_BYTES) {
    throw new ValidationError(
      ErrorCode.INVALID_ARGUMENT,
      `${name} must be an integer greater than ${KPL_AGGREGATE_OVERHEAD_BYTES}, got ${String(value)}`,
      { context: { [name]: value } },
    );
  }
  return value;
}

interface Measure {
  /** Encoded size of the aggregate with the record added. */
  readonly size: number;
  readonly partitionKeyIndex: number;
  readonly explicitHashKeyIndex: number;
}

/**
 * Collects user records into one KPL aggregate while tracking its exact encoded size.
 *
 * Sizes are exact, not estimates: {@link AggregateBuilder.size} always equals `build().data.length`,
 * and {@link AggregateBuilder.sizeIfAdded} equals it after the record is added, counting key-table
 * dedupe and varint growth of lengths and indexes.
 *
 * Admission rule of {@link AggregateBuilder.tryAdd}: a record is added when the aggregate then stays
 * within `maxBytes`. An empty builder takes any one record whose aggregate, plus its partition key,
 * fits `maxRecordBytes` (the Kinesis record limit), even past `maxBytes`, so a large record is never
 * stuck. No aggregate ever grows past `maxRecordBytes`. When `tryAdd` returns `false` on an empty
 * builder the record cannot be aggregated at all: send it as a plain record.
 *
 * Byte-array data is kept by reference until {@link AggregateBuilder.reset}: do not modify it before
 * building. One builder holds one aggregate in progress; use one per shard or partition you batch for.
 */
export class AggregateBuilder {
  /** The encoded-size cap for aggregates, in bytes. */
  readonly maxBytes: number;
  /** The Kinesis record size limit, in bytes (data + partition key). */
  readonly maxRecordBytes: number;
  private readonly partitionKeys = new KeyTable();
  private readonly explicitHashKeys = new KeyTable();
  private entries: WireRecordInput[] = [];
  private bodySize = 0;
  private firstPartitionKey: string | undefined;
  private firstPartitionKeyBytes = 0;
  private firstExplicitHashKey: string | undefined;

  /** Throws {@link ValidationError} `INVALID_ARGUMENT` for a limit that is not an integer above 20. */
  constructor(options: AggregateBuilderOptions = {}) {
    this.maxBytes = checkLimit('maxBytes', options.maxBytes, KPL_DEFAULT_MAX_AGGREGATE_BYTES);
    this.maxRecordBytes = checkLimit('maxRecordBytes', options.maxRecordBytes, MAX_RECORD_SIZE_BYTES);
  }

  /** Number of user records added since the last reset. */
  get count(): number {
    return this.entries.length;
  }

  /** Exact encoded size of the aggregate as it stands (0 when empty). */
  get size(): number {
    return this.entries.length === 0 ? 0 : KPL_AGGREGATE_OVERHEAD_BYTES + this.bodySize;
  }

  private measure(record: AggregateInputRecord, dataLength: number): Measure {
    let added = 0;
    let partitionKeyIndex = this.partitionKeys.indexOf(record.partitionKey);
    if (partitionKeyIndex < 0) {
      partitionKeyIndex = this.partitionKeys.keys.length;
      added += delimitedSize(Buffer.byteLength(record.partitionKey, 'utf8'));
    }
    let explicitHashKeyIndex = -1;
    let recordLength = 1 + varintSize(partitionKeyIndex) + delimitedSize(dataLength);
    const ehk = record.explicitHashKey;
    if (ehk !== undefined && ehk !== null) {
      explicitHashKeyIndex = this.explicitHashKeys.indexOf(ehk);
      if (explicitHashKeyIndex < 0) {
        explicitHashKeyIndex = this.explicitHashKeys.keys.length;
        // A valid explicit hash key is ASCII digits: one byte per character.
        added += delimitedSize(ehk.length);
      }
      recordLength += 1 + varintSize(explicitHashKeyIndex);
    }
    added += delimitedSize(recordLength);
    return {
      size: KPL_AGGREGATE_OVERHEAD_BYTES + this.bodySize + added,
      partitionKeyIndex,
      explicitHashKeyIndex,
    };
  }

  /**
   * Exact encoded size the aggregate would have with `record` added. Validates the record (throws
   * {@link ValidationError} for a bad partition key, explicit hash key or data type).
   */
  sizeIfAdded(record: AggregateInputRecord): number {
    validateAggregateInput(record);
    const data = record.data;
    return this.measure(record, typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.byteLength)
      .size;
  }

  /**
   * Adds `record` when the admission rule allows (see the class docs) and returns `true`; returns
   * `false` and changes nothing otherwise. Throws {@link ValidationError} for an invalid record.
   */
  tryAdd(record: AggregateInputRecord): boolean {
    validateAggregateInput(record);
    const data = dataBytes(record.data);
    const measured = this.measure(record, data.byteLength);
    const empty = this.entries.length === 0;
    const outerKeyBytes = empty
      ? Buffer.byteLength(record.partitionKey, 'utf8')
      : this.firstPartitionKeyBytes;
    if (measured.size + outerKeyBytes > this.maxRecordBytes) return false;
    if (!empty && measured.size > this.maxBytes) return false;
    if (empty) {
      this.firstPartitionKey = record.partitionKey;
      this.firstPartitionKeyBytes = outerKeyBytes;
      this.firstExplicitHashKey = record.explicitHashKey ?? undefined;
    }
    this.partitionKeys.add(record.partitionKey);
    if (measured.explicitHashKeyIndex >= 0) this.explicitHashKeys.add(record.explicitHashKey!);
    this.entries.push({
      partitionKeyIndex: measured.partitionKeyIndex,
      explicitHashKeyIndex: measured.explicitHashKeyIndex,
      data,
    });
    this.bodySize = measured.size - KPL_AGGREGATE_OVERHEAD_BYTES;
    return true;
  }

  /**
   * Encodes the records added so far as one aggregate. Does not reset the builder. Throws
   * {@link ValidationError} `INVALID_ARGUMENT` when empty.
   */
  build(): BuiltAggregate {
    if (this.entries.length === 0 || this.firstPartitionKey === undefined) {
      throw new ValidationError(ErrorCode.INVALID_ARGUMENT, 'cannot build an aggregate of zero records');
    }
    const body = serializeAggregatedRecord(this.partitionKeys.keys, this.explicitHashKeys.keys, this.entries);
    return {
      data: frameAggregate(body),
      partitionKey: this.firstPartitionKey,
      explicitHashKey: this.firstExplicitHashKey,
      records: this.entries.length,
    };
  }

  /** Empties the builder for the next aggregate. */
  reset(): void {
    this.partitionKeys.clear();
    this.explicitHashKeys.clear();
    this.entries = [];
    this.bodySize = 0;
    this.firstPartitionKey = undefined;
    this.firstPartitionKeyBytes = 0;
    this.firstExplicitHashKey = undefined;
  }
}
