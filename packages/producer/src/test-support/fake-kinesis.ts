/**
 * An in-memory Kinesis for unit tests: routes by hash key like Kinesis, stores records per shard in
 * acceptance order, and fails entries or requests on demand.
 */

import { effectiveHashKey, type HashKeyRange, MAX_HASH_KEY, MAX_RECORD_SIZE_BYTES } from '@kinesis-ts/core';
import type {
  KinesisApi,
  KinesisCallOptions,
  PutRecordsEntry,
  PutRecordsResultEntry,
  ShardInfo,
  StreamSummary,
} from '../kinesis-api.js';

/** A record the fake stored. */
export interface StoredRecord {
  readonly shardId: string;
  readonly sequenceNumber: string;
  readonly data: Uint8Array;
  readonly partitionKey: string;
  readonly explicitHashKey: string | undefined;
}

/** Splits the hash space into `n` equal open shards. */
export function evenShards(n: number, prefix = 'shardId-'): ShardInfo[] {
  const step = (MAX_HASH_KEY + 1n) / BigInt(n);
  return Array.from({ length: n }, (_, i) => ({
    shardId: `${prefix}${String(i).padStart(12, '0')}`,
    hashKeyRange: {
      startingHashKey: step * BigInt(i),
      endingHashKey: i === n - 1 ? MAX_HASH_KEY : step * BigInt(i + 1) - 1n,
    } satisfies HashKeyRange,
    open: true,
  }));
}

/** Decides the error code of one entry (undefined = accept). */
export type EntryFault = (entry: PutRecordsEntry, index: number, call: number) => string | undefined;

/** The in-memory Kinesis. */
export class FakeKinesis implements KinesisApi {
  shards: ShardInfo[];
  readonly stored: StoredRecord[] = [];
  readonly calls: { readonly at: number; readonly entries: readonly PutRecordsEntry[] }[] = [];
  listShardsCalls = 0;
  streamName: string;
  exists = true;
  maxRecordSizeBytes: number | undefined;
  entryFault: EntryFault | undefined;
  requestFault: ((call: number) => Error | undefined) | undefined;
  /** When set, PutRecords waits for it before answering. */
  gate: Promise<void> | undefined;
  /** When set, PutRecords answers after this many (timer) milliseconds. */
  latency: (() => number) | undefined;
  /** When set, ListShards answers after this many (timer) milliseconds. */
  listShardsDelay: number | undefined;
  /** When set, DescribeStreamSummary waits for it before answering. */
  describeGate: Promise<void> | undefined;
  /** The abort signals PutRecords calls received, in call order. */
  readonly putSignals: (AbortSignal | undefined)[] = [];
  #seq = 0n;

  constructor(options: { streamName?: string; shards?: number; maxRecordSizeBytes?: number } = {}) {
    this.streamName = options.streamName ?? 'stream';
    this.shards = evenShards(options.shards ?? 4);
    this.maxRecordSizeBytes = options.maxRecordSizeBytes;
  }

  /**
   * Splits the first shard in two (`shardId-000000000001` takes the lower half of the hash space,
   * `-000000000002` the upper half) and closes it: a producer's shard map is stale until it reloads.
   */
  splitFirstShard(): void {
    const mid = MAX_HASH_KEY / 2n;
    this.shards = [
      { ...this.shards[0]!, open: false },
      {
        shardId: 'shardId-000000000001',
        hashKeyRange: { startingHashKey: 0n, endingHashKey: mid },
        open: true,
      },
      {
        shardId: 'shardId-000000000002',
        hashKeyRange: { startingHashKey: mid + 1n, endingHashKey: MAX_HASH_KEY },
        open: true,
      },
    ];
  }

  #check(streamName: string): void {
    if (!this.exists || streamName !== this.streamName) {
      throw Object.assign(new Error(`Stream ${streamName} not found`), { name: 'ResourceNotFoundException' });
    }
  }

  async describeStream(streamName: string): Promise<StreamSummary> {
    if (this.describeGate !== undefined) await this.describeGate;
    this.#check(streamName);
    return { maxRecordSizeBytes: this.maxRecordSizeBytes ?? MAX_RECORD_SIZE_BYTES, status: 'ACTIVE' };
  }

  async listShards(streamName: string): Promise<ShardInfo[]> {
    if (this.listShardsDelay !== undefined)
      await new Promise((resolve) => setTimeout(resolve, this.listShardsDelay));
    this.#check(streamName);
    this.listShardsCalls++;
    return this.shards.map((s) => ({ ...s }));
  }

  /** The open shard owning an entry's hash key. */
  route(entry: { PartitionKey: string; ExplicitHashKey?: string | undefined }): string {
    const hashKey = effectiveHashKey({
      partitionKey: entry.PartitionKey,
      explicitHashKey: entry.ExplicitHashKey,
    });
    const shard = this.shards.find(
      (s) => s.open && hashKey >= s.hashKeyRange.startingHashKey && hashKey <= s.hashKeyRange.endingHashKey,
    );
    return shard!.shardId;
  }

  async putRecords(
    streamName: string,
    entries: readonly PutRecordsEntry[],
    options?: KinesisCallOptions,
  ): Promise<readonly PutRecordsResultEntry[]> {
    const call = this.calls.length;
    this.calls.push({ at: Date.now(), entries: [...entries] });
    this.putSignals.push(options?.abortSignal);
    if (this.gate !== undefined) await this.gate;
    const latency = this.latency?.();
    if (latency !== undefined) await new Promise((resolve) => setTimeout(resolve, latency));
    this.#check(streamName);
    const requestError = this.requestFault?.(call);
    if (requestError !== undefined) throw requestError;
    return entries.map((entry, index) => {
      const error = this.entryFault?.(entry, index, call);
      if (error !== undefined) return { ErrorCode: error, ErrorMessage: 'injected' };
      const shardId = this.route(entry);
      const sequenceNumber = String(++this.#seq);
      this.stored.push({
        shardId,
        sequenceNumber,
        data: entry.Data,
        partitionKey: entry.PartitionKey,
        explicitHashKey: entry.ExplicitHashKey,
      });
      return { ShardId: shardId, SequenceNumber: sequenceNumber };
    });
  }
}
