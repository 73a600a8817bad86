import type { KinesisClient } from '@aws-sdk/client-kinesis';
import { ErrorCode } from '@kinesis-ts/core';
import { KinesisProducer, ProducerRecordError, type PutResult } from '@kinesis-ts/producer';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { getBackend } from '../src/backend.js';
import { kinesisClient } from '../src/clients.js';
import { FaultProxy } from '../src/fault-proxy.js';
import { seededRandom as seeded } from '../src/seeded-random.js';
import { createStream, deleteStream } from '../src/streams.js';
import { partialPutRecordsFailure, readUserRecords } from './producer-helpers.js';

const backend = getBackend();

describe(`producer under injected faults (${backend.name}, process runner from dist)`, () => {
  const client: KinesisClient = kinesisClient();
  const streams: string[] = [];
  let proxy: FaultProxy;
  beforeAll(async () => {
    proxy = await FaultProxy.start(backend.kinesisEndpoint);
  });
  // Delete each test's streams at once: kinesalite caps the shards of all live streams (10 by default).
  afterEach(async () => {
    for (const stream of streams.splice(0)) await deleteStream(client, stream);
  });
  afterAll(async () => {
    await proxy.close();
    client.destroy();
  });

  it('partial failures and throttling: every record lands exactly once, or rejects with RECORD_EXPIRED after recordTtl', async () => {
    const stream = await createStream(client, { shardCount: 2 });
    streams.push(stream);
    const random = seeded(1);
    // Whole-request throttles first; then every request fails its "doomed" entries, and the first
    // 20 requests also fail a random 25% of the others (one rule: a request consumes one rule).
    proxy.throttle('PutRecords', 3);
    let calls = 0;
    const doomedRule = proxy.inject(
      (request) => request.operation === 'PutRecords' && ++calls > 0,
      partialPutRecordsFailure(
        (data) => data.toString('utf8').startsWith('doomed') || (calls <= 20 && random() < 0.25),
      ),
      Number.POSITIVE_INFINITY,
    );
    const producer = new KinesisProducer({
      streamName: stream,
      bufferTime: 50,
      recordTtl: 3000,
      maxBatchRecords: 100,
      retry: { baseDelay: 20, maxDelay: 200 },
      clientConfig: { endpoint: proxy.endpoint },
    });
    const data = Array.from({ length: 3000 }, (_, i) => (i % 500 === 7 ? `doomed-${i}` : `record-${i}`));
    const started = Date.now();
    const outcomes = await Promise.allSettled(data.map((d) => producer.put(d)));
    const elapsed = Date.now() - started;
    await producer.close();
    doomedRule.cancel();

    const landed = (await readUserRecords(client, stream)).map((r) => Buffer.from(r.data).toString('utf8'));
    const ok = data.filter((_, i) => outcomes[i]!.status === 'fulfilled');
    const failed = outcomes.flatMap((o, i) =>
      o.status === 'rejected' ? [[data[i]!, o.reason] as const] : [],
    );
    expect(failed.map(([d]) => d)).toEqual(data.filter((d) => d.startsWith('doomed')));
    for (const [d, reason] of failed) {
      expect(reason).toBeInstanceOf(ProducerRecordError);
      expect((reason as ProducerRecordError).code).toBe(ErrorCode.RECORD_EXPIRED);
      expect((reason as ProducerRecordError).record.data).toBe(d);
    }
    expect(elapsed).toBeGreaterThanOrEqual(3000);
    expect(landed.sort()).toEqual(ok.sort()); // every acknowledged record exactly once, nothing else
    const stats = producer.stats();
    expect(stats.retried).toBeGreaterThan(0);
    expect(stats.throttled).toBeGreaterThan(0);
  }, 60_000);

  it('ordered mode keeps per-key order under injected retries', async () => {
    const stream = await createStream(client, { shardCount: 2 });
    streams.push(stream);
    const random = seeded(2);
    const rule = proxy.inject(
      'PutRecords',
      partialPutRecordsFailure(() => random() < 0.3),
      40,
    );
    const producer = new KinesisProducer({
      streamName: stream,
      bufferTime: 10,
      ordered: true,
      maxBatchRecords: 50,
      retry: { baseDelay: 10, maxDelay: 100 },
      clientConfig: { endpoint: proxy.endpoint },
    });
    const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    const promises: Promise<PutResult>[] = [];
    for (let n = 0; n < 150; n++) {
      for (const key of keys) promises.push(producer.put(`${key}:${n}`, { partitionKey: key }));
      if (n % 25 === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await Promise.all(promises);
    await producer.close();
    rule.cancel();
    expect(producer.stats().retried).toBeGreaterThan(0);

    const records = await readUserRecords(client, stream);
    expect(records).toHaveLength(keys.length * 150);
    const order = new Map<string, number[]>();
    for (const r of records) {
      const [key, n] = Buffer.from(r.data).toString('utf8').split(':');
      order.set(key!, [...(order.get(key!) ?? []), Number(n)]);
    }
    const expected = Array.from({ length: 150 }, (_, i) => i);
    for (const key of keys) expect(order.get(key), key).toEqual(expected);
  }, 60_000);
});
