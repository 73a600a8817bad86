import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  type KinesisClient,
  PutRecordCommand,
  SplitShardCommand,
} from '@aws-sdk/client-kinesis';
import { afterAll, describe, expect, it } from 'vitest';
import { Capability, getBackend, skipReason } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { readAllRecords } from '../src/read-all-records.js';
import { createStream, deleteStream, listAllShards, waitStreamActive } from '../src/streams.js';

const backend = getBackend();
const fidelityMissing = skipReason(Capability.KinesisFidelity);
if (fidelityMissing !== undefined) console.log(`[kinesis-smoke] fidelity tests skipped: ${fidelityMissing}`);

/** PutRecord, then GetRecords from TRIM_HORIZON on the same shard: the record comes back unchanged. */
async function roundTrip(client: KinesisClient, stream: string): Promise<void> {
  const data = new TextEncoder().encode(`hello ${stream}`);
  const put = await client.send(
    new PutRecordCommand({ StreamName: stream, PartitionKey: 'pk-1', Data: data }),
  );
  expect(put.ShardId).toBeDefined();
  const { ShardIterator } = await client.send(
    new GetShardIteratorCommand({
      StreamName: stream,
      ShardId: put.ShardId,
      ShardIteratorType: 'TRIM_HORIZON',
    }),
  );
  const page = await client.send(new GetRecordsCommand({ ShardIterator }));
  expect(page.Records?.map((record) => Buffer.from(record.Data!).toString())).toEqual([`hello ${stream}`]);
  expect(page.Records?.[0]?.SequenceNumber).toBe(put.SequenceNumber);
  expect(page.Records?.[0]?.PartitionKey).toBe('pk-1');
}

describe(`Kinesis smoke (${backend.name})`, () => {
  const clients: KinesisClient[] = [];
  const created: Array<[KinesisClient, string]> = [];
  afterAll(async () => {
    for (const [client, stream] of created) await deleteStream(client, stream);
    for (const client of clients) client.destroy();
  });

  it(`volume endpoint: create, put, get round trip and readAllRecords (${backend.kinesisEndpoint})`, async () => {
    const client = kinesisClient(backend.kinesisEndpoint);
    clients.push(client);
    const stream = await createStream(client, { shardCount: 2 });
    created.push([client, stream]);
    await roundTrip(client, stream);
    const keys = Array.from({ length: 20 }, (_, i) => `key-${i}`);
    for (const key of keys) {
      await client.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: key, Data: Buffer.from(key) }),
      );
    }
    const records = await readAllRecords(client, stream);
    expect(records).toHaveLength(21);
    expect(new Set(records.map((record) => record.PartitionKey))).toEqual(new Set(['pk-1', ...keys]));
    const shardIds = new Set((await listAllShards(client, stream)).map((shard) => shard.ShardId));
    for (const record of records) expect(shardIds.has(record.shardId)).toBe(true);
  });

  it('readAllRecords reads a closed parent shard to its end and its children after a split', async () => {
    const client = kinesisClient(backend.kinesisEndpoint);
    clients.push(client);
    const stream = await createStream(client, { shardCount: 1 });
    created.push([client, stream]);
    const put = (value: string) =>
      client.send(
        new PutRecordCommand({ StreamName: stream, PartitionKey: value, Data: Buffer.from(value) }),
      );
    for (const value of ['before-1', 'before-2']) await put(value);
    await client.send(
      new SplitShardCommand({
        StreamName: stream,
        ShardToSplit: 'shardId-000000000000',
        NewStartingHashKey: (2n ** 127n).toString(),
      }),
    );
    await waitStreamActive(client, stream);
    for (const value of ['after-1', 'after-2', 'after-3']) await put(value);
    const records = await readAllRecords(client, stream);
    const parent = records.filter((record) => record.shardId === 'shardId-000000000000');
    expect(parent.map((record) => record.PartitionKey)).toEqual(['before-1', 'before-2']);
    expect(records.map((record) => record.PartitionKey).sort()).toEqual(
      ['after-1', 'after-2', 'after-3', 'before-1', 'before-2'].sort(),
    );
    expect(new Set(records.map((record) => record.shardId)).size).toBeGreaterThan(1);
  });

  it.skipIf(fidelityMissing !== undefined)(
    `fidelity endpoint: round trip and ListShards pagination with MaxResults${fidelityMissing ? ` (skipped: ${fidelityMissing})` : ''}`,
    async () => {
      const client = kinesisClient(backend.kinesisFidelityEndpoint);
      clients.push(client);
      const stream = await createStream(client, { shardCount: 3 });
      created.push([client, stream]);
      await roundTrip(client, stream);
      const paged = await listAllShards(client, stream, 1);
      expect(paged).toHaveLength(3);
      expect(new Set(paged.map((shard) => shard.ShardId)).size).toBe(3);
    },
  );
});
