import { type KinesisRecord, LifecycleError, recordText, ValidationError } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KinesisConsumer } from './consumer.js';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { take, until } from './test-support/fake-time.js';
import { inlineConsumer as consumer, fillStream as fill } from './test-support/inline-consumer.js';

const scope = { consumerGroup: 'default', streamName: 's' };

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisConsumer (inline runner)', () => {
  it('delivers every record once, in order per shard; close flushes checkpoints, releases leases, leaves no timer', async () => {
    const fake = new FakeKinesis();
    fill(fake, 3, 40);
    const store = new MemoryStateStore();
    const c = consumer(fake, { state: new MemoryState({ store }), maxRecordsPerCall: 7 });
    const events: string[] = [];
    c.on('leaseAcquired', (e) => events.push(`acquired ${e.shardId}`));
    c.on('shardStarted', (e) => events.push(`started ${e.shardId}`));
    const records = await take(c[Symbol.asyncIterator](), 120);
    expect(records).toHaveLength(120);
    const byShard = new Map<string, number[]>();
    for (const r of records)
      byShard.set(r.shardId, [...(byShard.get(r.shardId) ?? []), Number(recordText(r))]);
    expect(byShard.size).toBe(3);
    for (const values of byShard.values()) expect(values).toEqual([...Array(40).keys()]);
    await until(c.close());
    const state = new MemoryState({ store });
    await state.start();
    const leases = await state.listLeases(scope);
    expect(leases.map((l) => l.owner)).toEqual([null, null, null]);
    // Each shard's last record was handed out but never followed by a next(): not processed.
    for (const lease of leases) {
      const shardRecords = fake.shard('s', lease.shardId).records;
      expect(lease.checkpoint?.sequenceNumber).toBe(
        lease.shardId === records[119]!.shardId
          ? shardRecords[38]!.sequenceNumber
          : shardRecords[39]!.sequenceNumber,
      );
    }
    expect(events.filter((e) => e.startsWith('acquired'))).toHaveLength(3);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('resumes strictly after the checkpoint; the record in hand at close is delivered again', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 10);
    const store = new MemoryStateStore();
    const first = consumer(fake, { state: new MemoryState({ store }), checkpointInterval: { records: 1 } });
    const it1 = first[Symbol.asyncIterator]();
    const got = await take(it1, 5);
    expect(got.map((r) => recordText(r))).toEqual(['0', '1', '2', '3', '4']);
    await until(it1.return!());
    const second = consumer(fake, { state: new MemoryState({ store }) });
    const again = await take(second[Symbol.asyncIterator](), 6);
    expect(again.map((r) => recordText(r))).toEqual(['4', '5', '6', '7', '8', '9']);
    await until(second.close());
  });

  it('keeps the buffer bounded with a slow loop (credit flow control)', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5000);
    const c = consumer(fake, { maxBufferedRecords: 100, maxRecordsPerCall: 40 });
    const iterator = c[Symbol.asyncIterator]();
    let maxBuffered = 0;
    for (let i = 0; i < 300; i++) {
      await until(iterator.next());
      maxBuffered = Math.max(maxBuffered, c.bufferedRecords);
      if (i % 50 === 0) {
        await vi.advanceTimersByTimeAsync(10_000); // the loop is slow: the reader must not run ahead
        maxBuffered = Math.max(maxBuffered, c.bufferedRecords);
      }
    }
    expect(maxBuffered).toBeLessThanOrEqual(100);
    expect(maxBuffered).toBeGreaterThan(40);
    const fetched = fake.calls
      .filter((call) => call.op === 'GetRecords')
      .reduce((n, call) => n + (call.limit ?? 0), 0);
    expect(fetched).toBeLessThanOrEqual(300 + 100);
    await until(c.close());
  });

  it('run(): one shard batch at a time, checkpoint after the handler, ctx.checkpoint writes at once', async () => {
    const fake = new FakeKinesis();
    fill(fake, 2, 30);
    const store = new MemoryStateStore();
    const c = consumer(fake, {
      state: new MemoryState({ store }),
      maxRecordsPerCall: 10,
      checkpointInterval: { records: 1000, ms: 60_000 },
    });
    const seen: string[] = [];
    let active = 0;
    let maxActivePerShard = 0;
    const activeByShard = new Map<string, number>();
    const checkpoints: string[] = [];
    c.on('checkpoint', (e) => checkpoints.push(`${e.shardId}@${e.sequenceNumber}`));
    const running = c.run(async (records, ctx) => {
      active += 1;
      activeByShard.set(ctx.shardId, (activeByShard.get(ctx.shardId) ?? 0) + 1);
      maxActivePerShard = Math.max(maxActivePerShard, activeByShard.get(ctx.shardId)!);
      for (const r of records) seen.push(r.partitionKey);
      if (records.some((r) => recordText(r) === '15')) await ctx.checkpoint();
      await new Promise<void>((resolve) => setTimeout(resolve, 100));
      activeByShard.set(ctx.shardId, activeByShard.get(ctx.shardId)! - 1);
      active -= 1;
    });
    running.catch(() => {});
    for (let i = 0; i < 400 && seen.length < 60; i++) await vi.advanceTimersByTimeAsync(50);
    expect(seen).toHaveLength(60);
    expect(maxActivePerShard).toBe(1);
    expect(checkpoints).toHaveLength(2); // the manual ones; the batched ones wait for 1000 records / 60 s
    await until(c.close());
    await running;
    expect(active).toBe(0);
    const state = new MemoryState({ store });
    await state.start();
    for (const lease of await state.listLeases(scope)) {
      const last = fake.shard('s', lease.shardId).records[29]!;
      expect(lease.checkpoint?.sequenceNumber).toBe(last.sequenceNumber);
    }
  });

  it('run(): close() called from inside a handler does not wait for itself', async () => {
    const fake = new FakeKinesis();
    fill(fake, 2, 10);
    const store = new MemoryStateStore();
    const c = consumer(fake, { state: new MemoryState({ store }), checkpointInterval: { records: 1 } });
    let calls = 0;
    const running = c.run(async () => {
      calls += 1;
      await c.close();
    });
    await until(running);
    expect(calls).toBeGreaterThanOrEqual(1);
    const state = new MemoryState({ store });
    await state.start();
    expect((await state.listLeases(scope)).map((l) => l.owner)).toEqual([null, null]);
  });

  it('run(): a handler error closes the consumer and rejects run() with it; the batch is not checkpointed', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 5);
    const store = new MemoryStateStore();
    const c = consumer(fake, { state: new MemoryState({ store }), checkpointInterval: { records: 1 } });
    const failure = new Error('handler failed');
    const running = c.run(async () => {
      throw failure;
    });
    await expect(until(running)).rejects.toBe(failure);
    const state = new MemoryState({ store });
    await state.start();
    const [lease] = await state.listLeases(scope);
    expect(lease?.checkpoint).toBeNull();
    expect(lease?.owner).toBeNull();
  });

  it('reads parents before children across a split, from ChildShards or from ListShards', async () => {
    for (const childShards of [true, false]) {
      const fake = new FakeKinesis();
      fake.childShards = childShards;
      fake.createStream('s', 1);
      const parent = 'shardId-000000000000';
      for (let i = 0; i < 5; i++) fake.put('s', parent, `k${i}`, `p${i}`);
      const c = consumer(fake, { shardSyncIntervalMs: 600_000 });
      const iterator = c[Symbol.asyncIterator]();
      const before = await take(iterator, 3);
      const half = (2n ** 127n).toString();
      fake.addChild('s', 'shardId-000000000001', [parent], { startingHashKey: '0', endingHashKey: half });
      fake.addChild('s', 'shardId-000000000002', [parent], {
        startingHashKey: (2n ** 127n + 1n).toString(),
        endingHashKey: (2n ** 128n - 1n).toString(),
      });
      for (let i = 0; i < 5; i++) {
        fake.put('s', 'shardId-000000000001', `k${i}`, `c${i}`);
        fake.put('s', 'shardId-000000000002', `k${i}`, `d${i}`);
      }
      const ended: string[] = [];
      c.on('shardEnded', (e) => ended.push(e.shardId));
      const after = await take(iterator, 12);
      const texts = [...before, ...after].map((r) => recordText(r));
      expect(texts.slice(0, 5)).toEqual(['p0', 'p1', 'p2', 'p3', 'p4']);
      expect(texts.slice(5).sort()).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'd0', 'd1', 'd2', 'd3', 'd4']);
      expect(ended).toEqual([parent]);
      await until(c.close());
    }
  });

  it('hands a lease over gracefully: the owner checkpoints what it processed, the new owner continues there', async () => {
    const fake = new FakeKinesis();
    fill(fake, 2, 30);
    const store = new MemoryStateStore();
    const options = {
      maxRecordsPerCall: 5,
      failoverTimeMs: 3000,
      leaseScanIntervalMs: 500,
      checkpointInterval: { records: 1000, ms: 60_000 },
    };
    const a = consumer(fake, { ...options, state: new MemoryState({ store }), instanceId: 'a' });
    const itA = a[Symbol.asyncIterator]();
    const fromA = await take(itA, 10);
    expect(a.ownedShards).toHaveLength(2);
    const b = consumer(fake, { ...options, state: new MemoryState({ store }), instanceId: 'b' });
    const released: string[] = [];
    a.on('leaseReleased', (e) => released.push(e.reason));
    const itB = b[Symbol.asyncIterator]();
    const fromB: KinesisRecord[] = [];
    // A keeps reading while B asks for one lease; both loops run until every record was seen.
    const seen = () => new Set([...fromA, ...fromB].map((r) => r.partitionKey)).size;
    const pumpA = (async () => {
      while (seen() < 60) {
        const result = await itA.next();
        if (result.done) return;
        fromA.push(result.value);
      }
    })();
    while (seen() < 60) {
      const result = await until(itB.next(), 30_000);
      if (result.done) break;
      fromB.push(result.value);
    }
    expect(released).toEqual(['handoff']);
    expect(a.ownedShards).toHaveLength(1);
    expect(b.ownedShards).toHaveLength(1);
    // Only the record A's loop held when the handoff came may be delivered twice.
    const keysA = new Set(fromA.map((r) => r.partitionKey));
    expect(fromB.filter((r) => keysA.has(r.partitionKey)).length).toBeLessThanOrEqual(1);
    await until(Promise.all([a.close(), b.close()]));
    await pumpA;
  });

  it('stops a shard whose lease another instance took, without checkpointing it', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 50);
    const store = new MemoryStateStore();
    const state = new MemoryState({ store });
    const c = consumer(fake, { state, maxRecordsPerCall: 5, checkpointInterval: { records: 1000 } });
    const lost: string[] = [];
    c.on('leaseLost', (e) => lost.push(e.shardId));
    const iterator = c[Symbol.asyncIterator]();
    await take(iterator, 3);
    const other = new MemoryState({ store });
    await other.start();
    const [lease] = await other.listLeases(scope);
    await other.takeLease(
      scope,
      lease!.shardId,
      { owner: lease!.owner, leaseCounter: lease!.leaseCounter },
      'thief',
    );
    await vi.advanceTimersByTimeAsync(1500);
    expect(lost).toEqual([lease!.shardId]);
    expect(c.ownedShards).toEqual([]);
    expect((await other.getLease(scope, lease!.shardId))?.checkpoint).toBeNull();
    await until(c.close());
  });

  it('rejects bad input with typed errors and never hangs', async () => {
    const fake = new FakeKinesis();
    expect(() => new KinesisConsumer({ streamName: '' })).toThrow(ValidationError);
    expect(() => new KinesisConsumer({ streamName: 's', runner: 'fork' as never })).toThrow(ValidationError);
    expect(() => new KinesisConsumer({ streamName: 's', failoverTimeMs: -1 })).toThrow(/failoverTimeMs/);
    expect(() => new KinesisConsumer({ streamName: 's', minPollIntervalMs: 50 })).toThrow(ValidationError);
    expect(() => new KinesisConsumer({ streamName: 's', initialPosition: 'EARLIEST' as never })).toThrow(
      ValidationError,
    );
    expect(() => new KinesisConsumer({ streamName: 's', state: {} as never })).toThrow(/state/);
    expect(() => new KinesisConsumer({ streamName: 's', checkpointInterval: { records: 0 } })).toThrow(
      /records/,
    );

    const unknown = consumer(fake, { streamName: 'missing' });
    await expect(until(unknown[Symbol.asyncIterator]().next())).rejects.toMatchObject({
      code: 'STREAM_NOT_FOUND',
    });
    await expect(unknown[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(LifecycleError);
    const unknownRun = consumer(fake, { streamName: 'missing' });
    await expect(until(unknownRun.run(() => {}))).rejects.toMatchObject({ code: 'STREAM_NOT_FOUND' });

    fill(fake, 1, 3);
    const c = consumer(fake);
    const iterator = c[Symbol.asyncIterator]();
    await take(iterator, 1);
    await expect(c[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(LifecycleError);
    await expect(c.run(() => {})).rejects.toBeInstanceOf(LifecycleError);
    const pending = iterator.next();
    await until(c.close());
    expect(await until(pending)).toMatchObject({ done: true });
    await c.close();
    await expect(c[Symbol.asyncIterator]().next()).rejects.toMatchObject({ code: 'CLOSED' });
    await expect(c.start()).rejects.toBeInstanceOf(LifecycleError);
  });

  it('surfaces a state adapter failing at start as a typed error, and checkpoint failures as error events', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 20);
    const broken = new MemoryState();
    vi.spyOn(broken, 'start').mockRejectedValue(new Error('no store'));
    const c1 = consumer(fake, { state: broken });
    await expect(until(c1[Symbol.asyncIterator]().next())).rejects.toMatchObject({
      code: 'STATE_STORE_UNAVAILABLE',
    });

    const flaky = new MemoryState();
    const original = flaky.checkpoint.bind(flaky);
    let failures = 2;
    vi.spyOn(flaky, 'checkpoint').mockImplementation(async (...args) => {
      if (failures-- > 0) throw new Error('throttled by the store');
      return original(...args);
    });
    const c2 = consumer(fake, { state: flaky, checkpointInterval: { records: 1, ms: 500 } });
    const errors: string[] = [];
    c2.on('error', (e) => errors.push(e.code));
    const records = await take(c2[Symbol.asyncIterator](), 20);
    expect(records).toHaveLength(20);
    await vi.advanceTimersByTimeAsync(2000);
    expect(errors.filter((code) => code === 'STATE_STORE_UNAVAILABLE')).toHaveLength(2);
    expect((await flaky.getCheckpoint(scope, 'shardId-000000000000'))?.sequenceNumber).toBe(
      fake.shard('s', 'shardId-000000000000').records[18]!.sequenceNumber,
    );
    await until(c2.close());
  });

  it('delivers a malformed KPL aggregate raw, with an invalidAggregate event (shard, sequence number, reason) and a count', async () => {
    const fake = new FakeKinesis();
    fake.createStream('s', 1);
    const shard = 'shardId-000000000000';
    const magic = Uint8Array.from([0xf3, 0x89, 0x9a, 0xc2]);
    const garbage = Buffer.concat([
      magic,
      Buffer.from('not a protobuf message, and no valid MD5 digest either'),
    ]);
    fake.put('s', shard, 'a', 'plain-1');
    const badSeq = fake.put('s', shard, 'b', garbage);
    fake.put('s', shard, 'c', 'plain-2');
    const c = consumer(fake);
    const events: Array<{ shardId: string; sequenceNumber: string; reason: string }> = [];
    c.on('invalidAggregate', (e) => events.push(e));
    const records = await take(c[Symbol.asyncIterator](), 3);
    expect(records.map((r) => r.partitionKey)).toEqual(['a', 'b', 'c']);
    expect(Buffer.from(records[1]!.data).equals(garbage)).toBe(true);
    expect(records[1]!.aggregated).toBe(false);
    expect(events).toEqual([{ shardId: shard, sequenceNumber: badSeq, reason: 'digest-mismatch' }]);
    expect(c.invalidAggregates).toBe(1);
    await until(c.close());
  });

  it('bounds the buffer over all owned shards together (maxInstanceBufferedRecords), without stalling any shard', async () => {
    const fake = new FakeKinesis();
    fill(fake, 4, 600);
    const c = consumer(fake, {
      maxBufferedRecords: 1000,
      maxInstanceBufferedRecords: 200,
      maxRecordsPerCall: 100,
    });
    const iterator = c[Symbol.asyncIterator]();
    let maxBuffered = 0;
    const perShard = new Map<string, number>();
    for (let i = 0; i < 2400; i++) {
      const record = (await until(iterator.next())).value as KinesisRecord;
      perShard.set(record.shardId, (perShard.get(record.shardId) ?? 0) + 1);
      maxBuffered = Math.max(maxBuffered, c.bufferedRecords);
      if (i % 200 === 0) {
        await vi.advanceTimersByTimeAsync(5000); // a slow loop: readers must not run ahead
        maxBuffered = Math.max(maxBuffered, c.bufferedRecords);
      }
    }
    expect(maxBuffered).toBeLessThanOrEqual(200);
    expect([...perShard.values()]).toEqual([600, 600, 600, 600]);
    await until(c.close());
  });
});
