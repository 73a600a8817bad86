import {
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordsCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { fastGetRecords } from '@kinesis-ts/consumer';
import { AggregateBuilder } from '@kinesis-ts/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { createStream, deleteStream, listAllShards, waitStreamActive } from '../src/streams.js';

const backend = getBackend();

/** Plain data of a GetRecords output (bytes as hex, dates as epoch ms), without `$metadata`. */
function plain(output: GetRecordsCommandOutput) {
  return {
    records: (output.Records ?? []).map((r) => ({
      sequenceNumber: r.SequenceNumber,
      partitionKey: r.PartitionKey,
      data: Buffer.from(r.Data!).toString('hex'),
      arrival: r.ApproximateArrivalTimestamp?.getTime(),
      encryptionType: r.EncryptionType,
    })),
    hasNext: output.NextShardIterator !== undefined,
    millisBehindLatest: output.MillisBehindLatest,
    childShards: output.ChildShards,
  };
}

/**
 * Reads a shard to its end (or until caught up) twice from the same iterators: each page through the
 * SDK's deserializer and through the fast path, which must agree page by page.
 */
async function readBothWays(client: KinesisClient, stream: string, shardId: string, limit: number) {
  let iterator = (
    await client.send(
      new GetShardIteratorCommand({
        StreamName: stream,
        ShardId: shardId,
        ShardIteratorType: 'TRIM_HORIZON',
      }),
    )
  ).ShardIterator;
  const pages: ReturnType<typeof plain>[] = [];
  let fastPages = 0;
  while (iterator !== undefined) {
    const input = { ShardIterator: iterator, Limit: limit };
    const sdk = await client.send(new GetRecordsCommand(input));
    const fast = await fastGetRecords(client, input);
    // MillisBehindLatest moves with the clock between the two calls (kinesalite computes it per call).
    const { millisBehindLatest: behindFast, ...a } = plain(fast);
    const { millisBehindLatest: behindSdk, ...b } = plain(sdk);
    expect(a).toEqual(b);
    expect(typeof behindFast).toBe(typeof behindSdk);
    expect(Math.abs((behindFast ?? 0) - (behindSdk ?? 0))).toBeLessThan(1000);
    if ((fast.Records ?? []).every((r) => Buffer.isBuffer(r.Data)) && (fast.Records?.length ?? 0) > 0)
      fastPages++;
    pages.push(plain(sdk));
    iterator = sdk.NextShardIterator;
    if ((sdk.Records?.length ?? 0) === 0 && sdk.MillisBehindLatest === 0) break;
  }
  return { pages, fastPages };
}

describe(`fast GetRecords against the SDK (${backend.kinesisEndpoint})`, () => {
  let client: KinesisClient;
  let stream: string;

  beforeAll(async () => {
    client = kinesisClient();
    stream = await createStream(client, { shardCount: 2 });
  });
  afterAll(async () => {
    await deleteStream(client, stream);
    client.destroy();
  });

  it('returns the same records, page by page, as the SDK: plain, binary, UTF-8 keys, KPL aggregates; and at shard end', async () => {
    const entries: { Data: Uint8Array; PartitionKey: string }[] = [];
    for (let i = 0; i < 1200; i++) {
      const data = Buffer.alloc(1 + ((i * 53) % 700));
      for (let j = 0; j < data.length; j++) data[j] = (i * 7 + j * 13) % 256;
      entries.push({ Data: data, PartitionKey: i % 9 === 0 ? `ключ-${i}-🔑` : `key-${i}` });
    }
    const builder = new AggregateBuilder();
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 50; j++)
        builder.tryAdd({ partitionKey: `agg-${i}-${j}`, data: Buffer.from(`user ${i}/${j}`) });
      const aggregate = builder.build();
      builder.reset();
      entries.push({ Data: aggregate.data, PartitionKey: aggregate.partitionKey });
    }
    for (let i = 0; i < entries.length; i += 500)
      await client.send(new PutRecordsCommand({ StreamName: stream, Records: entries.slice(i, i + 500) }));

    const shards = await listAllShards(client, stream);
    let records = 0;
    for (const shard of shards) {
      const { pages, fastPages } = await readBothWays(client, stream, shard.ShardId!, 300);
      records += pages.reduce((n, p) => n + p.records.length, 0);
      expect(fastPages).toBeGreaterThan(0);
    }
    expect(records).toBe(entries.length);

    // Split a shard: its last page has no next iterator (and ChildShards where the back-end sends them).
    const parent = shards[0]!;
    const start = BigInt(parent.HashKeyRange!.StartingHashKey!);
    const end = BigInt(parent.HashKeyRange!.EndingHashKey!);
    await client.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: parent.ShardId,
        NewStartingHashKey: ((start + end) / 2n).toString(),
      }),
    );
    await waitStreamActive(client, stream);
    const { pages } = await readBothWays(client, stream, parent.ShardId!, 10_000);
    expect(pages.at(-1)!.hasNext).toBe(false);
  });

  it('throws the same error as the SDK for a bad iterator', async () => {
    const input = { ShardIterator: 'not-an-iterator' };
    const sdk = await client.send(new GetRecordsCommand(input)).then(
      () => undefined,
      (e: Error) => e,
    );
    const fast = await fastGetRecords(client, input).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(sdk).toBeInstanceOf(Error);
    expect(fast?.name).toBe(sdk?.name);
    expect(fast?.message).toBe(sdk?.message);
    expect(fast?.constructor).toBe(sdk?.constructor);
  });
});
