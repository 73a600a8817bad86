/**
 * Recipe: a kinesis-ts consumer and producer as OpenTelemetry metrics (`@opentelemetry/api`; any SDK
 * or exporter). Totals are observable counters read from `stats()` when the SDK collects (exact, no
 * per-record work); lag and leases are observable gauges; PutRecords durations a histogram.
 *
 * ```ts
 * const meter = metrics.getMeter('orders-service');
 * const stop = instrumentKinesis(meter, { consumer, producer });
 * // ... on shutdown, after close():
 * stop();
 * ```
 */
import type { KinesisConsumer } from '@kinesis-ts/consumer';
import type { KinesisProducer } from '@kinesis-ts/producer';
import type { Attributes, BatchObservableResult, Meter } from '@opentelemetry/api';
import { KinesisMetricSource } from './kinesis-metric-source.js';

/** What to instrument, and attributes added to every data point (e.g. `{ stream: 'orders' }`). */
export interface InstrumentKinesisOptions {
  readonly consumer?: KinesisConsumer;
  readonly producer?: KinesisProducer;
  readonly attributes?: Attributes;
}

/**
 * Registers the metrics on `meter`; returns a function that unregisters them and removes the listeners.
 *
 * Consumer: `kinesis.consumer.millis_behind_latest` (gauge, ms, per `shard_id`),
 * `kinesis.consumer.records_processed`, `kinesis.consumer.throttles` (per `shard_id`),
 * `kinesis.consumer.leases_owned` (gauge), `kinesis.consumer.lease_changes` (per `change`:
 * acquired/lost/released), `kinesis.consumer.handler_failures`, `kinesis.consumer.errors` (per `code`).
 * Producer: `kinesis.producer.records` (per `outcome`: put/acknowledged/failed),
 * `kinesis.producer.entries_retried`, `kinesis.producer.entries_throttled`, `kinesis.producer.requests`,
 * `kinesis.producer.requests_timed_out`, `kinesis.producer.request_duration` (histogram, ms).
 */
export function instrumentKinesis(meter: Meter, options: InstrumentKinesisOptions): () => void {
  const base = options.attributes ?? {};
  const source = new KinesisMetricSource(options);
  const cleanups: (() => void)[] = [() => source.close()];

  if (options.consumer !== undefined) {
    const lag = meter.createObservableGauge('kinesis.consumer.millis_behind_latest', {
      unit: 'ms',
      description: 'How far behind the tip of its shard the last GetRecords call was',
    });
    const processed = meter.createObservableCounter('kinesis.consumer.records_processed', {
      unit: '{record}',
      description: 'Records processed by the handler or iterator loop',
    });
    const throttles = meter.createObservableCounter('kinesis.consumer.throttles', {
      unit: '{call}',
      description: 'GetRecords calls Kinesis throttled',
    });
    const leases = meter.createObservableGauge('kinesis.consumer.leases_owned', {
      unit: '{lease}',
      description: 'Shard leases this instance holds',
    });
    const leaseChanges = meter.createObservableCounter('kinesis.consumer.lease_changes', {
      unit: '{lease}',
      description: 'Leases acquired, lost and released',
    });
    const handlerFailures = meter.createObservableCounter('kinesis.consumer.handler_failures', {
      unit: '{call}',
      description: 'Batch handler calls that failed under a failure policy',
    });
    const errors = meter.createObservableCounter('kinesis.consumer.errors', {
      unit: '{error}',
      description: 'Non-fatal consumer errors, by code',
    });
    const observe = (result: BatchObservableResult): void => {
      const s = source.consumer();
      if (s === undefined) return;
      for (const [shardId, ms] of s.lagByShard) result.observe(lag, ms, { ...base, shard_id: shardId });
      result.observe(processed, s.recordsProcessed, base);
      for (const [shardId, n] of s.throttlesByShard)
        result.observe(throttles, n, { ...base, shard_id: shardId });
      result.observe(leases, s.leasesOwned, base);
      for (const [change, n] of Object.entries(s.leaseChanges))
        result.observe(leaseChanges, n, { ...base, change });
      result.observe(handlerFailures, s.handlerFailures, base);
      for (const [code, n] of s.errorsByCode) result.observe(errors, n, { ...base, code });
    };
    const instruments = [lag, processed, throttles, leases, leaseChanges, handlerFailures, errors];
    meter.addBatchObservableCallback(observe, instruments);
    cleanups.push(() => meter.removeBatchObservableCallback(observe, instruments));
  }

  const producer = options.producer;
  if (producer !== undefined) {
    const records = meter.createObservableCounter('kinesis.producer.records', {
      unit: '{record}',
      description: 'User records by outcome: put (accepted), acknowledged by Kinesis, failed',
    });
    const retried = meter.createObservableCounter('kinesis.producer.entries_retried', {
      unit: '{entry}',
      description: 'Kinesis entries sent again after a failure',
    });
    const throttled = meter.createObservableCounter('kinesis.producer.entries_throttled', {
      unit: '{entry}',
      description: 'Kinesis entries throttled (ProvisionedThroughputExceeded)',
    });
    const requests = meter.createObservableCounter('kinesis.producer.requests', {
      unit: '{request}',
      description: 'PutRecords requests completed',
    });
    const timedOut = meter.createObservableCounter('kinesis.producer.requests_timed_out', {
      unit: '{request}',
      description: 'PutRecords requests without an answer within their timeout (outcome unknown)',
    });
    const observe = (result: BatchObservableResult): void => {
      const s = source.producer();
      if (s === undefined) return;
      for (const [outcome, n] of Object.entries(s.records)) result.observe(records, n, { ...base, outcome });
      result.observe(retried, s.retried, base);
      result.observe(throttled, s.throttled, base);
      result.observe(requests, s.requests, base);
      result.observe(timedOut, s.requestsTimedOut, base);
    };
    const instruments = [records, retried, throttled, requests, timedOut];
    meter.addBatchObservableCallback(observe, instruments);
    cleanups.push(() => meter.removeBatchObservableCallback(observe, instruments));

    const duration = meter.createHistogram('kinesis.producer.request_duration', {
      unit: 'ms',
      description: 'PutRecords request duration',
    });
    const onPut = (event: { durationMs: number; timedOut: boolean }): void => {
      duration.record(event.durationMs, { ...base, timed_out: event.timedOut });
    };
    producer.on('putRecords', onPut);
    cleanups.push(() => producer.off('putRecords', onPut));
  }

  let stopped = false;
  return () => {
    if (stopped) return;
    stopped = true;
    for (const cleanup of cleanups) cleanup();
  };
}
