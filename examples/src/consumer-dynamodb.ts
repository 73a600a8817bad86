/**
 * Example: a consumer whose leases and checkpoints live in DynamoDB, so any number of instances
 * (processes, hosts) share the stream's shards and a restarted instance resumes where the last
 * checkpoint left off.
 *
 * Run: STREAM_NAME=my-stream TABLE_NAME=my-leases tsx src/consumer-dynamodb.ts
 * (endpoints, region and credentials: the SDK's usual variables, e.g. AWS_ENDPOINT_URL for LocalStack).
 * Create the table once with `createStateTable` (see below) or your infrastructure code.
 */
import type { DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { KinesisConsumer } from '@kinesis-ts/consumer';
import { type KinesisRecord, recordText } from '@kinesis-ts/core';
import { createStateTable, DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { isMain } from './is-main.js';

/** What {@link consumeWithDynamoDB} needs. */
export interface ConsumeOptions {
  readonly streamName: string;
  readonly tableName: string;
  /** Instances with the same group share shards and checkpoints. */
  readonly consumerGroup?: string;
  readonly kinesis?: KinesisClientConfig;
  readonly dynamodb?: DynamoDBClientConfig;
  /** Your processing. A record counts as done when this resolves. */
  readonly handle: (record: KinesisRecord) => Promise<void> | void;
  /** Stops the consumer (checkpoints flushed, leases released). */
  readonly signal: AbortSignal;
}

/** Consumes `streamName` until `signal` aborts. */
export async function consumeWithDynamoDB(options: ConsumeOptions): Promise<void> {
  // Creates the table if it does not exist (HASH key `shard`, on-demand); a no-op afterwards.
  await createStateTable(options.dynamodb, { tableName: options.tableName });
  const state = new DynamoDBState({ tableName: options.tableName, clientConfig: options.dynamodb });
  const consumer = new KinesisConsumer({
    streamName: options.streamName,
    state,
    consumerGroup: options.consumerGroup ?? 'example-service',
    initialPosition: 'TRIM_HORIZON', // shards without a checkpoint start at the oldest record
    ...(options.kinesis === undefined ? {} : { clientConfig: options.kinesis }),
    // The defaults: a process per shard, checkpoints every 1000 records or 5 s, 10 s failover.
  });
  consumer.on('leaseAcquired', ({ shardId }) => console.error(`reading ${shardId}`));
  consumer.on('leaseLost', ({ shardId, reason }) => console.error(`lost ${shardId}: ${reason}`));
  consumer.on('error', (error) => console.error(`consumer error ${error.code}: ${error.message}`));
  const stop = (): void => void consumer.close();
  if (options.signal.aborted) stop();
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    // Records of one shard arrive in order; shards interleave. Leaving the loop closes the consumer.
    for await (const record of consumer) {
      await options.handle(record);
    }
  } finally {
    options.signal.removeEventListener('abort', stop);
    await consumer.close();
    await state.close();
  }
}

if (isMain(import.meta.url)) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  process.once('SIGTERM', () => controller.abort());
  await consumeWithDynamoDB({
    streamName: process.env.STREAM_NAME ?? 'my-stream',
    tableName: process.env.TABLE_NAME ?? 'my-stream-leases',
    signal: controller.signal,
    handle: (record) => console.log(record.shardId, record.sequenceNumber, recordText(record)),
  });
}
