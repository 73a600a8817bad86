/**
 * The record-source contract: how a shard's records reach the consumer, independent of the API that
 * fetches them. Polling (GetShardIterator/GetRecords) is one source; enhanced fan-out
 * (SubscribeToShard) can be a second one without touching leases or checkpoints.
 */
import type { CheckpointPosition, KinesisRecord } from '@kinesis-ts/core';

/**
 * Where a shard reader starts: core's {@link CheckpointPosition} (`AFTER` resumes strictly after a
 * (sequenceNumber, subSequenceNumber); `TRIM_HORIZON`, `LATEST`, `AT_TIMESTAMP` as in Kinesis).
 */
export type StartPosition = CheckpointPosition;

/** What a source needs to read one shard. Plain data: it crosses process boundaries. */
export interface ShardReadSpec {
  /** Stream name. */
  readonly streamName: string;
  /** Shard id. */
  readonly shardId: string;
  /** Inclusive hash-key range of the shard as decimal strings (KCL drops aggregated user records outside it). */
  readonly hashKeyRange: { readonly startingHashKey: string; readonly endingHashKey: string } | null;
  /** Where to start. */
  readonly position: StartPosition;
}

/** A shard created by a split or merge, as reported at SHARD_END. */
export interface ChildShardInfo {
  /** Child shard id. */
  readonly shardId: string;
  /** Its parents (one for a split, two for a merge). */
  readonly parentShardIds: readonly string[];
  /** Its hash-key range, when known. */
  readonly hashKeyRange: { readonly startingHashKey: string; readonly endingHashKey: string } | null;
}

/** One fetch's result: the user records of one GetRecords call (or one fan-out event). */
/**
 * A Kinesis record that starts with the KPL magic but fails a check (digest, protobuf, indexes). It is
 * delivered as one plain record (the KCL's rule: nothing is dropped) and reported with this.
 */
export interface InvalidAggregate {
  /** Sequence number of the record. */
  readonly sequenceNumber: string;
  /** Which check failed (`digest-mismatch`, `bad-protobuf`, ...). */
  readonly reason: string;
}

export interface RecordBatch {
  /** Deaggregated, hash-range-filtered user records in shard order. */
  readonly records: KinesisRecord[];
  /** Payload bytes of `records`. */
  readonly bytes: number;
  /** How far behind the tip the shard was. */
  readonly millisBehindLatest: number;
  /** True when the shard is closed and this is its last batch. */
  readonly shardEnded: boolean;
  /** Children of an ended shard, when the API reported them (`undefined` when it did not). */
  readonly childShards?: ChildShardInfo[] | undefined;
  /** Records of this batch that looked like KPL aggregates and were not (`undefined`: none). */
  readonly invalidAggregates?: InvalidAggregate[] | undefined;
}

/** Signals a source reports while reading. */
export interface RecordSourceObserver {
  /** Kinesis throttled a call; the source waits `backoffMs`. */
  throttled(backoffMs: number): void;
  /** Diagnostic messages. */
  log(level: 'debug' | 'info' | 'warn', message: string, context?: Record<string, unknown>): void;
}

/**
 * An open reader of one shard. `next()` is called again only after the previous call settled; the
 * source decides how long to wait between fetches (polling intervals, backoff).
 */
export interface ShardRecordSource {
  /**
   * Fetches the next batch, at most `limit` Kinesis records. Rejects with a typed error when the shard
   * cannot be read any more (stream gone, access denied); transient failures are retried inside.
   */
  next(limit: number, signal: AbortSignal): Promise<RecordBatch>;
}

/** Opens sources; one per shard reader. */
export type RecordSourceFactory = (spec: ShardReadSpec, observer: RecordSourceObserver) => ShardRecordSource;

/** A human-readable description of a start position (for events and logs). */
export function describePosition(position: StartPosition): string {
  switch (position.type) {
    case 'AFTER':
      return `after ${position.checkpoint.sequenceNumber}/${position.checkpoint.subSequenceNumber}`;
    case 'AT_TIMESTAMP':
      return `at ${new Date(position.timestamp).toISOString()}`;
    default:
      return position.type;
  }
}
