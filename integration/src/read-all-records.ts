import {
  type _Record,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
} from '@aws-sdk/client-kinesis';
import { listAllShards } from './streams.js';

/** A raw Kinesis record with the shard it was read from. */
export interface ShardRecord extends _Record {
  /** The shard the record came from. */
  shardId: string;
}

/** Options of {@link readAllRecords}. */
export interface ReadAllRecordsOptions {
  /** GetRecords `Limit` (default 10,000). */
  limit?: number;
}

/**
 * Reads every record currently in the stream with the bare SDK: each shard (open and closed) from
 * TRIM_HORIZON, in shard order, until a closed shard ends (`NextShardIterator` null) or an open shard is
 * caught up (an empty response with `MillisBehindLatest` 0). The reference reader scenarios compare the
 * library's output against; records put after the call started may or may not be included.
 */
export async function readAllRecords(
  client: KinesisClient,
  stream: string,
  options: ReadAllRecordsOptions = {},
): Promise<ShardRecord[]> {
  const shards = await listAllShards(client, stream);
  const perShard = await Promise.all(
    shards.map((shard) => readShard(client, stream, shard.ShardId!, options.limit ?? 10_000)),
  );
  return perShard.flat();
}

async function readShard(
  client: KinesisClient,
  stream: string,
  shardId: string,
  limit: number,
): Promise<ShardRecord[]> {
  const records: ShardRecord[] = [];
  const first = await client.send(
    new GetShardIteratorCommand({ StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }),
  );
  let iterator = first.ShardIterator;
  while (iterator !== undefined && iterator !== null) {
    const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: limit }));
    const batch = page.Records ?? [];
    for (const record of batch) records.push({ ...record, shardId });
    if (batch.length === 0 && (page.MillisBehindLatest ?? 0) === 0) break;
    iterator = page.NextShardIterator;
  }
  return records;
}
