/**
 * Stream helpers of the benchmarks: create a stream, pre-fill it fast, and the bare-SDK GetRecords
 * loop the consumer is compared with.
 */
import { randomUUID } from 'node:crypto';
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  ListShardsCommand,
  PutRecordsCommand,
} from '@aws-sdk/client-kinesis';
import { createStream } from '@kinesis-ts/integration';

let streams = 0;

/** Creates a stream with `shards` shards and waits until it is ACTIVE. */
export async function newStream(kinesis: KinesisClient, shards: number, prefix: string): Promise<string> {
  return createStream(kinesis, { name: `bench-${prefix}-${process.pid}-${++streams}`, shardCount: shards });
}

/** A payload of `size` bytes. */
export function payload(size: number, seed = 0): Buffer {
  const buffer = Buffer.alloc(size);
  for (let i = 0; i < size; i++) buffer[i] = 97 + ((i + seed) % 26);
  return buffer;
}

/** Writes `count` plain records of `size` bytes with random partition keys (PutRecords, 500 a call, 4 in flight). */
export async function fillStream(
  kinesis: KinesisClient,
  stream: string,
  count: number,
  size: number,
): Promise<void> {
  const data = payload(size);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      const n = Math.min(500, count - next);
      next += n;
      let entries = Array.from({ length: n }, () => ({ Data: data, PartitionKey: randomUUID() }));
      while (entries.length > 0) {
        const result = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
        entries = entries.filter((_, i) => result.Records?.[i]?.ErrorCode !== undefined);
      }
    }
  };
  await Promise.all([worker(), worker(), worker(), worker()]);
}

/** Shard ids of a stream. */
export async function shardIds(kinesis: KinesisClient, stream: string): Promise<string[]> {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  return (Shards ?? []).map((s) => s.ShardId!);
}

/**
 * The baseline reader: per shard, GetShardIterator(TRIM_HORIZON), then GetRecords (Limit 10,000) in a
 * loop without pauses, all shards concurrently, until `count` records were read. Calls `onRecord`
 * with each record's data (what a hand-written consumer would process).
 */
export async function bareGetRecordsLoop(
  kinesis: KinesisClient,
  stream: string,
  count: number,
  onRecord: (data: Uint8Array) => void | Promise<void>,
): Promise<{ firstRecordAt: number; lastRecordAt: number }> {
  let read = 0;
  let firstRecordAt = 0;
  let lastRecordAt = 0;
  const shards = await shardIds(kinesis, stream);
  await Promise.all(
    shards.map(async (shardId) => {
      let iterator = (
        await kinesis.send(
          new GetShardIteratorCommand({
            StreamName: stream,
            ShardId: shardId,
            ShardIteratorType: 'TRIM_HORIZON',
          }),
        )
      ).ShardIterator;
      while (iterator !== undefined && iterator !== null && read < count) {
        const result = await kinesis.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
        const records = result.Records ?? [];
        if (records.length > 0 && firstRecordAt === 0) firstRecordAt = performance.now();
        for (const record of records) {
          const r = onRecord(record.Data!);
          if (r !== undefined) await r;
        }
        read += records.length;
        if (records.length > 0) lastRecordAt = performance.now();
        iterator = result.NextShardIterator;
        if (records.length === 0 && result.MillisBehindLatest === 0) break; // caught up: this shard is drained
      }
    }),
  );
  if (read < count) throw new Error(`bare GetRecords loop read ${read} of ${count} records`);
  return { firstRecordAt, lastRecordAt };
}
