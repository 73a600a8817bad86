/**
 * The metric recipes after a small real run: kinesalite (in this process) behind a fault-injecting
 * proxy that throttles GetRecords, throttles one PutRecords entry, delays one PutRecords past its
 * timeout and later rejects every PutRecords until records expire. The values read through
 * OpenTelemetry (in-memory exporter), prom-client and Powertools must match what happened.
 */

import { Metrics } from '@aws-lambda-powertools/metrics';
import { KinesisClient } from '@aws-sdk/client-kinesis';
import { KinesisConsumer } from '@kinesis-ts/consumer';
import {
  createStream,
  FaultProxy,
  httpHandler,
  type InProcessEmulator,
  startKinesalite,
} from '@kinesis-ts/integration';
import { KinesisProducer } from '@kinesis-ts/producer';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { instrumentKinesis } from './otel-metrics.js';
import { PowertoolsKinesisMetrics } from './powertools-metrics.js';
import { registerKinesisMetrics } from './prom-metrics.js';

const region = 'us-east-1';
const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };
const client = (endpoint: string): KinesisClient =>
  new KinesisClient({ endpoint, region, credentials, requestHandler: httpHandler(), maxAttempts: 1 });

let kinesalite: InProcessEmulator;
let proxy: FaultProxy;
const clients: KinesisClient[] = [];

beforeAll(async () => {
  kinesalite = await startKinesalite();
  proxy = await FaultProxy.start(kinesalite.endpoint);
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await proxy?.close();
  await kinesalite?.stop();
});

/** OpenTelemetry data points of `name` after a collection, as `[attributes, value]`. */
async function otelPoints(
  reader: PeriodicExportingMetricReader,
  exporter: InMemoryMetricExporter,
  name: string,
) {
  await reader.forceFlush();
  const last = exporter.getMetrics().at(-1);
  const metric = last?.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
  return (metric?.dataPoints ?? []).map((p) => [p.attributes, p.value] as const);
}

async function otelValue(
  reader: PeriodicExportingMetricReader,
  exporter: InMemoryMetricExporter,
  name: string,
  attributes: Record<string, unknown> = {},
): Promise<unknown> {
  const points = await otelPoints(reader, exporter, name);
  const point = points.find(([a]) => Object.entries(attributes).every(([k, v]) => a[k] === v));
  return point?.[1];
}

async function promValue(registry: Registry, name: string, labels: Record<string, string> = {}) {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const values = (metric as { values?: { value: number; labels: Record<string, unknown> }[] } | undefined)
    ?.values;
  return values?.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
}

describe('metrics recipes (kinesalite + fault proxy)', () => {
  it('report lag, throughput, throttles, leases and producer outcomes as they happened', async () => {
    const admin = client(kinesalite.endpoint);
    clients.push(admin);
    const streamName = await createStream(admin, { shardCount: 2 });

    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const meter = provider.getMeter('kinesis-ts-test');
    const registry = new Registry();
    const powertools = new Metrics({ namespace: 'kinesis-ts-test', serviceName: 'metrics-test' });

    const producerClient = client(proxy.endpoint);
    clients.push(producerClient);
    const producer = new KinesisProducer({
      streamName,
      runner: 'inline',
      client: producerClient,
      bufferTime: 20,
      requestTimeout: 400,
      recordTtl: 2500,
      rateLimit: false,
    });
    const consumerClient = client(proxy.endpoint);
    clients.push(consumerClient);
    const consumer = new KinesisConsumer({
      streamName,
      runner: 'inline',
      kinesisClient: consumerClient,
      initialPosition: 'TRIM_HORIZON',
    });
    const stopOtel = instrumentKinesis(meter, { consumer, producer, attributes: { stream: streamName } });
    const stopProm = registerKinesisMetrics(registry, { consumer, producer });
    const pt = new PowertoolsKinesisMetrics(powertools, { consumer, producer });

    // 1. One PutRecords entry throttled (the others forwarded), then one PutRecords delayed past its timeout.
    proxy.inject(
      'PutRecords',
      {
        kind: 'respond',
        respond: async (request, forward) => {
          const input = request.json<{ Records: unknown[] }>();
          const upstream = await forward(JSON.stringify({ ...input, Records: input.Records.slice(1) }));
          const output = JSON.parse(upstream.body.toString()) as { Records: unknown[] };
          const failed = { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'injected' };
          return {
            status: upstream.status,
            headers: upstream.headers,
            body: JSON.stringify({ ...output, FailedRecordCount: 1, Records: [failed, ...output.Records] }),
          };
        },
      },
      1,
    );
    const first = Array.from({ length: 20 }, (_, i) => producer.put(`a${i}`, { partitionKey: `k${i}` }));
    await Promise.all(first);
    proxy.delay('PutRecords', 1200, 1);
    const second = Array.from({ length: 10 }, (_, i) => producer.put(`b${i}`, { partitionKey: `k${i}` }));
    await Promise.all(second);

    // 2. Every PutRecords rejected until the next 5 records expire (recordTtl): they fail.
    const rejectAll = proxy.throttle('PutRecords', Number.POSITIVE_INFINITY);
    const doomed = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => producer.put(`c${i}`)));
    rejectAll.cancel();
    expect(doomed.every((r) => r.status === 'rejected')).toBe(true);

    // 3. The consumer reads everything with two GetRecords calls throttled.
    const getThrottle = proxy.throttle('GetRecords', 2);
    const seen = new Set<string>();
    let handled = 0;
    let allSeen = (): void => {};
    const done = new Promise<void>((resolve) => {
      allSeen = resolve;
    });
    const running = consumer.run(async (records) => {
      for (const r of records) seen.add(Buffer.from(r.data).toString());
      handled += records.length;
      if (seen.size === 30) allSeen();
    });
    await done;
    // Wait until both shards reported lag after their last batch.
    while ((await otelPoints(reader, exporter, 'kinesis.consumer.millis_behind_latest')).length < 2)
      await new Promise((resolve) => setTimeout(resolve, 100));
    expect(getThrottle.hits).toBe(2);

    const p = producer.stats();
    const c = consumer.stats();
    expect(p).toMatchObject({ recordsPut: 35, recordsAcknowledged: 30, recordsFailed: 5 });
    expect(p.throttled).toBeGreaterThanOrEqual(1);
    expect(p.requestsTimedOut).toBeGreaterThanOrEqual(1);
    expect(c.recordsProcessed).toBe(handled);

    // OpenTelemetry
    const o = (name: string, attributes?: Record<string, unknown>) =>
      otelValue(reader, exporter, name, attributes);
    expect(await o('kinesis.producer.records', { outcome: 'put', stream: streamName })).toBe(35);
    expect(await o('kinesis.producer.records', { outcome: 'acknowledged' })).toBe(30);
    expect(await o('kinesis.producer.records', { outcome: 'failed' })).toBe(5);
    expect(await o('kinesis.producer.entries_retried')).toBe(p.retried);
    expect(await o('kinesis.producer.entries_throttled')).toBe(p.throttled);
    expect(await o('kinesis.producer.requests_timed_out')).toBe(p.requestsTimedOut);
    expect(await o('kinesis.producer.requests')).toBe(p.requests);
    const durations = await o('kinesis.producer.request_duration', { timed_out: true });
    expect((durations as { count: number }).count).toBe(p.requestsTimedOut);
    expect(await o('kinesis.consumer.records_processed')).toBe(handled);
    const throttlePoints = await otelPoints(reader, exporter, 'kinesis.consumer.throttles');
    expect(throttlePoints.reduce((sum, [, v]) => sum + (v as number), 0)).toBe(2);
    expect(await o('kinesis.consumer.leases_owned')).toBe(2);
    expect(await o('kinesis.consumer.lease_changes', { change: 'acquired' })).toBe(2);
    const lag = await otelPoints(reader, exporter, 'kinesis.consumer.millis_behind_latest');
    expect(lag.map(([a]) => a.shard_id).sort()).toEqual(consumer.ownedShards);
    for (const [, ms] of lag) expect(ms).toBeGreaterThanOrEqual(0);

    // prom-client
    expect(await promValue(registry, 'kinesis_producer_records_total', { outcome: 'acknowledged' })).toBe(30);
    expect(await promValue(registry, 'kinesis_producer_records_total', { outcome: 'failed' })).toBe(5);
    expect(await promValue(registry, 'kinesis_producer_requests_timed_out_total')).toBe(p.requestsTimedOut);
    expect(await promValue(registry, 'kinesis_producer_entries_throttled_total')).toBe(p.throttled);
    expect(await promValue(registry, 'kinesis_consumer_records_processed_total')).toBe(handled);
    expect(await promValue(registry, 'kinesis_consumer_leases_owned')).toBe(2);
    // A second scrape does not count twice.
    expect(await promValue(registry, 'kinesis_producer_records_total', { outcome: 'acknowledged' })).toBe(30);

    // Powertools (EMF): the first add() carries the totals so far.
    pt.add();
    const emf = powertools.serializeMetrics() as unknown as Record<string, unknown>;
    expect(emf).toMatchObject({
      KinesisRecordsPut: 35,
      KinesisRecordsAcknowledged: 30,
      KinesisRecordsFailed: 5,
      KinesisRecordsProcessed: handled,
      KinesisConsumerThrottles: 2,
      KinesisLeasesOwned: 2,
      KinesisRequestsTimedOut: p.requestsTimedOut,
    });
    powertools.clearMetrics();
    pt.add();
    expect(powertools.serializeMetrics()).toMatchObject({
      KinesisRecordsPut: 0,
      KinesisRecordsAcknowledged: 0,
    });
    powertools.clearMetrics();

    await consumer.close();
    await running;
    await producer.close();
    // After close: no lease held, both released; the released shards' lag series leave the scrape
    // (the OpenTelemetry SDK keeps exporting a cumulative series' last value; the recipe stops
    // observing it, which delta temporality shows as its end).
    expect(await o('kinesis.consumer.leases_owned')).toBe(0);
    expect(await o('kinesis.consumer.lease_changes', { change: 'released' })).toBe(2);
    expect(await promValue(registry, 'kinesis_consumer_millis_behind_latest')).toBeUndefined();
    expect(await promValue(registry, 'kinesis_consumer_lease_changes_total', { change: 'released' })).toBe(2);

    stopOtel();
    stopProm();
    pt.close();
    expect(consumer.listenerCount('lag')).toBe(0);
    expect(producer.listenerCount('putRecords')).toBe(0);
    expect((await registry.getMetricsAsJSON()).length).toBe(0);
    await provider.shutdown();
  }, 60_000);
});
