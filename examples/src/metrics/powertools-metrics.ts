/**
 * Recipe: a kinesis-ts producer (e.g. in a Lambda function) and/or consumer as CloudWatch metrics with
 * Powertools for AWS Lambda's `Metrics` (Embedded Metric Format on stdout). Each call adds what the
 * counters gained since the previous call, so call it once per invocation (or per interval) before
 * `metrics.publishStoredMetrics()`.
 *
 * ```ts
 * const metrics = new Metrics({ namespace: 'orders', serviceName: 'ingest' });
 * const kinesisMetrics = new PowertoolsKinesisMetrics(metrics, { producer });
 * export const handler = async (event) => {
 *   await Promise.all(event.items.map((item) => producer.put(JSON.stringify(item))));
 *   kinesisMetrics.add();
 *   metrics.publishStoredMetrics();
 * };
 * ```
 */

import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { KinesisConsumer } from '@kinesis-ts/consumer';
import type { KinesisProducer } from '@kinesis-ts/producer';
import { KinesisMetricSource } from './kinesis-metric-source.js';

/**
 * Adds to a Powertools `Metrics`: `KinesisRecordsProcessed`, `KinesisConsumerThrottles`,
 * `KinesisLeasesAcquired`, `KinesisLeasesLost`, `KinesisLeasesOwned`, `KinesisMillisBehindLatestMax`
 * (the most behind shard; EMF dimensions are per metric set, so per-shard lag is one `singleMetric()`
 * each with `perShardLag: true`), `KinesisRecordsPut`, `KinesisRecordsAcknowledged`,
 * `KinesisRecordsFailed`, `KinesisEntriesRetried`, `KinesisEntriesThrottled`, `KinesisRequestsTimedOut`.
 */
export class PowertoolsKinesisMetrics {
  readonly #metrics: Metrics;
  readonly #source: KinesisMetricSource;
  readonly #perShardLag: boolean;
  readonly #last = new Map<string, number>();

  constructor(
    metrics: Metrics,
    targets: { consumer?: KinesisConsumer; producer?: KinesisProducer },
    options: { perShardLag?: boolean } = {},
  ) {
    this.#metrics = metrics;
    this.#source = new KinesisMetricSource(targets);
    this.#perShardLag = options.perShardLag ?? false;
  }

  /** Adds the figures since the previous call to the stored metrics (published by the caller). */
  add(): void {
    const m = this.#metrics;
    const c = this.#source.consumer();
    if (c !== undefined) {
      let throttles = 0;
      for (const n of c.throttlesByShard.values()) throttles += n;
      this.#delta('KinesisRecordsProcessed', c.recordsProcessed);
      this.#delta('KinesisConsumerThrottles', throttles);
      this.#delta('KinesisLeasesAcquired', c.leaseChanges.acquired);
      this.#delta('KinesisLeasesLost', c.leaseChanges.lost);
      m.addMetric('KinesisLeasesOwned', MetricUnit.Count, c.leasesOwned);
      if (c.lagByShard.size > 0)
        m.addMetric(
          'KinesisMillisBehindLatestMax',
          MetricUnit.Milliseconds,
          Math.max(...c.lagByShard.values()),
        );
      if (this.#perShardLag)
        for (const [shardId, ms] of c.lagByShard)
          m.singleMetric()
            .addDimension('ShardId', shardId)
            .addMetric('KinesisMillisBehindLatest', MetricUnit.Milliseconds, ms);
    }
    const p = this.#source.producer();
    if (p !== undefined) {
      this.#delta('KinesisRecordsPut', p.records.put);
      this.#delta('KinesisRecordsAcknowledged', p.records.acknowledged);
      this.#delta('KinesisRecordsFailed', p.records.failed);
      this.#delta('KinesisEntriesRetried', p.retried);
      this.#delta('KinesisEntriesThrottled', p.throttled);
      this.#delta('KinesisRequestsTimedOut', p.requestsTimedOut);
    }
  }

  /** Removes the event listeners. */
  close(): void {
    this.#source.close();
  }

  /** Adds what `total` gained since the previous call (0 included: a flat line, not a gap). */
  #delta(name: string, total: number): void {
    const delta = total - (this.#last.get(name) ?? 0);
    this.#last.set(name, total);
    this.#metrics.addMetric(name, MetricUnit.Count, delta);
  }
}
