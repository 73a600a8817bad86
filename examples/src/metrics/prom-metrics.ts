/**
 * Recipe: a kinesis-ts consumer and producer as Prometheus metrics with prom-client. Values are read
 * when Prometheus scrapes (`collect()`): counters move by what `stats()` gained since the last scrape,
 * gauges are set to the current lag and lease count.
 *
 * ```ts
 * const registry = new Registry();
 * const stop = registerKinesisMetrics(registry, { consumer, producer });
 * http.createServer(async (_, res) => res.end(await registry.metrics())).listen(9464);
 * ```
 */
import type { KinesisConsumer } from '@kinesis-ts/consumer';
import type { KinesisProducer } from '@kinesis-ts/producer';
import { Counter, Gauge, type Registry } from 'prom-client';
import {
  type ConsumerMetricsSnapshot,
  KinesisMetricSource,
  type ProducerMetricsSnapshot,
} from './kinesis-metric-source.js';

/**
 * A prom-client counter that follows totals read at collect time (totals only grow): `read` returns
 * the totals by label value (`''` for an unlabelled counter); the counter moves by what each gained.
 */
function totalCounter(
  registry: Registry,
  name: string,
  help: string,
  read: () => Iterable<readonly [string, number]> | undefined,
  labelName?: string,
): Counter {
  const last = new Map<string, number>();
  return new Counter({
    name,
    help,
    labelNames: labelName === undefined ? [] : [labelName],
    registers: [registry],
    collect() {
      for (const [label, total] of read() ?? []) {
        const delta = total - (last.get(label) ?? 0);
        if (delta <= 0) continue;
        last.set(label, total);
        if (labelName === undefined) this.inc(delta);
        else this.inc({ [labelName]: label }, delta);
      }
    },
  });
}

/**
 * Registers on `registry`: `kinesis_consumer_millis_behind_latest{shard_id}`,
 * `kinesis_consumer_records_processed_total`, `kinesis_consumer_throttles_total{shard_id}`,
 * `kinesis_consumer_leases_owned`, `kinesis_consumer_lease_changes_total{change}`,
 * `kinesis_producer_records_total{outcome}`, `kinesis_producer_entries_retried_total`,
 * `kinesis_producer_entries_throttled_total`, `kinesis_producer_requests_timed_out_total`. Returns a
 * function that removes them and the listeners.
 */
export function registerKinesisMetrics(
  registry: Registry,
  targets: { consumer?: KinesisConsumer; producer?: KinesisProducer },
): () => void {
  const source = new KinesisMetricSource(targets);
  // The metrics registered below, kept to remove them again.
  const before = new Set(registry.getMetricsAsArray());
  const consumer = (): ConsumerMetricsSnapshot | undefined => source.consumer();
  const producer = (): ProducerMetricsSnapshot | undefined => source.producer();

  if (targets.consumer !== undefined) {
    new Gauge({
      name: 'kinesis_consumer_millis_behind_latest',
      help: 'How far behind the tip of its shard the last GetRecords call was (ms)',
      labelNames: ['shard_id'],
      registers: [registry],
      collect() {
        // Shards this instance no longer holds disappear from the scrape.
        this.reset();
        for (const [shardId, ms] of consumer()?.lagByShard ?? []) this.set({ shard_id: shardId }, ms);
      },
    });
    new Gauge({
      name: 'kinesis_consumer_leases_owned',
      help: 'Shard leases this instance holds',
      registers: [registry],
      collect() {
        this.set(consumer()?.leasesOwned ?? 0);
      },
    });
    totalCounter(registry, 'kinesis_consumer_records_processed_total', 'Records processed', () => {
      const s = consumer();
      return s && [['', s.recordsProcessed]];
    });
    totalCounter(
      registry,
      'kinesis_consumer_throttles_total',
      'GetRecords calls Kinesis throttled',
      () => consumer()?.throttlesByShard,
      'shard_id',
    );
    totalCounter(
      registry,
      'kinesis_consumer_lease_changes_total',
      'Leases acquired, lost and released',
      () => {
        const s = consumer();
        return s && Object.entries(s.leaseChanges);
      },
      'change',
    );
  }

  if (targets.producer !== undefined) {
    const one = (pick: (s: ProducerMetricsSnapshot) => number) => () => {
      const s = producer();
      return s && ([['', pick(s)]] as const);
    };
    totalCounter(
      registry,
      'kinesis_producer_records_total',
      'User records by outcome: put (accepted), acknowledged by Kinesis, failed',
      () => {
        const s = producer();
        return s && Object.entries(s.records);
      },
      'outcome',
    );
    totalCounter(
      registry,
      'kinesis_producer_entries_retried_total',
      'Kinesis entries sent again after a failure',
      one((s) => s.retried),
    );
    totalCounter(
      registry,
      'kinesis_producer_entries_throttled_total',
      'Kinesis entries throttled (ProvisionedThroughputExceeded)',
      one((s) => s.throttled),
    );
    totalCounter(
      registry,
      'kinesis_producer_requests_timed_out_total',
      'PutRecords requests without an answer within their timeout (outcome unknown)',
      one((s) => s.requestsTimedOut),
    );
  }

  const added = registry.getMetricsAsArray().filter((metric) => !before.has(metric));
  return () => {
    source.close();
    for (const metric of added.splice(0)) registry.removeSingleMetric(metric.name);
  };
}
