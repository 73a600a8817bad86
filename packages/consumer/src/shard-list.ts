/**
 * Lists a stream's shards with ListShards, following `NextToken` pages.
 */
import type { KinesisApi } from './kinesis-api.js';
import { kinesisError } from './kinesis-api.js';

/** What the consumer keeps about a shard. */
export interface ShardInfo {
  /** Shard id. */
  readonly shardId: string;
  /** Parent ids (split: one; merge: two). */
  readonly parentShardIds: readonly string[];
  /** Inclusive hash-key range (decimal strings). */
  readonly hashKeyRange: { readonly startingHashKey: string; readonly endingHashKey: string } | null;
  /** True when the shard is closed (it has an ending sequence number). */
  readonly closed: boolean;
}

/**
 * Every shard of `streamName`, paging with `NextToken` (the first call names the stream, later
 * calls only the token, as the API requires).
 * @throws KinesisTsError `STREAM_NOT_FOUND` when the stream does not exist.
 */
export async function listAllShards(
  api: Pick<KinesisApi, 'listShards'>,
  streamName: string,
  signal?: AbortSignal,
): Promise<ShardInfo[]> {
  const shards: ShardInfo[] = [];
  let nextToken: string | undefined;
  do {
    let output: Awaited<ReturnType<KinesisApi['listShards']>>;
    try {
      output = await api.listShards(
        nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken },
        signal,
      );
    } catch (error) {
      throw kinesisError('ListShards', error, { streamName });
    }
    for (const shard of output.Shards ?? []) {
      if (shard.ShardId === undefined) continue;
      const parents = [shard.ParentShardId, shard.AdjacentParentShardId].filter(
        (id): id is string => typeof id === 'string' && id.length > 0,
      );
      const range = shard.HashKeyRange;
      shards.push({
        shardId: shard.ShardId,
        parentShardIds: parents,
        hashKeyRange:
          range?.StartingHashKey !== undefined && range.EndingHashKey !== undefined
            ? { startingHashKey: range.StartingHashKey, endingHashKey: range.EndingHashKey }
            : null,
        closed: shard.SequenceNumberRange?.EndingSequenceNumber !== undefined,
      });
    }
    nextToken = output.NextToken;
  } while (nextToken !== undefined && nextToken !== '');
  return shards;
}
