/**
 * KinesisConsumer with `fanOut` on the inline runner, over a fake Kinesis that serves SubscribeToShard:
 * the same leases, checkpoints, resharding and backpressure as polling.
 */
import { recordText } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisConsumer } from '../consumer.js';
import type { KinesisConsumerOptions } from '../options.js';
import { FakeKinesis } from '../test-support/fake-kinesis.js';
import { take, until } from '../test-support/fake-time.js';
import { FakeFanOutKinesis } from './fake-fan-out.js';
import { resetStreamConsumerCallSpacing } from './stream-consumer-registration.js';

function setup(shards: number, perShard: number) {
  const fake = new FakeKinesis();
  const list = fake.createStream('s', shards);
  for (const shard of list)
    for (let i = 0; i < perShard; i++) fake.put('s', shard.shardId, `${shard.shardId}:${i}`, `${i}`);
  const efo = new FakeFanOutKinesis(fake, 's', 1000, 25);
  return { fake, efo, list };
}

function consumer(efo: FakeFanOutKinesis, options: Partial<KinesisConsumerOptions> = {}): KinesisConsumer {
  return new KinesisConsumer({
    streamName: 's',
    runner: 'inline',
    kinesisApi: efo.combinedApi(),
    initialPosition: 'TRIM_HORIZON',
    failoverTimeMs: 3000,
    clientConfig: { region: 'us-east-1' },
    fanOut: { consumerName: 'app' },
    ...options,
  });
}

function getRecordsCalls(fake: FakeKinesis): number {
  return fake.calls.filter((c) => c.op === 'GetRecords').length;
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
  resetStreamConsumerCallSpacing();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisConsumer with enhanced fan-out (inline runner)', () => {
  it('registers the stream consumer, delivers every record once in shard order without polling, and checkpoints', async () => {
    const { fake, efo } = setup(3, 60);
    const store = new MemoryStateStore();
    const c = consumer(efo, { state: new MemoryState({ store }) });
    const iterator = c[Symbol.asyncIterator]();
    const records = await take(iterator, 180);
    expect(records).toHaveLength(180);
    const byShard = new Map<string, number[]>();
    for (const r of records)
      byShard.set(r.shardId, [...(byShard.get(r.shardId) ?? []), Number(recordText(r))]);
    for (const values of byShard.values()) expect(values).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(getRecordsCalls(fake)).toBe(0);
    expect([...efo.subscribes.values()]).toEqual([1, 1, 1]);
    expect(efo.registry.calls.map((call) => call.op)).toContain('RegisterStreamConsumer');
    await until(c.close());
    // Checkpoints of processed records (all but the one in hand) were written; the consumer stays registered.
    const state = new MemoryState({ store });
    await state.start();
    const leases = await state.listLeases({ consumerGroup: 'default', streamName: 's' });
    expect(leases.map((l) => l.checkpoint?.sequenceNumber !== undefined)).toEqual([true, true, true]);
    expect(efo.registry.consumers.size).toBe(1);
  });

  it('restarts from the checkpoints (AT the checkpoint, skipping what was delivered)', async () => {
    const { efo } = setup(1, 50);
    const store = new MemoryStateStore();
    const first = consumer(efo, { state: new MemoryState({ store }), checkpointInterval: { records: 1 } });
    const it1 = first[Symbol.asyncIterator]();
    const before = await take(it1, 20);
    await until(it1.return!());
    const second = consumer(efo, { state: new MemoryState({ store }) });
    const it2 = second[Symbol.asyncIterator]();
    const after = await take(it2, 31);
    await until(it2.return!());
    // The 20th record was in hand (not processed) when the first loop left: it comes again, once.
    expect(after.map((r) => Number(recordText(r)))).toEqual(Array.from({ length: 31 }, (_, i) => i + 19));
    expect(before).toHaveLength(20);
  });

  it('reads the children after the parent ended through a ChildShards event', async () => {
    const { fake, efo, list } = setup(1, 10);
    const parent = list[0]!.shardId;
    const c = consumer(efo, { shardSyncIntervalMs: 600_000 });
    const ended: string[] = [];
    c.on('shardEnded', (e) => ended.push(e.shardId));
    const iterator = c[Symbol.asyncIterator]();
    const first = await take(iterator, 10);
    fake.addChild('s', 'shardId-000000000001', [parent]);
    fake.put('s', 'shardId-000000000001', 'child', 'child');
    const next = await take(iterator, 1);
    expect(first.map((r) => r.shardId)).toEqual(Array(10).fill(parent));
    expect(next.map((r) => [r.shardId, recordText(r)])).toEqual([['shardId-000000000001', 'child']]);
    expect(ended).toEqual([parent]);
    await until(iterator.return!());
  });

  it('backpressure: a loop that stops reading stops the subscription (bounded buffer, bounded pulls)', async () => {
    const { efo, list } = setup(1, 2000);
    const c = consumer(efo, { maxBufferedRecords: 100 });
    const iterator = c[Symbol.asyncIterator]();
    await take(iterator, 1);
    await vi.advanceTimersByTimeAsync(120_000);
    const shardId = list[0]!.shardId;
    const pulls = efo.pulls.get(shardId) ?? 0;
    // 25 records per event: the 100-record buffer (overshoot: one fetch) plus at most 4 queued events.
    expect(c.bufferedRecords).toBeLessThanOrEqual(200);
    expect(pulls).toBeLessThanOrEqual(Math.ceil(200 / 25) + 4 + 1);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(efo.pulls.get(shardId)).toBe(pulls);
    const rest = await take(iterator, 300);
    expect(rest.map((r) => Number(recordText(r)))).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    await until(iterator.return!());
  });

  it('deregisters the stream consumer on close only with deregisterOnClose', async () => {
    const { efo } = setup(1, 5);
    const c = consumer(efo, { fanOut: { consumerName: 'app', deregisterOnClose: true } });
    const iterator = c[Symbol.asyncIterator]();
    await take(iterator, 5);
    expect(efo.registry.consumers.size).toBe(1);
    await until(iterator.return!());
    expect(efo.registry.consumers.size).toBe(0);
  });
});
