import { deaggregate, effectiveHashKey, hashKeyInRange } from '@kinesis-ts/core';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ProducerEvent } from './events.js';
import { KinesisProducer, type PutResult } from './producer.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';

const text = (data: Uint8Array): string => Buffer.from(data).toString('utf8');

/**
 * What a KCL-style consumer reads, per partition key, in order: shards in storage order (parents were
 * written before children), aggregates deaggregated, user records outside the shard's range dropped.
 */
function consumerView(fake: FakeKinesis): Map<string, number[]> {
  const byKey = new Map<string, number[]>();
  for (const stored of fake.stored) {
    const shard = fake.shards.find((s) => s.shardId === stored.shardId)!;
    for (const record of deaggregate({ ...stored, approximateArrivalTimestamp: new Date(0) })) {
      if (!hashKeyInRange(effectiveHashKey(record), shard.hashKeyRange)) continue;
      const [key, n] = text(record.data).split(':');
      byKey.set(key!, [...(byKey.get(key!) ?? []), Number(n)]);
    }
  }
  return byKey;
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisProducer: resharding with aggregation', () => {
  async function run(ordered: boolean) {
    const fake = new FakeKinesis({ shards: 1 });
    fake.latency = () => 5;
    const events: ProducerEvent[] = [];
    const producer = new KinesisProducer({
      streamName: 'stream',
      runner: 'inline',
      kinesisApi: fake,
      rateLimit: false,
      aggregation: true,
      ordered,
      bufferTime: 2,
      shardMapRefreshInterval: 0,
      onEvent: (e) => events.push(e),
    });
    await producer.start();
    fake.listShardsDelay = 30; // a slow ListShards: records keep flowing while the map reloads
    const keys = Array.from({ length: 8 }, (_, i) => `key-${i}`);
    const promises: Promise<PutResult>[] = [];
    const rounds = 40;
    for (let n = 0; n < rounds; n++) {
      if (n === 10) fake.splitFirstShard();
      for (const key of keys) promises.push(producer.put(`${key}:${n}`, { partitionKey: key }));
      await vi.advanceTimersByTimeAsync(3);
    }
    let settled = false;
    const all = Promise.all(promises).finally(() => {
      settled = true;
    });
    while (!settled) await vi.advanceTimersByTimeAsync(10);
    const results = await all;
    const closing = producer.close();
    await vi.advanceTimersByTimeAsync(100);
    await closing;
    const view = consumerView(fake);
    const expected = Array.from({ length: rounds }, (_, i) => i);
    return { fake, events, results, view, keys, expected };
  }

  it('ordered mode keeps per-key order (as a consumer reads it) when aggregates land on a new shard', async () => {
    const { fake, events, results, view, keys, expected } = await run(true);
    expect(events.some((e) => e.type === 'shardMapRefreshed' && e.reason === 'unexpectedShard')).toBe(true);
    for (const key of keys) expect(view.get(key)).toEqual(expected);
    // Every promise points at a shard whose range holds the record (where a consumer reads it).
    results.forEach((result, i) => {
      const shard = fake.shards.find((s) => s.shardId === result.shardId)!;
      const hashKey = effectiveHashKey({ partitionKey: keys[i % keys.length]! });
      expect(hashKeyInRange(hashKey, shard.hashKeyRange)).toBe(true);
    });
    expect(new Set(results.map((r) => r.shardId)).size).toBe(3); // before and after the split
  });

  it('(control: without ordered mode the same run reorders a key)', async () => {
    const { view, keys, expected } = await run(false);
    for (const key of keys) expect([...(view.get(key) ?? [])].sort((a, b) => a - b)).toEqual(expected);
    expect(keys.some((key) => JSON.stringify(view.get(key)) !== JSON.stringify(expected))).toBe(true);
  });
});
