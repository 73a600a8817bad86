import type { KinesisRecord } from '@kinesis-ts/core';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runBatchConsumer } from '../../examples/src/batch-handler.js';
import { consumeWithDynamoDB } from '../../examples/src/consumer-dynamodb.js';
import { produceAggregated } from '../../examples/src/producer-aggregation.js';
import { getBackend } from '../src/backend.js';
import { dynamoClient, httpHandler, kinesisClient } from '../src/clients.js';
import { deleteTable } from '../src/state-table.js';
import { createStream, deleteStream } from '../src/streams.js';
import { uniqueName } from '../src/unique-name.js';

// The examples in examples/src, run as written against the suite's back-end.
const backend = getBackend();
const common = {
  region: backend.region,
  ...(backend.credentials === undefined ? {} : { credentials: backend.credentials }),
};
const kinesisConfig = { ...common, endpoint: backend.kinesisEndpoint };
const dynamoConfig = { ...common, endpoint: backend.dynamodbEndpoint, requestHandler: httpHandler() };
const COUNT = 600;

let stream: string;
const table = uniqueName('examples');
const kinesis = kinesisClient();
const dynamo = dynamoClient();

beforeAll(async () => {
  stream = await createStream(kinesis, { shardCount: 2 });
});
afterAll(async () => {
  await deleteStream(kinesis, stream);
  await deleteTable(dynamo, table);
  kinesis.destroy();
  dynamo.destroy();
});

it('producer-aggregation, consumer-dynamodb and batch-handler examples work end to end', async () => {
  const report = await produceAggregated(stream, COUNT, kinesisConfig);
  expect(report).toMatchObject({ acknowledged: COUNT, failed: 0 });
  expect(report.kinesisRecords).toBeLessThan(COUNT / 10);
  expect(report.results.every((r) => r.aggregated)).toBe(true);

  // consumer-dynamodb: reads every event once (it creates the table itself).
  const seen = new Set<number>();
  const controller = new AbortController();
  await consumeWithDynamoDB({
    streamName: stream,
    tableName: table,
    kinesis: kinesisConfig,
    dynamodb: dynamoConfig,
    signal: controller.signal,
    handle: (record: KinesisRecord) => {
      seen.add((JSON.parse(Buffer.from(record.data).toString()) as { id: number }).id);
      if (seen.size === COUNT) controller.abort();
    },
  });
  expect(seen.size).toBe(COUNT);

  // batch-handler: another group reads everything in chunks and checkpoints each chunk itself.
  const state = new DynamoDBState({ tableName: table, clientConfig: dynamoConfig });
  const rows: { id: number }[] = [];
  const batchController = new AbortController();
  await runBatchConsumer({
    streamName: stream,
    state,
    consumerGroup: 'batch',
    kinesis: kinesisConfig,
    chunkSize: 50,
    signal: batchController.signal,
    sink: {
      write: async (chunk) => {
        rows.push(...(chunk as { id: number }[]));
        if (new Set(rows.map((r) => r.id)).size === COUNT) batchController.abort();
      },
    },
  });
  expect(new Set(rows.map((r) => r.id)).size).toBe(COUNT);
  // The checkpoints are at the last record of each shard.
  await state.start();
  const leases = await state.listLeases({ consumerGroup: 'batch', streamName: stream });
  const lastSequence = new Map<string, string>();
  for (const r of report.results) {
    const previous = lastSequence.get(r.shardId);
    if (previous === undefined || BigInt(r.sequenceNumber) > BigInt(previous))
      lastSequence.set(r.shardId, r.sequenceNumber);
  }
  expect(leases).toHaveLength(lastSequence.size);
  for (const lease of leases) expect(lease.checkpoint?.sequenceNumber).toBe(lastSequence.get(lease.shardId));
  await state.close();
}, 90_000);
