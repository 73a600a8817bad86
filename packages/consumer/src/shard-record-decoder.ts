/**
 * Turns raw Kinesis records of one shard into user records the way every record source must:
 * KPL deaggregation, KCL's hash-range filter for aggregated user records, and skipping the user
 * records at or before a checkpoint (a resume may land inside an aggregate).
 */
import type { _Record, ChildShard } from '@aws-sdk/client-kinesis';
import {
  type Checkpoint,
  compareCheckpoints,
  deaggregate,
  effectiveHashKey,
  type HashKeyRange,
  hashKeyInRange,
  type KinesisRecord,
  parseHashKeyRange,
  type RawKinesisRecord,
  type ValidationError,
} from '@kinesis-ts/core';
import type { ChildShardInfo, InvalidAggregate, ShardReadSpec } from './record-source.js';

/** The user records of some raw Kinesis records. */
export interface DecodedRecords {
  /** Deaggregated, filtered user records in shard order. */
  readonly records: KinesisRecord[];
  /** Payload bytes of `records`. */
  readonly bytes: number;
  /** Sequence number of the last raw record decoded (`null` when there was none). */
  readonly lastSequenceNumber: string | null;
  /** Records that carried the KPL magic but failed a check, delivered raw (`undefined`: none). */
  readonly invalidAggregates: InvalidAggregate[] | undefined;
}

/**
 * Decodes the raw records of one shard, in order, across calls. Stateful: it remembers the
 * checkpoint to skip through until a record past it was seen.
 */
export class ShardRecordDecoder {
  readonly #shardId: string;
  readonly #range: HashKeyRange | null;
  /** User records at or before this position are skipped (resume inside an aggregate). */
  #skipThrough: Checkpoint | null;

  constructor(spec: ShardReadSpec) {
    this.#shardId = spec.shardId;
    this.#range = spec.hashKeyRange === null ? null : parseHashKeyRange(spec.hashKeyRange);
    this.#skipThrough = spec.position.type === 'AFTER' ? spec.position.checkpoint : null;
  }

  /** Decodes `raw` (consecutive records of the shard, following the ones decoded before). */
  decode(raw: readonly _Record[]): DecodedRecords {
    const records: KinesisRecord[] = [];
    let bytes = 0;
    let lastSequenceNumber: string | null = null;
    let invalidAggregates: InvalidAggregate[] | undefined;
    const onInvalidAggregate = (error: ValidationError, bad: RawKinesisRecord): void => {
      invalidAggregates ??= [];
      invalidAggregates.push({
        sequenceNumber: bad.sequenceNumber,
        reason: String(error.context.reason ?? error.message),
      });
    };
    for (const record of raw) {
      const sequenceNumber = record.SequenceNumber ?? '';
      const users = deaggregate(
        {
          data: record.Data ?? new Uint8Array(0),
          partitionKey: record.PartitionKey ?? '',
          sequenceNumber,
          shardId: this.#shardId,
          approximateArrivalTimestamp: record.ApproximateArrivalTimestamp ?? new Date(0),
          encryptionType: record.EncryptionType,
        },
        { onInvalidAggregate },
      );
      for (const user of users) {
        if (this.#skipThrough !== null) {
          if (compareCheckpoints(user, this.#skipThrough) <= 0) continue;
          this.#skipThrough = null;
        }
        if (user.aggregated && this.#range !== null && !hashKeyInRange(effectiveHashKey(user), this.#range))
          continue;
        records.push(user);
        bytes += user.data.byteLength;
      }
      if (this.#skipThrough !== null && BigInt(sequenceNumber) > BigInt(this.#skipThrough.sequenceNumber)) {
        this.#skipThrough = null;
      }
      lastSequenceNumber = sequenceNumber;
    }
    return { records, bytes, lastSequenceNumber, invalidAggregates };
  }
}

/** Maps the API's `ChildShard` to {@link ChildShardInfo}. */
export function toChildShardInfo(child: ChildShard): ChildShardInfo {
  const range = child.HashKeyRange;
  return {
    shardId: child.ShardId ?? '',
    parentShardIds: [...(child.ParentShards ?? [])],
    hashKeyRange:
      range?.StartingHashKey !== undefined && range.EndingHashKey !== undefined
        ? { startingHashKey: range.StartingHashKey, endingHashKey: range.EndingHashKey }
        : null,
  };
}
