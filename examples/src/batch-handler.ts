/**
 * Example: a batch handler with manual checkpoints. Each call gets one shard's records in order
 * (batches of one shard never overlap); the handler writes them to a sink and checkpoints itself,
 * right after the sink confirmed them, instead of relying on the batched automatic checkpoints.
 *
 * Run: STREAM_NAME=my-stream TABLE_NAME=my-leases tsx src/batch-handler.ts
 */
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { type BatchContext, KinesisConsumer } from '@kinesis-ts/consumer';
import { type KinesisRecord, recordJson, type StateAdapter } from '@kinesis-ts/core';
import { DynamoDBState } from '@kinesis-ts/state-dynamodb';
import { isMain } from './is-main.js';

/** Where processed rows go: a database, a file, another service. */
export interface Sink {
  /** Stores rows durably; resolves once they are safe. */
  write(rows: readonly unknown[]): Promise<void>;
}

/** What {@link runBatchConsumer} needs. */
export interface BatchConsumerOptions {
  readonly streamName: string;
  readonly state: StateAdapter;
  readonly sink: Sink;
  readonly consumerGroup?: string;
  readonly kinesis?: KinesisClientConfig;
  /** Rows per sink write (a batch is split into chunks of this size). */
  readonly chunkSize?: number;
  readonly signal: AbortSignal;
}

/** Runs the batch consumer until `signal` aborts; resolves when it is closed. */
export async function runBatchConsumer(options: BatchConsumerOptions): Promise<void> {
  const chunkSize = options.chunkSize ?? 100;
  const consumer = new KinesisConsumer({
    streamName: options.streamName,
    state: options.state,
    consumerGroup: options.consumerGroup ?? 'example-batch',
    initialPosition: 'TRIM_HORIZON',
    ...(options.kinesis === undefined ? {} : { clientConfig: options.kinesis }),
    // Automatic checkpoints only as a backstop: the handler checkpoints after every sink write.
    checkpointInterval: { records: 100_000, ms: 60_000 },
  });
  const handler = async (records: KinesisRecord[], context: BatchContext): Promise<void> => {
    for (let start = 0; start < records.length; start += chunkSize) {
      const chunk = records.slice(start, start + chunkSize);
      await options.sink.write(chunk.map((record) => recordJson(record)));
      // Checkpoint at the last record the sink confirmed. Rejects with LeaseLostError when another
      // instance took the shard: the handler's error then ends the consumer, as it should.
      // Finish the batch even when `context.signal` aborts (close or handoff): the consumer counts the
      // whole batch as processed once the handler resolves.
      await context.checkpoint(chunk[chunk.length - 1]);
    }
  };
  const stop = (): void => void consumer.close();
  if (options.signal.aborted) stop();
  options.signal.addEventListener('abort', stop, { once: true });
  try {
    await consumer.run(handler); // resolves on close(), rejects if the handler throws
  } finally {
    options.signal.removeEventListener('abort', stop);
  }
}

if (isMain(import.meta.url)) {
  const controller = new AbortController();
  process.once('SIGINT', () => controller.abort());
  const state = new DynamoDBState({ tableName: process.env.TABLE_NAME ?? 'my-stream-leases' });
  let rows = 0;
  await runBatchConsumer({
    streamName: process.env.STREAM_NAME ?? 'my-stream',
    state,
    signal: controller.signal,
    sink: {
      write: async (batch) => {
        rows += batch.length;
        console.log(`stored ${batch.length} rows (${rows} in all)`);
      },
    },
  });
  await state.close();
}
