/**
 * How far a group's checkpoint in one shard is behind: one read at the checkpointed record gives
 * its arrival time, whether anything after it is unread (inside its KPL aggregate too), the arrival
 * time of the oldest unread record, and Kinesis' `MillisBehindLatest`.
 */
import type { _Record, GetRecordsCommandOutput, GetShardIteratorCommandInput } from '@aws-sdk/client-kinesis';
import { type Checkpoint, type CheckpointPosition, checkpointPosition, deaggregate } from '@kinesis-ts/core';

/** The two Kinesis calls a lag probe needs. */
export interface LagProbeApi {
  getShardIterator(input: GetShardIteratorCommandInput): Promise<{ ShardIterator?: string | undefined }>;
  getRecords(input: {
    ShardIterator: string;
    Limit: number;
  }): Promise<Pick<GetRecordsCommandOutput, 'Records' | 'MillisBehindLatest'>>;
}

/** What a probe found. */
export interface ShardLag {
  /** `MillisBehindLatest` of the read at the checkpoint (`null`: not reported). */
  readonly millisBehindLatest: number | null;
  /** When Kinesis accepted the checkpointed record (`null`: it is no longer in the stream, or the checkpoint is a position set by `rewind --to`). */
  readonly checkpointArrival: Date | null;
  /** Arrival time of the first record after the checkpoint (`null`: nothing unread). */
  readonly oldestUnreadArrival: Date | null;
  /** True when nothing after the checkpoint is in the shard. */
  readonly caughtUp: boolean;
  /** The checkpointed record was trimmed (older than the retention period): the group lost data. */
  readonly checkpointTrimmed: boolean;
}

/** How many user records a Kinesis record carries (1 unless it is a KPL aggregate). */
export function userRecordCount(record: _Record, shardId: string): number {
  return deaggregate({
    data: record.Data ?? new Uint8Array(0),
    partitionKey: record.PartitionKey ?? '',
    sequenceNumber: record.SequenceNumber ?? '0',
    shardId,
    approximateArrivalTimestamp: record.ApproximateArrivalTimestamp ?? new Date(0),
  }).length;
}

/**
 * Probes a checkpoint that is not a record (set by `rewind --to`): nothing is read at `LATEST` (the
 * group will read what is put after it takes the lease: nothing unread); at `TRIM_HORIZON` or a time,
 * the first record there is the oldest unread one.
 */
async function probeSentinel(
  api: LagProbeApi,
  streamName: string,
  shardId: string,
  position: Exclude<CheckpointPosition, { type: 'AFTER' }>,
): Promise<ShardLag> {
  const nothingUnread = (millisBehindLatest: number | null): ShardLag => ({
    millisBehindLatest,
    checkpointArrival: null,
    oldestUnreadArrival: null,
    caughtUp: true,
    checkpointTrimmed: false,
  });
  if (position.type === 'LATEST') return nothingUnread(0);
  const { ShardIterator } = await api.getShardIterator(
    position.type === 'TRIM_HORIZON'
      ? { StreamName: streamName, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }
      : {
          StreamName: streamName,
          ShardId: shardId,
          ShardIteratorType: 'AT_TIMESTAMP',
          Timestamp: new Date(position.timestamp),
        },
  );
  if (ShardIterator === undefined) return nothingUnread(null);
  const output = await api.getRecords({ ShardIterator, Limit: 1 });
  const first = output.Records?.[0];
  if (first === undefined) return nothingUnread(output.MillisBehindLatest ?? null);
  return {
    millisBehindLatest: output.MillisBehindLatest ?? null,
    checkpointArrival: null,
    oldestUnreadArrival: first.ApproximateArrivalTimestamp ?? null,
    caughtUp: false,
    checkpointTrimmed: false,
  };
}

/**
 * Probes one shard's lag at `checkpoint` (two calls: GetShardIterator, GetRecords with Limit 2). A
 * checkpoint set by `rewind --to` is read at its position (`TRIM_HORIZON`, `AT_TIMESTAMP`; none for
 * `LATEST`), never compared as a number.
 */
export async function probeShardLag(
  api: LagProbeApi,
  streamName: string,
  shardId: string,
  checkpoint: Checkpoint,
): Promise<ShardLag> {
  const position = checkpointPosition(checkpoint);
  if (position.type !== 'AFTER') return probeSentinel(api, streamName, shardId, position);
  const { ShardIterator } = await api.getShardIterator({
    StreamName: streamName,
    ShardId: shardId,
    ShardIteratorType: 'AT_SEQUENCE_NUMBER',
    StartingSequenceNumber: checkpoint.sequenceNumber,
  });
  if (ShardIterator === undefined) {
    return {
      millisBehindLatest: null,
      checkpointArrival: null,
      oldestUnreadArrival: null,
      caughtUp: true,
      checkpointTrimmed: false,
    };
  }
  const output = await api.getRecords({ ShardIterator, Limit: 2 });
  const records = output.Records ?? [];
  const millisBehindLatest = output.MillisBehindLatest ?? null;
  const first = records[0];
  if (first === undefined) {
    return {
      millisBehindLatest,
      checkpointArrival: null,
      oldestUnreadArrival: null,
      caughtUp: true,
      checkpointTrimmed: false,
    };
  }
  if (first.SequenceNumber !== checkpoint.sequenceNumber) {
    // The read started past the checkpoint: the checkpointed record is gone, everything here is unread.
    return {
      millisBehindLatest,
      checkpointArrival: null,
      oldestUnreadArrival: first.ApproximateArrivalTimestamp ?? null,
      caughtUp: false,
      checkpointTrimmed: true,
    };
  }
  const checkpointArrival = first.ApproximateArrivalTimestamp ?? null;
  if (checkpoint.subSequenceNumber < userRecordCount(first, shardId) - 1) {
    // User records after the checkpoint inside the same KPL aggregate are unread.
    return {
      millisBehindLatest,
      checkpointArrival,
      oldestUnreadArrival: checkpointArrival,
      caughtUp: false,
      checkpointTrimmed: false,
    };
  }
  const next = records[1];
  return {
    millisBehindLatest,
    checkpointArrival,
    oldestUnreadArrival: next?.ApproximateArrivalTimestamp ?? null,
    caughtUp: next === undefined,
    checkpointTrimmed: false,
  };
}
