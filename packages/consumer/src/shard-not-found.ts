/**
 * What a `ResourceNotFoundException` on one shard means: the stream is gone (fatal), or only the
 * shard is (trimmed after a reshard: KCL treats it as SHARD_END), told apart with ListShards.
 */
import { ErrorCode, KinesisTsError } from '@kinesis-ts/core';
import type { KinesisApi } from './kinesis-api.js';
import { listAllShards } from './shard-list.js';

/** The verdict of {@link explainShardNotFound}. */
export type ShardNotFoundVerdict =
  /** The stream exists and no longer lists the shard: `error` has code `SHARD_NOT_FOUND`. */
  | { readonly kind: 'shard-gone'; readonly error: KinesisTsError }
  /** ListShards does not know the stream: `error` has code `STREAM_NOT_FOUND`. */
  | { readonly kind: 'stream-gone'; readonly error: KinesisTsError }
  /** ListShards still lists the shard, or failed itself: the original failure stands. */
  | { readonly kind: 'unknown'; readonly error: KinesisTsError };

/**
 * Lists the stream's shards to explain a `ResourceNotFoundException` that `operation` got for
 * `shardId`. The `SHARD_NOT_FOUND` error's context names the shard's listed children.
 */
export async function explainShardNotFound(
  api: Pick<KinesisApi, 'listShards'>,
  streamName: string,
  shardId: string,
  operation: string,
  cause: unknown,
  signal?: AbortSignal,
): Promise<ShardNotFoundVerdict> {
  let shards: Awaited<ReturnType<typeof listAllShards>>;
  try {
    shards = await listAllShards(api, streamName, signal);
  } catch (error) {
    if (error instanceof KinesisTsError && error.code === ErrorCode.STREAM_NOT_FOUND)
      return { kind: 'stream-gone', error };
    return {
      kind: 'unknown',
      error:
        error instanceof KinesisTsError
          ? error
          : new KinesisTsError(ErrorCode.KINESIS_REQUEST_FAILED, String(error), { cause: error }),
    };
  }
  if (shards.some((shard) => shard.shardId === shardId)) {
    return {
      kind: 'unknown',
      error: new KinesisTsError(
        ErrorCode.KINESIS_REQUEST_FAILED,
        `${operation}: shard ${shardId} not found although ListShards lists it`,
        { cause, context: { streamName, shardId } },
      ),
    };
  }
  const childShardIds = shards.filter((s) => s.parentShardIds.includes(shardId)).map((s) => s.shardId);
  return {
    kind: 'shard-gone',
    error: new KinesisTsError(
      ErrorCode.SHARD_NOT_FOUND,
      `${operation}: shard ${shardId} of stream ${streamName} no longer exists (trimmed after a reshard?); treated as ended`,
      { cause, context: { streamName, shardId, childShardIds } },
    ),
  };
}
