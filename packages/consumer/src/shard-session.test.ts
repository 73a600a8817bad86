import { type KinesisRecord, recordText } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisConsumer } from './consumer.js';
import { awsError, FakeKinesis } from './test-support/fake-kinesis.js';
import { until } from './test-support/fake-time.js';

const SHARD = 'shardId-000000000000';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('shard supervision (inline runner)', () => {
  it('restarts a crashed shard reader after the last received record: nothing lost, nothing twice', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    for (let i = 0; i < 30; i++) fake.put('s', SHARD, `k${i}`, `${i}`);
    const consumer = new KinesisConsumer({
      streamName: 's',
      runner: 'inline',
      kinesisApi: fake,
      initialPosition: 'TRIM_HORIZON',
      maxRecordsPerCall: 10,
      clientConfig: { region: 'us-east-1' },
    });
    const crashes: string[] = [];
    const starts: string[] = [];
    consumer.on('shardCrashed', (e) => crashes.push(e.reason));
    consumer.on('shardStarted', (e) => starts.push(e.position));
    const iterator = consumer[Symbol.asyncIterator]();
    const got: KinesisRecord[] = [];
    got.push((await until(iterator.next())).value as KinesisRecord);
    fake.failures.push({ op: 'GetRecords', error: awsError('AccessDeniedException') });
    while (got.length < 30) got.push((await until(iterator.next())).value as KinesisRecord);
    expect(got.map((r) => Number(recordText(r)))).toEqual([...Array(30).keys()]);
    expect(crashes).toHaveLength(1);
    expect(starts).toEqual(['TRIM_HORIZON', `after ${fake.shard('s', SHARD).records[9]!.sequenceNumber}/0`]);
    await until(consumer.close());
  });

  it('quarantines a shard after repeated crashes: lease released, error event, not retaken', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    fake.put('s', SHARD, 'k', 'v');
    const store = new MemoryStateStore();
    for (let i = 0; i < 3; i++)
      fake.failures.push({ op: 'GetRecords', error: awsError('AccessDeniedException') });
    const consumer = new KinesisConsumer({
      streamName: 's',
      runner: 'inline',
      kinesisApi: fake,
      state: new MemoryState({ store }),
      failoverTimeMs: 3000,
      maxShardCrashes: 3,
      clientConfig: { region: 'us-east-1' },
    });
    const errors: string[] = [];
    const released: string[] = [];
    consumer.on('error', (e) => errors.push(e.code));
    consumer.on('leaseReleased', (e) => released.push(e.reason));
    await until(consumer.start());
    await vi.advanceTimersByTimeAsync(10_000);
    expect(errors).toContain('SHARD_QUARANTINED');
    expect(released).toEqual(['quarantine']);
    expect(consumer.ownedShards).toEqual([]);
    const state = new MemoryState({ store });
    await state.start();
    expect((await state.getLease({ consumerGroup: 'default', streamName: 's' }, SHARD))?.owner).toBeNull();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(consumer.ownedShards).toEqual([]);
    await until(consumer.close());
  });
});
