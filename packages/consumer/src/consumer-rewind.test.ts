import {
  atTimestampCheckpoint,
  type Checkpoint,
  LATEST_CHECKPOINT,
  type LeaseScope,
  recordText,
  type StateAdapter,
  TRIM_HORIZON_CHECKPOINT,
} from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { take, until } from './test-support/fake-time.js';
import { inlineConsumer as consumer, fillStream as fill } from './test-support/inline-consumer.js';

const scope: LeaseScope = { consumerGroup: 'default', streamName: 's' };

beforeEach(() => {
  vi.useFakeTimers({
    toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date', 'performance'],
  });
});
afterEach(() => {
  vi.useRealTimers();
});

/** What an operator's rewind does to an unowned lease: take, checkpoint, release (fenced). */
async function rewindUnowned(state: StateAdapter, shardId: string, position: Checkpoint): Promise<void> {
  const lease = (await state.getLease(scope, shardId))!;
  const taken = await state.takeLease(scope, shardId, lease, 'operator');
  const written = await state.checkpoint(scope, shardId, taken, position);
  await state.releaseLease(scope, shardId, written);
}

/** Lets a group read `count` records of the stream, checkpointing each, and close. */
async function drainedGroup(fake: FakeKinesis, store: MemoryStateStore, count: number): Promise<void> {
  const first = consumer(fake, { state: new MemoryState({ store }), checkpointInterval: { records: 1 } });
  await take(first[Symbol.asyncIterator](), count);
  await until(first.close());
}

async function operatorState(store: MemoryStateStore): Promise<MemoryState> {
  const state = new MemoryState({ store });
  await state.start();
  return state;
}

describe('KinesisConsumer: checkpoints an operator moved (rewind / reset)', () => {
  it('TRIM_HORIZON: the group re-reads every record, then checkpoints records again', async () => {
    const fake = new FakeKinesis();
    fill(fake, 2, 10);
    const store = new MemoryStateStore();
    await drainedGroup(fake, store, 20);
    const state = await operatorState(store);
    for (const lease of await state.listLeases(scope))
      await rewindUnowned(state, lease.shardId, TRIM_HORIZON_CHECKPOINT);
    // initialPosition LATEST: the stored position wins over it.
    const second = consumer(fake, {
      state: new MemoryState({ store }),
      initialPosition: 'LATEST',
      checkpointInterval: { records: 1 },
    });
    const again = await take(second[Symbol.asyncIterator](), 20);
    expect(new Set(again.map((r) => r.partitionKey)).size).toBe(20);
    await until(second.close());
    for (const lease of await state.listLeases(scope)) {
      const records = fake.shard('s', lease.shardId).records;
      // Every record was handed out; the last one of a shard may be the one in hand at close.
      expect([records[8]!.sequenceNumber, records[9]!.sequenceNumber]).toContain(
        lease.checkpoint?.sequenceNumber,
      );
    }
  });

  it('LATEST: the group skips the backlog and reads what is put after it took the lease', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 10);
    const store = new MemoryStateStore();
    const state = await operatorState(store);
    await state.createLease(scope, 'shardId-000000000000');
    await rewindUnowned(state, 'shardId-000000000000', LATEST_CHECKPOINT);
    // initialPosition TRIM_HORIZON would read the 10 old records: the stored LATEST wins.
    const c = consumer(fake, { state: new MemoryState({ store }), checkpointInterval: { records: 1 } });
    const it1 = c[Symbol.asyncIterator]();
    const pending = take(it1, 3);
    await vi.advanceTimersByTimeAsync(3000);
    for (let i = 0; i < 3; i++) fake.put('s', 'shardId-000000000000', `new:${i}`, `new ${i}`);
    const got = await pending;
    expect(got.map((r) => recordText(r))).toEqual(['new 0', 'new 1', 'new 2']);
    await until(c.close());
  });

  it('AT_TIMESTAMP: the group reads from the first record that arrived at or after the time', async () => {
    const fake = new FakeKinesis();
    const [shard] = fake.createStream('s', 1);
    const shardId = shard!.shardId;
    for (let i = 0; i < 5; i++) fake.put('s', shardId, `old:${i}`, `old ${i}`);
    vi.advanceTimersByTime(60_000);
    const cut = Date.now();
    for (let i = 0; i < 5; i++) fake.put('s', shardId, `new:${i}`, `new ${i}`);
    const store = new MemoryStateStore();
    await drainedGroup(fake, store, 10);
    const state = await operatorState(store);
    await rewindUnowned(state, shardId, atTimestampCheckpoint(cut));
    const c = consumer(fake, { state: new MemoryState({ store }) });
    const got = await take(c[Symbol.asyncIterator](), 5);
    expect(got.map((r) => recordText(r))).toEqual(['new 0', 'new 1', 'new 2', 'new 3', 'new 4']);
    await until(c.close());
  });

  it('a running owner hands the lease to the operator, who stores TRIM_HORIZON; the group re-reads it all', async () => {
    const fake = new FakeKinesis();
    fill(fake, 1, 10);
    const shardId = 'shardId-000000000000';
    const store = new MemoryStateStore();
    const c = consumer(fake, {
      state: new MemoryState({ store }),
      instanceId: 'a',
      failoverTimeMs: 3000,
      leaseScanIntervalMs: 500,
      checkpointInterval: { records: 1 },
    });
    const it1 = c[Symbol.asyncIterator]();
    const first = await take(it1, 10);
    expect(first.map((r) => recordText(r))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    const released: string[] = [];
    c.on('leaseReleased', (e) => released.push(e.reason));
    const state = await operatorState(store);
    const held = (await state.getLease(scope, shardId))!;
    expect(held.owner).toBe('a');
    await state.requestHandoff(scope, shardId, held, 'operator');
    // The owner hands over at its next renewal; its reading loop keeps waiting for records.
    const next = it1.next();
    let lease = await state.getLease(scope, shardId);
    for (let waited = 0; lease?.owner !== 'operator' && waited < 10_000; waited += 100) {
      await vi.advanceTimersByTimeAsync(100);
      lease = await state.getLease(scope, shardId);
    }
    expect(lease?.owner).toBe('operator');
    expect(released).toEqual(['handoff']);
    const written = await state.checkpoint(scope, shardId, lease!, TRIM_HORIZON_CHECKPOINT);
    await state.releaseLease(scope, shardId, written);
    // The same instance takes the unowned lease at its next scan and reads from TRIM_HORIZON.
    const again = [(await until(next, 30_000)).value, ...(await take(it1, 9))];
    expect(again.map((r) => recordText(r!))).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
    await until(c.close());
  });
});
