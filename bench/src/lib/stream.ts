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
import {
  AggregateBuilder,
  deaggregate,
  findShardForHashKey,
  parseHashKeyRange,
  partitionKeyToHashKey,
} from '@kinesis-ts/core';

let streams = 0;

/** Creates a stream with `shards` shards and waits until it is ACTIVE. */
export async function newStream(kinesis: KinesisClient, shards: number, prefix: string): Promise<string> {
  // Loaded here, not with this module: side processes import the bare loop and must not hold the harness.
  const { createStream } = await import('@kinesis-ts/integration');
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

/**
 * Writes `count` user records of `size` bytes (random partition keys) as KPL aggregates of at most
 * 50 KiB, aggregated per shard as the KPL does (each user record's key hashes into the shard its
 * aggregate lands on, so the consumer's hash-range filter keeps every one); returns how many
 * Kinesis records that took.
 */
export async function fillStreamAggregated(
  kinesis: KinesisClient,
  stream: string,
  count: number,
  size: number,
): Promise<number> {
  const data = payload(size);
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  const shards = (Shards ?? [])
    .map((shard) => ({
      hashKeyRange: parseHashKeyRange(shard.HashKeyRange!),
      builder: new AggregateBuilder(),
    }))
    .sort((a, b) => (a.hashKeyRange.startingHashKey < b.hashKeyRange.startingHashKey ? -1 : 1));
  const aggregates: { Data: Uint8Array; PartitionKey: string; ExplicitHashKey: string }[] = [];
  const flush = (shard: (typeof shards)[number]): void => {
    const built = shard.builder.build();
    // The shard's own start as explicit hash key: the aggregate lands on the shard its records hash to.
    aggregates.push({
      Data: built.data,
      PartitionKey: built.partitionKey,
      ExplicitHashKey: shard.hashKeyRange.startingHashKey.toString(),
    });
    shard.builder.reset();
  };
  for (let i = 0; i < count; i++) {
    const record = { data, partitionKey: randomUUID() };
    const shard = findShardForHashKey(shards, partitionKeyToHashKey(record.partitionKey))!;
    if (!shard.builder.tryAdd(record)) {
      flush(shard);
      shard.builder.tryAdd(record);
    }
  }
  for (const shard of shards) if (shard.builder.count > 0) flush(shard);
  // 50 KiB aggregates: 80 per PutRecords call stays under kinesalite's 5 MiB request limit.
  for (let i = 0; i < aggregates.length; i += 80) {
    let entries = aggregates.slice(i, i + 80);
    while (entries.length > 0) {
      const result = await kinesis.send(new PutRecordsCommand({ StreamName: stream, Records: entries }));
      entries = entries.filter((_, j) => result.Records?.[j]?.ErrorCode !== undefined);
    }
  }
  return aggregates.length;
}

/** Shard ids of a stream. */
export async function shardIds(kinesis: KinesisClient, stream: string): Promise<string[]> {
  const { Shards } = await kinesis.send(new ListShardsCommand({ StreamName: stream }));
  return (Shards ?? []).map((s) => s.ShardId!);
}

/**
 * The baseline reader: per shard, GetShardIterator(TRIM_HORIZON), then GetRecords (Limit 10,000) in a
 * loop without pauses, all shards concurrently, until `count` records were read. Calls `onRecord`
 * with each record's data (what a hand-written consumer would process). With `deaggregateRecords`,
 * KPL aggregates are unpacked with `@kinesis-ts/core`'s `deaggregate` (what a user of the KPL must
 * do) and `count` and `onRecord` are in user records.
 */
export async function bareGetRecordsLoop(
  kinesis: KinesisClient,
  stream: string,
  count: number,
  onRecord: (data: Uint8Array) => void | Promise<void>,
  deaggregateRecords = false,
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
        const raw = result.Records ?? [];
        const records = deaggregateRecords
          ? raw.flatMap((r) =>
              deaggregate({
                data: r.Data!,
                partitionKey: r.PartitionKey!,
                sequenceNumber: r.SequenceNumber!,
                shardId,
                approximateArrivalTimestamp: r.ApproximateArrivalTimestamp!,
              }).map((u) => u.data),
            )
          : raw.map((r) => r.Data!);
        if (records.length > 0 && firstRecordAt === 0) firstRecordAt = performance.now();
        for (const data of records) {
          const r = onRecord(data);
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
