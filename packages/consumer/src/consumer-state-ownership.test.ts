import { type KinesisRecord, type Lease, recordText, type StateAdapter } from '@kinesis-ts/core';
import { MemoryState, MemoryStateStore } from '@kinesis-ts/state-memory';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FakeKinesis } from './test-support/fake-kinesis.js';
import { take, until } from './test-support/fake-time.js';
import { inlineConsumer } from './test-support/inline-consumer.js';

const consumer = (fake: FakeKinesis, state: StateAdapter) => inlineConsumer(fake, { state });

// The contract's rule (core state.ts, "Who closes an adapter"): the creator closes an adapter; a
// consumer never closes one it was given.

const scope = { consumerGroup: 'default', streamName: 's' };

/** A MemoryState that counts start() and close() calls. */
class CountingState extends MemoryState {
  starts = 0;
  closes = 0;
  override async start(): Promise<void> {
    this.starts++;
    await super.start();
  }
  override async close(): Promise<void> {
    this.closes++;
    await super.close();
  }
}

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('KinesisConsumer and a state adapter it was given', () => {
  it('starts it but never closes it: after close() the adapter still serves its creator and a next consumer', async () => {
    const fake = new FakeKinesis();
    const [shard] = fake.createStream('s', 1);
    for (let i = 0; i < 10; i++) fake.put('s', shard?.shardId ?? '', `k${i}`, `${i}`);
    const state = new CountingState({ store: new MemoryStateStore() });

    const first = consumer(fake, state);
    const firstRecords = await take(first[Symbol.asyncIterator](), 5);
    expect(firstRecords.map(recordText)).toEqual(['0', '1', '2', '3', '4']);
    await until(first.close());
    expect(state.starts, 'the consumer started the adapter').toBeGreaterThanOrEqual(1);
    expect(state.closes, 'the consumer did not close the adapter it was given').toBe(0);
    // The creator can still use it: the lease is released and carries the checkpoint.
    const [lease] = (await state.listLeases(scope)) as [Lease];
    expect(lease.owner).toBeNull();
    expect(lease.checkpoint).not.toBeNull();

    // A second consumer on the same adapter resumes after the checkpoint.
    const second = consumer(fake, state);
    const [resumed] = await take(second[Symbol.asyncIterator](), 1);
    expect(resumed, 'the second consumer reads').toBeDefined();
    expect(Number(recordText(resumed as KinesisRecord)), 'it resumes after the checkpoint').toBe(4);
    await until(second.close());
    expect(state.closes).toBe(0);

    // Closing is the creator's job.
    await state.close();
    expect(state.closes).toBe(1);
  });
});
