import { type KinesisRecord, recordText, type StateAdapter } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { awsError, FakeKinesis } from './test-support/fake-kinesis.js';
import { until } from './test-support/fake-time.js';
import { inlineConsumer as consumer } from './test-support/inline-consumer.js';

const scope = { consumerGroup: 'default', streamName: 's' };
const P = 'shardId-000000000000';
const Q = 'shardId-000000000001';
const HALF = (2n ** 127n).toString();
const LOW = { startingHashKey: '0', endingHashKey: HALF };
const HIGH = { startingHashKey: (2n ** 127n + 1n).toString(), endingHashKey: (2n ** 128n - 1n).toString() };

/** Up to `n` records, advancing fake time; stops early (instead of hanging) after `maxMs` without one. */
async function takeWithin(iterator: AsyncIterator<KinesisRecord>, n: number, maxMs = 60_000) {
  const out: KinesisRecord[] = [];
  while (out.length < n) {
    let settled = false;
    const next = iterator.next().finally(() => {
      settled = true;
    });
    next.catch(() => {});
    for (let t = 0; t < maxMs && !settled; t += 50) await vi.advanceTimersByTimeAsync(50);
    if (!settled) break;
    const result = await next;
    if (result.done) break;
    out.push(result.value);
  }
  return out;
}

/** Splits `parent` into two halves and puts `perChild` records into each child. */
function split(fake: FakeKinesis, parent: string, a: string, b: string, perChild: number): void {
  fake.addChild('s', a, [parent], LOW);
  fake.addChild('s', b, [parent], HIGH);
  for (let i = 0; i < perChild; i++) {
    fake.put('s', a, `a${i}`, `${a}:${i}`);
    fake.put('s', b, `b${i}`, `${b}:${i}`);
  }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('resharding', () => {
  it('AT_TIMESTAMP reads a parent closed before the start from the timestamp, then its children', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    for (let i = 0; i < 3; i++) fake.put('s', P, `old${i}`, `old:${i}`);
    vi.advanceTimersByTime(10_000);
    const t = new Date(Date.now());
    for (let i = 0; i < 4; i++) fake.put('s', P, `new${i}`, `${P}:${i}`);
    split(fake, P, 'c1', 'c2', 3);
    const c = consumer(fake, { initialPosition: { atTimestamp: t } });
    const records = await takeWithin(c[Symbol.asyncIterator](), 11, 20_000);
    const texts = records.map((r) => recordText(r));
    expect(texts.slice(0, 4)).toEqual([`${P}:0`, `${P}:1`, `${P}:2`, `${P}:3`]);
    expect(texts.slice(4).sort()).toEqual(['c1:0', 'c1:1', 'c1:2', 'c2:0', 'c2:1', 'c2:2']);
    await until(c.close());
  });

  it('a first sync cut short at any createLease is completed by a fresh instance: nothing missing', async () => {
    for (let failAfter = 0; failAfter < 6; failAfter++) {
      const fake = new FakeKinesis();
      fake.createStream('s', 2);
      for (const shard of [P, Q]) for (let i = 0; i < 3; i++) fake.put('s', shard, `k${i}`, `${shard}:${i}`);
      split(fake, P, 'p1', 'p2', 2);
      split(fake, Q, 'q1', 'q2', 2);
      const store = new MemoryStateStore();
      // The first instance's store fails every createLease after `failAfter` calls.
      const healthy = new MemoryState({ store });
      let calls = 0;
      const original = healthy.createLease.bind(healthy);
      vi.spyOn(healthy, 'createLease').mockImplementation(async (...args) => {
        if (++calls > failAfter) throw new Error('store went away');
        return original(...args);
      });
      const first = consumer(fake, { state: healthy as StateAdapter });
      first.start().catch(() => {});
      await vi.advanceTimersByTimeAsync(1000);
      await until(first.close());

      const second = consumer(fake, { state: new MemoryState({ store }) });
      const records = await takeWithin(second[Symbol.asyncIterator](), 14, 20_000);
      const texts = records.map((r) => recordText(r)).sort();
      expect(texts, `createLease failing after ${failAfter} calls`).toEqual(
        [P, Q, 'p1', 'p2', 'q1', 'q2']
          .flatMap((s) => [0, 1, 2].map((i) => `${s}:${i}`))
          .filter((text) => !/^[pq][12]:2$/.test(text))
          .sort(),
      );
      await until(second.close());
    }
  });

  it('a shard sync whose createLease failed is retried at the next scan, not a shard-sync interval later', async () => {
    const fake = new FakeKinesis();
    fake.childShards = false;
    fake.createStream('s', 1);
    for (let i = 0; i < 3; i++) fake.put('s', P, `k${i}`, `${P}:${i}`);
    const state = new MemoryState();
    let failures = 0;
    const original = state.createLease.bind(state);
    vi.spyOn(state, 'createLease').mockImplementation(async (...args) => {
      if (failures > 0) {
        failures -= 1;
        throw new Error('throttled by the store');
      }
      return original(...args);
    });
    const c = consumer(fake, { state, shardSyncIntervalMs: 600_000, leaseScanIntervalMs: 1000 });
    const errors: string[] = [];
    c.on('error', (e) => errors.push(e.code));
    const iterator = c[Symbol.asyncIterator]();
    expect(await takeWithin(iterator, 3, 10_000)).toHaveLength(3);
    failures = 1;
    split(fake, P, 'c1', 'c2', 2);
    const children = await takeWithin(iterator, 4, 20_000);
    expect(children.map((r) => recordText(r)).sort()).toEqual(['c1:0', 'c1:1', 'c2:0', 'c2:1']);
    expect(errors).toContain('STATE_STORE_UNAVAILABLE');
    await until(c.close());
  });

  it('a lease whose shard was trimmed ends with a shardNotFound warning; its children are read; the consumer stays up', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    fake.put('s', P, 'k', 'lost');
    split(fake, P, 'c1', 'c2', 2);
    const store = new MemoryStateStore();
    // An earlier run leased the parent and the children, then the group was down past retention.
    const earlier = new MemoryState({ store });
    await earlier.start();
    await earlier.createLease(scope, P);
    await earlier.createLease(scope, 'c1', { parentShardIds: [P] });
    await earlier.createLease(scope, 'c2', { parentShardIds: [P] });
    fake.trimShard('s', P);

    const c = consumer(fake, { state: new MemoryState({ store }) });
    const notFound: Array<{ shardId: string; childShardIds: string[] }> = [];
    const errors: string[] = [];
    c.on('shardNotFound', (e) => notFound.push({ shardId: e.shardId, childShardIds: e.childShardIds }));
    c.on('error', (e) => errors.push(e.code));
    const iterator = c[Symbol.asyncIterator]();
    const records = await takeWithin(iterator, 4, 20_000);
    expect(records.map((r) => recordText(r)).sort()).toEqual(['c1:0', 'c1:1', 'c2:0', 'c2:1']);
    expect(notFound).toEqual([{ shardId: P, childShardIds: ['c1', 'c2'] }]);
    expect(errors).toEqual([]);
    expect((await earlier.getLease(scope, P))?.ended).toBe(true);
    // Still running: a record put now is delivered.
    fake.put('s', 'c1', 'late', 'late');
    expect((await takeWithin(iterator, 1, 5000)).map((r) => recordText(r))).toEqual(['late']);
    await until(c.close());
  });

  it('a worker restarted before the first record resumes from the LATEST start time, not LATEST again', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    fake.put('s', P, 'before', 'before');
    vi.advanceTimersByTime(60_000);
    const c = consumer(fake, { initialPosition: 'LATEST' });
    const started: number[] = [];
    c.on('shardStarted', (e) => started.push(e.restart));
    const next = c[Symbol.asyncIterator]().next();
    let settled = false;
    next
      .finally(() => {
        settled = true;
      })
      .catch(() => {});
    await vi.advanceTimersByTimeAsync(1000);
    expect(started).toEqual([0]);
    // The reader gives up after repeated failures: the session restarts the worker.
    for (let i = 0; i < 10; i++) fake.failures.push({ op: 'GetRecords', error: awsError('InternalFailure') });
    await vi.advanceTimersByTimeAsync(5000);
    fake.put('s', P, 'meanwhile', 'meanwhile');
    for (let t = 0; t < 60_000 && !settled; t += 50) await vi.advanceTimersByTimeAsync(50);
    expect(settled).toBe(true);
    const records = [(await next).value as KinesisRecord];
    expect(started).toEqual([0, 1]);
    expect(records.map((r) => recordText(r))).toEqual(['meanwhile']);
    await until(c.close());
  });
});
