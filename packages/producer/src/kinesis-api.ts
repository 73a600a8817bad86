/**
 * The three Kinesis calls the producer makes, behind a small interface so tests can fake them and
 * the host process can wrap any SDK client.
 */

import {
  DescribeStreamSummaryCommand,
  type KinesisClient,
  ListShardsCommand,
  type ListShardsCommandOutput,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { type HashKeyRange, MAX_RECORD_SIZE_BYTES, parseHashKeyRange } from '@kinesis-ts/core';

/** One entry of a PutRecords request. */
export interface PutRecordsEntry {
  /** The (possibly aggregated) record bytes. */
  readonly Data: Uint8Array;
  /** The partition key Kinesis hashes (unless `ExplicitHashKey` is set). */
  readonly PartitionKey: string;
  /** Decimal hash key that overrides the partition key's hash. */
  readonly ExplicitHashKey?: string | undefined;
}

/** The result of one PutRecords entry: a shard and sequence number, or an error code. */
export interface PutRecordsResultEntry {
  /** Shard the record landed on (success only). */
  readonly ShardId?: string | undefined;
  /** Sequence number (success only). */
  readonly SequenceNumber?: string | undefined;
  /** Error code (failure only), e.g. `ProvisionedThroughputExceededException`. */
  readonly ErrorCode?: string | undefined;
  /** Error message (failure only). */
  readonly ErrorMessage?: string | undefined;
}

/** What the producer needs to know about the stream. */
export interface StreamSummary {
  /** Largest record (data + partition key) the stream accepts, in bytes. */
  readonly maxRecordSizeBytes: number;
  /** Stream status, e.g. `ACTIVE`. */
  readonly status?: string | undefined;
}

/** One shard of the stream. */
export interface ShardInfo {
  /** The shard id. */
  readonly shardId: string;
  /** Inclusive hash key range. */
  readonly hashKeyRange: HashKeyRange;
  /** False when the shard is closed (it has an ending sequence number). */
  readonly open: boolean;
}

/** Per-call options of {@link KinesisApi} methods. */
export interface KinesisCallOptions {
  /**
   * Aborted when the producer stops waiting for the call (its timeout elapsed). The producer bounds
   * every call itself; honouring the signal only frees the connection sooner.
   */
  readonly abortSignal?: AbortSignal | undefined;
}

/** The Kinesis operations the producer uses. Errors are thrown as the SDK throws them (`name` = exception). */
export interface KinesisApi {
  /** DescribeStreamSummary. */
  describeStream(streamName: string, options?: KinesisCallOptions): Promise<StreamSummary>;
  /** ListShards, every page. */
  listShards(streamName: string, options?: KinesisCallOptions): Promise<ShardInfo[]>;
  /** PutRecords: one result per entry, in order. */
  putRecords(
    streamName: string,
    entries: readonly PutRecordsEntry[],
    options?: KinesisCallOptions,
  ): Promise<readonly PutRecordsResultEntry[]>;
}

function sendOptions(options: KinesisCallOptions | undefined): { abortSignal?: AbortSignal } {
  return options?.abortSignal === undefined ? {} : { abortSignal: options.abortSignal };
}

/** Wraps an SDK v3 `KinesisClient` (or anything with its `send`) as a {@link KinesisApi}. */
export function sdkKinesisApi(client: Pick<KinesisClient, 'send'>): KinesisApi {
  return {
    async describeStream(streamName, options) {
      const out = await client.send(
        new DescribeStreamSummaryCommand({ StreamName: streamName }),
        sendOptions(options),
      );
      const kib = out.StreamDescriptionSummary?.MaxRecordSizeInKiB;
      return {
        maxRecordSizeBytes: typeof kib === 'number' && kib > 0 ? kib * 1024 : MAX_RECORD_SIZE_BYTES,
        status: out.StreamDescriptionSummary?.StreamStatus,
      };
    },
    async listShards(streamName, options) {
      const shards: ShardInfo[] = [];
      let nextToken: string | undefined;
      for (;;) {
        const out: ListShardsCommandOutput = await client.send(
          new ListShardsCommand(
            nextToken === undefined ? { StreamName: streamName } : { NextToken: nextToken },
          ),
          sendOptions(options),
        );
        for (const shard of out.Shards ?? []) {
          if (shard.ShardId === undefined || shard.HashKeyRange === undefined) continue;
          shards.push({
            shardId: shard.ShardId,
            hashKeyRange: parseHashKeyRange(
              shard.HashKeyRange as { StartingHashKey: string; EndingHashKey: string },
            ),
            open: shard.SequenceNumberRange?.EndingSequenceNumber === undefined,
          });
        }
        nextToken = out.NextToken;
        if (nextToken === undefined || nextToken === '') return shards;
      }
    },
    async putRecords(streamName, entries, options) {
      const out = await client.send(
        new PutRecordsCommand({
          StreamName: streamName,
          Records: entries.map((e) =>
            e.ExplicitHashKey === undefined
              ? { Data: e.Data, PartitionKey: e.PartitionKey }
              : { Data: e.Data, PartitionKey: e.PartitionKey, ExplicitHashKey: e.ExplicitHashKey },
          ),
        }),
        sendOptions(options),
      );
      const records = out.Records ?? [];
      if (records.length !== entries.length) {
        throw Object.assign(
          new Error(`PutRecords answered ${records.length} results for ${entries.length} entries`),
          { name: 'InternalFailure' },
        );
      }
      return records;
    },
  };
}
