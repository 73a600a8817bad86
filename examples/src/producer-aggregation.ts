/**
 * Example: a producer with KPL aggregation. Small records bound for the same shard are packed into
 * one Kinesis record (up to 50 KiB), so 100-byte records cost a fraction of the PutRecords entries
 * and shard throughput. Consumers of kinesis-ts (and the KCL) deaggregate them transparently.
 *
 * Run: STREAM_NAME=my-stream tsx src/producer-aggregation.ts
 */
import type { KinesisClientConfig } from '@aws-sdk/client-kinesis';
import { KinesisProducer, type PutResult } from '@kinesis-ts/producer';
import { isMain } from './is-main.js';

/** What {@link produceAggregated} reports. */
export interface ProduceReport {
  readonly acknowledged: number;
  readonly failed: number;
  /** Kinesis records (PutRecords entries) that carried them. */
  readonly kinesisRecords: number;
  readonly results: PutResult[];
}

/** Writes `count` JSON events to `streamName` with aggregation and waits until Kinesis acknowledged them. */
export async function produceAggregated(
  streamName: string,
  count: number,
  clientConfig?: KinesisClientConfig,
): Promise<ProduceReport> {
  const producer = new KinesisProducer({
    streamName,
    aggregation: true, // or { maxBytes: 25 * 1024 }
    bufferTime: 100, // a record waits at most 100 ms to be batched
    ...(clientConfig === undefined ? {} : { clientConfig }),
  });
  try {
    const results: PutResult[] = [];
    let failed = 0;
    const puts: Promise<void>[] = [];
    for (let i = 0; i < count; i++) {
      const event = { id: i, type: 'page-view', at: new Date().toISOString() };
      // Same key, same shard, in order. put() resolves once Kinesis stored the record.
      const put = producer.put(JSON.stringify(event), { partitionKey: `user-${i % 50}` });
      puts.push(
        put.then(
          (result) => void results.push(result),
          (error: unknown) => {
            failed++;
            console.error('not written:', error);
          },
        ),
      );
    }
    await Promise.all(puts);
    return { acknowledged: results.length, failed, kinesisRecords: producer.stats().entriesSent, results };
  } finally {
    await producer.close(); // flushes, then stops the background process
  }
}

if (isMain(import.meta.url)) {
  const report = await produceAggregated(process.env.STREAM_NAME ?? 'my-stream', 10_000);
  console.log(
    `${report.acknowledged} records acknowledged (${report.failed} failed) in ${report.kinesisRecords} Kinesis records; ` +
      `${report.results.filter((r) => r.aggregated).length} went inside aggregates`,
  );
}
